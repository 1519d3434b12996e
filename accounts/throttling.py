"""Rate limits of every path that checks a sign-in secret, and the one answer when one is reached.

The counters are allauth's (``ACCOUNT_RATE_LIMITS``: sliding windows in the shared cache, per
address, per account): the password (``login`` per address before the form, ``login_failed`` per
address and per account, also for re-authentication; ``change_password``), the second-factor code
(``two_factor``, per address and per account: accounts.services.two_factor_verify), the reset link
(``reset_password_from_key``), the family invitation link (``invitation``, per address). The Django
admin has no sign-in or password form of its own: both send to allauth's (carehub/admin_site.py),
so the same limits hold there.

A refused attempt gets 429 with Retry-After (the seconds until the window lets one more try in),
CareHub's translated page, a warning in the application log and, for a sign-in secret, the failed
sign-in in the access log (the person sees it on their security page): once per window for one
limit, address and account, however many tries are refused in it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from http import HTTPStatus

from allauth.core.internal import ratelimit
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render

from carehub.access_log import log_access
from carehub.models import AccessLog

logger = logging.getLogger(__name__)

APP = "allauth.account"
#: CareHub's limits in ACCOUNT_RATE_LIMITS (allauth's own names for the others): the second-factor
#: code, and invitation links that lead nowhere (portal.views.invitation_accept).
TWO_FACTOR = "two_factor"
INVITATION = "invitation"
#: What each limit guards, as the access log records a refusal (None: the application log only).
_ACCESS_LOG_ACTION = {
    "login": AccessLog.Action.LOGIN_FAILED,
    "login_failed": AccessLog.Action.LOGIN_FAILED,
    "reauthenticate": AccessLog.Action.LOGIN_FAILED,
    TWO_FACTOR: AccessLog.Action.TWO_FACTOR_FAILED,
}
#: The limit behind a 429 that allauth answers itself (handler429), by the page's URL name.
_ACTION_OF_PAGE = {
    "account_login": "login",
    "account_reauthenticate": "reauthenticate",
    "account_reset_password": "reset_password",
    "account_reset_password_from_key": "reset_password_from_key",
    "account_change_password": "change_password",
}


def attempt(request, *, action: str, key: str | None = None, user=None) -> ratelimit.RateLimitUsage | None:
    """Count one attempt against every rate of ``action``; None when one of them is used up.

    The caller rolls the usage back when the secret was right: only failures should add up,
    yet a right answer cannot clear the counter (an attacker would slip one in between guesses)."""
    return ratelimit.consume(request, app=APP, action=action, key=key, user=user, limit_get=True)


def retry_after(request, *, action: str, key: str | None = None, user=None) -> int:
    """Seconds until ``action`` lets one more attempt in: the latest moment a used-up rate frees a try.

    A rate counted per key that the caller does not know (allauth's own 429 pages) is taken at its
    whole window: an upper bound, never a promise that fails."""
    now = time.time()
    waits: list[float] = []
    for rate in ratelimit.get_rates(app=APP, action=action):
        if (rate.per == "key" and key is None) or (
            rate.per == "user" and user is None and not request.user.is_authenticated
        ):
            waits.append(rate.duration)
            continue
        cache_key = ratelimit.get_cache_key(request, app=APP, action=action, rate=rate, key=key, user=user)
        live = [t for t in cache.get(cache_key, []) if t > now - rate.duration]
        if len(live) >= rate.amount:
            waits.append(min(live) + rate.duration - now)
    return max(1, math.ceil(max(waits, default=60)))


def refusal(request, *, action: str, key: str | None = None, user=None, identifier: str = "") -> HttpResponse:
    """The answer to an attempt over a limit: 429, Retry-After, logged."""
    seconds = retry_after(request, action=action, key=key, user=user)
    if user is None and request.user.is_authenticated:
        user = request.user
    if user is None and identifier:
        user = get_user_model().objects.filter(email__iexact=identifier).first()
    address = ratelimit.get_ip(request)
    account = str(user.pk) if user is not None else hashlib.sha256(identifier.casefold().encode()).hexdigest()[:16]
    # Once per window for one limit, address and account: past the limit every further try is
    # refused too, and writing each of them would let a flood of requests fill the logs.
    if cache.add(f"carehub:throttled:{action}:{address}:{account}", True, timeout=seconds):
        logger.warning(
            "sign-in attempt refused: too many attempts (limit %s, %s %s, account %s, address %s), retry in %d s",
            action,
            request.method,
            request.path,
            user.pk if user is not None else "unknown",
            address,
            seconds,
        )
        access_action = _ACCESS_LOG_ACTION.get(action)
        if access_action is not None:
            actor = identifier or (user.email if user is not None else "")
            log_access(request, access_action, user=user, actor=actor)
    response = render(
        request,
        "429.html",
        {"retry_minutes": math.ceil(seconds / 60)},
        status=HTTPStatus.TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(seconds)
    return response


def handler429(request) -> HttpResponse:
    """allauth's own 429 pages (it looks for ``handler429`` in ROOT_URLCONF): the same answer as ours."""
    match = getattr(request, "resolver_match", None)
    action = _ACTION_OF_PAGE.get(match.url_name if match else "", "")
    identifier = request.POST.get("login", "")[:254] if action == "login" else ""
    return refusal(request, action=action, identifier=identifier)
