"""Redis killed and restarted under two Daphne nodes while messages are posted: every open tab
ends with every stored message, once.

The nodes run the production layout (Redis channel layer and cache on a Redis of the test's own,
PostgreSQL); five tabs follow one conversation from both nodes with the browser's protocol
(static/js/messaging.js): reconnect after a close, ``sync`` from the last number seen after each
``hello``, a heartbeat at the interval the server gives. A sender posts the plain form to both
nodes while Redis is killed, then started again: broadcasts sent meanwhile are lost, and the
sockets must repair them (sync after reconnect, or the server's repair before the next message
and at the heartbeat).
"""

import asyncio
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import pytest
from django.conf import settings

from messaging.models import Message
from tests.messaging.factories import group_with
from tests.messaging.test_cluster import ROOT, _post_message, _session, _subprocess_env
from tests.processes import RedisServer, free_port, wait_for_port

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RUNS = 3
MESSAGES_PER_RUN = 24
TABS = 5
#: Every tab must hold every stored message within this many seconds of the last post.
CONVERGE_WITHIN = 25.0


@dataclass
class Tab:
    port: int
    session: str
    conversation: str
    seqs: list[int] = field(default_factory=list)
    live: int = 0
    replayed: int = 0
    repaired: int = 0
    reconnects: int = 0

    @property
    def last_seq(self) -> int:
        return max(self.seqs, default=0)

    async def run(self, stop: asyncio.Event) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import WebSocketException

        while not stop.is_set():
            try:
                async with connect(
                    f"ws://127.0.0.1:{self.port}/ws/messages/",
                    origin=f"http://127.0.0.1:{self.port}",
                    additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={self.session}"},
                    open_timeout=5,
                ) as ws:
                    await self._follow(ws, stop)
            except (OSError, TimeoutError, WebSocketException):
                pass
            if not stop.is_set():
                self.reconnects += 1
                await asyncio.sleep(0.5)

    async def _follow(self, ws, stop: asyncio.Event) -> None:
        beats = None
        try:
            while not stop.is_set():
                try:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                except TimeoutError:
                    continue
                if frame["type"] == "hello":
                    await ws.send(
                        json.dumps({"type": "sync", "conversation": self.conversation, "after_seq": self.last_seq})
                    )
                    if beats is None:
                        beats = asyncio.create_task(self._beat(ws, frame["heartbeat"]))
                elif frame["type"] == "message" and frame["message"]["conversation"] == self.conversation:
                    self.seqs.append(frame["message"]["seq"])
                    kind = "replayed" if frame.get("replay") else "repaired" if frame.get("repaired") else "live"
                    setattr(self, kind, getattr(self, kind) + 1)
        finally:
            if beats is not None:
                beats.cancel()

    async def _beat(self, ws, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            await ws.send(json.dumps({"type": "heartbeat", "state": "online"}))


@pytest.fixture
def layer_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def nodes(layer_redis, tmp_path):
    """Two Daphne nodes with their channel layer and cache on the test's own Redis. Their logs go
    to files: a pipe nobody reads fills up and blocks the node's event loop on its next log line."""
    env = _subprocess_env(
        CHANNEL_LAYER_REDIS_URL=layer_redis.url,
        CACHE_REDIS_URL=layer_redis.url,
        MESSAGING_HEARTBEAT="2",
        LIVE_STATUS_CHECK_INTERVAL="1",
    )
    processes, ports = [], []
    try:
        for _ in range(2):
            port = free_port()
            command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "carehub.asgi:application"]
            log = (tmp_path / f"daphne-{port}.log").open("wb")
            processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
            ports.append(port)
        for port in ports:
            wait_for_port(port, timeout=30)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def test_no_tab_misses_a_message_whose_broadcast_died_with_redis(nodes, layer_redis, site_a, staff_a, coordinator_a):
    from tests.factories import make_staff

    readers = [coordinator_a] + [make_staff(site_a) for _ in range(TABS - 1)]
    conversation = group_with(staff_a, *readers)
    public_id = str(conversation.public_id)
    sender = _session(staff_a)
    tabs = [Tab(nodes[n % 2], _session(reader), public_id) for n, reader in enumerate(readers)]
    rows = []

    async def scenario():
        stop = asyncio.Event()
        tasks = [asyncio.create_task(tab.run(stop)) for tab in tabs]
        await asyncio.sleep(2)  # every tab connected and past its first sync
        for run in range(RUNS):
            rows.append(await one_run(run))
        stop.set()
        await asyncio.gather(*tasks)

    async def one_run(run: int) -> dict:
        before = Message.objects.filter(conversation=conversation).count
        stored_before = await asyncio.to_thread(before)
        statuses, restarted = [], 0.0
        for n in range(MESSAGES_PER_RUN):
            if n == MESSAGES_PER_RUN // 3:
                layer_redis.kill()
            if n == MESSAGES_PER_RUN // 2:
                await asyncio.to_thread(layer_redis.start)
                restarted = time.monotonic()
            try:
                status = await asyncio.to_thread(
                    _post_message, nodes[n % 2], sender, conversation, f"run {run} message {n}"
                )
            except OSError as exc:  # TimeoutError included
                status = repr(exc)
            statuses.append(status)
            await asyncio.sleep(0.15)
        stored = await asyncio.to_thread(before) - stored_before
        expected = set(range(1, stored_before + stored + 1))
        deadline = time.monotonic() + CONVERGE_WITHIN
        while time.monotonic() < deadline and not all(expected <= set(tab.seqs) for tab in tabs):
            await asyncio.sleep(0.1)
        return {
            "run": run,
            "sent": len(statuses),
            "acknowledged": statuses.count(302),
            "stored": stored,
            "recovery_s": round(time.monotonic() - restarted, 1),
            "lost": sum(len(expected - set(tab.seqs)) for tab in tabs),
        }

    thread = threading.Thread(target=asyncio.run, args=(scenario(),))
    thread.start()
    thread.join(timeout=RUNS * (MESSAGES_PER_RUN * 2 + CONVERGE_WITHIN) + 30)
    totals = {key: sum(row[key] for row in rows) for key in ("sent", "acknowledged", "stored", "lost")}
    delivered = {
        "live": sum(t.live for t in tabs),
        "replayed": sum(t.replayed for t in tabs),
        "repaired": sum(t.repaired for t in tabs),
        "duplicated": sum(len(t.seqs) - len(set(t.seqs)) for t in tabs),
        "recovery_s": max((row["recovery_s"] for row in rows), default=None),
    }
    print(f"\nRedis killed under two Daphne nodes: runs={len(rows)} {totals} {delivered}")
    assert (len(rows), totals["acknowledged"], totals["lost"], delivered["duplicated"]) == (
        RUNS,
        totals["stored"],
        0,
        0,
    ), (rows, delivered)
