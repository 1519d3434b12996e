"""Sockets opened through the real ASGI stack (origin check, session auth) of carehub/asgi.py."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from tests.conftest import login_verified

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
    """A messaging socket on the Daphne node listening on ``port``, past its hello frame (kept as ``ws.hello``)."""
    import json

    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    ws = await connect(
        f"ws://127.0.0.1:{port}/ws/messages/",
        origin=Origin(f"http://127.0.0.1:{port}"),
        additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
        open_timeout=20,
    )
    ws.hello = json.loads(await asyncio.wait_for(ws.recv(), 20))  # type: ignore[attr-defined]
    assert ws.hello["type"] == "hello"  # type: ignore[attr-defined]
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
