"""deploy/carehub.env.example names every environment variable CareHub reads.

The list is read from the source (tests/deploy/kit.py, variables_read): a variable added
to settings.py or any module later fails here until the sample documents it.
"""

import os
import secrets
import subprocess
import sys

from tests.deploy import kit


def test_the_sample_names_every_variable_the_project_reads():
    read = kit.variables_read()
    missing = {name: places for name, places in read.items() if name not in kit.env_sample_names()}
    assert missing == {}, "add these to deploy/carehub.env.example, with a comment: " + ", ".join(
        f"{name} ({places[0]})" for name, places in sorted(missing.items())
    )


def test_the_collector_sees_the_settings_and_the_entry_points():
    """Guards the guard: a collector that found nothing would pass the test above."""
    read = kit.variables_read()
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "DOCUMENTS_MAX_UPLOAD_SIZE"} <= set(read)
    assert any(place.startswith("manage.py") for place in read["DJANGO_SETTINGS_MODULE"])


def test_the_sample_names_only_variables_that_something_reads():
    """A name the project never reads is a typo or a leftover: an IT team would set it for nothing."""
    read = set(kit.variables_read())
    secrets_files = {f"{name}_FILE" for name in read}
    assert kit.env_sample_names() - read - secrets_files == set()


def test_the_sample_sets_what_production_requires():
    values = kit.env_file_parse(kit.ENV_SAMPLE.read_text(encoding="utf-8"))
    required = {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "TRUSTED_PROXIES"}
    assert required <= set(values)
    assert values["DOCUMENTS_X_ACCEL_REDIRECT"] == kit.internal_location(kit.nginx_site()).args[0]
    assert values["MEDIA_ROOT"].rstrip("/") + "/" == kit.internal_location(kit.nginx_site()).value("alias")[0]


def test_sh_and_systemd_read_the_sample_alike():
    """The units read it as an EnvironmentFile, deploy/carehub-manage sources it with sh."""
    shell = subprocess.run(
        ["sh", "-c", 'set -a; . "$1"; env -0', "sh", str(kit.ENV_SAMPLE)],
        capture_output=True,
        check=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )
    read_by_sh = dict(item.split("=", 1) for item in shell.stdout.decode().split("\0") if "=" in item)
    for name, value in kit.env_file_parse(kit.ENV_SAMPLE.read_text(encoding="utf-8")).items():
        assert read_by_sh.get(name) == value, name


def test_the_sample_with_a_secret_key_passes_the_deployment_checks(tmp_path):
    """What an IT team gets by filling in SECRET_KEY alone: production settings Django's
    `check --deploy` finds nothing to say about, run through the kit's manage.py wrapper."""
    sample = kit.ENV_SAMPLE.read_text(encoding="utf-8")
    env_file = tmp_path / "carehub.env"
    env_file.write_text(sample.replace("\nSECRET_KEY=\n", f"\nSECRET_KEY={secrets.token_urlsafe(50)}\n"))
    result = subprocess.run(
        [str(kit.DEPLOY / "carehub-manage"), "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "CAREHUB_ENV_FILE": str(env_file),
            "CAREHUB_CODE_DIR": str(kit.ROOT),
            "CAREHUB_PYTHON": sys.executable,
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
