"""Fan-out benchmark of the messaging socket, with a raw websockets server as the floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carehub_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/messaging_fanout.py [--sockets 500] [--conversations 50] [--rate 20] [--duration 20]

What it does:
1. Prepares the database named by DATABASE_URL (migrates it; PostgreSQL), creates
   ``sockets`` staff users with verified sessions and ``conversations`` groups;
   socket i belongs to conversation i % conversations (10 members each by default).
2. Starts ONE Daphne process (channels_redis on REDIS_URL), opens every socket over
   loopback, then one sender per conversation sends at a steady total rate
   (``--rate`` messages per second) for ``--duration`` seconds. Each message carries
   its send time; every member socket records the end-to-end latency when it
   receives it.
3. Runs the same pattern against a raw ``websockets`` broadcast server (no Django,
   no database, no channel layer) in a subprocess: the floor.
Prints delivered / expected, loss, latency median/p95/p99 for both, and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


# --- the floor: a raw websockets broadcast server ---------------------------------------------

RAW_SERVER = r"""
import asyncio, json, sys
from websockets.asyncio.server import serve, broadcast

rooms = {}

async def handler(ws):
    room = None
    async for raw in ws:
        frame = json.loads(raw)
        if frame["type"] == "join":
            room = frame["room"]
            rooms.setdefault(room, set()).add(ws)
            await ws.send(json.dumps({"type": "joined"}))
        elif frame["type"] == "send":
            broadcast(rooms.get(frame["room"], ()), json.dumps({"type": "message", "message": frame}))
    if room:
        rooms[room].discard(ws)

async def main(port):
    async with serve(handler, "127.0.0.1", port, max_queue=None):
        await asyncio.Future()

asyncio.run(main(int(sys.argv[1])))
"""


# --- preparing CareHub data ----------------------------------------------------------------


def prepare(n_sockets: int, n_conversations: int) -> tuple[list[str], list[str]]:
    """Users with verified sessions, groups; returns (session keys, conversation public ids)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehub.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.core.management import call_command
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.sessions import LAST_SEEN_KEY, STARTED_KEY
    from directory.models import Assignment, Site
    from messaging.models import Conversation, Kind, Membership

    call_command("migrate", verbosity=0)
    User = get_user_model()
    site, _ = Site.objects.get_or_create(name="Bench site")
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    password = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"{prefix}.{i}@bench.test", password=password, first_name="B", last_name=str(i))
        for i in range(n_sockets)
    )
    users = list(User.objects.filter(email__startswith=f"{prefix}.").order_by("pk"))
    Assignment.objects.bulk_create(Assignment(user=u, site=site, is_primary=True) for u in users)
    devices = TOTPDevice.objects.bulk_create(TOTPDevice(user=u, name="bench", confirmed=True) for u in users)
    devices = {d.user_id: d for d in TOTPDevice.objects.filter(user__in=users)}
    conversations = Conversation.objects.bulk_create(
        Conversation(kind=Kind.GROUP, title=f"{prefix} {c}") for c in range(n_conversations)
    )
    conversations = list(Conversation.objects.filter(title__startswith=f"{prefix} ").order_by("pk"))
    Membership.objects.bulk_create(
        Membership(conversation=conversations[i % n_conversations], user=u) for i, u in enumerate(users)
    )
    keys = []
    now = int(time.time())
    for user in users:
        store = SessionStore()
        store["_auth_user_id"] = str(user.pk)
        store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        store["_auth_user_hash"] = user.get_session_auth_hash()
        store[DEVICE_ID_SESSION_KEY] = devices[user.pk].persistent_id
        store[STARTED_KEY] = now
        store[LAST_SEEN_KEY] = now
        store.create()
        keys.append(store.session_key)
    del devices
    return keys, [str(c.public_id) for c in conversations]


# --- the load ----------------------------------------------------------------------------


class Stats:
    def __init__(self):
        self.latencies: list[float] = []
        self.expected = 0
        self.errors: list[str] = []


async def run_load(*, url_for, join_frame, send_frame, n_sockets, n_conversations, rate, duration, origin, stats):
    from websockets.asyncio.client import connect

    members: dict[int, list] = {c: [] for c in range(n_conversations)}
    sockets = []
    ready = asyncio.Event()
    seen: set = set()

    async def reader(ws, index):
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "message":
                message = frame["message"]
                body = json.loads(message["body"])
                key = (index, body["n"])
                if key in seen:
                    stats.errors.append(f"duplicate {key}")
                    continue
                seen.add(key)
                stats.latencies.append(time.perf_counter() - body["t"])
            elif frame.get("type") == "error":
                stats.errors.append(frame.get("code", "error"))

    # Open sockets in small batches (as a morning shift would: not all at the same instant).
    for i in range(n_sockets):
        ws = await connect(url_for(i), origin=origin, max_size=2**20, open_timeout=30, ping_interval=None)
        conv = i % n_conversations
        await join_frame(ws, i, conv)
        members[conv].append(ws)
        sockets.append(ws)
        if i % 50 == 49:
            await asyncio.sleep(0.05)
    readers = [asyncio.create_task(reader(ws, i)) for i, ws in enumerate(sockets)]
    ready.set()
    await asyncio.sleep(1.0)

    interval = 1.0 / rate
    total = int(rate * duration)
    start = time.perf_counter()
    for n in range(total):
        conv = n % n_conversations
        sender = members[conv][n // n_conversations % len(members[conv])]
        body = json.dumps({"n": n, "t": time.perf_counter()})
        await sender.send(json.dumps(send_frame(conv, body)))
        stats.expected += len(members[conv])
        target = start + (n + 1) * interval
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    await asyncio.sleep(5.0)  # let the last messages arrive
    for ws in sockets:
        await ws.close()
    for task in readers:
        task.cancel()


def report(name: str, stats: Stats) -> float | None:
    delivered = len(stats.latencies)
    loss = stats.expected - delivered
    print(f"\n{name}")
    print(f"  delivered {delivered} / expected {stats.expected}, loss {loss}")
    if stats.errors:
        print(f"  errors: {len(stats.errors)} (first: {stats.errors[:3]})")
    if not stats.latencies:
        return None
    ordered = sorted(stats.latencies)

    def pct(p):
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    median = statistics.median(ordered) * 1000
    print(f"  latency ms: median {median:.1f}  p95 {pct(95):.1f}  p99 {pct(99):.1f}  max {ordered[-1] * 1000:.1f}")
    return median


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second, all conversations together")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of sending")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: the benchmark measures the production set-up.")
    # Senders are spread over the members; raise the per-person limit so the bench measures fan-out.
    os.environ.setdefault("MESSAGING_RATE_LIMIT", "100000")
    # The test suite's settings on the production services: plain static storage, no TLS redirect.
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ.setdefault("CHANNEL_PREFIX", f"bench{uuid.uuid4().hex[:6]}")

    keys, conversations = prepare(args.sockets, args.conversations)
    print(f"{args.sockets} sockets, {args.conversations} conversations, {args.rate:g} msg/s for {args.duration:g} s")

    # --- CareHub: one Daphne with channels_redis
    port = free_port()
    env = dict(os.environ)
    log_path = ROOT / "var" / "bench_messaging_daphne.log"
    log = open(log_path, "wb")  # noqa: SIM115 — closed after the run
    daphne = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "carehub.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    print(f"Daphne log: {log_path}")
    carehub_stats = Stats()
    try:
        wait_port(port)

        async def join(ws, i, conv):
            hello = json.loads(await ws.recv())
            if hello.get("type") != "hello":
                raise RuntimeError(f"socket {i}: {hello}")

        def url_for(i):
            return f"ws://127.0.0.1:{port}/ws/messages/"

        async def carehub_run():
            from websockets.asyncio import client as ws_client

            original = ws_client.connect

            def connect_with_cookie(url, **kwargs):
                index = connect_with_cookie.counter
                connect_with_cookie.counter += 1
                return original(url, additional_headers={"Cookie": f"sessionid={keys[index]}"}, **kwargs)

            connect_with_cookie.counter = 0
            ws_client.connect = connect_with_cookie
            try:
                await run_load(
                    url_for=url_for,
                    join_frame=join,
                    send_frame=lambda conv, body: {
                        "type": "send",
                        "conversation": conversations[conv],
                        "body": body,
                        "client_token": str(uuid.uuid4()),
                    },
                    n_sockets=args.sockets,
                    n_conversations=args.conversations,
                    rate=args.rate,
                    duration=args.duration,
                    origin=f"http://127.0.0.1:{port}",
                    stats=carehub_stats,
                )
            finally:
                ws_client.connect = original

        asyncio.run(carehub_run())
    finally:
        stop(daphne)
        log.close()
    report("CareHub (Daphne + channels_redis, saved in PostgreSQL first)", carehub_stats)

    # --- the floor: raw websockets broadcast
    port = free_port()
    raw = subprocess.Popen([sys.executable, "-c", RAW_SERVER, str(port)], stdout=subprocess.DEVNULL)
    raw_stats = Stats()
    try:
        wait_port(port)

        async def join_raw(ws, i, conv):
            await ws.send(json.dumps({"type": "join", "room": conv}))
            await ws.recv()

        asyncio.run(
            run_load(
                url_for=lambda i: f"ws://127.0.0.1:{port}/",
                join_frame=join_raw,
                send_frame=lambda conv, body: {"type": "send", "room": conv, "body": body},
                n_sockets=args.sockets,
                n_conversations=args.conversations,
                rate=args.rate,
                duration=args.duration,
                origin=None,
                stats=raw_stats,
            )
        )
    finally:
        stop(raw)

    print("\n--- summary ---")
    carehub_median = report("CareHub (Daphne + channels_redis, saved in PostgreSQL first)", carehub_stats)
    raw_median = report("Floor (raw websockets broadcast, nothing saved)", raw_stats)
    if carehub_median and raw_median:
        print(f"\nmedian latency ratio CareHub / raw: {carehub_median / raw_median:.1f}×")


if __name__ == "__main__":
    main()
