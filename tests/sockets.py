"""Sockets opened through the real ASGI stack (origin check, session auth) of carehub/asgi.py."""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from websockets.exceptions import ConnectionClosed

from tests.conftest import login_verified

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

TIMEOUT = 10  # generous upper bound for waiting: CI machines are shared


async def open_socket(user, client: Client | None = None) -> WebsocketCommunicator:
    """A messaging socket of ``user``, past its hello frame (kept as ``comm.hello``), in the
    session of ``client`` (by default a new session with a verified second factor)."""
    from carehub.asgi import application

    if client is None:
        client = await sync_to_async(login_verified)(Client(), user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    comm = WebsocketCommunicator(
        application,
        "/ws/messages/",
        headers=[(b"origin", b"http://testserver"), (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())],
    )
    connected, _subprotocol = await comm.connect(timeout=TIMEOUT)
    assert connected
    hello = await comm.receive_json_from(timeout=TIMEOUT)
    assert hello["type"] == "hello"
    comm.hello = hello
    return comm


async def close_code_within(comm: WebsocketCommunicator, seconds: float) -> int | None:
    """The code the server closed the socket with within ``seconds`` (other frames skipped), or None."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            output = await comm.receive_output(timeout=left)
        except TimeoutError:
            return None
        if output["type"] == "websocket.close":
            return output.get("code")
    return None


# --- real processes: the websockets protocol and plain HTTP, as a browser speaks them to a node ---


def session_cookie(user) -> str:
    """The session cookie's value of a new session of ``user`` with a verified second factor."""
    return login_verified(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value


async def node_socket(port: int, session: str):
    """A messaging socket on the Daphne node listening on ``port``, past its hello frame (kept as
    ``ws.hello``). A node that answers anything else first (live messaging unavailable: an error
    frame, then a close) raises ConnectionError, as a refused connection would."""
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    ws = await connect(
        f"ws://127.0.0.1:{port}/ws/messages/",
        origin=Origin(f"http://127.0.0.1:{port}"),
        additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
        open_timeout=20,
    )
    first = json.loads(await asyncio.wait_for(ws.recv(), 20))
    if first["type"] != "hello":
        await ws.close()
        raise ConnectionError(f"no hello: {first}")
    ws.hello = first  # type: ignore[attr-defined]
    return ws


def node_post_message(
    port: int, session: str, conversation_public_id, body: str, client_token: str, **headers
) -> tuple[int, bytes]:
    """The conversation page's form posted to a node, as a browser sends it (its CSRF cookie from the
    page first): the answer's status and body."""
    import http.client
    from http.cookies import SimpleCookie
    from urllib.parse import urlencode

    path = f"/messages/c/{conversation_public_id}/"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"})
        page = conn.getresponse()
        page.read()
        assert page.status == 200, page.status
        cookies = SimpleCookie()
        for header in page.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        csrf = cookies[settings.CSRF_COOKIE_NAME].value
        form = urlencode({"body": body, "client_token": client_token, "csrfmiddlewaretoken": csrf})
        cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
        conn.request(
            "POST",
            path,
            body=form,
            headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded", **headers},
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass
class Tab:
    """One open conversation page of one person on one of ``nodes``, as static/js/messaging.js
    keeps it: on each (re)connection a sync from the last number it shows, a heartbeat at the
    hello's interval, a reconnection to the balancer's other node after a close."""

    name: str
    session: str
    conversation: str
    nodes: list[int]
    node: int
    shown: dict[int, str] = field(default_factory=dict)  # message id → "live", "replay" or "repaired"
    #: Message frames received for an id already shown (the page shows it once; the server should not send it).
    duplicated: int = 0
    last_seq: int = 0
    ws: ClientConnection | None = None
    connections: int = 0
    recovered_at: float | None = None
    replay_incomplete: bool = False
    #: The send waiting for its "sent" frame: its client token and a future for the answer.
    pending: tuple[str, asyncio.Future] | None = None
    closing: bool = False

    async def run(self) -> None:
        while not self.closing:
            try:
                self.ws = await node_socket(self.nodes[self.node], self.session)
            except (OSError, ConnectionClosed, TimeoutError):
                self.node = (self.node + 1) % len(self.nodes)  # the balancer's other node
                await asyncio.sleep(0.1)
                continue
            self.connections += 1
            beats = asyncio.create_task(self._beat(self.ws))
            try:
                await self.ws.send(
                    json.dumps({"type": "sync", "conversation": self.conversation, "after_seq": self.last_seq})
                )
                async for text in self.ws:
                    self._handle(json.loads(text))
            except ConnectionClosed:
                pass
            finally:
                beats.cancel()
            if self.closing:
                return
            if self.pending is not None and not self.pending[1].done():
                self.pending[1].set_result("closed")
            # The page's first back-off step: 1 s × (0.5 … 1).
            await asyncio.sleep(1.0 * (0.5 + random.random() / 2))
            self.node = (self.node + 1) % len(self.nodes)

    @staticmethod
    async def _beat(ws) -> None:
        """The page's heartbeat, at the interval the server's hello gives."""
        while True:
            await asyncio.sleep(ws.hello["heartbeat"])
            await ws.send(json.dumps({"type": "heartbeat", "state": "online"}))

    def _handle(self, frame: dict) -> None:
        kind = frame["type"]
        if kind == "message" and frame["message"]["conversation"] == self.conversation:
            message = frame["message"]
            self.duplicated += message["id"] in self.shown
            how = "replay" if frame.get("replay") else "repaired" if frame.get("repaired") else "live"
            self.shown.setdefault(message["id"], how)
            self.last_seq = max(self.last_seq, message.get("seq") or 0)
        elif kind == "synced" and frame["conversation"] == self.conversation:
            self.replay_incomplete |= not frame["complete"]  # the page would reload: a test failure
            if self.connections > 1 and self.recovered_at is None:
                self.recovered_at = time.monotonic()
        elif kind in ("sent", "error") and self.pending and frame.get("client_token") == self.pending[0]:
            token_answered = self.pending[1]
            if not token_answered.done():
                token_answered.set_result(frame)

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            await self.ws.close()
