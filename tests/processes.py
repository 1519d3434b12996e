"""Real processes for tests: a Celery worker and Daphne nodes on the test database, a Redis of the
test's own, a broker switch.

One way to start each, so that the tests that need a worker or a node (escalation, previews,
object storage, health checks, the cluster, faults) do not each carry a copy of the command line.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 10, process: subprocess.Popen | None = None) -> None:
    """Until something listens on ``port``; OSError when ``process`` exits or the time is up first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline or (process is not None and process.poll() is not None):
                raise
            time.sleep(0.05)


def database_url() -> str:
    """The test database as a URL, for a subprocess (PostgreSQL: the rows it must see are committed)."""
    from django.db import connection

    db = connection.settings_dict
    user = f"{db['USER']}:{db['PASSWORD']}" if db.get("PASSWORD") else db["USER"]
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until(predicate, *, timeout: float = 60, every: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


class RedisServer:
    """A redis-server of the test's own on a free port: it may be killed and started again on the same port."""

    def __init__(self, directory: Path):
        binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/sbin:/usr/bin")
        if binary is None:
            pytest.skip("needs redis-server")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        # Without persistence: a killed broker comes back empty, the worst case for queued tasks.
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def kill(self) -> None:
        """SIGKILL (a frozen one is woken first, so that it can die)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=10)

    stop = kill

    def freeze(self) -> None:
        """SIGSTOP: the kernel still accepts connections, nothing ever answers (the worst case)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@contextmanager
def redis_server(directory: Path) -> Iterator[RedisServer]:
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """This test process sends its tasks to ``url`` (not eagerly) for the block's duration."""
    from carehub.celery import app

    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = url, False
    _forget_connections(app)
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        _forget_connections(app)


def _forget_connections(app) -> None:
    # Celery caches its connection and producer pools for the first broker URL it met.
    app._pool = None
    app.amqp._producer_pool = None


def subprocess_env(env: dict | None = None) -> dict:
    """The environment of a subprocess of this test: the suite's settings (this process's channel
    prefix and queue, plain static files, no TLS redirect) on the test database, not the one
    DATABASE_URL names (tests run on test_<name>), whatever ``env`` says."""
    from django.db import connection

    full_env = {**os.environ, **(env or {}), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    if connection.vendor == "postgresql":
        full_env["DATABASE_URL"] = database_url()
    return full_env


class DaphneNode:
    """A Daphne process serving carehub.asgi on a port of its own: it may be killed and started
    again on the same port. It shares the test database (committed rows: ``transaction=True``) and
    the channel layer of REDIS_URL with this process and the other nodes."""

    def __init__(self, env: dict | None = None):
        self.env = env
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "carehub.asgi:application"]
        # Its output to a file, not a pipe: a node that logs much never blocks on it.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - open for the node's life, closed by stop()
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env=subprocess_env(self.env), stdout=subprocess.DEVNULL, stderr=self.log
        )
        try:
            wait_for_port(self.port, timeout=60, process=self.process)
        except OSError:
            self.process.kill()
            raise RuntimeError(f"Daphne did not start: {output(self)}") from None

    def kill(self) -> None:
        """SIGKILL: its sockets drop at once, nothing of it runs any more."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.log.close()


@contextmanager
def daphne_nodes(count: int = 2, *, env: dict | None = None) -> Iterator[list[DaphneNode]]:
    nodes = [DaphneNode(env) for _ in range(count)]
    try:
        for node in nodes:
            node.start()
        yield nodes
    finally:
        for node in nodes:
            node.stop()


@contextmanager
def celery_worker(
    *, queue: str | None = None, env: dict | None = None, args: tuple[str, ...] = ()
) -> Iterator[subprocess.Popen]:
    """A real Celery worker process (solo pool) on the test database and this process's queue.

    The worker reads tests.settings, so it shares this process's queue and prefixes; ``env``
    adds variables (a broker of the test's own: CELERY_BROKER_URL). While it runs,
    this process sends tasks to the broker instead of running them eagerly.
    """
    from django.conf import settings

    from carehub.celery import app

    full_env = subprocess_env({**(env or {}), "CELERY_TASK_ALWAYS_EAGER": "0", "DATABASE_CONN_MAX_AGE": "0"})
    command = [sys.executable, "-m", "celery", "-A", "carehub", "worker", "--pool", "solo"]
    command += ["-Q", queue or settings.CELERY_TASK_DEFAULT_QUEUE, "--loglevel", "WARNING"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", *args]
    # Its output to a file, not a pipe: a worker that logs much (a broker down) never blocks on it.
    with tempfile.TemporaryFile() as log:
        worker = subprocess.Popen(command, cwd=BASE_DIR, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        worker.log = log  # type: ignore[attr-defined]
        previous = app.conf.task_always_eager
        app.conf.task_always_eager = False
        try:
            yield worker
        finally:
            app.conf.task_always_eager = previous
            stop(worker)


def output(process: subprocess.Popen | DaphneNode) -> str:
    """What the worker or node printed so far (for an assertion's message)."""
    process.log.seek(0)  # type: ignore[union-attr]
    return process.log.read().decode(errors="replace")[-4000:]  # type: ignore[union-attr]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
