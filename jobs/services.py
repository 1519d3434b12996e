"""Writes of background jobs: ask for one, run it (on the worker), purge what has expired."""

from __future__ import annotations

import datetime
import hashlib
import json
import logging

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from carehub.access_log import log_access
from carehub.models import AccessLog
from outbox import services as outbox

from . import registry
from .models import Job

logger = logging.getLogger(__name__)

#: Progress is written to the database at most once per this many rows (and at the end).
PROGRESS_EVERY = 200


def _request_key(kind: str, parameters: dict) -> str:
    return hashlib.sha256(json.dumps([kind, parameters], sort_keys=True, default=str).encode()).hexdigest()


def job_submit(*, request, kind: str, parameters: dict, title: str) -> Job:
    """Ask for a job for the request's user, logged like the export it makes; the task runs on commit.

    The same request while an identical job is still queued or running returns that job (no work twice;
    the request is logged all the same).
    The caller has checked ``may_request`` and ``allowed``.
    """
    spec = registry.get(kind)
    key = _request_key(kind, parameters)
    user = request.user
    entry = (
        log_access(request, AccessLog.Action.EXPORT, spec.subject(parameters), query=spec.log_query)
        if spec.log_query
        else None
    )
    running = Job.objects.active().filter(requester=user, request_key=key).first()
    if running is not None:
        return running
    from .tasks import run_job

    try:
        with transaction.atomic():
            job = Job.objects.create(
                requester=user,
                kind=kind,
                parameters={**parameters, registry.LOG_ENTRY: entry.pk if entry else None},
                request_key=key,
                title=title[:255],
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
            outbox.enqueue(run_job, [job.pk], key=f"jobs:run:{job.pk}")
    except IntegrityError:  # the same request, a moment earlier, in another process
        return Job.objects.active().get(requester=user, request_key=key)
    return job


def job_read_log(*, request, job: Job, action: str = AccessLog.Action.DOWNLOAD) -> None:
    """A job about a resident, downloaded or its page opened (it names the resident's file): a read."""
    spec = registry.get(job.kind)
    if spec.log_query:
        log_access(request, action, spec.subject(job.parameters), query=spec.log_query)


class Progress:
    """progress(done, total): writes the job's counters every PROGRESS_EVERY rows (or tenth), and at the end."""

    def __init__(self, job: Job, every: int = PROGRESS_EVERY):
        self.job, self.every, self.written = job, every, -1

    def __call__(self, done: int, total: int | None = None) -> None:
        job = self.job
        if total is not None:
            job.progress_total = total
        job.progress_done = min(done, job.progress_total) if job.progress_total else done
        # Every ``every`` rows, or every tenth of the work if that comes sooner (an archive of a few files).
        every = max(1, min(self.every, job.progress_total // 10))
        if self.written < 0 or job.progress_done - self.written >= every or job.progress_done == job.progress_total:
            Job.objects.filter(pk=job.pk).update(progress_done=job.progress_done, progress_total=job.progress_total)
            self.written = job.progress_done


def _keep_until(now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(hours=settings.EXPORTS_KEEP_HOURS)


def _fail(job: Job, error: str) -> None:
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED, error=error, finished_at=now, expires_at=_keep_until(now)
    )


def job_run(*, job_id: int) -> str:
    """Run a queued job once (a redelivered task finds it started and does nothing). Never raises:
    a failure marks the job failed, with the details in the log and no file offered."""
    started = timezone.now()
    if not Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=started
    ):
        return "skipped"
    job = Job.objects.select_related("requester").get(pk=job_id)
    try:
        return _job_run(job)
    finally:
        private = registry.get(job.kind).private_parameters if registry.known(job.kind) else ()
        if set(private) & set(job.parameters):
            kept = {k: v for k, v in job.parameters.items() if k not in private}
            Job.objects.filter(pk=job.pk).update(parameters=kept)


def _job_run(job: Job) -> str:
    try:
        spec = registry.get(job.kind)
        if not (job.requester.is_active and spec.allowed(job.requester, job.parameters)):
            _fail(job, "not_allowed")
            return "not_allowed"
        with translation.override(job.language or settings.LANGUAGE_CODE):
            result = spec.run(job=job, progress=Progress(job))
        content = ContentFile(result.content) if isinstance(result.content, bytes) else File(result.content)
        job.result_file.save(result.name, content, save=False)
        size = job.result_file.size
        if not isinstance(result.content, bytes):
            result.content.close()
    except Exception:
        logger.exception("background job %s (%s) failed", job.public_id, job.kind)
        if job.result_file:
            job.result_file.delete(save=False)  # no partial file is ever offered
        _fail(job, "failed")
        return "failed"
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.DONE,
        result_file=job.result_file.name,
        result_name=result.name,
        result_content_type=result.content_type,
        result_size=size,
        result_summary=result.summary[:500],
        progress_done=job.progress_total or job.progress_done,
        finished_at=now,
        expires_at=_keep_until(now),
    )
    return "done"


def jobs_purge_expired(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of jobs past their time (the rows stay: the page says "expired"), and mark
    failed the jobs a dead worker left running for longer than files are kept."""
    now = now or timezone.now()
    Job.objects.active().filter(created_at__lt=now - datetime.timedelta(hours=settings.EXPORTS_KEEP_HOURS)).update(
        status=Job.Status.FAILED, error="interrupted", finished_at=now, expires_at=now
    )
    purged = 0
    for job in Job.objects.filter(expires_at__lte=now, purged_at__isnull=True).only("pk", "result_file"):
        if job.result_file:
            job.result_file.delete(save=False)
        Job.objects.filter(pk=job.pk).update(result_file="", purged_at=now)
        purged += 1
    return purged
