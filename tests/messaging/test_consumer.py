"""The messaging socket with channels' WebsocketCommunicator, through the real ASGI
stack (origin check, session auth) of carehub/asgi.py."""

import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from carehub.asgi import application
from messaging import services
from messaging.models import Acknowledgement, Membership, Message
from tests.conftest import login_verified
from tests.messaging.factories import group_with

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
TIMEOUT = 10  # generous: CI machines are shared


def session_cookie(user, *, verified=True) -> str:
    client = Client()
    if verified:
        login_verified(client, user)
    else:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def communicator(cookie: str | None, origin: bytes = b"http://testserver"):
    headers = [(b"origin", origin)]
    if cookie:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return WebsocketCommunicator(application, "/ws/messages/", headers=headers)


async def connected(user):
    cookie = await sync_to_async(session_cookie)(user)
    comm = communicator(cookie)
    ok, _ = await comm.connect(timeout=TIMEOUT)
    assert ok
    hello = await comm.receive_json_from(timeout=TIMEOUT)
    assert hello["type"] == "hello"
    return comm, hello


async def receive_type(comm, wanted: str):
    """The next frame of a type (skipping others such as conversations_changed)."""
    for _ in range(20):
        frame = await comm.receive_json_from(timeout=TIMEOUT)
        if frame["type"] == wanted:
            return frame
    raise AssertionError(f"no {wanted} frame")


async def test_anonymous_refused(db):
    comm = communicator(None)
    ok, _ = await comm.connect(timeout=TIMEOUT)
    assert not ok


async def test_foreign_origin_refused(staff_a):
    cookie = await sync_to_async(session_cookie)(staff_a)
    comm = communicator(cookie, origin=b"https://evil.example")
    ok, _ = await comm.connect(timeout=TIMEOUT)
    assert not ok


async def test_staff_without_verified_second_factor_refused(staff_a):
    cookie = await sync_to_async(session_cookie)(staff_a, verified=False)
    comm = communicator(cookie)
    ok, _ = await comm.connect(timeout=TIMEOUT)
    assert not ok


async def test_device_of_another_user_does_not_count(staff_a, coordinator_a):
    def forged():
        from tests.factories import confirmed_totp

        client = Client()
        client.force_login(staff_a, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = confirmed_totp(coordinator_a).persistent_id
        session.save()
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    comm = communicator(await sync_to_async(forged)())
    ok, _ = await comm.connect(timeout=TIMEOUT)
    assert not ok


async def test_family_user_without_thread_cannot_sync_staff_conversations(staff_a, family_user):
    conversation = await sync_to_async(group_with)(staff_a)
    comm, hello = await connected(family_user)
    assert hello["unread"] == {}
    await comm.send_json_to({"type": "sync", "conversation": str(conversation.public_id), "after": 0})
    error = await receive_type(comm, "error")
    assert error["code"] == "forbidden"
    await comm.disconnect()


async def test_non_member_cannot_send_or_sync(staff_a, coordinator_a, staff_b):
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    comm, _ = await connected(staff_b)
    await comm.send_json_to({"type": "sync", "conversation": str(conversation.public_id), "after": 0})
    assert (await receive_type(comm, "error"))["code"] == "forbidden"
    await comm.send_json_to(
        {
            "type": "send",
            "conversation": str(conversation.public_id),
            "body": "intrus",
            "client_token": str(uuid.uuid4()),
        }
    )
    assert (await receive_type(comm, "error"))["code"] == "forbidden"
    assert await sync_to_async(Message.objects.count)() == 0
    await comm.disconnect()


async def test_live_delivery_to_every_member_tab_and_idempotent_send(staff_a, coordinator_a):
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    sender, _ = await connected(staff_a)
    tab1, _ = await connected(coordinator_a)
    tab2, _ = await connected(coordinator_a)
    token = str(uuid.uuid4())
    frame = {
        "type": "send",
        "conversation": str(conversation.public_id),
        "body": "Chute chambre 3",
        "client_token": token,
    }
    await sender.send_json_to(frame)
    sent = await receive_type(sender, "sent")
    assert sent["client_token"] == token
    for tab in (tab1, tab2, sender):
        message = await receive_type(tab, "message")
        assert message["message"]["body"] == "Chute chambre 3"
        assert message["message"]["id"] == sent["id"]
    # The retry of the same send: acknowledged, stored once, broadcast once.
    await sender.send_json_to(frame)
    again = await receive_type(sender, "sent")
    assert again["id"] == sent["id"]
    assert await sync_to_async(Message.objects.filter(conversation=conversation).count)() == 1
    assert await tab1.receive_nothing(timeout=0.3)
    for comm in (sender, tab1, tab2):
        await comm.disconnect()


async def test_message_posted_without_socket_reaches_open_sockets(staff_a, coordinator_a):
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    tab, _ = await connected(coordinator_a)

    def post():
        client = login_verified(Client(), staff_a)
        return client.post(
            f"/messages/c/{conversation.public_id}/", {"body": "Envoyé sans JavaScript", "client_token": uuid.uuid4()}
        )

    response = await sync_to_async(post)()
    assert response.status_code == 302
    frame = await receive_type(tab, "message")
    assert frame["message"]["body"] == "Envoyé sans JavaScript"
    await tab.disconnect()


async def test_replay_after_reconnect_in_order(staff_a, coordinator_a):
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)

    def write(n):
        return [
            services.message_send(
                conversation=conversation, sender=staff_a, body=f"message {i}", client_token=uuid.uuid4()
            ).message.pk
            for i in range(n)
        ]

    ids = await sync_to_async(write)(5)
    comm, hello = await connected(coordinator_a)
    assert hello["unread"] == {str(conversation.public_id): 5}
    await comm.send_json_to({"type": "sync", "conversation": str(conversation.public_id), "after": ids[1]})
    replayed = [await receive_type(comm, "message") for _ in range(3)]
    assert [f["message"]["id"] for f in replayed] == ids[2:]
    assert all(f["replay"] for f in replayed)
    synced = await receive_type(comm, "synced")
    assert synced["complete"] is True
    await comm.disconnect()


async def test_acknowledgement_over_the_socket(staff_a, coordinator_a):
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    sender, _ = await connected(staff_a)
    reader, _ = await connected(coordinator_a)
    await sender.send_json_to(
        {
            "type": "send",
            "conversation": str(conversation.public_id),
            "body": "Urgent : appel SAMU",
            "client_token": str(uuid.uuid4()),
            "urgent": True,
        }
    )
    frame = await receive_type(reader, "message")
    assert frame["message"]["urgent"] is True
    await reader.send_json_to({"type": "ack", "message": frame["message"]["public_id"]})
    ack = await receive_type(sender, "ack")
    assert ack["user"] == coordinator_a.pk and ack["message"] == frame["message"]["id"]
    assert await sync_to_async(Acknowledgement.objects.filter(user=coordinator_a).count)() == 1
    await sender.disconnect()
    await reader.disconnect()


async def test_rate_limit_answers_a_clear_error_frame(settings, staff_a, coordinator_a):
    settings.MESSAGING_RATE_LIMIT = 3
    settings.MESSAGING_RATE_WINDOW = 60
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    comm, _ = await connected(staff_a)
    for i in range(4):
        await comm.send_json_to(
            {
                "type": "send",
                "conversation": str(conversation.public_id),
                "body": f"n{i}",
                "client_token": str(uuid.uuid4()),
            }
        )
    frames = [await comm.receive_json_from(timeout=TIMEOUT) for _ in range(7)]
    errors = [f for f in frames if f["type"] == "error"]
    assert len(errors) == 1
    assert errors[0]["code"] == "rate_limited" and errors[0]["retry_after"] >= 1
    assert errors[0]["message"]
    assert await sync_to_async(Message.objects.count)() == 3
    await comm.disconnect()


async def test_oversized_and_unreadable_frames(staff_a):
    comm, _ = await connected(staff_a)
    await comm.send_to(text_data="x" * 40_000)
    assert (await receive_type(comm, "error"))["code"] == "too_large"
    await comm.send_to(text_data="{not json")
    assert (await receive_type(comm, "error"))["code"] == "invalid"
    await comm.send_json_to({"type": "teleport"})
    assert (await receive_type(comm, "error"))["code"] == "invalid"
    await comm.disconnect()


async def test_removed_member_stops_receiving_at_once(staff_a, coordinator_a):
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    removed, _ = await connected(coordinator_a)

    def remove_then_send():
        services.conversation_member_remove(conversation=conversation, actor=staff_a, user=coordinator_a)
        services.message_send(conversation=conversation, sender=staff_a, body="après", client_token=uuid.uuid4())

    await sync_to_async(remove_then_send)()
    frame = await receive_type(removed, "removed")
    assert frame["conversation"] == str(conversation.public_id)
    later = []
    while not await removed.receive_nothing(timeout=0.5):
        later.append((await removed.receive_json_from(timeout=TIMEOUT))["type"])
    assert "message" not in later, "a removed member must not receive later messages"
    assert not await sync_to_async(Membership.objects.filter(user=coordinator_a, conversation=conversation).exists)()
    await removed.disconnect()


async def test_heartbeat_marks_presence_and_closes_ended_sessions(staff_a):
    from carehub.presence import presence_of

    cookie = await sync_to_async(session_cookie)(staff_a)
    comm = communicator(cookie)
    ok, _ = await comm.connect(timeout=TIMEOUT)
    assert ok
    await receive_type(comm, "hello")
    assert (await sync_to_async(presence_of)([staff_a.pk]))[staff_a.pk] == "online"
    await comm.send_json_to({"type": "heartbeat", "state": "away"})
    await receive_type(comm, "heartbeat")
    assert (await sync_to_async(presence_of)([staff_a.pk]))[staff_a.pk] == "away"

    def sign_out():
        from django.contrib.sessions.backends.cached_db import SessionStore

        SessionStore(cookie).delete()

    await sync_to_async(sign_out)()
    await comm.send_json_to({"type": "heartbeat", "state": "online"})
    closed = await comm.receive_output(timeout=TIMEOUT)
    assert closed["type"] == "websocket.close" and closed["code"] == 4408
    await comm.disconnect()
    assert (await sync_to_async(presence_of)([staff_a.pk]))[staff_a.pk] == "offline"
