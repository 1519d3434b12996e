"""Presence: online / away / offline, from the heartbeats of open sockets.

Each socket writes its own state under the person's cache key, with an expiry
a little longer than two heartbeats; a person is online when any of their
sockets says so, away when their sockets only say away, offline otherwise
(no socket, or none heard from in time). The cache is Redis in production and
the database cache in the embedded default, so every Daphne process agrees.

Two tabs heartbeating at the same instant may overwrite each other's entry
(read-modify-write on one key); the lost entry comes back at that socket's
next heartbeat, which is an acceptable blur for a presence dot.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache

ONLINE = "online"
AWAY = "away"
OFFLINE = "offline"
STATES = (ONLINE, AWAY)


def _key(user_id: int) -> str:
    return f"presence:{user_id}"


def _ttl() -> int:
    return settings.MESSAGING_PRESENCE_TTL


def _alive(entries: dict, now: float) -> dict:
    return {socket: (state, until) for socket, (state, until) in entries.items() if until > now}


def _state(entries: dict) -> str:
    states = {state for state, _ in entries.values()}
    return ONLINE if ONLINE in states else AWAY if AWAY in states else OFFLINE


def presence_beat(user_id: int, socket_id: str, state: str = ONLINE) -> str | None:
    """Record that one socket of ``user_id`` is open, in ``state``. Returns the person's new
    state when this changed it (for live presence dots), else None."""
    if state not in STATES:
        state = ONLINE
    now = time.time()
    entries = _alive(cache.get(_key(user_id)) or {}, now)
    before = _state(entries)
    entries[socket_id] = (state, now + _ttl())
    cache.set(_key(user_id), entries, timeout=_ttl())
    after = _state(entries)
    return after if after != before else None


def presence_leave(user_id: int, socket_id: str) -> str | None:
    """The socket closed: forget it (the others of the person stay). Returns the person's
    new state when this changed it, else None."""
    now = time.time()
    entries = _alive(cache.get(_key(user_id)) or {}, now)
    before = _state(entries)
    entries.pop(socket_id, None)
    if entries:
        cache.set(_key(user_id), entries, timeout=_ttl())
    else:
        cache.delete(_key(user_id))
    after = _state(entries)
    return after if after != before else None


def presence_of(user_ids: Iterable[int]) -> dict[int, str]:
    """ "online", "away" or "offline" for each user id (one cache round trip)."""
    ids = list(dict.fromkeys(int(i) for i in user_ids))
    found = cache.get_many([_key(i) for i in ids]) if ids else {}
    now = time.time()
    result = {}
    for user_id in ids:
        result[user_id] = _state(_alive(found.get(_key(user_id)) or {}, now))
    return result
