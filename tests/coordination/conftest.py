import pytest

from coordination.targets import ensure_default_targets


@pytest.fixture(autouse=True)
def _targets(db):
    ensure_default_targets()
