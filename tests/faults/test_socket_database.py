"""A database error on the messaging socket is not a refusal: the sender gets a "retry" frame, nothing
is stored, and the same socket sends once the database is back.

Real failures only: on SQLite another connection holds the conversations' table write lock while the
socket resolves the conversation; on PostgreSQL the socket's backend, waiting on a lock held by a
second connection, is terminated.
"""

import asyncio
import uuid

import psycopg
import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from messaging.models import Conversation, Message
from tests.conftest import ON_POSTGRES
from tests.faults.locks import SqliteLock
from tests.messaging.factories import group_with
from tests.sockets import TIMEOUT, open_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _send_frame(conversation, token):
    return {
        "type": "send",
        "conversation": str(conversation.public_id),
        "body": "Chute chambre 3",
        "client_token": token,
    }


async def _next(comm, wanted):
    for _ in range(20):
        frame = await comm.receive_json_from(timeout=TIMEOUT)
        if frame["type"] in wanted:
            return frame
    raise AssertionError(f"no {wanted} frame")


@pytest.mark.parametrize("table", [Conversation._meta.db_table, Message._meta.db_table])
async def test_sqlite_locked_table_answers_retry_frame_then_sends(staff_a, coordinator_a, table):
    """Resolving the conversation, or saving the message, fails: "retry", then the same socket sends."""
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    comm = await open_socket(staff_a)
    token = str(uuid.uuid4())
    with SqliteLock(table):
        await comm.send_json_to(_send_frame(conversation, token))
        failed = await _next(comm, ("error", "sent"))
    await comm.send_json_to(_send_frame(conversation, token))
    sent = await _next(comm, ("error", "sent"))
    await comm.disconnect()
    assert [(failed["type"], failed["code"], failed["client_token"]), sent["type"]] == [
        ("error", "retry", token),
        "sent",
    ]


async def test_sqlite_retry_frame_is_translated(staff_a, coordinator_a):
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    comm = await open_socket(staff_a)
    with SqliteLock(Conversation._meta.db_table):
        await comm.send_json_to(_send_frame(conversation, str(uuid.uuid4())))
        failed = await _next(comm, ("error", "sent"))
    await comm.disconnect()
    assert "pas été envoyé" in failed["message"]


async def test_sqlite_locked_conversation_stores_nothing(staff_a, coordinator_a):
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    comm = await open_socket(staff_a)
    with SqliteLock(Conversation._meta.db_table):
        await comm.send_json_to(_send_frame(conversation, str(uuid.uuid4())))
        await _next(comm, ("error", "sent"))
    await comm.disconnect()
    assert await sync_to_async(Message.objects.count)() == 0


def _terminate_backend_waiting_on(table: str) -> int:
    """Hold ``table``'s lock from a second connection until a backend waits on it, then terminate
    that backend (the socket's, resolving the conversation) and let go of the lock."""
    params = connection.get_connection_params()
    with psycopg.connect(**params) as holder, psycopg.connect(**params, autocommit=True) as killer:
        holder.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        for _ in range(200):
            row = killer.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                " AND pid <> %s",
                [holder.info.backend_pid],
            ).fetchone()
            if row:
                killer.execute("SELECT pg_terminate_backend(%s, 5000)", [row[0]])
                holder.rollback()
                return row[0]
            killer.execute("SELECT pg_sleep(0.05)")
    raise AssertionError("no backend waited on the lock")


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: set DATABASE_URL")
@pytest.mark.parametrize("table", [Conversation._meta.db_table, Message._meta.db_table])
async def test_postgres_terminated_backend_answers_retry_frame_then_sends(staff_a, coordinator_a, table, fault_report):
    """Terminated while resolving the conversation, or while saving the message (in its transaction)."""
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    comm = await open_socket(staff_a)
    token = str(uuid.uuid4())
    killer = asyncio.create_task(asyncio.to_thread(_terminate_backend_waiting_on, table))
    await asyncio.sleep(0.3)  # the lock is held before the frame arrives
    await comm.send_json_to(_send_frame(conversation, token))
    failed = await _next(comm, ("error", "sent"))
    await killer
    await comm.send_json_to(_send_frame(conversation, token))
    sent = await _next(comm, ("error", "sent"))
    count = await sync_to_async(Message.objects.count)()
    await comm.disconnect()
    fault_report(
        scenario=f"PostgreSQL backend terminated during a socket send ({table})",
        sent=1,
        acknowledged=int(sent["type"] == "sent"),
        stored=count,
        lost=int(count == 0),
        duplicated=max(0, count - 1),
    )
    assert [(failed["type"], failed["code"]), sent["type"], count] == [("error", "retry"), "sent", 1]
