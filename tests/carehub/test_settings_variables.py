"""Every variable that carehub/settings.py reads refuses a malformed value, naming the variable.

The list of variables is read from settings.py itself (every call to a carehub.env
helper), so a variable added later is tried too. Each try loads the settings
source fresh, in process, with a patched environment.
"""

import ast
import importlib.util
import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

SETTINGS_PATH = Path(__file__).resolve().parents[2] / "carehub" / "settings.py"
HELPERS = {"env_str", "env_int", "env_float", "env_bool", "env_list", "env_secret"}

#: A value each check of carehub/env.py refuses.
MALFORMED_FOR_CHECK = {
    "time_zone": "Mars/Base",
    "email_address": "nobody",
    "url": "not a url",
    "origin": "carehub.example.org",
    "log_level": "LOUD",
    "url_path": "protected-media",
    "rate_limits": "ten per minute",
    "day_times": "07:00,06:00,21:00",
    "postgres_url": "mysql://carehub@127.0.0.1/carehub",
    "email_url": "pigeon://loft",
    "ip_network": "proxy.example.org",
    "one_of": "loud",
    "directory": "/nonexistent/folder",
    "_ldap_filter": "mail=*",
}

#: Text variables that take any value, and why.
ACCEPTS_ANYTHING = {
    "SECRET_KEY": "any secret; its strength is checked by `check --deploy`",
    "ALLOWED_HOSTS": "host names and patterns as Django reads them (.example.org, *)",
    "SQLITE_PATH": "a file path; SQLite says at first use if it cannot open it",
    "MEDIA_ROOT": "a folder path, created on first upload",
    "UPLOAD_PIECES_DIR": "a folder path, created on first upload in pieces",
    "AWS_STORAGE_BUCKET_NAME": "a bucket name; the S3 API says at first use if it does not exist",
    "AWS_S3_REGION_NAME": "a region name, which each S3 provider spells its own way",
    "AWS_LOCATION": "a prefix of object names inside the bucket",
    "AWS_ACCESS_KEY_ID": "any key; the S3 API checks it",
    "AWS_SECRET_ACCESS_KEY": "any secret; the S3 API checks it",
    "CACHE_KEY_PREFIX": "any text: Redis keys take any character",
    "CHANNEL_PREFIX": "any text: Redis keys take any character",
    "OTP_ISSUER": "the name shown in authenticator apps; django-otp quotes it in the URI",
    "AUDIT_CHAIN_KEY": "any secret: an HMAC key of any length (the README asks for 50 random characters)",
    "AUDIT_CHAIN_OLD_KEYS": "earlier audit keys, any secrets",
    "AUDIT_CHECKPOINT_FILE": "a file path, created at the first checkpoint",
    "GROUP_NAME": "the group's name, any text (the FHIR API's Organization)",
    "OIDC_CLIENT_ID": "the identifier the provider gave CareHub; the provider checks it",
    "OIDC_CLIENT_SECRET": "any secret; the provider checks it",
    "OIDC_NAME": "the provider's name on the sign-in button",
    "OIDC_LINK_CLAIM": "a claim name, which each provider spells its own way",
    "OIDC_SCOPES": "scope names, which each provider spells its own way",
    "OIDC_SECOND_FACTOR_AMR": "amr values (RFC 8176 names, or a provider's own)",
    "OIDC_SECOND_FACTOR_ACR": "acr values, which each provider names its own way (eidas2)",
    "OIDC_ACR_VALUES": "acr values, which each provider names its own way (eidas1)",
    "LDAP_BIND_DN": "a DN; the directory says at first sign-in if it does not exist",
    "LDAP_BIND_PASSWORD": "any secret; the directory checks it",
    "LDAP_SEARCH_BASE": "a DN; the directory says at first sign-in if it does not exist",
    "LDAP_EMAIL_ATTRIBUTE": "an attribute name, which each directory spells its own way",
    "LDAP_LINK_ATTRIBUTE": "an attribute name (employeeNumber, employeeID...)",
}

#: Production as the README describes it: every variable is read on that path.
PRODUCTION = {
    "SECRET_KEY": "x" * 60,
    "ALLOWED_HOSTS": "carehub.example",
    "DATABASE_URL": "postgres://carehub@127.0.0.1:5432/carehub",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "BEHIND_TLS_PROXY": "1",
}


def _variables() -> list[tuple[str, str, dict]]:
    """(name, helper, keyword arguments as source nodes) for every env helper call in settings.py."""
    found = []
    for node in ast.walk(ast.parse(SETTINGS_PATH.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in HELPERS:
            name = node.args[0]
            assert isinstance(name, ast.Constant), f"line {node.lineno}: the variable's name must be a literal"
            found.append((name.value, node.func.id, {k.arg: k.value for k in node.keywords}))
    return found


VARIABLES = _variables()
NAMES = sorted({name for name, _, _ in VARIABLES})


def _check_name(node) -> str:
    func = node.func if isinstance(node, ast.Call) else node  # url("http", "https") or time_zone
    return func.id


def _malformed_values(helper: str, keywords: dict) -> list[str]:
    if helper == "env_int":
        values = ["abc"]
        if "minimum" in keywords:
            values.append(str(ast.literal_eval(keywords["minimum"]) - 1))
        if "maximum" in keywords:
            values.append(str(ast.literal_eval(keywords["maximum"]) + 1))
        return values
    if helper == "env_float":
        return ["abc", *(str(ast.literal_eval(keywords[k])) for k in ("above", "below") if k in keywords)]
    if helper == "env_bool":
        return ["maybe"]
    if "choices" in keywords:
        return ["pdf,exe"]
    if "check" in keywords:
        return [MALFORMED_FOR_CHECK[_check_name(keywords["check"])]]
    return []


CASES = [
    pytest.param(name, value, id=f"{name}={value}")
    for name, helper, keywords in VARIABLES
    for value in _malformed_values(helper, keywords)
]
SECRETS = sorted({name for name, helper, _ in VARIABLES if helper == "env_secret"})


def load_settings(monkeypatch, **environment):
    """Execute settings.py into a new module object, with only ``environment`` among its variables."""
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("carehub_settings_probe", SETTINGS_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_variable_in_the_readme_is_read_through_the_env_helpers():
    readme = (SETTINGS_PATH.parents[1] / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)`", readme, flags=re.MULTILINE))
    assert documented - set(NAMES) == set()


def test_every_text_variable_is_checked_or_listed_as_accepting_anything():
    unchecked = {name for name, helper, keywords in VARIABLES if not _malformed_values(helper, keywords)}
    assert unchecked == set(ACCEPTS_ANYTHING)


def test_the_production_environment_itself_loads(monkeypatch):
    """Without this, a refused base environment would make every case below pass."""
    assert load_settings(monkeypatch, **PRODUCTION).PRODUCTION_MODE is True


@pytest.mark.parametrize(("name", "value"), CASES)
def test_a_malformed_value_is_refused_with_the_variables_name(monkeypatch, name, value):
    with pytest.raises(ImproperlyConfigured, match=rf"\b{name}\b"):
        load_settings(monkeypatch, **{**PRODUCTION, name: value})


@pytest.mark.parametrize("name", SECRETS)
def test_a_secret_file_that_cannot_be_read_is_refused(monkeypatch, tmp_path, name):
    with pytest.raises(ImproperlyConfigured, match=rf"\b{name}_FILE\b"):
        load_settings(monkeypatch, **{**PRODUCTION, f"{name}_FILE": str(tmp_path / "missing")})


def test_a_secret_is_read_from_its_file(monkeypatch, tmp_path):
    secret = tmp_path / "database_url"
    secret.write_text("postgres://carehub:s3cret@db.internal:5432/carehub\n", encoding="utf-8")
    settings = load_settings(monkeypatch, **{**PRODUCTION, "DATABASE_URL_FILE": str(secret)})
    assert settings.DATABASES["default"]["PASSWORD"] == "s3cret"


def test_a_refused_secret_is_not_repeated_in_the_error(monkeypatch):
    with pytest.raises(ImproperlyConfigured) as refused:
        load_settings(monkeypatch, **{**PRODUCTION, "DATABASE_URL": "mysql://carehub:s3cret@db/carehub"})
    assert "s3cret" not in str(refused.value)


def test_an_empty_value_takes_the_default(monkeypatch):
    """``NAME=`` in a Compose file or a systemd unit means "not set"."""
    assert load_settings(monkeypatch, **{**PRODUCTION, "FAMILY_2FA_REQUIRED": ""}).FAMILY_2FA_REQUIRED is True


def test_celery_runs_on_the_group_time_zone(monkeypatch):
    assert load_settings(monkeypatch, **{**PRODUCTION, "TIME_ZONE": "America/Cayenne"}).CELERY_TIMEZONE == (
        "America/Cayenne"
    )


def test_production_settings_ignore_the_test_runners_worker(monkeypatch):
    settings = load_settings(monkeypatch, **{**PRODUCTION, "PYTEST_XDIST_WORKER": "gw3"})
    assert settings.CACHES["default"]["KEY_PREFIX"] == "carehub"


def test_production_settings_ignore_that_pytest_is_loaded(monkeypatch):
    """pytest is imported here: production must still compress and fingerprint its static files."""
    assert load_settings(monkeypatch, **PRODUCTION).STORAGES["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_the_embedded_default_runs_the_scheduler(monkeypatch):
    assert load_settings(monkeypatch, SECRET_KEY="x" * 60).EMBEDDED_SCHEDULER is True


def test_the_scheduler_can_be_turned_off_in_the_embedded_default(monkeypatch):
    assert load_settings(monkeypatch, SECRET_KEY="x" * 60, EMBEDDED_SCHEDULER="0").EMBEDDED_SCHEDULER is False


def test_production_leaves_periodic_jobs_to_celery_beat(monkeypatch):
    assert load_settings(monkeypatch, **PRODUCTION).EMBEDDED_SCHEDULER is False


def test_the_test_settings_leave_the_scheduler_to_the_tests(settings):
    assert settings.EMBEDDED_SCHEDULER is False
