from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .models import Notification


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def send_notification_emails(self, notification_ids: list[int], subject: str, body: str) -> int:
    """E-mail each notice once (``emailed_at`` guards re-delivery on retry)."""
    sent = 0
    pending = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related("user")
    for notification in pending:
        link = f"{settings.SITE_BASE_URL.rstrip('/')}{notification.url}" if notification.url else ""
        text = "\n\n".join(part for part in (body, link) if part)
        try:
            send_mail(subject, text, None, [notification.user.email])
        except OSError as exc:  # SMTP down: try again later, the others too
            raise self.retry(exc=exc) from exc
        Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
        sent += 1
    return sent
