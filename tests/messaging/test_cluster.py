"""The production set-up for real: two Daphne processes sharing the Redis channel layer
and the PostgreSQL test database, and a real Celery worker on the Redis broker.

The subprocesses point at the pytest-django test database (committed data:
``transaction=True``) and at the same Redis as this process.
"""

import asyncio
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from messaging import services
from tests.conftest import login_verified
from tests.messaging.factories import group_with
from tests.processes import celery_worker, output

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, process, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited: {process.stderr.read().decode()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def _subprocess_env(**extra) -> dict:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        REDIS_URL=os.environ["REDIS_URL"],
        # The suite's settings: this worker's channel prefix, plain static files, no TLS redirect.
        DJANGO_SETTINGS_MODULE="tests.settings",
        **extra,
    )
    if db.get("PASSWORD"):
        env["DATABASE_URL"] = url.replace(f"{db['USER']}@", f"{db['USER']}:{db['PASSWORD']}@")
    return env


@pytest.fixture
def daphne_pair():
    env = _subprocess_env()
    processes, ports = [], []
    try:
        for _ in range(2):
            port = _free_port()
            process = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "carehub.asgi:application"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            processes.append(process)
            ports.append(port)
        for port, process in zip(ports, processes, strict=True):
            _wait_port(port, process)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _session(user) -> str:
    return login_verified(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value


def _post_message(port: int, session: str, conversation, body: str) -> int:
    """A plain form POST, as a browser without JavaScript sends it."""
    path = f"/messages/c/{conversation.public_id}/"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request("GET", path, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"})
    page = conn.getresponse()
    page.read()
    assert page.status == 200, page.status
    cookies = SimpleCookie()
    for header in page.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    csrf = cookies[settings.CSRF_COOKIE_NAME].value
    form = urlencode({"body": body, "client_token": str(uuid.uuid4()), "csrfmiddlewaretoken": csrf})
    conn.request(
        "POST",
        path,
        body=form,
        headers={
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


async def _open(port: int, session: str):
    from websockets.asyncio.client import connect

    ws = await connect(
        f"ws://127.0.0.1:{port}/ws/messages/",
        origin=f"http://127.0.0.1:{port}",
        additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
        open_timeout=20,
    )
    hello = json.loads(await asyncio.wait_for(ws.recv(), 20))
    assert hello["type"] == "hello"
    return ws


async def _next_message(ws, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic())))
        if frame["type"] == "message":
            return frame["message"]


def test_messages_cross_daphne_nodes_both_ways(daphne_pair, staff_a, coordinator_a):
    node_a, node_b = daphne_pair
    conversation = group_with(staff_a, coordinator_a)
    staff_session, coordinator_session = _session(staff_a), _session(coordinator_a)

    async def scenario():
        on_b = await _open(node_b, coordinator_session)
        # Idle for longer than channels_redis's blocking pop (5 s): the socket must survive it.
        await asyncio.sleep(7)
        # 1. Posted over HTTP (no JavaScript) to node A → the socket on node B.
        status = await asyncio.to_thread(_post_message, node_a, staff_session, conversation, "Posté sur le nœud A")
        assert status == 302
        message = await _next_message(on_b)
        assert message["body"] == "Posté sur le nœud A"
        assert message["sender"]["id"] == staff_a.pk
        # 2. Sent over a socket on node B → a socket on node A.
        on_a = await _open(node_a, staff_session)
        await on_b.send(
            json.dumps(
                {
                    "type": "send",
                    "conversation": str(conversation.public_id),
                    "body": "Envoyé depuis le nœud B",
                    "client_token": str(uuid.uuid4()),
                }
            )
        )
        message = await _next_message(on_a)
        assert message["body"] == "Envoyé depuis le nœud B"
        assert message["sender"]["id"] == coordinator_a.pk
        await on_a.close()
        await on_b.close()

    asyncio.run(scenario())
    assert list(conversation.messages.values_list("body", flat=True)) == [
        "Posté sur le nœud A",
        "Envoyé depuis le nœud B",
    ]


@pytest.fixture
def celery_worker_process():
    with celery_worker(env=_subprocess_env(MESSAGING_ESCALATION_DELAY="2")) as process:
        yield process


def _wait_for(predicate, timeout: float = 40.0) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_escalation_by_a_real_worker(settings, celery_worker_process, site_a, staff_a, coordinator_a):
    from directory.models import Job, OnCallShift
    from directory.selectors import site_today
    from messaging.models import Message
    from notifications.models import Notification
    from tests.factories import make_staff

    settings.MESSAGING_ESCALATION_DELAY = 2
    on_call = make_staff(site_a, job=Job.NURSE, email="astreinte.worker@carehub.test")
    OnCallShift.objects.create(site=site_a, date=site_today(site_a), user=on_call)
    channel = services.site_channel_get_or_create(site=site_a)
    acknowledged = services.message_send(
        conversation=channel, sender=staff_a, body="Vu à temps", client_token=uuid.uuid4(), urgent=True
    ).message
    services.message_acknowledge(message=acknowledged, user=coordinator_a)
    ignored = services.message_send(
        conversation=channel, sender=staff_a, body="Personne ne répond", client_token=uuid.uuid4(), urgent=True
    ).message
    assert _wait_for(
        lambda: Notification.objects.filter(user=on_call, kind="urgent_message", emailed_at__isnull=False).exists()
    ), f"worker: {output(celery_worker_process)}"
    notice = Notification.objects.get(user=on_call, kind="urgent_message")
    assert notice.url.endswith(f"#m-{ignored.pk}")
    assert Message.objects.get(pk=ignored.pk).escalated_at is not None
    time.sleep(1.0)
    assert Message.objects.get(pk=acknowledged.pk).escalated_at is None
    assert Notification.objects.filter(kind="urgent_message").count() == 1
