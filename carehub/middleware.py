import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .access_log import log_access
from .models import AccessLog

LAST_SEEN_KEY = "carehub_last_seen"
STARTED_KEY = "carehub_started"


def idle_timeout_for(user) -> int:
    return settings.IDLE_TIMEOUT_FAMILY if user.is_family else settings.IDLE_TIMEOUT_STAFF


class SecurityHeadersMiddleware:
    """Headers Django does not set itself (the CSP comes from django-csp)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # XFrameOptionsMiddleware sits after CommonMiddleware: errors raised there
        # (unknown Host → 400) never pass through it. Frame denial on those too.
        if not getattr(response, "xframe_options_exempt", False):
            response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        return response


class SessionLifetimeMiddleware:
    """End sessions idle for too long, and every session after its absolute lifetime.

    The times live in the session, which sits in the shared cache (cached_db),
    so every process agrees. Requests marked passive (live-update polls) do not
    count as activity.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.setdefault(STARTED_KEY, now)
            last_seen = session.get(LAST_SEEN_KEY, now)
            reason = None
            if now - started > settings.SESSION_ABSOLUTE_LIFETIME:
                reason = _("Your session reached its maximum length. Please sign in again.")
            elif now - last_seen > idle_timeout_for(user):
                minutes = max(1, round(idle_timeout_for(user) / 60))
                reason = ngettext(
                    "You were signed out after %(minutes)d minute without activity.",
                    "You were signed out after %(minutes)d minutes without activity.",
                    minutes,
                ) % {"minutes": minutes}
            if reason:
                log_access(request, AccessLog.Action.SESSION_EXPIRED)
                logout(request)
                messages.info(request, reason)
                url = reverse("account_login")
                if request.method == "GET" and not request.htmx:
                    url += "?" + urlencode({"next": request.get_full_path()})
                response = redirect(url)
                if request.htmx:
                    response["HX-Redirect"] = url
                return response
            if request.headers.get("X-CareHub-Passive") != "1" or LAST_SEEN_KEY not in session:
                session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class PrivateCacheMiddleware:
    """Pages seen by a signed-in person may show resident data: never store them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated and not request.path.startswith(settings.STATIC_URL):
            add_never_cache_headers(response)
        return response
