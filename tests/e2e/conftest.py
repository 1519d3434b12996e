"""Browser journeys: Debian's chromium driven by Playwright against a real Daphne.

The server runs in its own process exactly as in production mode minus the
services: a file SQLite database in a temporary folder, DEBUG off, the
manifest static storage, e-mails written to files the tests read. Nothing
here downloads a browser: without /usr/bin/chromium every journey is skipped.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.helpers import Authenticator, assert_accessible

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CAREHUB_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
#: Idle timeout (s) of the second server used by the idle-timeout journey.
IDLE_TIMEOUT_SHORT = 60
#: Where screenshots go: docs/screenshots/ when refreshing them on purpose, a temporary folder otherwise.
SCREENSHOTS_ENV = "CAREHUB_E2E_SCREENSHOTS"


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"browser journeys need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class World:
    """The live site and what the journeys know about its data."""

    server: Server
    data: dict
    mail_dir: Path
    media_dir: Path
    env: dict

    @property
    def url(self) -> str:
        return self.server.url

    def person(self, name: str) -> dict:
        return self.data["people"][name]

    def shell(self, code: str) -> str:
        """Run Python in the server's database (a subprocess: Playwright's sync API forbids the ORM here)."""
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-v", "0", "-c", code],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py shell failed:\n{result.stderr[-3000:]}")
        return result.stdout.strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(tmp: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "PYTEST_"))}
    env.update(
        SQLITE_PATH=str(tmp / "carehub.sqlite3"),
        MEDIA_ROOT=str(tmp / "media"),
        # django-environ drops the first "/" of a filemail path: "filemail:///" + "/abs/path".
        EMAIL_URL=f"filemail:///{tmp / 'mail'}",
        # Production settings in embedded mode, as `make run` serves them.
        DJANGO_SETTINGS_MODULE="carehub.settings",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECRET_KEY="e2e-only-" + "x" * 50,
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def _run(args: list[str], env: dict, what: str) -> None:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode:
        raise RuntimeError(f"{what} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")


def _start_daphne(env: dict, log: Path) -> Server:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**env, "SITE_BASE_URL": url}
    daphne = Path(sys.executable).with_name("daphne")
    handle = log.open("wb")
    process = subprocess.Popen(
        [str(daphne), "-b", "127.0.0.1", "-p", str(port), "carehub.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    server = Server(url=url, process=process, log=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Daphne exited with {process.returncode}:\n{log.read_text(errors='replace')[-5000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:  # noqa: S310 (our own server)
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"Daphne did not answer /healthz within 60 s:\n{log.read_text(errors='replace')[-5000:]}")


@pytest.fixture(scope="session")
def e2e_tmp(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("carehub-e2e")
    (tmp / "mail").mkdir()
    (tmp / "media").mkdir()
    return tmp


@pytest.fixture(scope="session")
def world(e2e_tmp) -> World:
    """Migrated database, demo group and journey accounts, static files, one Daphne."""
    env = _server_env(e2e_tmp)
    python = sys.executable
    _run([python, "manage.py", "migrate", "--noinput", "-v0"], env, "migrate")
    _run([python, "manage.py", "createcachetable"], env, "createcachetable")
    scenario = e2e_tmp / "scenario.json"
    _run([python, "-m", "tests.e2e.scenario", str(scenario)], env, "scenario")
    _run([python, "manage.py", "collectstatic", "--noinput", "-v0"], env, "collectstatic")
    server = _start_daphne(env, e2e_tmp / "daphne.log")
    try:
        yield World(
            server=server,
            data=json.loads(scenario.read_text(encoding="utf-8")),
            mail_dir=e2e_tmp / "mail",
            media_dir=e2e_tmp / "media",
            env=env,
        )
    finally:
        server.stop()


@pytest.fixture(scope="session")
def idle_server(world, e2e_tmp) -> Server:
    """A second Daphne on the same database whose staff sessions end after a minute idle."""
    env = {**world.env, "IDLE_TIMEOUT_STAFF": str(IDLE_TIMEOUT_SHORT)}
    server = _start_daphne(env, e2e_tmp / "daphne-idle.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def authenticator() -> Authenticator:
    return Authenticator()


# --- pytest-playwright configuration ----------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def base_url(world) -> str:
    return world.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # French first, as the staff meet it; the group's time zone.
    return {**browser_context_args, "locale": "fr-FR", "timezone_id": "Europe/Paris"}


@pytest.fixture
def page_errors() -> list[str]:
    """JavaScript errors and CSP refusals seen in any page of any browser context of the test."""
    return []


@pytest.fixture
def new_context(new_context, page_errors):
    """pytest-playwright's new_context, each context watched for script errors and CSP refusals."""

    def watch(page):
        page.on("pageerror", lambda exc: page_errors.append(f"JS error on {page.url}: {exc}"))
        page.on(
            "console",
            lambda message: (
                page_errors.append(f"CSP on {page.url}: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )

    def make(**kwargs):
        context = new_context(**kwargs)
        context.on("page", watch)
        return context

    return make


@pytest.fixture
def check(page_errors):
    """check(page): axe finds no serious or critical violation, and no script failed so far."""

    def run(page):
        assert_accessible(page)
        assert not page_errors, "\n".join(page_errors)

    return run


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    if os.environ.get(SCREENSHOTS_ENV):
        target = ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        return target
    return tmp_path_factory.mktemp("screenshots")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed journey shows the end of the server's log (tracebacks of 500s land there)."""
    outcome = yield
    report = outcome.get_result()
    world = item.funcargs.get("world") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(world, World) and world.server.log.exists():
        report.sections.append(("daphne log (end)", world.server.log.read_text(errors="replace")[-6000:]))
