"""A relative's socket, through the real ASGI stack: every frame type it can receive comes
from the family allow-list (portal.presentation), never from the staff frame."""

import json
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from documents.samples import text_pdf
from messaging import selectors, services
from messaging.formatting import handle_of
from messaging.models import Conversation, Kind, conversation_group
from portal import presentation
from tests.sockets import TIMEOUT, open_socket

#: What each frame type may carry to a family, written out here so that a change is seen.
FAMILY_KEYS = {
    "hello": {"type", "user", "heartbeat", "unread"},
    "message": {"type", "replay", "repaired", "message"},
    "updated": {"type", "message"},
    "ack": {"type", "conversation", "message", "user", "name"},
    "unread": {"type", "conversation", "count"},
    "removed": {"type", "conversation"},
    "synced": {"type", "conversation", "complete"},
    "sent": {"type", "client_token", "id"},
    "error": {"type", "code", "message", "client_token", "retry_after", "ref", "conversation"},
    "heartbeat": {"type"},
    "conversations_changed": {"type"},
}
MESSAGE_KEYS = {
    "id",
    "public_id",
    "seq",
    "conversation",
    "sender",
    "body",
    "urgent",
    "created_at",
    "edited",
    "deleted",
    "acks",
    "attachments",
}
SENDER_KEYS = {"id", "name"}
ATTACHMENT_KEYS = {"public_id", "name", "size", "size_label", "url"}


def outside_the_allow_list(frame: dict) -> list[str]:
    """The keys of a frame a family may not receive (empty when the frame is clean)."""
    kind = frame.get("type")
    extra = [f"{kind}.{key}" for key in set(frame) - FAMILY_KEYS.get(kind, set())]
    message = frame.get("message")
    if isinstance(message, dict):
        extra += [f"{kind}.message.{key}" for key in set(message) - MESSAGE_KEYS]
        extra += [f"{kind}.sender.{key}" for key in set(message.get("sender", {})) - SENDER_KEYS]
        for item in message.get("attachments", []):
            extra += [f"{kind}.attachment.{key}" for key in set(item) - ATTACHMENT_KEYS]
    return extra


class Received:
    """Every frame a socket received, in order, from its hello on."""

    def __init__(self, comm):
        self.comm = comm
        self.frames: list[dict] = [comm.hello]

    async def until(self, kind: str) -> dict:
        for _ in range(30):
            frame = await self.comm.receive_json_from(timeout=TIMEOUT)
            self.frames.append(frame)
            if frame["type"] == kind:
                return frame
        raise AssertionError(f"no {kind} frame")


@pytest.fixture
def thread(family_a):
    return Conversation.objects.get(kind=Kind.FAMILY, resident=family_a.resident)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_every_frame_a_family_socket_receives_is_allow_listed(family_a, nurse_a, coordinator_a, thread):
    """Each frame type once, in one conversation: staff write, edit, escalate, read and
    acknowledge; the relative sends, reads, replays, beats, errs; then is removed."""
    received = Received(await open_socket(family_a.user))

    message = (
        await sync_to_async(services.message_send)(
            conversation=thread, sender=nurse_a, body="Rappelez-nous", client_token=uuid.uuid4(), urgent=True
        )
    ).message
    await received.until("message")
    await sync_to_async(services.message_send)(
        conversation=thread,
        sender=nurse_a,
        body="Le menu",
        client_token=uuid.uuid4(),
        files=[SimpleUploadedFile("menu.pdf", text_pdf([["Menu"]]), content_type="application/pdf")],
    )
    await received.until("message")
    await sync_to_async(services.message_edit)(message=message, editor=nurse_a, body="Rappelez-nous vite")
    await received.until("updated")
    escalated_to = await sync_to_async(services.urgent_message_escalate)(
        message_id=message.pk, now=timezone.now() + timedelta(hours=1)
    )
    assert escalated_to  # an "escalated" frame went to the conversation
    await sync_to_async(services.message_mark_read)(conversation=thread, user=coordinator_a, last_id=message.pk)
    # The "ack" comes after the "escalated" and "read" events on the same channel: they had their turn.
    await sync_to_async(services.message_acknowledge)(message=message, user=coordinator_a)
    await received.until("ack")
    public_id = str(thread.public_id)
    await received.comm.send_json_to({"type": "read", "conversation": public_id, "last_id": message.pk + 10})
    await received.until("unread")
    token = str(uuid.uuid4())
    await received.comm.send_json_to(
        {"type": "send", "conversation": public_id, "body": "Merci", "client_token": token}
    )
    await received.until("sent")
    await received.comm.send_json_to({"type": "sync", "conversation": public_id, "after": 0})
    await received.until("synced")
    await received.comm.send_json_to({"type": "heartbeat", "state": "online"})
    await received.until("heartbeat")
    await received.comm.send_json_to({"type": "teleport"})
    await received.until("error")
    await sync_to_async(services.message_delete)(message=message, actor=nurse_a)
    await received.until("updated")
    await sync_to_async(services.conversation_member_remove)(conversation=thread, actor=None, user=family_a.user)
    await received.until("removed")
    await received.until("conversations_changed")
    await received.comm.disconnect()

    seen = {frame["type"] for frame in received.frames}
    assert seen == set(FAMILY_KEYS)  # every family frame type, and never "read" nor "escalated"
    assert [key for frame in received.frames for key in outside_the_allow_list(frame)] == []
    text = json.dumps(received.frames, ensure_ascii=False)
    names = await sync_to_async(lambda: [u.last_name for u in (nurse_a, coordinator_a, family_a.user)])()
    forbidden = names + [nurse_a.email, coordinator_a.email, family_a.user.email, handle_of(nurse_a), "@"]
    assert [word for word in forbidden if word in text] == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_field_added_to_the_staff_payload_does_not_reach_families(family_a, nurse_a, thread, monkeypatch):
    real_payload = selectors.message_payload

    def payload_with_a_new_field(message):
        payload = real_payload(message)
        payload["ward_note"] = "Chute la nuit dernière"
        payload["sender"]["phone"] = "06 12 34 56 78"
        return payload

    monkeypatch.setattr(selectors, "message_payload", payload_with_a_new_field)
    await sync_to_async(services.care_team_memberships_ensure)(conversation=thread)  # the nurse follows it
    staff, family = Received(await open_socket(nurse_a)), Received(await open_socket(family_a.user))
    await sync_to_async(services.message_send)(
        conversation=thread, sender=nurse_a, body="Bonne nouvelle", client_token=uuid.uuid4()
    )
    staff_frame, family_frame = await staff.until("message"), await family.until("message")
    await staff.comm.disconnect()
    await family.comm.disconnect()
    reached = ("ward_note" in staff_frame["message"], "ward_note" in family_frame["message"])
    assert (reached, "phone" in family_frame["message"]["sender"]) == ((True, False), False)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_relative_reads_the_acknowledger_with_the_one_label(family_a, nurse_a, coordinator_a, thread):
    received = Received(await open_socket(family_a.user))
    message = (
        await sync_to_async(services.message_send)(
            conversation=thread, sender=family_a.user, body="Urgent", client_token=uuid.uuid4(), urgent=True
        )
    ).message
    await sync_to_async(services.message_acknowledge)(message=message, user=nurse_a)
    ack = await received.until("ack")
    await received.comm.disconnect()
    assert ack["name"] == "Sophie, infirmier(ère) (IDE)"


# --- The allow-list itself ------------------------------------------------------------------------


PLAIN_FRAMES = [
    {"type": "hello", "user": 1, "heartbeat": 25, "unread": {}},
    {"type": "sent", "client_token": "t", "id": 1},
    {"type": "synced", "conversation": "c", "complete": True},
    {"type": "error", "code": "invalid", "message": "Trame illisible."},
    {"type": "heartbeat"},
    {"type": "removed", "conversation": "c"},
    {"type": "conversations_changed"},
    {"type": "unread", "conversation": "c", "count": 0},
]


@pytest.mark.parametrize("frame", PLAIN_FRAMES, ids=[frame["type"] for frame in PLAIN_FRAMES])
def test_a_key_added_to_a_plain_frame_is_not_in_its_family_form(frame):
    assert presentation.family_frame({**frame, "names": ["Hélène Lefèvre"]}) == frame


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "message", "message": {"body": "x"}},
        {"type": "updated", "message": {"body": "x"}},
        {"type": "ack", "conversation": "c", "message": 1, "user": 2, "name": "Hélène Lefèvre"},
        {"type": "read", "conversation": "c", "user": 2, "last_read": 1},
        {"type": "escalated", "conversation": "c", "message": 1, "names": ["Hélène Lefèvre"]},
        {"type": "typing", "conversation": "c", "name": "Hélène Lefèvre"},
    ],
    ids=["message", "updated", "ack", "read", "escalated", "unknown"],
)
def test_a_frame_without_its_objects_or_without_a_family_form_is_not_sent(frame):
    assert presentation.family_frame(frame) is None


def test_the_family_thread_carries_a_family_form_and_other_conversations_none(
    nurse_a, staff_a, thread, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    group = services.conversation_group_create(creator=nurse_a, title="Équipe", members=[staff_a])
    channel = async_to_sync(layer.new_channel)()
    for conversation in (thread, group):
        async_to_sync(layer.group_add)(conversation_group(conversation.pk), channel)
    with django_capture_on_commit_callbacks(execute=True):
        for conversation in (thread, group):
            services.message_send(conversation=conversation, sender=nurse_a, body="Bonjour", client_token=uuid.uuid4())

    async def two_events():  # one loop: channels_redis hands a new loop the message the last one had in flight
        return [await layer.receive(channel) for _ in range(2)]

    events = async_to_sync(two_events)()
    forms = [(event["conversation_id"], event["family_frame"] is not None) for event in events]
    assert forms == [(thread.pk, True), (group.pk, False)]
