"""Celery tasks of the outbox."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def drain() -> int:
    """Beat, every minute: hand the broker every row a failed send (broker down) or a countdown left here."""
    sent = services.drain()
    services.purge_sent()
    return sent
