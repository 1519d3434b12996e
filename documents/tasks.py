"""Celery tasks: thin, idempotent, carrying ids; the work is in previews.py and services.py."""

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(OSError,), max_retries=3, default_retry_delay=30)
def make_preview(version_id: int) -> str:
    from .previews import version_preview_make

    return version_preview_make(version_id=version_id)


@shared_task(acks_late=True)
def purge_bin() -> int:
    """Erase documents whose time in the bin is over (scheduled by CELERY_BEAT_SCHEDULE)."""
    from .services import bin_purge
    from .uploads import partial_cleanup

    partial_cleanup()  # pieces of drag-and-drop uploads abandoned for a day
    return bin_purge()
