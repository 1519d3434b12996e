"""Sending events to open sockets through the channel layer, after commit.

The database is the source of truth: an event is only a nudge that something
committed. A lost event is repaired by the client's replay from its last id.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .models import conversation_group, user_group

logger = logging.getLogger(__name__)

#: Handler names on the consumer (``type`` of the channel-layer event).
EVENT = "chat.event"  # a frame for the sockets subscribed to a conversation
RESYNC = "chat.resync"  # re-check which conversations this person's sockets follow
CLOSE = "chat.close"  # close every socket of this person (deactivated, signed out)


def _send(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # a broken layer must not undo a committed message
        logger.exception("channel layer: could not send to %s", group)


def send_on_commit(group: str, event: dict) -> None:
    transaction.on_commit(lambda: _send(group, event))


def conversation_frame_on_commit(conversation_id: int, frame: dict) -> None:
    send_on_commit(
        conversation_group(conversation_id), {"type": EVENT, "conversation_id": conversation_id, "frame": frame}
    )


def user_frame_on_commit(user_id: int, frame: dict) -> None:
    send_on_commit(user_group(user_id), {"type": EVENT, "conversation_id": None, "frame": frame})


def resync_on_commit(user_id: int) -> None:
    send_on_commit(user_group(user_id), {"type": RESYNC})


def close_on_commit(user_id: int) -> None:
    send_on_commit(user_group(user_id), {"type": CLOSE})
