"""Celery tasks of background jobs: thin, carrying ids; the work is in services.py and each kind's ``run``."""

from celery import shared_task


@shared_task(acks_late=True)
def run_job(job_id: int) -> str:
    from .services import job_run

    return job_run(job_id=job_id)


@shared_task(acks_late=True)
def purge_expired_jobs() -> int:
    """Delete the result files kept past EXPORTS_KEEP_HOURS (scheduled by CELERY_BEAT_SCHEDULE)."""
    from .services import jobs_purge_expired

    return jobs_purge_expired()
