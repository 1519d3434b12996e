"""The production set-up for real: two Daphne processes sharing the Redis channel layer
and the PostgreSQL test database, and a real Celery worker on the Redis broker.

The subprocesses point at the pytest-django test database (committed data:
``transaction=True``) and at the same Redis as this process.
"""

import asyncio
import json
import time
import uuid

import pytest

from messaging import services
from tests.messaging.factories import group_with
from tests.processes import celery_worker, daphne_nodes, output
from tests.sockets import node_post_message, node_socket, session_cookie

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def daphne_pair():
    with daphne_nodes(2) as nodes:
        yield [node.port for node in nodes]


def _post_message(port: int, session: str, conversation, body: str) -> int:
    """A plain form POST, as a browser without JavaScript sends it."""
    return node_post_message(port, session, conversation.public_id, body, str(uuid.uuid4()))[0]


async def _next_message(ws, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic())))
        if frame["type"] == "message":
            return frame["message"]


def test_messages_cross_daphne_nodes_both_ways(daphne_pair, staff_a, coordinator_a):
    node_a, node_b = daphne_pair
    conversation = group_with(staff_a, coordinator_a)
    staff_session, coordinator_session = session_cookie(staff_a), session_cookie(coordinator_a)

    async def scenario():
        on_b = await node_socket(node_b, coordinator_session)
        # Idle for longer than channels_redis's blocking pop (5 s): the socket must survive it.
        await asyncio.sleep(7)
        # 1. Posted over HTTP (no JavaScript) to node A → the socket on node B.
        status = await asyncio.to_thread(_post_message, node_a, staff_session, conversation, "Posté sur le nœud A")
        assert status == 302
        message = await _next_message(on_b)
        assert message["body"] == "Posté sur le nœud A"
        assert message["sender"]["id"] == staff_a.pk
        # 2. Sent over a socket on node B → a socket on node A.
        on_a = await node_socket(node_a, staff_session)
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
    with celery_worker(env={"MESSAGING_ESCALATION_DELAY": "2"}) as process:
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
