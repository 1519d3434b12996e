"""The transactional outbox: ``enqueue`` in the caller's transaction, sent after commit or by the drain.

Delivery is at least once: a row is marked sent when the broker accepted it, and
a drain that dies between the two sends it again. Tasks are therefore idempotent
(they re-check the state they act on, or hold a mark: ``mark_begin``/``mark_done``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import OutboxTask, SideEffectMark

logger = logging.getLogger(__name__)

#: A sender holds a row this long: longer than one hand-over to the broker, however slow.
CLAIM = timedelta(seconds=60)
#: A countdown this short goes to the broker at commit, with its ETA (as long as a worker holds it,
#: far under the visibility timeout); a longer one waits in the table for the drain that finds it due.
BROKER_COUNTDOWN_MAX = 60
#: Rows handed over by one drain at most; the next drain takes the rest.
DRAIN_LIMIT = 500
SENT = "sent"
BUSY = "busy"  # sent already, or another sender holds it
FAILED = "failed"


def enqueue(task, args: Iterable = (), *, key: str, countdown: int = 0) -> None:
    """Queue ``task(*args)`` with the caller's transaction; the same ``key`` twice queues it once.

    After commit it is handed to the broker at once (with a short ``countdown``, as its
    ETA), else by the drain when due; a broker failure is logged, never raised into the request.
    """
    name = task if isinstance(task, str) else task.name
    due = timezone.now() + timedelta(seconds=max(0, countdown))
    OutboxTask.objects.bulk_create(
        [OutboxTask(key=key[:200], task=name, args=list(args), due_at=due)], ignore_conflicts=True
    )
    if countdown <= BROKER_COUNTDOWN_MAX:
        transaction.on_commit(lambda: publish(key=key[:200]), robust=True)


def publish(*, key: str, now: datetime | None = None) -> str:
    """Hand one pending row due by ``now`` to the broker (eager: run it) and mark it sent; SENT, BUSY or FAILED."""
    clock = timezone.now()
    now = now or clock
    eager = current_app.conf.task_always_eager
    # Eager runs at once, ignoring an ETA: there a row waits until due; a broker keeps a short ETA.
    ahead = timedelta(seconds=1 if eager else BROKER_COUNTDOWN_MAX + 1)
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=clock)
    claimed = (
        OutboxTask.objects.filter(free, key=key, sent_at__isnull=True)
        .filter(due_at__lte=now + ahead)
        .update(claimed_until=clock + CLAIM, attempts=F("attempts") + 1)
    )
    if not claimed:
        return BUSY
    row = OutboxTask.objects.get(key=key)
    task = current_app.tasks.get(row.task)
    if task is None:  # renamed or removed by a release: said in the log, kept, and not in the others' way
        OutboxTask.objects.filter(pk=row.pk).update(claimed_until=None, last_error=f"unknown task {row.task}")
        logger.error("outbox: %s names an unknown task %s", key, row.task)
        return BUSY
    try:
        # No publish retries: a request waits for one attempt at most; the drain retries.
        task.apply_async(args=row.args, countdown=max(0, (row.due_at - now).total_seconds()), retry=False)
    except Exception as exc:  # the broker's errors vary with the transport: any of them keeps the row
        if not eager:
            OutboxTask.objects.filter(pk=row.pk).update(claimed_until=None, last_error=repr(exc)[:500])
            logger.warning("outbox: broker did not take %s (%r); the drain retries it", key, exc)
            return FAILED
        # Eager (embedded default): the task ran and failed, as it would have on a worker.
        logger.exception("outbox: task %s failed", key)
    OutboxTask.objects.filter(pk=row.pk).update(sent_at=timezone.now(), claimed_until=None, last_error="")
    return SENT


def drain(*, now: datetime | None = None, limit: int = DRAIN_LIMIT) -> int:
    """Hand over every pending row whose time has come; stop at the first broker failure. Returns how many."""
    now = now or timezone.now()
    keys = list(
        OutboxTask.objects.filter(sent_at__isnull=True, due_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("due_at", "pk")
        .values_list("key", flat=True)[:limit]
    )
    sent = 0
    for key in keys:
        outcome = publish(key=key, now=now)
        if outcome == FAILED:
            break  # the broker is down: the next drain tries again
        sent += outcome == SENT
    return sent


def purge_sent(*, now: datetime | None = None) -> int:
    """Forget rows sent and marks done more than OUTBOX_KEEP_DAYS ago."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.OUTBOX_KEEP_DAYS)
    tasks, _ = OutboxTask.objects.filter(sent_at__lt=cutoff).delete()
    marks, _ = SideEffectMark.objects.filter(done_at__lt=cutoff).delete()
    return tasks + marks


# --- once-only side effects ---------------------------------------------------------------


def mark_begin(key: str, *, now: datetime | None = None) -> bool:
    """Mark ``key`` "sending" before the effect; False when it is done, or being done by a live task.

    A "sending" mark older than OUTBOX_SENDING_RETRY_AFTER belonged to a task whose
    worker died: it is taken over, so the effect happens at least once (twice if
    the dead worker had done it but not yet marked it).
    """
    now = now or timezone.now()
    SideEffectMark.objects.bulk_create([SideEffectMark(key=key)], ignore_conflicts=True)
    stale = now - timedelta(seconds=settings.OUTBOX_SENDING_RETRY_AFTER)
    return bool(
        SideEffectMark.objects.filter(key=key, done_at__isnull=True)
        .filter(Q(sending_at__isnull=True) | Q(sending_at__lt=stale))
        .update(sending_at=now)
    )


def mark_done(key: str) -> None:
    SideEffectMark.objects.filter(key=key).update(done_at=timezone.now())


def mark_abandon(key: str) -> None:
    """The effect failed for sure (the mail server refused): the next attempt may start at once."""
    SideEffectMark.objects.filter(key=key, done_at__isnull=True).update(sending_at=None)
