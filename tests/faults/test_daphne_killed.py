"""A Daphne node killed (SIGKILL) while messages are sent: its tabs move to the other node within 3 s
and replay what they missed; nothing acknowledged is lost, nothing is stored or shown twice.

Two nodes of the test's own share the test database and the channel layer (REDIS_URL). Each tab
speaks the real websockets protocol and behaves as static/js/messaging.js does: on "hello" it asks
for what followed the last message number it shows ("sync" after its seq), it shows a message once
whether it came live, replayed or repaired, and when its socket closes it reconnects after 0.5–1 s (the first step of the page's
back-off) through the load balancer, here the node still up; a send left unanswered by a closing
socket goes by the plain form with the same client token. Each run kills one node, then starts it
again for the next run.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
from websockets.exceptions import ConnectionClosed

from messaging.models import Message
from tests.factories import make_staff
from tests.messaging.factories import group_with
from tests.processes import daphne_nodes, output
from tests.sockets import Tab, node_post_message, session_cookie

if TYPE_CHECKING:
    pass

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RUNS = 3
#: The tabs of a killed node show the other node's "hello" and their replay within this many seconds.
RECOVERY = 3.0
#: Messages keep coming for this long before the kill, and after the tabs moved.
SENDING = 1.0
PAUSE = 0.1


@dataclass
class Sender:
    """A tab whose person types a message every PAUSE, and sends the next one once the last is answered."""

    tab: Tab
    label: str
    #: client token → the message id each answer named (a "sent" frame, the plain form's JSON).
    answers: dict[str, list[int]] = field(default_factory=dict)
    sent: int = 0

    async def send_until(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            token = str(uuid.uuid4())
            body = f"{self.label} {self.sent + 1}"
            self.sent += 1
            while not await self._send_once(token, body):
                await asyncio.sleep(0.5)  # the text stays in the box; the person sends it again
            await asyncio.sleep(PAUSE)

    async def _send_once(self, token: str, body: str) -> bool:
        tab = self.tab
        future = asyncio.get_running_loop().create_future()
        tab.pending = (token, future)
        frame = {"type": "send", "conversation": tab.conversation, "body": body, "client_token": token}
        try:
            assert tab.ws is not None  # the tab connected before anyone typed
            await tab.ws.send(json.dumps(frame))
            answer = await asyncio.wait_for(future, 8)  # the page's timer before the plain form
        except (ConnectionClosed, TimeoutError):
            answer = "closed"
        finally:
            tab.pending = None
        if isinstance(answer, dict) and answer["type"] == "sent":
            self.answers.setdefault(token, []).append(answer["id"])
            return True
        if isinstance(answer, dict):
            return False  # an error frame: shown, the person tries again
        # The socket closed with the send unanswered: the plain form, same token, to the node up.
        for port in tab.nodes[tab.node :] + tab.nodes[: tab.node]:
            try:
                status, answer_body = await asyncio.to_thread(
                    node_post_message, port, tab.session, tab.conversation, body, token, Accept="application/json"
                )
            except OSError:
                continue
            if status == 200:
                self.answers.setdefault(token, []).append(json.loads(answer_body)["id"])
                return True
        return False


async def _run_once(nodes, sessions, conversation, victim: int) -> dict:
    ports = [node.port for node in nodes]
    tabs = [
        Tab(name=f"{person}@{n}", session=session, conversation=conversation, nodes=ports, node=n)
        for person, session in enumerate(sessions)
        for n in range(len(ports))
    ]
    tasks = [asyncio.create_task(tab.run()) for tab in tabs]
    while not all(tab.connections for tab in tabs):
        await asyncio.sleep(0.05)
    # One sender on each node: the killed node's sender has a send in flight when it dies.
    senders = [Sender(tabs[0], "A"), Sender(tabs[3], "B")]
    stop = asyncio.Event()
    sending = [asyncio.create_task(sender.send_until(stop)) for sender in senders]
    await asyncio.sleep(SENDING)
    moving = [tab for tab in tabs if tab.node == victim]
    killed_at = time.monotonic()
    nodes[victim].kill()
    deadline = killed_at + 15
    while any(tab.recovered_at is None for tab in moving) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(SENDING)
    stop.set()
    await asyncio.gather(*sending)
    # Every tab, given time, shows every stored message (live or by its replay).
    stored = set(await asyncio.to_thread(_stored_ids, conversation))
    deadline = time.monotonic() + 10
    while any(set(tab.shown) != stored for tab in tabs) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    for tab in tabs:
        await tab.close()
    await asyncio.gather(*tasks)
    return {
        "tabs": tabs,
        "moving": moving,
        "senders": senders,
        "killed_at": killed_at,
    }


def _stored_ids(conversation) -> list[int]:
    from django.db import connection

    try:
        return list(Message.objects.filter(conversation__public_id=conversation).values_list("pk", flat=True))
    finally:
        connection.close()


def test_a_killed_node_moves_its_tabs_to_the_other_and_nothing_is_lost_or_doubled(
    site_a, staff_a, coordinator_a, fault_report
):
    people = [staff_a, coordinator_a, make_staff(site_a, email="troisieme@carehub.test")]
    sessions = [session_cookie(person) for person in people]
    totals = dict.fromkeys(("sent", "acknowledged", "stored", "delivered_live", "replayed", "lost", "duplicated"), 0)
    recoveries, failures = [], []
    with daphne_nodes(2) as nodes:
        for run in range(RUNS):
            conversation = group_with(*people)
            victim = run % 2
            outcome = asyncio.run(_run_once(nodes, sessions, str(conversation.public_id), victim))
            rows = list(Message.objects.filter(conversation=conversation).values_list("pk", "sender", "client_token"))
            stored = {pk for pk, _, _ in rows}
            answers = {t: ids for s in outcome["senders"] for t, ids in s.answers.items()}
            tokens = {str(token) for _, _, token in rows}
            recovery = max((tab.recovered_at or float("inf")) - outcome["killed_at"] for tab in outcome["moving"])
            recoveries.append(recovery)
            totals["sent"] += sum(s.sent for s in outcome["senders"])
            totals["acknowledged"] += len(answers)
            totals["stored"] += len(rows)
            totals["delivered_live"] += sum(list(tab.shown.values()).count("live") for tab in outcome["tabs"])
            totals["replayed"] += sum(
                list(tab.shown.values()).count(late) for tab in outcome["tabs"] for late in ("replay", "repaired")
            )
            # Lost: acknowledged and not stored, or stored and never shown to a tab.
            totals["lost"] += len(set(answers) - tokens) + sum(len(stored - set(t.shown)) for t in outcome["tabs"])
            # Doubled: a token stored twice, or answered with two different messages.
            totals["duplicated"] += len(rows) - len({(s, t) for _, s, t in rows})
            totals["duplicated"] += sum(len(set(ids)) - 1 for ids in answers.values())
            if any(tab.replay_incomplete for tab in outcome["tabs"]):
                failures.append(f"run {run}: a replay was incomplete")
            nodes[victim].stop()
            nodes[victim].start()
        logs = [output(node) for node in nodes]
    fault_report(
        scenario="Daphne node killed (SIGKILL) while messages are sent",
        runs=RUNS,
        recovery_s=max(recoveries),
        **totals,
    )
    assert (totals["lost"], totals["duplicated"], failures, max(recoveries) < RECOVERY) == (0, 0, [], True), (
        totals,
        recoveries,
        logs,
    )
