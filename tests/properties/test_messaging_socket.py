"""Hostile frames on the messaging socket (messaging/consumers.py), through the real ASGI stack: the
socket answers every frame (an error frame when it refuses, in French), never crashes nor closes,
and a refused frame writes nothing."""

import json
import uuid

import pytest
from asgiref.sync import async_to_sync
from hypothesis import example, given
from hypothesis import strategies as st

from messaging.models import Acknowledgement, Membership, Message
from tests.conftest import clear_cache
from tests.factories import SiteFactory, make_staff
from tests.messaging.factories import group_with
from tests.properties.checks import assert_translated
from tests.properties.hostile import JSON, NASTY, TEXT
from tests.sockets import TIMEOUT, open_socket

pytestmark = pytest.mark.django_db(transaction=True)

TYPES = st.sampled_from(["send", "sync", "read", "ack", "heartbeat", "SEND", "", None, 1, ["send"]])
IDS = st.one_of(st.uuids().map(str), st.sampled_from(NASTY), JSON)
FRAME = st.one_of(
    st.fixed_dictionaries(
        {"type": TYPES},
        optional={
            "conversation": IDS,
            "body": st.one_of(TEXT, JSON),
            "client_token": IDS,
            "urgent": JSON,
            "after": JSON,
            "last_id": JSON,
            "message": IDS,
            "state": st.one_of(st.sampled_from(["online", "away"]), TEXT),
        },
    ),
    JSON,
)


@pytest.fixture
def socket_world(db):
    site = SiteFactory()
    me, colleague = make_staff(site, email="moi@socket.test"), make_staff(site, email="collegue@socket.test")
    other = make_staff(SiteFactory(), email="ailleurs@socket.test")
    group, other_group = group_with(me, colleague), group_with(other)
    return {"me": me, "group": group, "other_group": other_group}


def _rows() -> tuple[int, int, int]:
    return Message.objects.count(), Acknowledgement.objects.count(), Membership.objects.count()


async def _exchange(user, text: str) -> list[dict]:
    """Send ``text`` as one frame, then a heartbeat; the frames answered up to the heartbeat's."""
    comm = await open_socket(user)
    try:
        await comm.send_to(text_data=text)
        await comm.send_json_to({"type": "heartbeat"})
        frames = []
        while True:
            output = await comm.receive_output(timeout=TIMEOUT)
            assert output["type"] == "websocket.send", f"the socket closed: {output}"
            frame = json.loads(output["text"])
            frames.append(frame)
            if frame["type"] == "heartbeat":
                return frames
    finally:
        await comm.disconnect()


@given(frame=FRAME, with_ids=st.booleans(), raw=st.one_of(st.none(), TEXT))
# Found by this test on PostgreSQL: a NUL in a sent body raised DataError and crashed the socket.
@example(
    frame={"type": "send", "conversation": "{group}", "body": "\x00", "client_token": str(uuid.UUID(int=7))},
    with_ids=True,
    raw=None,
)
def test_hostile_frames(socket_world, frame, with_ids, raw):
    clear_cache()  # rate-limit buckets: each example meets them afresh
    if with_ids and isinstance(frame, dict):
        frame = {**frame, "conversation": str(socket_world["group"].public_id)}
        frame.setdefault("client_token", str(uuid.uuid4()))
    text = (raw or " ") if raw is not None else json.dumps(frame)  # the communicator cannot send ""
    text = text.replace("{group}", str(socket_world["group"].public_id))
    before = _rows()
    frames = async_to_sync(_exchange)(socket_world["me"], text)
    after = _rows()
    errors = [f for f in frames if f["type"] == "error"]
    assert_translated([f["message"] for f in errors])
    assert all(f["message"] for f in errors)
    if errors:
        assert before == after, f"refused with {errors} but wrote rows"
