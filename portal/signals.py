"""Remember family sessions at sign-in, so that revoking access can end them at once."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from . import services


@receiver(user_logged_in, dispatch_uid="portal_record_family_session")
def _record_family_session(sender, request, user, **kwargs):
    if user.is_family and request is not None and hasattr(request, "session"):
        services.family_session_record(user=user, session_key=request.session.session_key)


@receiver(user_logged_out, dispatch_uid="portal_forget_family_session")
def _forget_family_session(sender, request, user, **kwargs):
    if user is not None and user.is_family and request is not None and hasattr(request, "session"):
        services.family_session_forget(session_key=request.session.session_key)


@receiver(post_save, sender=get_user_model(), dispatch_uid="portal_end_sessions_of_deactivated_family")
def _end_sessions_of_deactivated_family(sender, instance, created, **kwargs):
    # However the account was deactivated (admin, shell, service), its sessions end now.
    if not created and instance.is_family and not instance.is_active:
        services.family_sessions_end(user=instance)
