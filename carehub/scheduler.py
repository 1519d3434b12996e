"""The embedded default's Celery beat: runs settings.CELERY_BEAT_SCHEDULE in the serving process.

Without a broker (nothing set: ``make run``) no beat process runs, and eager Celery
ignores countdowns: an urgent note would never be escalated, retention jobs would
never run. One daemon thread per serving process runs the same schedule instead,
when settings.EMBEDDED_SCHEDULER is on (the default without REDIS_URL).

Time is cut into slots of each entry's interval, counted from the epoch (a
minute job owns 12:00:00-12:00:59, an hourly one 12:00-12:59). A process runs an
entry once per slot, and only after claiming that slot in the cache: the
database cache is shared by the processes of one machine (Daphne, Gunicorn
workers), so two of them never run the same job in the same slot. A slot that no
process has claimed yet runs at once when a process starts: a restart does not
delay the sweep of urgent notes.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from carehub import heartbeat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    task: str
    interval: float  # seconds
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


def jobs_from(schedule: dict) -> list[Job]:
    """The beat schedule as jobs, shortest interval first (the urgent sweeps go before the purges)."""
    jobs = []
    for name, entry in schedule.items():
        every = entry["schedule"]
        if isinstance(every, timedelta):
            every = every.total_seconds()
        if not isinstance(every, int | float) or every <= 0:
            # crontab() and solar() need Celery beat itself: the schedule keeps to plain intervals.
            raise ImproperlyConfigured(f"CELERY_BEAT_SCHEDULE[{name!r}]: the schedule must be a number of seconds")
        jobs.append(Job(name, entry["task"], float(every), tuple(entry.get("args", ())), dict(entry.get("kwargs", {}))))
    return sorted(jobs, key=lambda job: (job.interval, job.name))


def run_task(job: Job) -> None:
    """Run the job's Celery task here and now, as a worker would; its exceptions propagate."""
    from carehub.celery import app

    if job.task not in app.tasks:
        app.loader.import_default_modules()  # autodiscovery: every app's tasks module
    app.tasks[job.task].apply(args=job.args, kwargs=job.kwargs, throw=True)


class Scheduler:
    """Decides what is due and runs it; ``clock`` and ``run`` are injectable, the cache is the real one."""

    def __init__(self, jobs: list[Job], *, clock: Callable[[], float] = time.time, run=run_task):
        self.jobs = jobs
        self.clock = clock
        self.run = run
        self._handled_slot: dict[str, int] = {}

    def run_due(self) -> float:
        """Run every job whose current slot this process has not handled; return the seconds until the next slot."""
        self._beat()
        for job in self.jobs:
            slot = int(self.clock() // job.interval)
            if self._handled_slot.get(job.name) == slot:
                continue
            self._handled_slot[job.name] = slot
            if self._claim(job, slot):
                self._run_logged(job)
        now = self.clock()
        return min((((now // job.interval) + 1) * job.interval - now for job in self.jobs), default=60.0)

    def _beat(self) -> None:
        """Beat's heartbeat (carehub/heartbeat.py): this thread plays beat's part. The heartbeat job,
        run here eagerly, writes the worker's."""
        try:
            heartbeat.record(heartbeat.BEAT)
        except Exception:
            logger.exception("scheduler: cannot record the heartbeat (cache unavailable)")

    def _claim(self, job: Job, slot: int) -> bool:
        try:
            return cache.add(f"scheduler:{job.name}:{slot}", 1, timeout=int(job.interval) + 60)
        except Exception:
            logger.exception("scheduler: cannot claim %s (cache unavailable); next slot tries again", job.name)
            return False

    def _run_logged(self, job: Job) -> None:
        try:
            self.run(job)
        except Exception:
            logger.exception("scheduler: %s (%s) failed; next slot tries again", job.name, job.task)


class SchedulerThread(threading.Thread):
    """Runs a Scheduler until stopped, closing its database connections after each pass.

    Once ``loop`` is set (the event loop that serves sockets, see ``asgi_application``),
    each pass runs through that loop's ``sync_to_async``, so that channel-layer sends
    made by the jobs land in the loop that owns the in-memory layer's queues.
    """

    def __init__(self, scheduler: Scheduler):
        super().__init__(name="carehub-scheduler", daemon=True)
        self.scheduler = scheduler
        self.stopping = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None

    def _pass(self) -> float:
        try:
            return self.scheduler.run_due()
        finally:
            connections.close_all()  # this thread's connections only

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                loop = self.loop
                if loop is not None and loop.is_running():
                    wait = asyncio.run_coroutine_threadsafe(sync_to_async(self._pass, thread_sensitive=False)(), loop)
                    wait = wait.result()
                else:
                    wait = self._pass()
            except Exception:  # never let the thread die: urgent notes depend on it
                logger.exception("scheduler: unexpected error")
                wait = 1.0
            self.stopping.wait(max(wait, 0.05))

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.join(timeout)


_thread: SchedulerThread | None = None
_start_lock = threading.Lock()


def start() -> SchedulerThread | None:
    """Start the scheduler once in this process if settings.EMBEDDED_SCHEDULER is on (asgi.py, wsgi.py)."""
    global _thread
    if not settings.EMBEDDED_SCHEDULER:
        return None
    with _start_lock:
        if _thread is None:
            _thread = SchedulerThread(Scheduler(jobs_from(settings.CELERY_BEAT_SCHEDULE)))
            _thread.start()
            logger.info("scheduler: running %d periodic jobs in this process", len(_thread.scheduler.jobs))
    return _thread


def asgi_application(app):
    """Wrap the ASGI application: its first event tells the scheduler thread which loop serves sockets."""

    async def application(scope, receive, send):
        thread = _thread
        if thread is not None and thread.loop is None:
            thread.loop = asyncio.get_running_loop()
        return await app(scope, receive, send)

    return application
