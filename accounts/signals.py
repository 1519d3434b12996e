"""Sign-in events go to the hash-chained access log; the session index follows sign-in and sign-out."""

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from django_otp.middleware import is_verified

from carehub.access_log import log_access
from carehub.models import AccessLog

from . import sessions


def _session_key(request) -> str | None:
    session = getattr(request, "session", None)
    if session is None:
        return None
    if not session.session_key:
        session.save()
    return session.session_key


@receiver(user_logged_in, dispatch_uid="carehub_log_login")
def _log_login(sender, request, user, **kwargs):
    # OTPMiddleware gave the anonymous request.user its is_verified(); the user
    # just signed in (same request: allauth renders its "signed in" message with
    # the context processors) must have it too, not yet verified.
    if not hasattr(user, "is_verified"):
        user.otp_device = getattr(user, "otp_device", None)
        user.is_verified = functools.partial(is_verified, user)
    log_access(request, AccessLog.Action.LOGIN, user=user)
    if request is not None:
        sessions.session_record(user=user, session_key=_session_key(request))


@receiver(user_logged_out, dispatch_uid="carehub_log_logout")
def _log_logout(sender, request, user, **kwargs):
    if user is not None:
        log_access(request, AccessLog.Action.LOGOUT, user=user)
    session = getattr(request, "session", None)
    sessions.session_forget(user=user, session_key=session.session_key if session is not None else None)


@receiver(user_login_failed, dispatch_uid="carehub_log_login_failed")
def _log_login_failed(sender, credentials, request=None, **kwargs):
    identifier = (credentials.get("email") or credentials.get("username") or "")[:254]
    user = get_user_model().objects.filter(email__iexact=identifier).first() if identifier else None
    log_access(request, AccessLog.Action.LOGIN_FAILED, user=user, actor=identifier)


@receiver(post_save, sender=get_user_model(), dispatch_uid="accounts_end_sessions_of_deactivated_account")
def _end_sessions_of_deactivated_account(sender, instance, created, **kwargs):
    # However the account was deactivated (a service, the admin form, the shell), its
    # sessions and sockets end now.
    if not created and not instance.is_active:
        sessions.sessions_end(user=instance)
