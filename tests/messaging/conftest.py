import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit buckets and presence live in the cache: every test starts clean."""
    cache.clear()
    yield
    cache.clear()
