from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from outbox import services as outbox

from .models import Notification


def email_key(notification_id: int) -> str:
    return f"notifications:email:{notification_id}"


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def send_notification_emails(self, notification_ids: list[int], subject: str, body: str) -> int:
    """E-mail each notice once: marked "sending" before, "sent" after, checked first.

    Redelivered (its worker died), a notice marked sent is skipped; one still marked
    "sending" after OUTBOX_SENDING_RETRY_AFTER is sent again: at least once, twice
    only if the worker died between the mail server's answer and the mark.
    """
    sent = 0
    pending = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related("user")
    for notification in pending:
        key = email_key(notification.pk)
        if not outbox.mark_begin(key):
            continue  # sent, or being sent by a task that is alive
        link = f"{settings.SITE_BASE_URL.rstrip('/')}{notification.url}" if notification.url else ""
        text = "\n\n".join(part for part in (body, link) if part)
        try:
            send_mail(subject, text, None, [notification.user.email])
        except OSError as exc:  # SMTP down: try again later, the others too
            outbox.mark_abandon(key)
            raise self.retry(exc=exc) from exc
        outbox.mark_done(key)
        Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
        sent += 1
    return sent
