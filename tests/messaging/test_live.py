"""Live updates through the real ASGI stack: a socket follows conversations made after it
opened (duty-role messages, new groups), presence dots follow sockets, times follow the
conversation's zone whatever the browser's."""

import uuid
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import sync_to_async

from messaging import duty, services
from messaging.models import Message
from tests.messaging.factories import group_with
from tests.sockets import TIMEOUT, open_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def receive_type(comm, wanted: str, **match):
    """The next frame of a type (and with these values), skipping the others."""
    for _ in range(30):
        frame = await comm.receive_json_from(timeout=TIMEOUT)
        if frame["type"] == wanted and all(frame.get(k) == v for k, v in match.items()):
            return frame
    raise AssertionError(f"no {wanted} frame")


async def test_an_urgent_duty_role_message_reaches_the_role_holders_open_socket(site_a, staff_a, coordinator_a):
    holder = await open_socket(coordinator_a)  # her page was open before the conversation existed

    def send():
        return services.duty_role_message_send(
            sender=staff_a,
            role=duty.DutyRole(duty.COORDINATOR, site_a),
            body="Chute de M. Garnier, chambre 15",
            client_token=uuid.uuid4(),
            urgent=True,
        ).message

    message = await sync_to_async(send)()
    joined = await receive_type(holder, "joined")
    assert joined["conversation"] == str(message.conversation.public_id)
    assert joined["urgent"] == 1
    assert joined["unread"] == 1
    assert joined["urgent_message"]["body"] == "Chute de M. Garnier, chambre 15"
    await holder.disconnect()


async def test_the_socket_then_follows_the_new_conversation(site_a, staff_a, coordinator_a):
    holder = await open_socket(coordinator_a)

    def create():
        return services.conversation_group_create(creator=staff_a, title="Sortie du jeudi", members=[coordinator_a])

    group = await sync_to_async(create)()
    joined = await receive_type(holder, "joined")
    assert joined["title"] == "Sortie du jeudi"

    def write():
        services.message_send(conversation=group, sender=staff_a, body="On part à 14 h", client_token=uuid.uuid4())

    await sync_to_async(write)()
    frame = await receive_type(holder, "message")
    assert frame["message"]["body"] == "On part à 14 h"
    await holder.disconnect()


async def test_a_conversation_one_is_not_in_is_not_announced(site_a, staff_a, coordinator_a, staff_b):
    outsider = await open_socket(staff_b)

    def create():
        services.conversation_group_create(creator=staff_a, title="Entre nous", members=[coordinator_a])

    await sync_to_async(create)()
    assert await outsider.receive_nothing(timeout=0.5)
    await outsider.disconnect()


async def test_reading_over_the_socket_tells_the_sender(staff_a, coordinator_a):
    group = await sync_to_async(group_with)(staff_a, coordinator_a)
    sender = await open_socket(staff_a)
    reader = await open_socket(coordinator_a)

    def write():
        return services.message_send(
            conversation=group, sender=staff_a, body="Lu ?", client_token=uuid.uuid4()
        ).message.pk

    message_id = await sync_to_async(write)()
    await receive_type(reader, "message")
    await reader.send_json_to({"type": "read", "conversation": str(group.public_id), "last_id": message_id})
    read = await receive_type(sender, "read", user=coordinator_a.pk)
    assert read["last_read"] == message_id
    await sender.disconnect()
    await reader.disconnect()


async def test_presence_dots_follow_the_sockets_of_a_correspondent(staff_a, coordinator_a):
    await sync_to_async(services.conversation_direct_get_or_create)(user=staff_a, other=coordinator_a)
    watcher = await open_socket(staff_a)
    colleague = await open_socket(coordinator_a)
    assert (await receive_type(watcher, "presence", user=coordinator_a.pk))["state"] == "online"
    await colleague.send_json_to({"type": "heartbeat", "state": "away"})
    assert (await receive_type(watcher, "presence", user=coordinator_a.pk))["state"] == "away"
    await colleague.disconnect()
    assert (await receive_type(watcher, "presence", user=coordinator_a.pk))["state"] == "offline"
    await watcher.disconnect()


async def test_a_tab_closing_while_another_opens_leaves_the_person_online(staff_a, coordinator_a):
    from django.core.cache import cache

    from carehub.presence import presence_of

    await sync_to_async(services.conversation_direct_get_or_create)(user=staff_a, other=coordinator_a)
    watcher = await open_socket(staff_a)
    leaving = await open_socket(coordinator_a)  # the page she leaves
    await receive_type(watcher, "presence", user=coordinator_a.pk, state="online")
    sockets_key = f"presence:{coordinator_a.pk}"
    only_the_leaving_tab = await sync_to_async(cache.get)(sockets_key)
    arriving = await open_socket(coordinator_a)  # the page she goes to
    # Both tabs wrote the person's list of sockets at the same instant: the arriving tab's id was lost.
    await sync_to_async(cache.set)(sockets_key, only_the_leaving_tab)
    await leaving.disconnect()
    await receive_type(watcher, "presence", user=coordinator_a.pk, state="online")
    assert (await sync_to_async(presence_of)([coordinator_a.pk]))[coordinator_a.pk] == "online"
    await arriving.disconnect()
    await watcher.disconnect()


async def test_presence_is_told_only_to_the_persons_conversations(staff_a, coordinator_a, staff_b):
    outsider = await open_socket(staff_b)
    colleague = await open_socket(coordinator_a)
    assert await outsider.receive_nothing(timeout=0.5)
    await colleague.disconnect()
    await outsider.disconnect()


async def test_a_live_message_gives_its_time_in_the_sites_zone(site_b, staff_b):
    await sync_to_async(services.channel_memberships_sync)(user=staff_b)  # as the messages page does
    channel = await sync_to_async(services.site_channel_get_or_create)(site=site_b)  # America/Cayenne
    reader = await open_socket(staff_b)

    def write():
        return services.message_send(conversation=channel, sender=staff_b, body="Relève", client_token=uuid.uuid4())

    await sync_to_async(write)()
    frame = await receive_type(reader, "message")
    message = await sync_to_async(Message.objects.get)()
    expected = message.created_at.astimezone(ZoneInfo("America/Cayenne")).strftime("%d/%m/%Y %H:%M")
    assert frame["message"]["time"] == expected
    await reader.disconnect()
