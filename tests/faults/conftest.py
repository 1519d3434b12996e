import pytest
from django.conf import settings as django_settings

from tests.processes import RedisServer


@pytest.fixture
def own_redis(tmp_path, settings):
    """A Redis of the test's own, with the cache and the channel layer on it, configured as in
    production (the options of REDIS_URL's settings, only the address changed)."""
    server = RedisServer(tmp_path)
    server.start()
    cache = django_settings.CACHES["default"]
    layer = django_settings.CHANNEL_LAYERS["default"]
    hosts = [{**layer["CONFIG"]["hosts"][0], "address": server.url}]
    settings.CACHES = {"default": {**cache, "LOCATION": server.url}}
    settings.CHANNEL_LAYERS = {"default": {**layer, "CONFIG": {**layer["CONFIG"], "hosts": hosts}}}
    settings.LIVE_STATUS_CHECK_INTERVAL = 0.2
    yield server
    server.stop()
