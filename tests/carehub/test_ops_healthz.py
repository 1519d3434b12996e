"""/healthz and the heartbeats of the Celery worker and beat; every check answers within ~2 s."""

import json
import time
from http import HTTPStatus
from pathlib import Path

import pytest
from django.test import Client

from carehub import heartbeat, scheduler
from tests.conftest import clear_cache
from tests.processes import celery_worker, redis_server

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def beating(db, settings, media_root):
    """As in production or `make run`: heartbeats are expected (a broker, or the embedded scheduler)."""
    settings.EMBEDDED_SCHEDULER = True
    settings.HEALTH_BEAT_MAX_AGE = 180
    settings.HEALTH_WORKER_MAX_AGE = 180
    clear_cache()
    yield
    clear_cache()


def _health():
    response = Client(REMOTE_ADDR="127.0.0.1").get("/healthz")
    return response.status_code, json.loads(response.content)


def test_fresh_heartbeats_are_healthy_with_their_ages(beating):
    now = time.time()
    heartbeat.record(heartbeat.BEAT, now - 20)
    heartbeat.record(heartbeat.WORKER, now - 50)
    status, body = _health()
    assert status == HTTPStatus.OK
    assert (body["status"], body["checks"]["beat"], body["checks"]["worker"]) == ("ok", "ok", "ok")
    assert 20 <= body["heartbeats"]["beat"]["age"] < 60
    assert 50 <= body["heartbeats"]["worker"]["age"] < 90


def test_a_stale_beat_answers_503(beating):
    heartbeat.record(heartbeat.BEAT, time.time() - 600)
    heartbeat.record(heartbeat.WORKER, time.time())
    status, body = _health()
    assert (status, body["status"], body["checks"]["beat"]) == (HTTPStatus.SERVICE_UNAVAILABLE, "error", "stale")
    assert body["heartbeats"]["beat"]["age"] >= 600


def test_the_beat_threshold_comes_from_the_settings(beating, settings):
    heartbeat.record(heartbeat.BEAT, time.time() - 100)
    heartbeat.record(heartbeat.WORKER, time.time())
    assert _health()[0] == HTTPStatus.OK
    settings.HEALTH_BEAT_MAX_AGE = 60
    assert _health()[0] == HTTPStatus.SERVICE_UNAVAILABLE


def test_a_missing_beat_answers_503_after_the_start_up_grace(beating, monkeypatch):
    monkeypatch.setattr(heartbeat, "PROCESS_STARTED", time.time() - 10)
    status, body = _health()
    assert (status, body["checks"]["beat"], body["heartbeats"]["beat"]["age"]) == (HTTPStatus.OK, "starting", None)
    monkeypatch.setattr(heartbeat, "PROCESS_STARTED", time.time() - 3600)
    status, body = _health()
    assert (status, body["checks"]["beat"]) == (HTTPStatus.SERVICE_UNAVAILABLE, "missing")


def test_a_stale_worker_is_reported_without_taking_the_node_out(beating):
    heartbeat.record(heartbeat.BEAT, time.time())
    heartbeat.record(heartbeat.WORKER, time.time() - 900)
    status, body = _health()
    assert (status, body["status"], body["checks"]["worker"]) == (HTTPStatus.OK, "degraded", "stale")


def test_one_pass_of_the_embedded_scheduler_writes_both_heartbeats(beating, settings, monkeypatch):
    """`make run`: the scheduler thread plays beat, and runs the heartbeat task as a worker would."""
    monkeypatch.setattr(heartbeat, "PROCESS_STARTED", time.time() - 3600)
    assert _health()[0] == HTTPStatus.SERVICE_UNAVAILABLE
    jobs = [job for job in scheduler.jobs_from(settings.CELERY_BEAT_SCHEDULE) if job.task == heartbeat.TASK]
    assert [job.interval for job in jobs] == [settings.HEALTH_HEARTBEAT_INTERVAL]
    scheduler.Scheduler(jobs).run_due()
    status, body = _health()
    assert (status, body["checks"]["worker"], body["checks"]["beat"]) == (HTTPStatus.OK, "ok", "ok")


def test_media_that_cannot_be_written_answers_503(beating, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be", encoding="utf-8")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "media")},
        },
    }
    status, body = _health()
    assert (status, body["checks"]["media"]) == (HTTPStatus.SERVICE_UNAVAILABLE, "error")


def test_the_media_probe_leaves_nothing_behind(beating, media_root):
    assert _health()[1]["checks"]["media"] == "ok"
    assert list(media_root.rglob("*.probe")) == []


@pytest.fixture
def own_redis(tmp_path):
    """A Redis of this test's own (it gets frozen: never the shared one)."""
    with redis_server(tmp_path) as server:
        yield server


def test_a_hung_redis_answers_503_within_seconds(beating, settings, own_redis):
    caches = settings.CACHES
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": own_redis.url}}
    try:
        heartbeat.record(heartbeat.BEAT)
        heartbeat.record(heartbeat.WORKER)
        assert _health()[0] == HTTPStatus.OK
        own_redis.freeze()  # accepts connections, never answers: the worst case
        started = time.monotonic()
        status, body = _health()
        elapsed = time.monotonic() - started
    finally:
        settings.CACHES = caches  # the fixtures' clean-up talks to the suite's cache, not the frozen one
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert body["checks"]["cache"] == "timeout"
    assert elapsed < 3.5


@pytest.mark.redis
def test_a_real_worker_and_beat_write_their_heartbeats(beating, settings, tmp_path):
    """Celery worker with embedded beat against the Redis broker; then beat's death shows."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    started = time.time()
    beat = ("--beat", "--schedule", str(tmp_path / "beat-schedule"))
    with celery_worker(env={"HEALTH_HEARTBEAT_INTERVAL": "1"}, args=beat):
        deadline = time.monotonic() + 60
        seen = heartbeat.recorded()
        while time.monotonic() < deadline and not all((seen[role] or 0) > started for role in seen):
            time.sleep(0.5)
            seen = heartbeat.recorded()
        assert all((seen[role] or 0) > started for role in seen), seen
        status, body = _health()
        assert (status, body["checks"]["worker"], body["checks"]["beat"]) == (HTTPStatus.OK, "ok", "ok")
    # Worker and beat gone: their heartbeats age; past the thresholds, beat's answers 503.
    settings.HEALTH_BEAT_MAX_AGE = settings.HEALTH_WORKER_MAX_AGE = 1
    time.sleep(2.5)
    status, body = _health()
    assert (status, body["checks"]["beat"], body["checks"]["worker"]) == (
        HTTPStatus.SERVICE_UNAVAILABLE,
        "stale",
        "stale",
    )
