import pytest

from tests.conftest import clear_cache


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit buckets and presence live in the cache: every test starts clean."""
    clear_cache()
    yield
    clear_cache()
