"""Two-factor authentication: setting up TOTP, backup codes, verifying a code; the unlock PIN."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import segno
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.middleware import OTPMiddleware
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from carehub.access_log import log_access
from carehub.models import AccessLog

from . import sessions, throttling
from .external_signin import PROVIDER_DEVICE_NAME
from .models import UnlockPin

TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup"


def two_factor_required(user) -> bool:
    """Staff and coordinators always; families unless the deployment opts out."""
    if not user.is_authenticated:
        return False
    if user.is_family:
        # Optional for families: one who chose to set it up is asked for it.
        return settings.FAMILY_2FA_REQUIRED or two_factor_is_set_up(user)
    return True


def two_factor_is_set_up(user) -> bool:
    """An authenticator or backup codes of one's own (the identity provider's stand-in does not count)."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or StaticDevice.objects.filter(user=user, confirmed=True).exclude(name=PROVIDER_DEVICE_NAME).exists()
    )


def second_factor_passed(user, session) -> bool:
    """Whether a session (of an HTTP request or a socket's scope) passed the second factor it needs.

    Sockets do not go through OTPMiddleware: the same middleware is applied here to a
    request-like object holding the socket's user and session, so the device is read and
    bound to the user exactly as for pages.
    """
    if not two_factor_required(user):
        return True
    if session is None:
        return False
    request = SimpleNamespace(user=user, session=session)
    OTPMiddleware(lambda request: None)(request)
    return request.user.is_verified()


def pending_totp_device(*, user) -> TOTPDevice:
    """The unconfirmed authenticator being set up, made once and reused until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_secret_base32(device: TOTPDevice) -> str:
    from base64 import b32encode

    return b32encode(device.bin_key).decode().rstrip("=")


def totp_qr_svg(device: TOTPDevice) -> str:
    """The provisioning URI as an inline SVG, drawn locally (no external service)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")


@transaction.atomic
def backup_codes_generate(*, user) -> list[str]:
    """Replace the user's backup codes with a fresh set; return them in clear once."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@dataclass
class VerifyResult:
    ok: bool
    throttled: bool = False
    used_backup_code: bool = False
    #: Over the code's rate limit (accounts/throttling.py): the code was not even checked.
    refused: bool = False


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def two_factor_verify(request, *, code: str) -> VerifyResult:
    """Check a TOTP or backup code for request.user and mark the session verified.

    django-otp refuses a TOTP code already used (it remembers the last time step)
    and throttles repeated failures per device; before that, the ``two_factor`` rate limit
    counts attempts per account and per address, a right code taken off again.
    """
    user = request.user
    token = _normalise(code)
    if not token:
        return VerifyResult(ok=False)
    usage = throttling.attempt(request, action=throttling.TWO_FACTOR, user=user)
    if usage is None:
        return VerifyResult(ok=False, refused=True)
    # Backup codes are 8 base32 characters and may, rarely, be all digits:
    # only a 6-digit code is an authenticator code.
    devices = (
        TOTPDevice.objects.devices_for_user(user, confirmed=True)
        if token.isdigit() and len(token) == 6
        else StaticDevice.objects.devices_for_user(user, confirmed=True).exclude(name=PROVIDER_DEVICE_NAME)
    )
    throttled = False
    with transaction.atomic():
        for device in devices.select_for_update():
            allowed, _ = device.verify_is_allowed()
            if not allowed:
                throttled = True
                continue
            if device.verify_token(token):
                otp_login(request, device)
                sessions.session_rotate(request)
                sessions.lock_hint_refresh(request)
                is_backup = isinstance(device, StaticDevice)
                action = AccessLog.Action.BACKUP_CODE_USED if is_backup else AccessLog.Action.TWO_FACTOR_VERIFIED
                log_access(request, action)
                usage.rollback()
                return VerifyResult(ok=True, used_backup_code=is_backup)
    log_access(request, AccessLog.Action.TWO_FACTOR_FAILED)
    return VerifyResult(ok=False, throttled=throttled)


def two_factor_confirm_setup(request, *, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm a new authenticator with a first code; returns fresh backup codes, or None."""
    token = _normalise(code)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=request.user)
        if not token.isdigit() or not device.verify_token(token):
            return None
        # One authenticator per person: a new set-up replaces an older one.
        TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = backup_codes_generate(user=request.user)
    otp_login(request, device)
    sessions.session_rotate(request)
    log_access(request, AccessLog.Action.TWO_FACTOR_SETUP)
    return codes


@transaction.atomic
def two_factor_reset(*, user) -> None:
    """Remove every device: the person sets 2FA up again at next sign-in (coordinator action)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


# --- the unlock PIN of shared tablets ----------------------------------------------------------

PIN_MIN_LENGTH = 6
PIN_MAX_LENGTH = 12


def _is_run(pin: str) -> bool:
    """Each digit one more (or one less) than the one before: 123456, 987654."""
    steps = {(int(b) - int(a)) for a, b in zip(pin, pin[1:], strict=False)}
    return steps in ({1}, {-1})


def _is_repeated_block(pin: str) -> bool:
    """The same few digits over and over: 000000, 121212, 123123."""
    return any(len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size) for size in range(1, len(pin) // 2 + 1))


def unlock_pin_problem(pin: str) -> str | None:
    """Why this PIN is refused (a translated sentence), or None when it will do."""
    if not pin.isascii() or not pin.isdigit():
        return _("The PIN is made of digits only.")
    if not PIN_MIN_LENGTH <= len(pin) <= PIN_MAX_LENGTH:
        return _("The PIN has %(min)d to %(max)d digits.") % {"min": PIN_MIN_LENGTH, "max": PIN_MAX_LENGTH}
    if _is_run(pin) or _is_repeated_block(pin):
        return _("This PIN is too easy to guess (a run or a repeated pattern). Choose another one.")
    return None


@transaction.atomic
def unlock_pin_set(request, *, pin: str) -> None:
    """Set or change the person's PIN (hashed with the password hashers), valid for :func:`unlock_pin_problem`."""
    problem = unlock_pin_problem(pin)
    if problem is not None:
        raise ValueError(problem)
    UnlockPin.objects.update_or_create(user=request.user, defaults={"pin_hash": make_password(pin)})
    log_access(request, AccessLog.Action.PIN_SET)
    sessions.lock_hint_refresh(request)


def unlock_pin_is_set(*, user) -> bool:
    return UnlockPin.objects.filter(user=user).exists()


def unlock_pin_wanted(user) -> bool:
    """A site of the person locks shared tablets and they have no PIN yet: ask for one after the code."""
    return sessions.lock_enabled_for(user) and not unlock_pin_is_set(user=user)
