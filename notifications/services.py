"""Telling people that something needs them: in-app notices, optionally by e-mail.

E-mails carry no health information: only the title (which must not name a
resident's condition) and a link that requires signing in.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from carehub.queue import enqueue_on_commit

from .models import Notification


@transaction.atomic
def notify(
    *,
    users: Iterable,
    kind: str,
    title: str,
    url: str = "",
    email_subject: str | None = None,
    email_body: str | None = None,
    dedup_key: str = "",
) -> list[Notification]:
    """Create one notice per active user; e-mail them after commit when a subject is given.

    With a ``dedup_key``, a person already notified under that key is skipped,
    so a retried task notifies once.
    """
    recipients = {u.pk: u for u in users if u is not None and u.is_active}
    if dedup_key:
        already = set(
            Notification.objects.filter(user_id__in=recipients, dedup_key=dedup_key).values_list("user_id", flat=True)
        )
        recipients = {pk: u for pk, u in recipients.items() if pk not in already}
    created = Notification.objects.bulk_create(
        [
            Notification(user=user, kind=kind, title=title[:255], url=url[:500], dedup_key=dedup_key)
            for user in recipients.values()
        ],
        ignore_conflicts=bool(dedup_key),
    )
    if email_subject and recipients:
        from .tasks import send_notification_emails

        if dedup_key:  # ignore_conflicts returns no ids: the key finds this run's notices
            ids = list(
                Notification.objects.filter(
                    user_id__in=recipients, dedup_key=dedup_key, emailed_at__isnull=True
                ).values_list("pk", flat=True)
            )
        else:
            ids = [n.pk for n in created]
        enqueue_on_commit(send_notification_emails, ids, email_subject, email_body or "")
    return created


def notification_mark_read(*, user, notification: Notification | None = None) -> int:
    """Mark one notice (or all of a person's notices) as read; returns how many changed."""
    qs = Notification.objects.visible_to(user).unread()
    if notification is not None:
        qs = qs.filter(pk=notification.pk)
    return qs.update(read_at=timezone.now())
