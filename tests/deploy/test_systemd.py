"""deploy/systemd: one unit per process, the same user, environment file and hardening in each."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy import kit

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ReadWritePaths": kit.STATE_DIR,
    "PrivateTmp": "yes",
    "ProtectHome": "yes",
    "CapabilityBoundingSet": "",
}


@pytest.mark.parametrize("name", kit.UNITS)
def test_each_unit_runs_as_carehub_from_the_env_file_hardened(name):
    unit = kit.unit_read(name)
    assert kit.unit_value(unit, "Service", "User") == "carehub"
    assert kit.unit_value(unit, "Service", "EnvironmentFile") == "/etc/carehub/carehub.env"
    assert kit.unit_value(unit, "Service", "WorkingDirectory") == kit.CODE_DIR
    assert kit.unit_value(unit, "Service", "Restart") == "on-failure"
    assert {key: kit.unit_value(unit, "Service", key) for key in HARDENING} == HARDENING
    assert kit.unit_value(unit, "Install", "WantedBy") == "carehub.target"
    assert kit.exec_start(name)[0].startswith(kit.VENV_BIN)


def test_gunicorn_and_daphne_listen_where_nginx_sends():
    site = kit.nginx_site()
    upstreams = {u.args[0]: u.value("server")[0] for u in site.find("upstream")}
    gunicorn, daphne = kit.exec_start("carehub-gunicorn.service"), kit.exec_start("carehub-daphne.service")
    assert gunicorn[gunicorn.index("--bind") + 1] == upstreams["carehub_gunicorn"]
    assert f"{daphne[daphne.index('--bind') + 1]}:{daphne[daphne.index('--port') + 1]}" == upstreams["carehub_daphne"]


def test_daphne_leaves_forwarded_headers_to_the_trusted_proxies_setting():
    """Daphne's --proxy-headers would believe X-Forwarded-For from anyone."""
    assert "--proxy-headers" not in kit.exec_start("carehub-daphne.service")


def test_beat_keeps_its_schedule_in_writable_state():
    beat = kit.exec_start("carehub-beat.service")
    assert beat[beat.index("--schedule") + 1].startswith(kit.STATE_DIR + "/")


def _render(directory: Path) -> list[Path]:
    """The units with this checkout and this virtualenv in place of /opt/carehub."""
    paths = []
    for source in sorted(kit.SYSTEMD.iterdir()):
        text = source.read_text(encoding="utf-8")
        text = text.replace(kit.VENV_BIN, str(Path(sys.executable).parent) + "/").replace(kit.CODE_DIR, str(kit.ROOT))
        (directory / source.name).write_text(text, encoding="utf-8")
        paths.append(directory / source.name)
    return paths


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="needs systemd-analyze (Debian's systemd package)")
def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    """verify checks that ExecStart exists: the units are rendered with this virtualenv's paths."""
    units = _render(tmp_path)
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", *map(str, units)], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "carehub" not in result.stderr, result.stderr  # warnings about our units


def test_the_readme_runs_what_the_units_run():
    """The processes table of README.md's production section quotes each unit's command."""
    readme = (kit.ROOT / "README.md").read_text(encoding="utf-8")
    for name in kit.UNITS:
        row = next(line for line in readme.splitlines() if line.startswith("|") and f"`{name}`" in line)
        quoted = row.split("|")[3].strip().strip("`")
        assert quoted.split() == [arg.replace(kit.VENV_BIN, ".venv/bin/") for arg in kit.exec_start(name)], name
