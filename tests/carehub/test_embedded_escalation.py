"""`make run` escalates urgent notes: a real Daphne in the embedded default, nobody calling the sweep.

The server runs the production settings with nothing set but a SQLite file (as
`make run` does); only its scheduler thread can escalate the note, since the note
was written straight to the database, with no task enqueued.
"""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SETUP = """
import json
from datetime import timedelta

import django

django.setup()
from django.utils import timezone

from directory.models import Job
from tests.coordination.factories import CareNoteFactory, ResidentFactory
from tests.factories import SiteFactory, UnitFactory, make_staff

site = SiteFactory(name="EHPAD Les Tilleuls")
unit = UnitFactory(site=site, name="Les Lilas")
make_staff(site, unit=unit, job=Job.NURSE, email="ide@carehub.test")
author = make_staff(site, unit=unit, email="as@carehub.test")
resident = ResidentFactory(site=site, unit=unit)
now = timezone.now()
due = CareNoteFactory(resident=resident, author=author, priority="urgent", created_at=now - timedelta(minutes=20))
pending = CareNoteFactory(resident=resident, author=author, priority="urgent", created_at=now)
print(json.dumps({"due": due.pk, "pending": pending.pk}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("embedded")


@pytest.fixture(scope="module")
def embedded(tmp):
    """Environment of `make run`: production settings, nothing set but where the files go."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="carehub.settings",
        SQLITE_PATH=str(tmp / "carehub.sqlite3"),
        MEDIA_ROOT=str(tmp / "media"),
        SECRET_KEY="embedded-test-" + "x" * 50,
        DEBUG="1",  # plain static files: no collectstatic needed
        PYTHONDONTWRITEBYTECODE="1",
    )
    for command in (["manage.py", "migrate", "--noinput", "-v0"], ["manage.py", "createcachetable"]):
        subprocess.run([sys.executable, *command], cwd=ROOT, env=env, check=True, timeout=300)
    return env


def _notified(database: Path) -> set[str]:
    with sqlite3.connect(database, timeout=20) as db:
        rows = db.execute(
            "SELECT u.email FROM notifications_notification n JOIN accounts_user u ON u.id = n.user_id"
            " WHERE n.kind = 'urgent_note'"
        )
        return {email for (email,) in rows}


def _escalated(database: Path) -> set[int]:
    with sqlite3.connect(database, timeout=20) as db:
        return {pk for (pk,) in db.execute("SELECT id FROM coordination_carenote WHERE escalated_at IS NOT NULL")}


@pytest.fixture(scope="module")
def notes_and_server(embedded, tmp):
    made = subprocess.run(
        [sys.executable, "-c", SETUP], cwd=ROOT, env=embedded, check=True, capture_output=True, text=True, timeout=120
    )
    notes = json.loads(made.stdout.strip().splitlines()[-1])
    log = (tmp / "daphne.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(_free_port()), "carehub.asgi:application"],
        cwd=ROOT,
        env=embedded,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield notes, Path(embedded["SQLITE_PATH"])
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        print((tmp / "daphne.log").read_text(errors="replace")[-3000:])  # shown if the test failed


def _wait_for_escalation(database: Path, timeout: float = 60.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if escalated := _escalated(database):
            return escalated
        time.sleep(0.5)
    return set()


def test_the_serving_process_escalates_a_due_urgent_note_by_itself(notes_and_server):
    notes, database = notes_and_server
    assert _wait_for_escalation(database) == {notes["due"]}


def test_the_unit_nurse_is_told_of_the_due_note(notes_and_server):
    _, database = notes_and_server
    _wait_for_escalation(database)
    assert _notified(database) == {"ide@carehub.test"}


def test_a_wsgi_process_starts_the_scheduler_too(tmp_path):
    """Gunicorn in the embedded default: importing the WSGI application starts the same thread."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="carehub.settings", SQLITE_PATH=str(tmp_path / "empty.sqlite3"), LOG_LEVEL="CRITICAL"
    )
    code = "import threading, carehub.wsgi; print(sorted(t.name for t in threading.enumerate()))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert "'carehub-scheduler'" in result.stdout, result.stderr[-2000:]
