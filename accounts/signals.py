"""Sign-in events go to the hash-chained access log."""

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django_otp.middleware import is_verified

from carehub.access_log import log_access
from carehub.models import AccessLog


@receiver(user_logged_in, dispatch_uid="carehub_log_login")
def _log_login(sender, request, user, **kwargs):
    # OTPMiddleware gave the anonymous request.user its is_verified(); the user
    # just signed in (same request: allauth renders its "signed in" message with
    # the context processors) must have it too, not yet verified.
    if not hasattr(user, "is_verified"):
        user.otp_device = getattr(user, "otp_device", None)
        user.is_verified = functools.partial(is_verified, user)
    log_access(request, AccessLog.Action.LOGIN, user=user)


@receiver(user_logged_out, dispatch_uid="carehub_log_logout")
def _log_logout(sender, request, user, **kwargs):
    if user is not None:
        log_access(request, AccessLog.Action.LOGOUT, user=user)


@receiver(user_login_failed, dispatch_uid="carehub_log_login_failed")
def _log_login_failed(sender, credentials, request=None, **kwargs):
    identifier = (credentials.get("email") or credentials.get("username") or "")[:254]
    user = get_user_model().objects.filter(email__iexact=identifier).first() if identifier else None
    log_access(request, AccessLog.Action.LOGIN_FAILED, user=user, actor=identifier)
