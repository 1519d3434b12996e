"""Open sockets of one person, reached through the channel layer, after commit.

Every socket a person opens joins :func:`person_group`; that one group is how the
rest of CareHub reaches them: messaging's per-person frames, and the order to
check their session again when sessions or rights end (deactivation, revoked
family access, sign-out, second-factor reset): each socket then closes unless
its own session is still current.

The database is the source of truth: an event is only a nudge that something
committed, so a broken layer is logged and never undoes committed work; a failed send is tried
once more on a fresh connection.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from carehub import live_status

logger = logging.getLogger(__name__)

#: Event type telling every socket of a person to re-check its session and close if it ended
#: (handled by ``sockets_check`` on consumers).
CHECK = "sockets.check"


def person_group(user_id: int) -> str:
    """The channel-layer group every socket of this person joins."""
    return f"person.{user_id}"


def send(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    if not live_status.live_messaging_available():
        # Known down (a hung Redis costs a socket timeout per send): skip until a check sees it back.
        logger.warning("channel layer unreachable: not sent to %s", group)
        return
    for attempt in (1, 2):
        try:
            async_to_sync(layer.group_send)(group, event)
            return
        except Exception:  # a broken layer must not undo committed work
            if attempt == 1:
                # Often a connection left over from before a Redis restart: the pool drops it and
                # the second try opens a fresh one.
                logger.warning("channel layer: send to %s failed, trying again", group)
                continue
            live_status.mark(available=False)
            # The sockets that missed it repair it from the database (messaging.consumers).
            logger.exception("channel layer: could not send to %s", group)


def send_on_commit(group: str, event: dict) -> None:
    transaction.on_commit(lambda: send(group, event))


def check_person_sockets_on_commit(user_id: int) -> None:
    send_on_commit(person_group(user_id), {"type": CHECK})
