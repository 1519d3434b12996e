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
