"""Presence: online / away / offline, from the heartbeats of open sockets.

Each socket writes its own state under its own cache key, with an expiry a
little longer than two heartbeats, and adds its id to the person's list of
sockets; a person is online when any of their sockets says so, away when their
sockets only say away, offline otherwise (no socket, or none heard from in
time). The cache is Redis in production and the database cache in the embedded
default, so every Daphne process agrees.

A socket's state is one key that only that socket writes: a closed socket is
never brought back by another's write. The person's list of sockets is
read-modify-written, so two tabs writing it at the same instant may drop one id
(a socket that closed may also linger in it, harmless: its own key is gone);
the dropped socket comes back at its next heartbeat, or at once when one of the
person's sockets closes (a page left for another): the messaging consumer then
asks the person's other sockets to write theirs again.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache

ONLINE = "online"
AWAY = "away"
OFFLINE = "offline"
STATES = (ONLINE, AWAY)


def _key(user_id: int) -> str:
    """The person's list of socket ids."""
    return f"presence:{user_id}"


def _socket_key(user_id: int, socket_id: str) -> str:
    return f"presence:{user_id}:{socket_id}"


def _ttl() -> int:
    return settings.MESSAGING_PRESENCE_TTL


def _state(states: Iterable[str]) -> str:
    states = set(states)
    return ONLINE if ONLINE in states else AWAY if AWAY in states else OFFLINE


def _sockets(user_id: int, extra: Iterable[str] = ()) -> dict[str, str]:
    """{socket id: state} of the person's sockets heard from in time."""
    ids = set(cache.get(_key(user_id)) or ()) | set(extra)
    found = cache.get_many([_socket_key(user_id, socket_id) for socket_id in ids])
    return {
        socket_id: found[_socket_key(user_id, socket_id)]
        for socket_id in ids
        if _socket_key(user_id, socket_id) in found
    }


def presence_beat(user_id: int, socket_id: str, state: str = ONLINE) -> str | None:
    """Record that one socket of ``user_id`` is open, in ``state``. Returns the person's new
    state when this changed it (for live presence dots), else None."""
    if state not in STATES:
        state = ONLINE
    sockets = _sockets(user_id, [socket_id])
    before = _state(sockets.values())
    cache.set(_socket_key(user_id, socket_id), state, timeout=_ttl())
    sockets[socket_id] = state
    cache.set(_key(user_id), set(sockets), timeout=_ttl())
    after = _state(sockets.values())
    return after if after != before else None


def presence_leave(user_id: int, socket_id: str) -> str | None:
    """The socket closed: forget it (the others of the person stay). Returns the person's
    new state when this changed it, else None."""
    sockets = _sockets(user_id, [socket_id])
    before = _state(sockets.values())
    cache.delete(_socket_key(user_id, socket_id))
    sockets.pop(socket_id, None)
    if sockets:
        cache.set(_key(user_id), set(sockets), timeout=_ttl())
    else:
        cache.delete(_key(user_id))
    after = _state(sockets.values())
    return after if after != before else None


def presence_of(user_ids: Iterable[int]) -> dict[int, str]:
    """ "online", "away" or "offline" for each user id (two cache round trips)."""
    ids = list(dict.fromkeys(int(i) for i in user_ids))
    if not ids:
        return {}
    lists = cache.get_many([_key(i) for i in ids])
    wanted = {user_id: [_socket_key(user_id, s) for s in lists.get(_key(user_id)) or ()] for user_id in ids}
    found = cache.get_many([key for keys in wanted.values() for key in keys])
    return {user_id: _state(found[key] for key in wanted[user_id] if key in found) for user_id in ids}
