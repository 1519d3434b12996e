"""Celery tasks of messaging: thin, idempotent, re-fetching by id, calling services."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from . import selectors, services
from .models import Membership


@shared_task(bind=True, acks_late=True, max_retries=None)
def escalate_urgent_message(self, message_id: int) -> int:
    """Enqueued on commit with the escalation delay as countdown. Escalates only if
    still unacknowledged when due; the minute sweep is the safety net (lost task,
    eager mode where countdowns do not wait)."""
    from .models import Message

    message = Message.objects.filter(pk=message_id).only("created_at", "escalated_at").first()
    if message is None or message.escalated_at:
        return 0
    due = message.created_at.timestamp() + settings.MESSAGING_ESCALATION_DELAY
    remaining = due - timezone.now().timestamp()
    if remaining > 0:
        if self.request.is_eager:
            return 0  # the sweep escalates it when due
        raise self.retry(countdown=remaining)
    return len(services.urgent_message_escalate(message_id=message_id))


@shared_task(acks_late=True)
def escalate_overdue_urgent_messages() -> int:
    """Beat, every minute: escalate every overdue urgent message nobody acknowledged."""
    return sum(len(services.urgent_message_escalate(message_id=pk)) for pk in services.urgent_messages_overdue())


@shared_task(acks_late=True)
def send_unread_digests() -> int:
    """Beat: e-mail people with messages unread for too long (how many, never what)."""
    user_ids = (
        Membership.objects.filter(
            conversation__kind__in=selectors.DIGEST_KINDS,
            conversation__last_message_id__gt=F("last_read_message_id"),
            user__is_active=True,
        )
        .filter(conversation__last_message_id__gt=F("unread_emailed_upto_id"))
        .values_list("user_id", flat=True)
        .distinct()
    )
    sent = 0
    for user_id in list(user_ids):
        send_unread_digest.delay(user_id)
        sent += 1
    return sent


@shared_task(acks_late=True)
def send_unread_digest(user_id: int) -> int:
    if not get_user_model().objects.filter(pk=user_id, is_active=True).exists():
        return 0
    return services.unread_digest_send(user_id=user_id)


@shared_task(acks_late=True)
def purge_old_messages() -> int:
    """Beat, daily: apply MESSAGING_RETENTION_DAYS (0 keeps everything)."""
    return services.messages_purge(older_than_days=settings.MESSAGING_RETENTION_DAYS)


@shared_task(acks_late=True)
def close_sockets_of_ended_assignments() -> int:
    """Beat, every minute: an assignment that ended at the last midnight sends no event, so the open
    sockets of its person re-check their rights now (each closes if nothing is left), not at their next
    heartbeat. Returns how many people were asked."""
    from carehub import sockets
    from directory.models import Assignment

    today = timezone.localdate()
    ended = Assignment.objects.filter(end_date__gte=today - timedelta(days=1), end_date__lt=today)
    still = Assignment.objects.active().values("user_id")
    people = list(ended.exclude(user_id__in=still).values_list("user_id", flat=True).distinct())
    for user_id in people:
        sockets.send(sockets.person_group(user_id), {"type": sockets.CHECK})
    return len(people)
