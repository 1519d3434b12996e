"""Messaging events to open sockets through the channel layer, after commit.

The database is the source of truth: an event is only a nudge that something
committed. A lost message event is repaired by the sockets themselves: each knows the number of the
last message it delivered per conversation and fetches what is missing (messaging.consumers).
Per-person frames go to the one group every socket of a person joins
(``carehub.sockets.person_group``).
"""

from __future__ import annotations

from carehub.sockets import person_group, send_on_commit

from .models import conversation_group

#: Handler names on the consumer (``type`` of the channel-layer event).
EVENT = "chat.event"  # a frame for the sockets subscribed to a conversation
RESYNC = "chat.resync"  # re-check which conversations this person's sockets follow


def conversation_frame_on_commit(conversation_id: int, frame: dict, *, family_frame: dict | None = None) -> None:
    """``family_frame`` is what family sockets get instead of ``frame`` (see the consumer)."""
    send_on_commit(
        conversation_group(conversation_id),
        {"type": EVENT, "conversation_id": conversation_id, "frame": frame, "family_frame": family_frame},
    )


def user_frame_on_commit(user_id: int, frame: dict) -> None:
    send_on_commit(person_group(user_id), {"type": EVENT, "conversation_id": None, "frame": frame})


def resync_on_commit(user_id: int) -> None:
    send_on_commit(person_group(user_id), {"type": RESYNC})
