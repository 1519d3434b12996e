"""The embedded scheduler (carehub/scheduler.py): what runs when, with an injected clock and the real cache."""

import asyncio
import logging
import time
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from celery.schedules import crontab
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from carehub import scheduler
from carehub.scheduler import Job, Scheduler, SchedulerThread, jobs_from
from directory.models import Job as StaffJob
from notifications.models import Notification
from tests.coordination.factories import CareNoteFactory, ResidentFactory
from tests.factories import make_staff

MINUTE = 60.0
#: Some moment 10 seconds into a minute, far from the real clock: slots no real run has claimed.
START = 1_000_000 * MINUTE + 10


class Clock:
    def __init__(self, now: float = START):
        self.now = now

    def __call__(self) -> float:
        return self.now


class Recorder:
    """Stands for a task: records each run (a job named "broken…" raises)."""

    def __init__(self):
        self.runs: list[str] = []

    def __call__(self, job: Job) -> None:
        self.runs.append(job.name)
        if job.name.startswith("broken"):
            raise RuntimeError("the database went away")


def job(prefix: str = "job", interval: float = MINUTE) -> Job:
    """A job with a name of its own: cache keys left by another test never match it."""
    return Job(name=f"{prefix}-{uuid.uuid4().hex[:8]}", task="carehub.tests.nothing", interval=interval)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def recorder():
    return Recorder()


def test_the_jobs_are_the_beat_schedule_of_production():
    assert {j.name for j in jobs_from(settings.CELERY_BEAT_SCHEDULE)} == set(settings.CELERY_BEAT_SCHEDULE)


def test_the_shortest_intervals_run_first():
    intervals = [j.interval for j in jobs_from(settings.CELERY_BEAT_SCHEDULE)]
    assert intervals == sorted(intervals)


def test_a_timedelta_schedule_is_a_number_of_seconds():
    entry = {"task": "t", "schedule": timedelta(hours=6)}
    assert jobs_from({"purge": entry})[0].interval == 6 * 3600


def test_a_crontab_schedule_is_refused():
    with pytest.raises(ImproperlyConfigured, match="purge"):
        jobs_from({"purge": {"task": "t", "schedule": crontab(hour=3)}})


@pytest.mark.django_db
def test_a_job_runs_as_soon_as_the_scheduler_starts(clock, recorder):
    minute = job()
    Scheduler([minute], clock=clock, run=recorder).run_due()
    assert recorder.runs == [minute.name]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("seconds_later", "runs"),
    [
        pytest.param(45, 1, id="once-in-its-interval"),
        pytest.param(50, 2, id="again-in-the-next-interval"),  # START is 10 s into a minute
    ],
)
def test_a_job_runs_once_per_interval(clock, recorder, seconds_later, runs):
    runner = Scheduler([job()], clock=clock, run=recorder)
    runner.run_due()
    clock.now += seconds_later
    runner.run_due()
    assert len(recorder.runs) == runs


@pytest.mark.django_db
def test_two_processes_run_a_job_once_in_its_interval(clock, recorder):
    """Two serving processes on one machine share the cache: only one claims the slot."""
    minute = job()
    Scheduler([minute], clock=clock, run=recorder).run_due()
    Scheduler([minute], clock=clock, run=recorder).run_due()
    assert recorder.runs == [minute.name]


@pytest.mark.django_db
def test_a_restarted_process_does_not_rerun_a_job_within_its_interval(clock, recorder):
    daily = job(interval=24 * 3600)
    Scheduler([daily], clock=clock, run=recorder).run_due()
    clock.now += 3600
    Scheduler([daily], clock=clock, run=recorder).run_due()
    assert recorder.runs == [daily.name]


@pytest.mark.django_db
def test_run_due_returns_the_wait_until_the_next_slot(clock, recorder):
    clock.now = 1_000_000 * MINUTE + 45
    assert Scheduler([job(), job(interval=3600)], clock=clock, run=recorder).run_due() == 15


@pytest.mark.django_db
def test_a_failing_job_is_logged(clock, recorder, caplog):
    broken = job("broken")
    with caplog.at_level(logging.ERROR, logger="carehub.scheduler"):
        Scheduler([broken], clock=clock, run=recorder).run_due()
    assert [r.getMessage() for r in caplog.records] == [
        f"scheduler: {broken.name} (carehub.tests.nothing) failed; next slot tries again"
    ]


@pytest.mark.django_db
def test_a_failing_job_does_not_stop_the_others(clock, recorder):
    broken, sweep = job("broken"), job("sweep")
    Scheduler([broken, sweep], clock=clock, run=recorder).run_due()
    assert recorder.runs == [broken.name, sweep.name]


@pytest.mark.django_db
def test_a_failed_job_is_tried_again_in_the_next_interval(clock, recorder):
    broken = job("broken")
    runner = Scheduler([broken], clock=clock, run=recorder)
    runner.run_due()
    clock.now += MINUTE
    runner.run_due()
    assert recorder.runs == [broken.name, broken.name]


@pytest.mark.django_db
def test_the_default_runner_runs_the_celery_task(site_a, unit_a, staff_a, clock, django_capture_on_commit_callbacks):
    """The sweep of the beat schedule, run by name: a due urgent note is escalated to the unit's nurse."""
    make_staff(site_a, unit=unit_a, job=StaffJob.NURSE, email="ide@carehub.test")
    resident = ResidentFactory(site=site_a, unit=unit_a)
    CareNoteFactory(
        resident=resident, author=staff_a, priority="urgent", created_at=timezone.now() - timedelta(minutes=20)
    )
    sweep = Job(name=f"sweep-{uuid.uuid4().hex[:8]}", task="coordination.tasks.sweep_urgent_notes", interval=MINUTE)
    with django_capture_on_commit_callbacks(execute=True):
        Scheduler([sweep], clock=clock).run_due()
    assert set(Notification.objects.values_list("user__email", flat=True)) == {"ide@carehub.test"}


def test_the_scheduler_is_off_in_the_test_settings():
    assert scheduler.start() is None


def _wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_the_thread_runs_the_jobs_until_stopped(recorder):
    minute = job()
    thread = SchedulerThread(Scheduler([minute], run=recorder))
    thread.start()
    try:
        _wait_until(lambda: recorder.runs)
    finally:
        thread.stop()
    assert (recorder.runs, thread.is_alive()) == ([minute.name], False)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_jobs_run_through_the_loop_that_serves_sockets(monkeypatch):
    """The in-memory channel layer belongs to the serving loop: a job's channel sends must go there."""
    loops = []

    async def where_am_i():
        loops.append(asyncio.get_running_loop())

    thread = SchedulerThread(Scheduler([job()], run=lambda _: async_to_sync(where_am_i)()))
    monkeypatch.setattr(scheduler, "_thread", thread)

    async def app(scope, receive, send):
        return None

    await scheduler.asgi_application(app)({"type": "http"}, None, None)  # the first request tells the loop
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not loops and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        await asyncio.to_thread(thread.stop)
    assert loops == [asyncio.get_running_loop()]
