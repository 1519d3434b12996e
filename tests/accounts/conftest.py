import pytest

from tests.accounts.flows import clear_rate_limits


@pytest.fixture(autouse=True)
def _no_rate_limit_left_from_earlier_runs(db):
    clear_rate_limits()
