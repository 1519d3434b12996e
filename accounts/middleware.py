import time
from http import HTTPStatus
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from carehub.access_log import log_access
from carehub.models import AccessLog

from . import sessions
from .services import two_factor_is_set_up, two_factor_required

#: URL names a signed-in person may open before passing the second factor.
ALLOWED_BEFORE_2FA = (
    "two_factor_setup",
    "two_factor_verify",
    "account_logout",
    "set_language",
    "healthz",
    "session_keepalive",
)

#: URL names a locked session may open: the lock screen, "Changer d'utilisateur", the language.
ALLOWED_WHILE_LOCKED = ("account_lock", "account_logout", "set_language", "healthz")


def _redirect(request, url_name: str):
    """To ``url_name``, coming back to this page afterwards; htmx requests follow it as a full page."""
    url = reverse(url_name)
    if request.method == "GET" and not request.htmx:
        url += "?" + urlencode({"next": request.get_full_path()})
    response = redirect(url)
    if request.htmx:
        response["HX-Redirect"] = url
    return response


def _from_script(request) -> bool:
    """A request made by the page's scripts (htmx, fetch), not a navigation of the browser."""
    return bool(request.htmx) or request.headers.get("Sec-Fetch-Mode", "navigate") not in ("navigate", "")


def _locked_response(request):
    """Navigations go to the lock screen (and back here after the PIN); scripts get 423 Locked,
    htmx following it as a full page."""
    url = reverse("account_lock")
    back = ""
    if request.htmx:
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        back = current.path + (f"?{current.query}" if current.query else "")
    elif request.method == "GET":
        back = request.get_full_path()
    if back:
        url += "?" + urlencode({"next": back})
    if not _from_script(request):
        return redirect(url)
    response = HttpResponse(_("The screen is locked."), status=HTTPStatus.LOCKED, content_type="text/plain")
    response["HX-Redirect"] = url
    return response


class SessionLifetimeMiddleware:
    """End sessions idle for too long, and every session after its absolute lifetime; lock instead
    the sessions of shared tablets where the lock applies.

    The rule is ``accounts.sessions.expiry`` (the messaging socket applies the same).
    Requests marked passive (live-update polls) do not count as activity.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._while_locked: tuple[str, ...] | None = None

    def _allowed_while_locked(self, path: str) -> bool:
        if self._while_locked is None:
            self._while_locked = tuple(reverse(name) for name in ALLOWED_WHILE_LOCKED) + (settings.STATIC_URL,)
        return path.startswith(self._while_locked)

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            now = int(time.time())
            session = request.session
            session.setdefault(sessions.STARTED_KEY, now)
            ended = sessions.expiry(session, user, now=now)
            if ended is sessions.Expiry.IDLE and self._may_lock(request):
                sessions.session_lock(request, now=now)
                ended = sessions.Expiry.LOCKED
            if ended is sessions.Expiry.LOCKED:
                # Nothing counts as activity while locked: only the PIN opens the session again.
                if self._allowed_while_locked(request.path):
                    return self.get_response(request)
                return _locked_response(request)
            if ended is not None:
                log_access(request, AccessLog.Action.SESSION_EXPIRED)
                logout(request)
                messages.info(request, self._reason(ended, user))
                return _redirect(request, "account_login")
            if request.headers.get("X-CareHub-Passive") != "1" or sessions.LAST_SEEN_KEY not in session:
                session[sessions.LAST_SEEN_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _may_lock(request) -> bool:
        # Only a session past its second factor locks: one left on the code page just ends.
        is_verified = getattr(request.user, "is_verified", None)
        return bool(is_verified and is_verified()) and sessions.lock_applies(request.user)

    @staticmethod
    def _reason(ended: sessions.Expiry, user) -> str:
        if ended is sessions.Expiry.ABSOLUTE:
            return _("Your session reached its maximum length. Please sign in again.")
        minutes = max(1, round(sessions.idle_timeout_for(user) / 60))
        return ngettext(
            "You were signed out after %(minutes)d minute without activity.",
            "You were signed out after %(minutes)d minutes without activity.",
            minutes,
        ) % {"minutes": minutes}


class TwoFactorRequiredMiddleware:
    """Nothing opens until the session has passed a second factor (set it up first if needed)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed_paths: tuple[str, ...] | None = None

    def _allowed(self, path: str) -> bool:
        if self._allowed_paths is None:
            from django.conf import settings

            self._allowed_paths = tuple(reverse(name) for name in ALLOWED_BEFORE_2FA) + (settings.STATIC_URL,)
        return path.startswith(self._allowed_paths)

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and two_factor_required(user)
            and not user.is_verified()
            and not self._allowed(request.path)
        ):
            return _redirect(request, "two_factor_verify" if two_factor_is_set_up(user) else "two_factor_setup")
        return self.get_response(request)
