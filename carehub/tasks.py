"""The project's own periodic task: the heartbeat that /healthz reads (carehub/heartbeat.py)."""

from celery import shared_task

from . import heartbeat


@shared_task(name=heartbeat.TASK, ignore_result=True)
def heartbeat_task() -> None:
    """Run by a worker: the worker's heartbeat (beat's was written when it sent this task)."""
    heartbeat.record(heartbeat.WORKER)
