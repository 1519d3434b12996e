"""The project's own periodic tasks: the heartbeat that /healthz reads (carehub/heartbeat.py), and the
access log's checkpoint (carehub/audit_seal.py)."""

from celery import shared_task

from . import audit_seal, heartbeat


@shared_task(name=heartbeat.TASK, ignore_result=True)
def heartbeat_task() -> None:
    """Run by a worker: the worker's heartbeat (beat's was written when it sent this task)."""
    heartbeat.record(heartbeat.WORKER)


@shared_task(name="carehub.tasks.audit_checkpoint", ignore_result=True)
def audit_checkpoint_task() -> None:
    """Hourly: seal the head of the access log outside the database."""
    audit_seal.checkpoint_write()
