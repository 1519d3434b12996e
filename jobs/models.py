"""A long export or import that runs on the Celery worker, for one person, with its progress and result file.

The result lives in the default (media) storage through the storage API only (a
local folder or object storage alike), for EXPORTS_KEEP_HOURS; then the purge
task deletes the file and the page says "expired".
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def result_path(job: Job, filename: str) -> str:
    return f"jobs/{job.public_id}/{filename}"


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A job is its requester's alone: anyone else, group admins included, finds nothing (404)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(requester=user)

    def active(self):
        return self.filter(status__in=Job.ACTIVE_STATUSES)


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("In progress")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    #: What a person is told when a job failed; the details are in the server's log only.
    ERRORS = {
        "failed": _("The file could not be made. Try again; if it fails again, tell your administrator."),
        "not_allowed": _("You no longer have access to these data: the file was not made."),
        "interrupted": _("The work was interrupted before its end. Try again."),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("requested by")
    )
    kind = models.CharField(_("kind"), max_length=64)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    #: kind and parameters, hashed: one running job per person and request (constraint below).
    request_key = models.CharField(max_length=64, editable=False)
    title = models.CharField(_("title"), max_length=255)
    language = models.CharField(max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    result_file = models.FileField(upload_to=result_path, max_length=255, blank=True)
    result_name = models.CharField(max_length=255, blank=True)
    result_content_type = models.CharField(max_length=100, blank=True)
    result_size = models.PositiveBigIntegerField(default=0)
    result_summary = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=32, blank=True, choices=[(key, key) for key in ERRORS])
    created_at = models.DateTimeField(_("requested"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("kept until"), null=True, blank=True, db_index=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "request_key"],
                condition=Q(status__in=["queued", "running"]),
                name="jobs_one_active_job_per_request",
            )
        ]
        indexes = [models.Index(fields=["requester", "-created_at"], name="jobs_requester_recent")]

    def __str__(self):
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("jobs:detail", kwargs={"public_id": self.public_id})

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_expired(self) -> bool:
        return self.purged_at is not None or (self.expires_at is not None and self.expires_at <= timezone.now())

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.DONE and bool(self.result_file) and not self.is_expired

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    @property
    def error_message(self) -> str:
        return str(self.ERRORS.get(self.error, self.ERRORS["failed"])) if self.status == self.Status.FAILED else ""
