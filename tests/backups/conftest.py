"""A fresh database and storage for each restore, of the vendor the suite runs on, and the set maker.

Restores run in a subprocess (``manage.py restore``) pointed at the fresh database by the
environment, as an IT team runs it on a new server: SQLite, a new file; PostgreSQL, a new
database of a unique name on the same server, dropped at the end.
"""

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Target:
    environment: dict
    media: Path

    def run(self, *args: str, module: str = "") -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", module] if module else [sys.executable, "manage.py", *args]
        return subprocess.run(
            command, cwd=REPO, env=self.environment, capture_output=True, text=True, timeout=120, check=False
        )


def _postgres_url(settings_dict: dict, name: str) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{name}"


@pytest.fixture
def fresh_target(transactional_db, tmp_path):
    """Return a function making a new empty database and storage (a Target) for a restore."""
    made: list[str] = []

    def make() -> Target:
        media = tmp_path / f"restored-media-{len(made)}"
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "MEDIA_ROOT": str(media)}
        if connection.vendor == "postgresql":
            name = f"carehub_restore_{uuid.uuid4().hex[:12]}"
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
            made.append(name)
            environment["DATABASE_URL"] = _postgres_url(connection.settings_dict, name)
        else:
            environment.pop("DATABASE_URL", None)
            environment["SQLITE_PATH"] = str(tmp_path / f"restored-{len(made)}.sqlite3")
            made.append(environment["SQLITE_PATH"])
        return Target(environment=environment, media=media)

    yield make
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for name in made:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
