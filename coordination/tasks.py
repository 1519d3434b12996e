"""Celery tasks of the coordination app: thin, idempotent, re-fetching by id."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def escalate_urgent_note(note_id: int) -> int:
    """Escalate an urgent note if it is due and still unacknowledged (safe to run twice)."""
    return services.urgent_note_escalate(note_id=note_id)


@shared_task(ignore_result=True)
def sweep_urgent_notes() -> int:
    """Safety net run by beat: escalate every due urgent note a lost countdown missed."""
    escalated = 0
    for note_id in services.urgent_notes_due():
        if services.urgent_note_escalate(note_id=note_id):
            escalated += 1
    return escalated
