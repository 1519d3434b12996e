"""A person's sessions: the index of them, their lifetime, and ending them all at once.

One home for three rules that the HTTP middleware and the messaging socket share:

- the index (:class:`accounts.models.UserSession`), kept at sign-in and sign-out;
- the expiry rule: a session ends after its idle timeout (staff and families have
  their own) and, whatever the activity, after ``SESSION_ABSOLUTE_LIFETIME``;
- :func:`sessions_end`: delete every session of a person and close their open
  sockets (deactivation, revoked family access, second-factor reset).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Mapping
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.utils import timezone

from carehub import sockets

from .models import UserSession

#: Session keys holding the sign-in time and the time of the last activity (epoch seconds).
STARTED_KEY = "carehub_started"
LAST_SEEN_KEY = "carehub_last_seen"


class Expiry(enum.StrEnum):
    ABSOLUTE = "absolute"
    IDLE = "idle"


def idle_timeout_for(user) -> int:
    """Seconds without activity after which the person's session ends."""
    return settings.IDLE_TIMEOUT_FAMILY if user.is_family else settings.IDLE_TIMEOUT_STAFF


def expiry(data: Mapping, user, *, now: int | None = None) -> Expiry | None:
    """Why a session with these contents is over (None while it is alive)."""
    now = int(time.time()) if now is None else now
    started = data.get(STARTED_KEY, now)
    last_seen = data.get(LAST_SEEN_KEY, now)
    if now - started > settings.SESSION_ABSOLUTE_LIFETIME:
        return Expiry.ABSOLUTE
    if now - last_seen > idle_timeout_for(user):
        return Expiry.IDLE
    return None


def _store_class():
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_is_current(user, session_key: str | None) -> bool:
    """The stored session still exists, belongs to ``user``, is not expired, and the account is active.

    Read from the session store, never from what a long-lived socket knew at connect time.
    """
    if not session_key:
        return False
    data = _store_class()(session_key).load()
    if not data or str(data.get("_auth_user_id")) != str(user.pk):
        return False
    if expiry(data, user) is not None:
        return False
    user.refresh_from_db(fields=["is_active"])
    return user.is_active


def session_record(*, user, session_key: str | None) -> None:
    """Index a session at sign-in, forgetting this person's sessions past the absolute lifetime."""
    if not session_key:
        return
    horizon = timezone.now() - timedelta(seconds=settings.SESSION_ABSOLUTE_LIFETIME)
    UserSession.objects.filter(user=user, created_at__lt=horizon).delete()
    UserSession.objects.update_or_create(session_key=session_key, defaults={"user": user})


def session_forget(*, user, session_key: str | None) -> None:
    """Sign-out: drop the index entry; the sockets of that session close (the others stay open)."""
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()
    if user is not None:
        sockets.check_person_sockets_on_commit(user.pk)


def sessions_count(*, user) -> int:
    return UserSession.objects.filter(user=user).count()


def sessions_end(*, user) -> int:
    """Delete every session of ``user`` now (database and cache); their sockets close on commit.

    Returns how many sessions were ended.
    """
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    store = _store_class()
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user=user, session_key__in=keys).delete()
    sockets.check_person_sockets_on_commit(user.pk)
    return len(keys)


def sessions_prune() -> int:
    """Forget index entries older than the absolute lifetime (those sessions are over)."""
    horizon = timezone.now() - timedelta(seconds=settings.SESSION_ABSOLUTE_LIFETIME)
    deleted, _detail = UserSession.objects.filter(created_at__lt=horizon).delete()
    return deleted
