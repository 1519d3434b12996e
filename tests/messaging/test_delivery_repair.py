"""A message whose broadcast was lost still reaches every open socket, once.

A message saved without its broadcast (``MessageFactory``: what a send whose channel-layer event
failed leaves behind) is what a socket must repair from the database: before the next message of
its conversation, or at its next heartbeat. The real failure (Redis killed under two Daphne
nodes) is in tests/faults/test_delivery_repair.py.
"""

import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from messaging import realtime, selectors, services
from messaging.models import conversation_group
from tests.messaging.factories import MessageFactory, group_with
from tests.sockets import TIMEOUT, open_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def messages_until(comm, last_type: str) -> list[dict]:
    """The message frames received up to the next frame of ``last_type``."""
    frames = []
    while True:
        frame = await comm.receive_json_from(timeout=TIMEOUT)
        if frame["type"] == last_type:
            return frames
        if frame["type"] == "message":
            frames.append(frame)


def send(conversation, sender, body):
    return services.message_send(conversation=conversation, sender=sender, body=body, client_token=uuid.uuid4()).message


async def test_a_lost_broadcast_arrives_before_the_next_message(staff_a, coordinator_a):
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    tab = await open_socket(coordinator_a)
    lost = await sync_to_async(MessageFactory)(conversation=conversation, sender=staff_a, body="Perdu en route")
    await sync_to_async(send)(conversation, staff_a, "Le suivant")
    frames = [await tab.receive_json_from(timeout=TIMEOUT) for _ in range(2)]
    assert [(f["message"]["body"], bool(f.get("repaired"))) for f in frames] == [
        (lost.body, True),
        ("Le suivant", False),
    ]
    await tab.disconnect()


async def test_a_lost_broadcast_arrives_at_the_next_heartbeat(staff_a, coordinator_a):
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    tab = await open_socket(coordinator_a)
    lost = await sync_to_async(MessageFactory)(conversation=conversation, sender=staff_a, body="Dernier message perdu")
    await tab.send_json_to({"type": "heartbeat", "state": "online"})
    frames = await messages_until(tab, "heartbeat")
    assert [f["message"]["public_id"] for f in frames] == [str(lost.public_id)]
    await tab.disconnect()


async def test_a_repaired_message_is_not_delivered_again_when_its_broadcast_comes_late(staff_a, coordinator_a):
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    tab = await open_socket(coordinator_a)
    late = await sync_to_async(MessageFactory)(conversation=conversation, sender=staff_a, body="En retard")
    await tab.send_json_to({"type": "heartbeat", "state": "online"})
    await messages_until(tab, "heartbeat")  # repaired
    payload = await sync_to_async(selectors.message_payload)(late)
    await get_channel_layer().group_send(
        conversation_group(conversation.pk),
        {"type": realtime.EVENT, "conversation_id": conversation.pk, "frame": {"type": "message", "message": payload}},
    )
    await sync_to_async(send)(conversation, staff_a, "Après")
    frame = await tab.receive_json_from(timeout=TIMEOUT)
    assert frame["message"]["body"] == "Après"
    await tab.disconnect()


async def test_nothing_is_repaired_when_nothing_was_lost(staff_a, coordinator_a):
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    tab = await open_socket(coordinator_a)
    await sync_to_async(send)(conversation, staff_a, "Reçu en direct")
    await tab.receive_json_from(timeout=TIMEOUT)
    await tab.send_json_to({"type": "heartbeat", "state": "online"})
    assert await messages_until(tab, "heartbeat") == []
    await tab.disconnect()


async def test_sync_replays_by_number_after_the_last_one_seen(staff_a, coordinator_a):
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    sent = [await sync_to_async(send)(conversation, staff_a, f"message {n}") for n in range(4)]
    tab = await open_socket(coordinator_a)
    await tab.send_json_to({"type": "sync", "conversation": str(conversation.public_id), "after_seq": sent[1].seq})
    frames = await messages_until(tab, "synced")
    assert [f["message"]["seq"] for f in frames] == [3, 4]
    await tab.disconnect()
