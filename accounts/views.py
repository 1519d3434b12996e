import logging
from functools import wraps

import requests
from allauth.account.decorators import reauthentication_required
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.providers.openid_connect import views as openid_connect_views
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from carehub.access_log import log_access
from carehub.decorators import staff_required
from carehub.models import AccessLog
from carehub.redirects import next_url

from . import services, sessions, throttling
from .adapter import sign_in_failed_page
from .forms import OTPCodeForm, TOTPSetupForm, UnlockForm, UnlockPinForm

logger = logging.getLogger(__name__)

BACKUP_CODES_SESSION_KEY = "carehub_new_backup_codes"


def _replacing_a_second_factor(request) -> bool:
    # Not yet past the current factor: the view sends her to it first (nothing to replace yet).
    return services.two_factor_is_set_up(request.user) and request.user.is_verified()


# Replacing the authenticator or the backup codes hands the account to whoever holds the new
# ones: a borrowed session is not enough, the password is asked again (allauth's reauthentication,
# valid ACCOUNT_REAUTHENTICATION_TIMEOUT seconds). The first set-up, during sign-in, follows the password.
@require_http_methods(["GET", "POST"])
@reauthentication_required(enabled=_replacing_a_second_factor)
def two_factor_setup(request):
    user = request.user
    # Replacing an existing authenticator needs the current one first.
    if services.two_factor_is_set_up(user) and not user.is_verified():
        return redirect("two_factor_verify")
    device = services.pending_totp_device(user=user)
    form = TOTPSetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.two_factor_confirm_setup(request, device=device, code=form.cleaned_data["code"])
        if codes is not None:
            request.session[BACKUP_CODES_SESSION_KEY] = codes
            return redirect("two_factor_backup_codes")
        form.add_error("code", _("This code is not valid. Check the time on your phone and try the newest code."))
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": services.totp_qr_svg(device),
            "secret": services.totp_secret_base32(device),
            "replacing": services.two_factor_is_set_up(user),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    user = request.user
    if not services.two_factor_is_set_up(user):
        return redirect("two_factor_setup")
    if user.is_verified():
        return redirect(next_url(request, "home"))
    backup = (request.POST.get("backup") or request.GET.get("backup")) == "1"
    form = OTPCodeForm(request.POST or None, backup=backup)
    if request.method == "POST" and form.is_valid():
        result = services.two_factor_verify(request, code=form.cleaned_data["code"])
        if result.refused:
            return throttling.refusal(request, action=throttling.TWO_FACTOR, user=user)
        if result.ok:
            if result.used_backup_code:
                messages.warning(
                    request,
                    _(
                        "You signed in with a backup code; it cannot be used again. Generate new codes when few are left."
                    ),
                )
            if services.unlock_pin_wanted(user):
                # The site locks shared tablets: the person chooses the PIN now, once signed in.
                return redirect(_with_next(reverse("unlock_pin"), next_url(request)))
            return redirect(next_url(request, "home"))
        if result.throttled:
            form.add_error("code", _("Too many wrong codes. Wait a moment before trying again."))
        else:
            form.add_error("code", _("This code is not valid or was already used."))
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": next_url(request), "backup": backup},
        status=400 if form.errors else 200,
    )


def _with_next(url: str, next_: str) -> str:
    return f"{url}?{urlencode({'next': next_})}" if next_ else url


def two_factor_backup_codes(request):
    codes = request.session.pop(BACKUP_CODES_SESSION_KEY, None)
    return render(request, "accounts/backup_codes.html", {"codes": codes})


@require_POST
@reauthentication_required
def two_factor_backup_codes_regenerate(request):
    request.session[BACKUP_CODES_SESSION_KEY] = services.backup_codes_generate(user=request.user)
    log_access(request, AccessLog.Action.BACKUP_CODES_REGENERATED)
    return redirect("two_factor_backup_codes")


def security(request):
    """The person's own security page: second factor, backup codes left, recent sign-ins."""
    from django_otp.plugins.otp_static.models import StaticToken

    sign_ins = AccessLog.objects.filter(
        user=request.user,
        action__in=[AccessLog.Action.LOGIN, AccessLog.Action.LOGIN_FAILED, AccessLog.Action.LOGOUT],
    ).only("at", "action", "ip", "user_agent")[:20]
    backup_left = StaticToken.objects.filter(device__user=request.user).count()
    return render(
        request,
        "accounts/security.html",
        {
            "sign_ins": sign_ins,
            "backup_left": backup_left,
            "pin_is_set": services.unlock_pin_is_set(user=request.user),
            "lock_enabled": sessions.lock_enabled_for(request.user),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def unlock_pin(request):
    """Choose or change the PIN that opens this person's locked screen (past the second factor only:
    TwoFactorRequiredMiddleware lets no one here before)."""
    form = UnlockPinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.unlock_pin_set(request, pin=form.cleaned_data["pin"])
        messages.success(request, _("Your PIN is saved. It opens your screen when it locks."))
        return redirect(next_url(request, "account_security"))
    return render(
        request,
        "accounts/unlock_pin.html",
        {
            "form": form,
            "next": next_url(request),
            "pin_is_set": services.unlock_pin_is_set(user=request.user),
            "lock_enabled": sessions.lock_enabled_for(request.user),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def lock(request):
    """The lock screen of a shared tablet: the first name, the PIN, "Changer d'utilisateur". Nothing else:
    no resident, no name list, no message of the pages before."""
    if not sessions.is_locked(request.session):
        return redirect(next_url(request, "home"))
    form = UnlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = sessions.session_unlock(request, pin=form.cleaned_data["pin"])
        if result.unlocked:
            return redirect(next_url(request, "home"))
        if result.ended:
            messages.error(request, _("Too many wrong PINs: sign in again with your password and your code."))
            return redirect("account_login")
        form.add_error(
            "pin",
            ngettext(
                "Wrong PIN. %(count)d try left before you must sign in again.",
                "Wrong PIN. %(count)d tries left before you must sign in again.",
                result.tries_left,
            )
            % {"count": result.tries_left},
        )
    return render(
        request,
        "accounts/lock.html",
        {"form": form, "first_name": request.user.first_name, "next": next_url(request)},
        status=400 if form.errors else 200,
    )


def email_addresses(request):
    """allauth's page to add sign-in addresses is not offered: an address added from a borrowed
    session would receive password-reset links. Staff addresses are set by their coordinator,
    a relative's by the team that invited them."""
    raise Http404


def _answering_provider(view):
    """allauth's OpenID Connect views, with one more case handled: a provider that does not answer
    (its discovery document, its token endpoint) is a clear 400 page, not a 500."""

    @login_not_required
    @wraps(view)
    def wrapped(request, provider_id):
        try:
            return view(request, provider_id)
        except requests.RequestException as exc:
            logger.warning("the identity provider %s does not answer: %r", provider_id, exc)
            # allauth answered 404 for an unknown provider id before any request: this one exists.
            return sign_in_failed_page(request, get_social_adapter().get_provider(request, provider_id).name)

    return wrapped


oidc_login = _answering_provider(openid_connect_views.login)
oidc_callback = _answering_provider(openid_connect_views.callback)
