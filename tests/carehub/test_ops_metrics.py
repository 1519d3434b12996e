"""/metrics: Prometheus's scrape, from allowed addresses only, with CareHub's own metrics."""

import os
import socket
import uuid
from http import HTTPStatus

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from carehub import metrics
from tests.accounts.flows import fresh_client
from tests.messaging.factories import group_with
from tests.messaging.test_consumer import TIMEOUT, connected, receive_type


def _scrape(client=None) -> dict[str, float]:
    response = (client or Client(REMOTE_ADDR="127.0.0.1")).get("/metrics")
    assert response.status_code == HTTPStatus.OK
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


def _value(samples: dict[str, float], prefix: str) -> float:
    return sum(value for name, value in samples.items() if name.startswith(prefix))


def test_prometheus_reads_requests_latency_and_database_from_loopback(db):
    before = _scrape()
    Client(REMOTE_ADDR="127.0.0.1").get("/healthz")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    after = _scrape()
    assert _value(after, "django_http_requests_total_by_method_total") > _value(
        before, "django_http_requests_total_by_method_total"
    )
    assert _value(after, "django_http_requests_latency_seconds_by_view_method_count") > 0
    assert _value(after, "django_db_execute_total") > _value(before, "django_db_execute_total")
    assert _value(after, "django_db_query_duration_seconds_count") > 0


@pytest.mark.parametrize("address", ["10.1.2.3", "203.0.113.9", "2001:db8::1"])
def test_metrics_are_not_found_from_elsewhere(db, address):
    response = Client(REMOTE_ADDR=address).get("/metrics")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"django_http" not in response.content


def test_the_allowed_networks_come_from_the_settings(db, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert Client(REMOTE_ADDR="10.20.3.4").get("/metrics").status_code == HTTPStatus.OK
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == HTTPStatus.NOT_FOUND


def test_a_client_behind_our_proxy_is_judged_by_its_own_address(db, settings):
    """The proxy sits on loopback: what it forwards from the internet is not loopback."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    client = Client(REMOTE_ADDR="127.0.0.1")
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == HTTPStatus.NOT_FOUND
    assert client.get("/metrics").status_code == HTTPStatus.OK


def test_metrics_need_no_account_and_answer_get_only(db):
    assert fresh_client(REMOTE_ADDR="127.0.0.1").post("/metrics").status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_no_queue_length_when_tasks_run_eagerly(db):
    assert not any(name.startswith("carehub_celery") for name in _scrape())


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_broker_that_does_not_answer_is_reported_not_raised(db, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.CELERY_TASK_DEFAULT_QUEUE = "carehub"
    monkeypatch.setattr(metrics, "_queue_collector", metrics.CeleryQueueCollector())
    samples = _scrape()
    assert samples["carehub_celery_broker_up{}"] == 0
    assert not any(name.startswith("carehub_celery_queue_length") for name in samples)


@pytest.mark.redis
def test_the_queue_length_is_read_from_the_broker(db, settings, monkeypatch):
    import redis

    queue = f"metrics-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    monkeypatch.setattr(metrics, "_queue_collector", metrics.CeleryQueueCollector())
    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        broker.rpush(queue, "a", "b", "c")
        samples = _scrape()
    finally:
        broker.delete(queue)
    assert samples[f"carehub_celery_queue_length{{queue={queue}}}"] == 3
    assert samples["carehub_celery_broker_up{}"] == 1


def _sockets_open() -> float:
    return metrics.SOCKETS_OPEN.labels("messaging")._value.get()


def _delivered() -> float:
    return metrics.MESSAGES_DELIVERED._value.get()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_open_sockets_and_delivered_messages_are_counted(staff_a, coordinator_a):
    conversation = await sync_to_async(group_with)(staff_a, coordinator_a)
    opened, delivered = _sockets_open(), _delivered()
    sender, _ = await connected(staff_a)
    reader, _ = await connected(coordinator_a)
    assert _sockets_open() == opened + 2
    await sender.send_json_to(
        {
            "type": "send",
            "conversation": str(conversation.public_id),
            "body": "Bonjour",
            "client_token": str(uuid.uuid4()),
        }
    )
    for comm in (reader, sender):
        await receive_type(comm, "message")
    assert _delivered() == delivered + 2
    for comm in (sender, reader):
        await comm.disconnect(timeout=TIMEOUT)
    assert _sockets_open() == opened
    samples = await sync_to_async(_scrape)()
    assert "carehub_messages_delivered_total{}" in samples
    assert "carehub_sockets_open{consumer=messaging}" in samples
