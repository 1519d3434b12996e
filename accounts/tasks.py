from celery import shared_task

from . import sessions


@shared_task(name="accounts.tasks.prune_sessions")
def prune_sessions() -> int:
    """Beat, every 6 hours: forget session index entries past the absolute lifetime."""
    return sessions.sessions_prune()
