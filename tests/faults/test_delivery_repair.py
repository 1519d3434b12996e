"""Redis killed and restarted under two Daphne nodes while messages are posted: every open tab
ends with every stored message, once.

The nodes run the production layout (Redis channel layer and cache on a Redis of the test's own,
PostgreSQL); five tabs follow one conversation from both nodes as the browser does (tests.sockets.Tab:
reconnect after a close, sync from the last number it shows, heartbeats). A sender posts the plain
form to both nodes while Redis is killed, then started again: broadcasts sent meanwhile are lost,
and the sockets must repair them (sync after reconnecting, or the server's repair before the next
message and at the heartbeat).
"""

import asyncio
import time
import uuid

import pytest

from messaging.models import Message
from tests.factories import make_staff
from tests.messaging.factories import group_with
from tests.processes import RedisServer, daphne_nodes
from tests.sockets import Tab, node_post_message, session_cookie

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RUNS = 3
MESSAGES_PER_RUN = 24
TABS = 5
#: Every tab must show every stored message within this many seconds of the last post.
CONVERGE_WITHIN = 25.0


@pytest.fixture
def layer_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _stored(conversation) -> set[int]:
    from django.db import connection

    try:
        return set(Message.objects.filter(conversation=conversation).values_list("pk", flat=True))
    finally:
        connection.close()


def test_no_tab_misses_a_message_whose_broadcast_died_with_redis(layer_redis, site_a, staff_a, fault_report):
    readers = [make_staff(site_a) for _ in range(TABS)]
    conversation = group_with(staff_a, *readers)
    public_id = str(conversation.public_id)
    sender = session_cookie(staff_a)
    sessions = [session_cookie(reader) for reader in readers]
    env = {
        "CHANNEL_LAYER_REDIS_URL": layer_redis.url,
        "CACHE_REDIS_URL": layer_redis.url,
        "MESSAGING_HEARTBEAT": "2",
        "LIVE_STATUS_CHECK_INTERVAL": "1",
    }
    rows = []

    async def scenario(ports):
        tabs = [Tab(f"tab {n}", session, public_id, ports, n % 2) for n, session in enumerate(sessions)]
        tasks = [asyncio.create_task(tab.run()) for tab in tabs]
        while not all(tab.connections for tab in tabs):
            await asyncio.sleep(0.05)
        for _run in range(RUNS):
            rows.append(await one_run(ports, tabs))
        for tab in tabs:
            await tab.close()
        await asyncio.gather(*tasks)
        return tabs

    async def one_run(ports, tabs) -> dict:
        statuses, restarted = [], 0.0
        for n in range(MESSAGES_PER_RUN):
            if n == MESSAGES_PER_RUN // 3:
                layer_redis.kill()
            if n == MESSAGES_PER_RUN // 2:
                await asyncio.to_thread(layer_redis.start)
                restarted = time.monotonic()
            try:
                status, _ = await asyncio.to_thread(
                    node_post_message, ports[n % 2], sender, public_id, f"message {n}", str(uuid.uuid4())
                )
            except OSError as exc:  # TimeoutError included: a node that does not answer
                status = repr(exc)
            statuses.append(status)
            await asyncio.sleep(0.15)
        stored = await asyncio.to_thread(_stored, conversation)
        deadline = time.monotonic() + CONVERGE_WITHIN
        while time.monotonic() < deadline and not all(stored <= set(tab.shown) for tab in tabs):
            await asyncio.sleep(0.1)
        return {
            "sent": len(statuses),
            "acknowledged": statuses.count(302),
            "stored": len(stored),
            "recovery_s": time.monotonic() - restarted,
            "lost": sum(len(stored - set(tab.shown)) for tab in tabs),
        }

    with daphne_nodes(2, env=env) as nodes:
        tabs = asyncio.run(scenario([node.port for node in nodes]))
    shown = [how for tab in tabs for how in tab.shown.values()]
    totals = {
        "sent": sum(row["sent"] for row in rows),
        "acknowledged": sum(row["acknowledged"] for row in rows),
        "stored": len(_stored(conversation)),
        "delivered_live": shown.count("live"),
        "replayed": shown.count("replay") + shown.count("repaired"),
        "lost": rows[-1]["lost"],
        "duplicated": sum(tab.duplicated for tab in tabs),
    }
    fault_report(
        scenario="Redis killed and restarted under two Daphne nodes (repair of lost broadcasts)",
        runs=RUNS,
        recovery_s=max(row["recovery_s"] for row in rows),
        **totals,
    )
    assert (totals["acknowledged"], totals["lost"], totals["duplicated"]) == (totals["stored"], 0, 0), (
        rows,
        totals,
        {"repaired": shown.count("repaired")},
    )
