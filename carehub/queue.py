"""Celery tasks queued once the transaction commits, without failing the request on a broker outage.

With Redis (the broker) down or hung, sending a task raises after the broker timeouts (settings,
"Cache, channel layer, Celery"). The change it follows is committed by then: raising would only
answer a 500 for saved work (and skip the other on-commit callbacks). The failure is logged; the
periodic sweeps escalate urgent notes and messages that were not queued.
"""

from __future__ import annotations

import logging

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnreachable

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args, countdown: int | None = None) -> None:
    """``task.apply_async(args)`` after commit; a broker that cannot be reached is logged, not raised."""

    def send() -> None:
        try:
            task.apply_async(args, countdown=countdown)
        except BrokerUnreachable:
            logger.error("broker unreachable: task %s not queued", task.name)

    transaction.on_commit(send)
