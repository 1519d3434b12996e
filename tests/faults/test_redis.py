"""Redis killed (SIGKILL) or hung (SIGSTOP): signed-in pages still answer, fast; they show the
"live messaging unavailable" banner; a socket gets an error frame it can show and a close (4503);
sign-in is refused (the rate limits fail closed). Redis back: all of it recovers, without
restarting Django.

Each test runs its own redis-server (tests/processes.py); the suite's is never touched.
"""

import json
import time
import uuid
from http import HTTPStatus

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.urls import reverse

from messaging.consumers import CLOSE_UNAVAILABLE
from messaging.models import Message
from tests.conftest import login_verified
from tests.messaging.factories import group_with
from tests.sockets import TIMEOUT, open_socket

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

BANNER = "Messagerie en direct indisponible"
#: The page must answer within this many seconds with Redis dead or hung.
FAST = 3.0


def _timed_get(client, path):
    started = time.monotonic()
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="fr")
    return response, time.monotonic() - started


def _page_until(client, path, predicate, seconds=FAST):
    """GET ``path`` until ``predicate(text)`` holds (the banner's check runs in the background)."""
    deadline = time.monotonic() + seconds
    while True:
        text = client.get(path, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        if predicate(text) or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


@pytest.fixture
def nurse(staff_a, own_redis):
    return login_verified(Client(), staff_a)


@pytest.mark.parametrize("failure", ["kill", "freeze"])
def test_signed_in_page_answers_fast_with_redis_gone(nurse, own_redis, failure):
    getattr(own_redis, failure)()
    response, elapsed = _timed_get(nurse, reverse("messaging:index"))
    assert (response.status_code, elapsed < FAST) == (HTTPStatus.OK, True), elapsed


@pytest.mark.parametrize("failure", ["kill", "freeze"])
def test_conversation_page_answers_fast_with_redis_gone(nurse, staff_a, coordinator_a, own_redis, failure):
    """The conversation page reads the members' presence from the cache: "offline" without Redis."""
    conversation = group_with(staff_a, coordinator_a)
    getattr(own_redis, failure)()
    response, elapsed = _timed_get(nurse, reverse("messaging:conversation", args=[conversation.public_id]))
    assert (response.status_code, elapsed < FAST) == (HTTPStatus.OK, True), elapsed


@pytest.mark.parametrize("failure", ["kill", "freeze"])
def test_banner_shows_with_redis_gone(nurse, own_redis, failure):
    _page_until(nurse, "/accounts/security/", lambda text: True)  # a first look while Redis answers
    getattr(own_redis, failure)()
    text = _page_until(nurse, "/accounts/security/", lambda text: BANNER in text)
    assert BANNER in text


def test_no_banner_while_redis_answers(nurse, own_redis):
    text = _page_until(nurse, "/accounts/security/", lambda text: BANNER in text, seconds=1)
    assert BANNER not in text


def test_page_and_banner_recover_when_redis_restarts(nurse, own_redis):
    own_redis.kill()
    _page_until(nurse, "/accounts/security/", lambda text: BANNER in text)
    own_redis.start()
    text = _page_until(nurse, "/accounts/security/", lambda text: BANNER not in text)
    assert BANNER not in text


@pytest.mark.parametrize("failure", ["kill", "freeze"])
def test_message_posted_over_http_is_stored_fast_with_redis_gone(
    nurse, staff_a, coordinator_a, own_redis, failure, fault_report
):
    """What the page falls back to when its socket is closed: saved, its live broadcast skipped (logged)."""
    conversation = group_with(staff_a, coordinator_a)
    getattr(own_redis, failure)()
    started = time.monotonic()
    response = nurse.post(
        reverse("messaging:conversation", args=[conversation.public_id]),
        {"body": "Chute chambre 3", "client_token": str(uuid.uuid4())},
        HTTP_ACCEPT="application/json",
    )
    elapsed = time.monotonic() - started
    stored = Message.objects.filter(conversation=conversation).count()
    acknowledged = int(response.status_code == HTTPStatus.OK)
    fault_report(
        scenario=f"Redis {failure}: message posted over HTTP",
        sent=1,
        acknowledged=acknowledged,
        stored=stored,
        lost=max(0, acknowledged - stored),
    )
    assert (response.status_code, stored, elapsed < FAST) == (HTTPStatus.OK, 1, True), elapsed


def test_sign_in_is_refused_while_redis_is_down(staff_a, own_redis):
    """The sign-in rate limits fail closed: without their counters nobody may try passwords."""
    own_redis.kill()
    response = Client().post(
        reverse("account_login"), {"login": staff_a.email, "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


# --- the messaging socket --------------------------------------------------------------------


async def _closing_frames(comm):
    """What the server sends until it closes: each frame's type (an error's code), then the close code."""
    seen = []
    for _ in range(20):
        output = await comm.receive_output(timeout=TIMEOUT)
        if output["type"] == "websocket.close":
            return [*seen, output.get("code")]
        frame = json.loads(output["text"])
        seen.append(frame["code"] if frame["type"] == "error" else frame["type"])
    return seen


def _socket(user_client):
    from carehub.asgi import application

    cookie = user_client.cookies[settings.SESSION_COOKIE_NAME].value
    return WebsocketCommunicator(
        application,
        "/ws/messages/",
        headers=[(b"origin", b"http://testserver"), (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())],
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("failure", ["kill", "freeze"])
async def test_socket_upgrade_with_redis_gone_gets_error_frame_and_close(nurse, own_redis, failure):
    getattr(own_redis, failure)()
    comm = _socket(nurse)
    started = time.monotonic()
    connected, _ = await comm.connect(timeout=TIMEOUT)
    seen = await _closing_frames(comm)
    elapsed = time.monotonic() - started
    assert (connected, seen, elapsed < FAST) == (True, ["live_unavailable", CLOSE_UNAVAILABLE], True), elapsed


@pytest.mark.asyncio
async def test_socket_error_frame_is_translated(nurse, own_redis):
    own_redis.kill()
    comm = _socket(nurse)
    await comm.connect(timeout=TIMEOUT)
    frame = await comm.receive_json_from(timeout=TIMEOUT)
    assert frame["message"].startswith("Messagerie en direct indisponible")


@pytest.mark.asyncio
@pytest.mark.parametrize("failure", ["kill", "freeze"])
async def test_open_socket_gets_error_frame_when_redis_goes(staff_a, own_redis, failure):
    comm = await open_socket(staff_a)
    getattr(own_redis, failure)()
    seen = await _closing_frames(comm)
    assert seen[-2:] == ["live_unavailable", CLOSE_UNAVAILABLE]


@pytest.mark.asyncio
@pytest.mark.parametrize(("failure", "recovery"), [("kill", "start"), ("freeze", "thaw")], ids=["restarts", "thaws"])
async def test_socket_works_again_when_redis_comes_back(nurse, staff_a, own_redis, failure, recovery, fault_report):
    getattr(own_redis, failure)()
    comm = _socket(nurse)
    await comm.connect(timeout=TIMEOUT)
    await _closing_frames(comm)
    getattr(own_redis, recovery)()
    back = time.monotonic()
    comm = await open_socket(staff_a, nurse)
    fault_report(scenario=f"Redis {failure}, then {recovery}: a socket opens again", recovery_s=time.monotonic() - back)
    await comm.disconnect()
    assert comm.hello["type"] == "hello"


# --- Celery's broker ---------------------------------------------------------------------------


@pytest.fixture
def broker_on_own_redis(own_redis):
    """Tasks really queued, on the test's own Redis (with the production broker options)."""
    from carehub.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=own_redis.url, task_always_eager=False)
    app._after_fork()  # forget the producer pool of the previous broker
    yield
    app.conf.update(saved)
    app._after_fork()


@pytest.mark.parametrize("failure", ["kill", "freeze"])
def test_urgent_note_is_saved_fast_with_the_broker_gone(nurse, site_a, unit_a, broker_on_own_redis, own_redis, failure):
    """The note commits, then its escalation task cannot be queued: the page still answers (the
    periodic sweep escalates it), fast."""
    from coordination.models import CareNote
    from tests.coordination.factories import ResidentFactory, default_targets

    default_targets()
    resident = ResidentFactory(site=site_a, unit=unit_a)
    getattr(own_redis, failure)()
    started = time.monotonic()
    response = nurse.post(
        reverse("coordination:note_create", args=[resident.public_id]),
        {"target": "chute", "data": "Chute dans la chambre.", "priority": "urgent", "client_token": str(uuid.uuid4())},
    )
    elapsed = time.monotonic() - started
    assert (response.status_code, CareNote.objects.count(), elapsed < FAST) == (HTTPStatus.FOUND, 1, True), elapsed
