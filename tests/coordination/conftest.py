import pytest

from tests.coordination.factories import default_targets


@pytest.fixture(autouse=True)
def _targets(db):
    default_targets()
