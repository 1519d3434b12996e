"""Heartbeats of the Celery worker and beat, for /healthz and for alerting.

Beat sends ``carehub.tasks.heartbeat`` every settings.HEALTH_HEARTBEAT_INTERVAL seconds.
Beat's own heartbeat is written when it publishes that task (Celery's
``before_task_publish`` signal, in beat's process: carehub/celery.py); the worker's is
written when a worker runs it. So a dead beat shows as a stale beat, and a worker that
no longer takes tasks from the queue (dead, stuck, or cut from the broker) as a stale
worker. With beat dead the worker's heartbeat goes stale too: nobody asks it to beat,
read beat's age first.

The embedded scheduler (carehub/scheduler.py) plays beat's part in ``make run``: it
writes beat's heartbeat on each pass and runs the task eagerly, which writes the
worker's. Both are stored in the default cache (Redis in production, shared by every
node; the database cache in the embedded default).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

WORKER = "worker"
BEAT = "beat"
TASK = "carehub.tasks.heartbeat"
#: A heartbeat is kept well past any alert threshold: "stale for 2 hours" tells more than "missing".
KEEP_FOR = 7 * 24 * 3600
#: When this process started: a heartbeat may be missing for a while after a deployment.
PROCESS_STARTED = time.time()


def _key(role: str) -> str:
    return f"heartbeat:{role}"


def record(role: str, at: float | None = None) -> None:
    cache.set(_key(role), time.time() if at is None else at, KEEP_FOR)


def recorded() -> dict[str, float | None]:
    """The time of each role's last heartbeat (None: never seen)."""
    found = cache.get_many([_key(WORKER), _key(BEAT)])
    return {role: found.get(_key(role)) for role in (WORKER, BEAT)}


def expected() -> bool:
    """Whether anything is meant to beat here: a broker (worker and beat processes) or the embedded scheduler.

    Eager Celery without the embedded scheduler (EMBEDDED_SCHEDULER=0 in the embedded default,
    the test suite) runs no periodic job at all: nothing to wait for.
    """
    return bool(settings.EMBEDDED_SCHEDULER or not settings.CELERY_TASK_ALWAYS_EAGER)


@dataclass(frozen=True)
class Heartbeat:
    state: str  # ok, stale, missing, starting (missing within the start-up grace), off (not expected)
    age: int | None  # seconds since the last heartbeat

    @property
    def failing(self) -> bool:
        return self.state in ("stale", "missing")


def assess(at: float | None, *, max_age: int, now: float, is_expected: bool, started: float | None = None) -> Heartbeat:
    started = PROCESS_STARTED if started is None else started
    age = None if at is None else max(0, round(now - at))
    if not is_expected:
        return Heartbeat("off", age)
    if age is not None:
        return Heartbeat("ok" if age <= max_age else "stale", age)
    # Right after start-up (a deployment, a first run) nothing may have beaten yet.
    return Heartbeat("starting" if now - started <= max_age else "missing", None)


def assess_all(now: float | None = None) -> dict[str, Heartbeat]:
    now = time.time() if now is None else now
    at = recorded()
    is_expected = expected()
    return {
        WORKER: assess(at[WORKER], max_age=settings.HEALTH_WORKER_MAX_AGE, now=now, is_expected=is_expected),
        BEAT: assess(at[BEAT], max_age=settings.HEALTH_BEAT_MAX_AGE, now=now, is_expected=is_expected),
    }


def on_publish(sender=None, **kwargs) -> None:
    """Celery's before_task_publish: beat sending the heartbeat task is beat's heartbeat."""
    if sender == TASK:
        record(BEAT)
