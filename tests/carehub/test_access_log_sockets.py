"""A socket's replay of a conversation about a resident is a read like the conversation's page, and a
conversation refused over the socket is a refusal like a page's 404 (ASVS 16.3): both belong in the
access log (messaging/consumers.py, ``_sync_sync``)."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async

from carehub.models import AccessLog
from messaging import services
from tests.coordination.factories import ResidentFactory
from tests.messaging.test_live import receive_type
from tests.sockets import open_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _thread(resident, sender):
    return services.resident_thread_message_send(
        sender=sender, resident=resident, body="Chute ce matin", client_token=uuid.uuid4()
    ).message.conversation


def _entries(user, action):
    return list(AccessLog.objects.filter(user=user, action=action).values_list("subject_id", flat=True))


async def _sync(reader, *, site, unit, writer, answer: str):
    """``reader`` asks over her socket for the thread about a resident of ``site``; returns the resident."""
    resident = await sync_to_async(ResidentFactory)(site=site, unit=unit)
    thread = await sync_to_async(_thread)(resident, writer)
    comm = await open_socket(reader)
    await comm.send_json_to({"type": "sync", "conversation": str(thread.public_id), "after": 0})
    await receive_type(comm, answer)
    await comm.disconnect()
    return resident


async def test_a_replay_of_a_residents_thread_is_a_read(site_a, unit_a, staff_a, coordinator_a):
    resident = await _sync(staff_a, site=site_a, unit=unit_a, writer=coordinator_a, answer="synced")
    assert await sync_to_async(_entries)(staff_a, AccessLog.Action.VIEW) == [resident.public_id]


async def test_a_thread_refused_over_the_socket_is_in_the_log(site_a, unit_a, coordinator_a, staff_b):
    await _sync(staff_b, site=site_a, unit=unit_a, writer=coordinator_a, answer="error")
    assert len(await sync_to_async(_entries)(staff_b, AccessLog.Action.REFUSED)) == 1
