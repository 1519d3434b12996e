from celery import shared_task

from . import sessions


@shared_task(name="accounts.tasks.prune_sessions")
def prune_sessions() -> int:
    """Beat, every 6 hours: forget session index entries past the absolute lifetime."""
    return sessions.sessions_prune()


@shared_task(name="accounts.tasks.send_welcome_email", autoretry_for=(OSError,), max_retries=5, default_retry_delay=60)
def send_welcome_email(user_id: int, site_id: int | None = None) -> bool:
    """Queued by staff_create after commit: the welcome e-mail, once ("sending" mark, outbox/services.py)."""
    from directory.models import Site
    from outbox import services as outbox

    from .models import User
    from .staff import welcome_email_send

    user = User.objects.filter(pk=user_id, is_active=True).first()
    key = f"accounts:welcome:{user_id}"
    if user is None or not outbox.mark_begin(key):
        return False
    try:
        welcome_email_send(user=user, site=Site.objects.filter(pk=site_id).first())
    except Exception:
        outbox.mark_abandon(key)
        raise
    outbox.mark_done(key)
    return True
