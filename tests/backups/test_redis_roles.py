"""Scaling out: the cache and the channel layer may each have their own Redis, PgBouncer needs no server-side cursors.

The settings source is loaded fresh with a patched environment, as tests/carehub/test_settings_variables.py
does (a malformed URL in either variable is refused there, with every other variable).
"""

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.carehub.test_settings_variables import PRODUCTION, load_settings


def _channel_address(module) -> str:
    return module.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"]


def test_every_role_uses_redis_url_by_default(monkeypatch):
    module = load_settings(monkeypatch, **PRODUCTION)
    assert module.CACHES["default"]["LOCATION"] == PRODUCTION["REDIS_URL"]
    assert _channel_address(module) == PRODUCTION["REDIS_URL"]
    broker = module.CELERY_BROKER_URL
    assert broker == PRODUCTION["REDIS_URL"]


def test_cache_and_channel_layer_may_each_have_their_own_redis(monkeypatch):
    module = load_settings(
        monkeypatch,
        **PRODUCTION,
        CACHE_REDIS_URL="redis://cache.internal:6379/1",
        CHANNEL_LAYER_REDIS_URL="redis://:s3cret@channels.internal:6380/0",
        CELERY_BROKER_URL="redis://broker.internal:6381/0",
    )
    assert module.CACHES["default"]["LOCATION"] == "redis://cache.internal:6379/1"
    assert _channel_address(module) == "redis://:s3cret@channels.internal:6380/0"
    broker = module.CELERY_BROKER_URL
    assert broker == "redis://broker.internal:6381/0"


def test_a_role_url_from_a_secret_file(monkeypatch, tmp_path):
    secret = tmp_path / "cache-url"
    secret.write_text("rediss://:pw@cache.internal:6379/2\n", encoding="utf-8")
    module = load_settings(monkeypatch, **PRODUCTION, CACHE_REDIS_URL_FILE=str(secret))
    assert module.CACHES["default"]["LOCATION"] == "rediss://:pw@cache.internal:6379/2"


@pytest.mark.parametrize("name", ["CACHE_REDIS_URL", "CHANNEL_LAYER_REDIS_URL"])
def test_a_role_url_without_redis_url_is_refused(monkeypatch, name):
    with pytest.raises(ImproperlyConfigured, match=rf"{name}.*need REDIS_URL"):
        load_settings(monkeypatch, **{name: "redis://127.0.0.1:6379/3"})


def test_server_side_cursors_can_be_turned_off_for_pgbouncer_in_transaction_mode(monkeypatch):
    assert load_settings(monkeypatch, **PRODUCTION).DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is False
    module = load_settings(monkeypatch, **PRODUCTION, DATABASE_DISABLE_SERVER_SIDE_CURSORS="1")
    assert module.DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
