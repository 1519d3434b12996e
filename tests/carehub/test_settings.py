"""Settings from the environment: production-ready with `check --deploy`, loud on bad values."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def _manage(*args, **env_vars) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process with only the given environment (plus PATH/HOME)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", str(BASE_DIR / "var"))}
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_env(**overrides) -> dict[str, str]:
    env = {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "carehub.example",
        "DATABASE_URL": "postgres://carehub@127.0.0.1:5432/carehub",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "BEHIND_TLS_PROXY": "1",
    }
    env.update(overrides)
    return env


def test_check_deploy_passes_in_a_production_like_environment():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "WARNINGS" not in result.stderr


def test_check_deploy_catches_a_weak_secret_key():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **production_env(SECRET_KEY="short"))
    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_production_settings_are_the_secure_ones():
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_PROXY_SSL_HEADER, s.DEBUG, s.CACHES['default']['BACKEND'],"
        " s.CHANNEL_LAYERS['default']['BACKEND'], s.DATABASES['default']['ENGINE'])"
    )
    result = _manage("shell", "--verbosity", "0", "-c", code, **production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "False",
        "django_prometheus.cache.backends.redis.RedisCache",  # django-redis with hit and miss counters
        "carehub.layers.ShortReadRedisChannelLayer",  # channels_redis with a 1 s blocking read
        "django.db.backends.postgresql",
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IDLE_TIMEOUT_STAFF", "abc"),
        ("IDLE_TIMEOUT_STAFF", "0"),
        ("SESSION_ABSOLUTE_LIFETIME", "-5"),
        ("DATABASE_URL", "mysql://carehub@127.0.0.1/carehub"),
        ("DATABASE_URL", "not a url"),
        ("TIME_ZONE", "Mars/Base"),
        ("DEBUG", "maybe"),
        ("FAMILY_2FA_REQUIRED", "flase"),
        ("SECURE_HSTS_SECONDS", "a year"),
        ("DATABASE_CONN_MAX_AGE", "forever"),
        ("EMAIL_URL", "pigeon://loft"),
        ("SECRET_KEY_FILE", "/nonexistent/secret"),
    ],
)
def test_a_malformed_setting_stops_start_up(name, value):
    result = _manage("check", **production_env(**{name: value}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr, result.stderr[-2000:]
    assert name.removesuffix("_FILE") in result.stderr


def test_embedded_default_needs_no_environment():
    result = _manage("check")
    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    # Each node would make its own, and people would be signed out at random between nodes.
    result = _manage("check", **production_env(SECRET_KEY="", SECRET_KEY_FILE=""))
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set in production" in result.stderr


def test_debug_refuses_hosts_other_than_this_machine():
    result = _manage("check", **production_env(DEBUG="1"))
    assert "DEBUG is only for a machine of one's own" in result.stderr


def test_production_cookies_carry_the_host_prefix():
    code = "from django.conf import settings as s; print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME)"
    result = _manage("shell", "--verbosity", "0", "-c", code, **production_env())
    assert result.stdout.split() == ["__Host-sessionid", "__Host-csrftoken"]


def test_oidc_acr_values_are_asked_for_in_the_authorisation_request():
    code = (
        "from django.conf import settings as s; "
        "print(s.SOCIALACCOUNT_PROVIDERS['openid_connect']['APPS'][0]['settings']['auth_params'])"
    )
    env = {
        "OIDC_ISSUER": "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet",
        "OIDC_CLIENT_ID": "carehub",
        "OIDC_CLIENT_SECRET": "not-a-real-secret",
        "OIDC_ACR_VALUES": "eidas2",
    }
    result = _manage("shell", "--verbosity", "0", "-c", code, **env)
    assert result.stdout.strip() == "{'acr_values': 'eidas2'}", result.stderr
