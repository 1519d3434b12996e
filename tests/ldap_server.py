"""A real OpenLDAP server (slapd, Debian's ``slapd`` package) for the tests, on a free loopback port.

Started as the current user from a slapd.conf generated in a temporary folder (MDB database there
too), filled through ldap3 as its root DN. Tests that need it skip, saying why, when slapd is absent.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import free_port, stop, wait_for_port

SUFFIX = "dc=carehub,dc=test"
PEOPLE_BASE = f"ou=people,{SUFFIX}"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "slapd-root-password"  # noqa: S105 - a throwaway server on loopback
SERVICE_DN = f"cn=carehub,{SUFFIX}"
SERVICE_PASSWORD = "slapd-service-password"  # noqa: S105
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")


def slapd_path() -> str | None:
    return shutil.which("slapd") or next((p for p in ("/usr/sbin/slapd",) if Path(p).exists()), None)


def _config(directory: Path) -> str:
    schemas = "\n".join(f"include {SCHEMA_DIR / name}.schema" for name in ("core", "cosine", "inetorgperson"))
    return f"""{schemas}
modulepath {MODULE_DIR}
moduleload back_mdb
pidfile {directory}/slapd.pid
argsfile {directory}/slapd.args

database mdb
maxsize 10485760
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {directory}/data

access to attrs=userPassword
    by self write
    by anonymous auth
    by * none
access to *
    by dn.exact="{SERVICE_DN}" read
    by self read
    by * none
"""


@dataclass
class Slapd:
    url: str

    def add(self, dn: str, object_classes: list[str], attributes: dict) -> None:
        import ldap3

        with ldap3.Connection(ldap3.Server(self.url), ROOT_DN, ROOT_PASSWORD, auto_bind=True) as conn:
            assert conn.add(dn, object_classes, attributes), conn.result

    def add_person(self, uid: str, *, password: str, mail: str = "", **attributes) -> str:
        dn = f"uid={uid},{PEOPLE_BASE}"
        fields = {"cn": uid, "sn": uid, "userPassword": password, **attributes}
        if mail:
            fields["mail"] = mail
        self.add(dn, ["inetOrgPerson"], fields)
        return dn


@contextmanager
def running_slapd(directory: Path) -> Iterator[Slapd]:
    binary = slapd_path()
    if binary is None or not (SCHEMA_DIR / "inetorgperson.schema").exists():
        pytest.skip("slapd is not installed (Debian: apt-get install slapd ldap-utils)")
    (directory / "data").mkdir(parents=True, exist_ok=True)
    conf = directory / "slapd.conf"
    conf.write_text(_config(directory))
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    log = (directory / "slapd.log").open("wb")
    # -d: stay in the foreground (a child the test can stop), logging connections and operations.
    process = subprocess.Popen(  # noqa: S603
        [binary, "-f", str(conf), "-h", f"{url}/", "-d", "stats"], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, timeout=30)
        server = Slapd(url=url)
        server.add(SUFFIX, ["dcObject", "organization"], {"dc": "carehub", "o": "CareHub tests"})
        server.add(PEOPLE_BASE, ["organizationalUnit"], {"ou": "people"})
        server.add(SERVICE_DN, ["person"], {"cn": "carehub", "sn": "service", "userPassword": SERVICE_PASSWORD})
        yield server
    finally:
        stop(process)
        log.close()
