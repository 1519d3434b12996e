"""Erasing messages past the retention period (run by tasks)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..models import Message


def messages_purge(*, older_than_days: int, batch_size: int = 500, now=None) -> int:
    """Erase messages older than the retention period, in batches. django-auditlog
    records each deletion (the audit trail of the purge)."""
    if older_than_days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    purged = 0
    while True:
        with transaction.atomic():
            ids = list(
                Message.objects.filter(created_at__lt=cutoff).order_by("id").values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            for message in Message.objects.filter(pk__in=ids):
                message.delete()  # one by one: each deletion lands in the audit trail
            purged += len(ids)
    return purged
