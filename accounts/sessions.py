"""A person's sessions: the index of them, their lifetime, and ending them all at once.

One home for the rules that the HTTP middleware and the messaging socket share:

- the index (:class:`accounts.models.UserSession`), kept at sign-in and sign-out;
- the expiry rule: a session ends after its idle timeout (staff and families have
  their own) and, whatever the activity, after ``SESSION_ABSOLUTE_LIFETIME``;
- the lock of shared tablets: at a site that enables it, for a person with a PIN, the
  idle timeout locks the session instead of ending it (:func:`session_lock`); a locked
  session shows nothing and opens only with the PIN (:func:`session_unlock`), five wrong
  PINs end it, and the absolute lifetime still ends it;
- :func:`sessions_end`: delete every session of a person and close their open
  sockets (deactivation, revoked family access, second-factor reset).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from carehub import sockets
from carehub.access_log import log_access
from carehub.models import AccessLog

from .models import UnlockPin, UserSession

#: Session keys holding the sign-in time and the time of the last activity (epoch seconds).
STARTED_KEY = "carehub_started"
LAST_SEEN_KEY = "carehub_last_seen"
#: Session key holding the time the screen locked (epoch seconds); absent while unlocked.
LOCKED_KEY = "carehub_locked"
#: Session key telling the page's idle script that the idle time locks rather than signs out.
#: Written when the session passes its second factor and when the PIN changes; the server
#: decides afresh at the idle time (:func:`lock_applies`), this only picks the script's wording.
LOCK_HINT_KEY = "carehub_idle_locks"
#: Wrong PINs that end a locked session (counted per lock).
UNLOCK_TRIES = 5


class Expiry(enum.StrEnum):
    ABSOLUTE = "absolute"
    LOCKED = "locked"
    IDLE = "idle"


def idle_timeout_for(user) -> int:
    """Seconds without activity after which the person's session ends."""
    return settings.IDLE_TIMEOUT_FAMILY if user.is_family else settings.IDLE_TIMEOUT_STAFF


def expiry(data: Mapping, user, *, now: int | None = None) -> Expiry | None:
    """Why a session with these contents is over or locked (None while it is open)."""
    now = int(time.time()) if now is None else now
    started = data.get(STARTED_KEY, now)
    last_seen = data.get(LAST_SEEN_KEY, now)
    if now - started > settings.SESSION_ABSOLUTE_LIFETIME:
        return Expiry.ABSOLUTE
    if data.get(LOCKED_KEY):
        return Expiry.LOCKED
    if now - last_seen > idle_timeout_for(user):
        return Expiry.IDLE
    return None


def _store_class():
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_is_current(user, session_key: str | None) -> bool:
    """The stored session still exists, belongs to ``user``, is neither expired nor locked, and the
    account is active.

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


def session_rotate(request) -> None:
    """A new session id at a privilege step (the second factor passed): an id seen before it, by
    a passer-by or a fixation attempt, is worth nothing after it. The index follows the new id."""
    old = request.session.session_key
    request.session.cycle_key()
    if old:
        UserSession.objects.filter(session_key=old).update(session_key=request.session.session_key)


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


# --- the lock of shared tablets -------------------------------------------------------------


def lock_enabled_for(user) -> bool:
    """A member of staff assigned today to a site that locks shared tablets (Site.lock_with_pin)."""
    from directory.models import Assignment

    if not user.is_authenticated or user.is_family:
        return False
    return Assignment.objects.active().filter(user=user, site__is_active=True, site__lock_with_pin=True).exists()


def lock_applies(user) -> bool:
    """The idle time locks this person's screen instead of ending the session: the lock is
    enabled for them and they chose a PIN."""
    return lock_enabled_for(user) and UnlockPin.objects.filter(user=user).exists()


def lock_hint_refresh(request) -> None:
    """Tell the idle script of later pages whether this session locks (see :data:`LOCK_HINT_KEY`)."""
    request.session[LOCK_HINT_KEY] = lock_applies(request.user)


def is_locked(session) -> bool:
    return bool(session.get(LOCKED_KEY))


def session_lock(request, *, now: int) -> None:
    """Lock the request's session: every page but the lock screen is refused until the PIN is typed.

    The session's sockets close: they must not push anything to a locked screen.
    """
    session = request.session
    session[LOCKED_KEY] = now
    session.save()  # before the sockets re-read it
    UserSession.objects.update_or_create(
        session_key=session.session_key, defaults={"user": request.user, "unlock_failures": 0}
    )
    log_access(request, AccessLog.Action.LOCK)
    sockets.check_person_sockets_on_commit(request.user.pk)


@dataclass(frozen=True)
class UnlockResult:
    unlocked: bool
    #: Wrong PINs still allowed before the session ends (0: it ended).
    tries_left: int = UNLOCK_TRIES

    @property
    def ended(self) -> bool:
        return not self.unlocked and self.tries_left <= 0


def unlock_pin_matches(*, user, pin: str) -> bool:
    encoded = UnlockPin.objects.filter(user=user).values_list("pin_hash", flat=True).first()
    if encoded is None:
        make_password(pin)  # the same cost, so that a missing PIN does not answer faster
        return False
    return check_password(pin, encoded)


def session_unlock(request, *, pin: str, now: int | None = None) -> UnlockResult:
    """Open the request's locked session with the person's PIN.

    Each try takes its place in the count (an atomic increment) before the PIN is compared,
    so that parallel tries cannot exceed :data:`UNLOCK_TRIES`. The fifth wrong PIN ends every
    session of the person: the full sign-in, with the second factor, is needed again.
    """
    user, session = request.user, request.session
    now = int(time.time()) if now is None else now
    entry, _created = UserSession.objects.get_or_create(session_key=session.session_key, defaults={"user": user})
    UserSession.objects.filter(pk=entry.pk).update(unlock_failures=F("unlock_failures") + 1)
    tries = UserSession.objects.values_list("unlock_failures", flat=True).get(pk=entry.pk)
    if tries <= UNLOCK_TRIES and unlock_pin_matches(user=user, pin=pin):
        UserSession.objects.filter(pk=entry.pk).update(unlock_failures=0)
        session.pop(LOCKED_KEY, None)
        session[LAST_SEEN_KEY] = now
        log_access(request, AccessLog.Action.UNLOCK)
        return UnlockResult(unlocked=True)
    log_access(request, AccessLog.Action.UNLOCK_FAILED)
    left = max(0, UNLOCK_TRIES - tries)
    if left == 0:
        with transaction.atomic():
            log_access(request, AccessLog.Action.LOCK_ENDED)
            sessions_end(user=user)
        # This request's session was deleted with the others: start an empty one, so that
        # the end of the request does not save the old one again.
        session.flush()
        request.user = AnonymousUser()
    return UnlockResult(unlocked=False, tries_left=left)
