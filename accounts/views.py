from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carehub.access_log import log_access
from carehub.models import AccessLog
from carehub.redirects import next_url

from . import services
from .forms import OTPCodeForm, TOTPSetupForm

BACKUP_CODES_SESSION_KEY = "carehub_new_backup_codes"


@require_http_methods(["GET", "POST"])
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
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.two_factor_verify(request, code=form.cleaned_data["code"])
        if result.ok:
            if result.used_backup_code:
                messages.warning(
                    request,
                    _(
                        "You signed in with a backup code; it cannot be used again. Generate new codes when few are left."
                    ),
                )
            return redirect(next_url(request, "home"))
        if result.throttled:
            form.add_error("code", _("Too many wrong codes. Wait a moment before trying again."))
        else:
            form.add_error("code", _("This code is not valid or was already used."))
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": next_url(request)},
        status=400 if form.errors else 200,
    )


def two_factor_backup_codes(request):
    codes = request.session.pop(BACKUP_CODES_SESSION_KEY, None)
    return render(request, "accounts/backup_codes.html", {"codes": codes})


@require_POST
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
    return render(request, "accounts/security.html", {"sign_ins": sign_ins, "backup_left": backup_left})
