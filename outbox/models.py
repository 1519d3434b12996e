"""Work decided in a transaction and done after it: written with the data, handed to the broker after commit.

A request that committed its rows succeeds even when the broker is down: the row
waits here and the drain (beat, every minute, and each worker as it starts) hands
it over when the broker is back. ``key`` is unique, so the same work is queued once.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxTask(models.Model):
    key = models.CharField(_("key"), max_length=200, unique=True)
    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    #: A sender holds the row until then, so two drains never hand it over twice at once.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    #: When the broker accepted it (eager: when it ran); pending while empty.
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("task after commit")
        verbose_name_plural = _("tasks after commit")
        indexes = [models.Index(fields=["due_at"], condition=Q(sent_at__isnull=True), name="outbox_task_pending")]

    def __str__(self):
        return self.key


class SideEffectMark(models.Model):
    """An effect that must happen once (an e-mail): "sending" before it, "done" after it.

    A task redelivered after its worker died finds the mark: done, it does nothing;
    sending for longer than OUTBOX_SENDING_RETRY_AFTER, it tries again (at least once).
    """

    key = models.CharField(_("key"), max_length=200, unique=True)
    sending_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("side effect")
        verbose_name_plural = _("side effects")

    def __str__(self):
        return self.key
