"""Sign-in through an outside identity: the group's OpenID Connect provider, or its LDAP directory.

The two rules both paths share, in one place:

- :func:`staff_for_identity`: which EXISTING staff account an outside identity is. First the
  configured claim or attribute (``OIDC_LINK_CLAIM`` / ``LDAP_LINK_ATTRIBUTE``) against the staff
  member's HR identifier (``StaffProfile.external_id``, exact, one match only), else the e-mail
  address (case-insensitive) when the provider says it verified it. No account is ever made here:
  staff accounts are made by coordinators. Relatives' accounts never sign in this way (their
  identity is not the group's: an invitation and a password, accounts/adapter.py), nor inactive ones.
- :func:`second_factor_asserted`: whether the provider vouches for a second factor (``amr``
  holds one of ``OIDC_SECOND_FACTOR_AMR``, or ``acr`` is one of ``OIDC_SECOND_FACTOR_ACR``). If not,
  CareHub's own second factor is asked as after a password (accounts/middleware.py). LDAP never
  vouches for one: a directory bind is a password.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from carehub.access_log import log_access
from carehub.models import AccessLog

from . import sessions, throttling

logger = logging.getLogger(__name__)

#: The django-otp device that stands for "the identity provider checked a second factor". It has
#: no codes (nothing can be typed against it) and only :func:`second_factor_mark_passed` logs a
#: session in with it; accounts.services leaves it out of "has set up two-factor authentication".
PROVIDER_DEVICE_NAME = "identity-provider"


class Refusal(enum.StrEnum):
    UNVERIFIED_EMAIL = "unverified_email"
    UNKNOWN = "unknown"
    AMBIGUOUS = "ambiguous"
    INACTIVE = "inactive"
    FAMILY = "family"


#: What the refused person reads (they did prove who they are to the provider: saying why helps).
REFUSAL_MESSAGES = {
    Refusal.UNVERIFIED_EMAIL: _(
        "Your identity provider did not confirm your e-mail address, so CareHub cannot tell which "
        "staff account is yours."
    ),
    Refusal.UNKNOWN: _(
        "No CareHub staff account matches this identity. Staff accounts are created by your site's "
        "coordinator: ask them to create yours, with the e-mail address of your professional account."
    ),
    Refusal.AMBIGUOUS: _(
        "Several CareHub staff accounts match this identity. Ask your site's coordinator to correct the HR identifiers."
    ),
    Refusal.INACTIVE: _("This CareHub account is deactivated. Ask your site's coordinator."),
    Refusal.FAMILY: _(
        "This sign-in is for the group's staff. Relatives sign in with their e-mail address and password."
    ),
}


class SignInRefused(Exception):
    def __init__(self, reason: Refusal, *, actor: str = "", user=None):
        super().__init__(reason)
        self.reason = reason
        self.actor = actor
        self.user = user


def _usable(user, *, actor: str):
    if user.is_family:
        raise SignInRefused(Refusal.FAMILY, actor=actor, user=user)
    if not user.is_active:
        raise SignInRefused(Refusal.INACTIVE, actor=actor, user=user)
    return user


def staff_for_identity(*, email: str = "", email_verified: bool = False, link_value: str = ""):
    """The active staff user this outside identity is; raises :class:`SignInRefused` otherwise."""
    users = get_user_model().objects
    actor = (email or link_value)[:254]
    if link_value:
        matches = list(users.filter(staff_profile__external_id=link_value)[:2])
        if len(matches) > 1:
            raise SignInRefused(Refusal.AMBIGUOUS, actor=actor)
        if matches:
            return _usable(matches[0], actor=actor)
    if not email:
        raise SignInRefused(Refusal.UNKNOWN, actor=actor)
    if not email_verified:
        raise SignInRefused(Refusal.UNVERIFIED_EMAIL, actor=actor)
    user = users.filter(email__iexact=email).first()
    if user is None:
        raise SignInRefused(Refusal.UNKNOWN, actor=actor)
    return _usable(user, actor=actor)


def account_still_usable(user) -> None:
    """An identity linked earlier: the account it leads to must still be active staff."""
    _usable(user, actor=user.email)


def second_factor_asserted(claims: Mapping) -> str:
    """What in the ID token says the provider checked a second factor ("amr=mfa", "acr=eidas2"), or "".

    ``amr`` (RFC 8176) lists the methods used; ``acr`` names a level the deployment trusts as two
    factors (Pro Santé Connect: eidas2 for e-CPS or CPS card, eidas3).
    """
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = amr.split()
    for method in amr:
        if method in settings.OIDC_SECOND_FACTOR_AMR:
            return f"amr={method}"
    acr = claims.get("acr")
    if isinstance(acr, str) and acr in settings.OIDC_SECOND_FACTOR_ACR:
        return f"acr={acr}"
    return ""


@transaction.atomic
def second_factor_mark_passed(request, *, provider: str, asserted: str) -> None:
    """The session of ``request.user`` passed its second factor at the provider: verified, as after
    a code (new session id, logged with what the provider said)."""
    device, _created = StaticDevice.objects.update_or_create(
        user=request.user,
        name=PROVIDER_DEVICE_NAME,
        defaults={"confirmed": True},
    )
    otp_login(request, device)
    sessions.session_rotate(request)
    sessions.lock_hint_refresh(request)
    logger.info("second factor asserted by %s (%s) for user %s", provider, asserted, request.user.pk)
    log_access(request, AccessLog.Action.TWO_FACTOR_VERIFIED, device)


def refused_response(request, refused: SignInRefused, *, provider: str) -> HttpResponse:
    """The page a refused outside sign-in gets: 403 with the reason, counted and logged as a failed
    sign-in (the ``login_failed`` limits, per address and per identity, as for a wrong password)."""
    key = f"{provider}:{refused.actor.casefold()}"
    if throttling.attempt(request, action="login_failed", key=key) is None:
        return throttling.refusal(request, action="login_failed", key=key, identifier=refused.actor)
    logger.warning("sign-in through %s refused (%s) for %s", provider, refused.reason, refused.actor or "unknown")
    log_access(request, AccessLog.Action.LOGIN_FAILED, user=refused.user, actor=refused.actor)
    return render(
        request,
        "accounts/external_signin_refused.html",
        {"provider": provider, "message": REFUSAL_MESSAGES[refused.reason]},
        status=403,
    )
