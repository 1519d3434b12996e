"""Prometheus metrics: django-prometheus's (requests, latency, database, cache) and CareHub's own.

Requests and latency come from django-prometheus's two middlewares (first and last in
settings.MIDDLEWARE); the Redis cache from its django-redis backend. Database queries are
counted with Django's own execute wrappers, installed on every new connection, into
django-prometheus's metrics (``django_db_*``): the database engines stay Django's, with
their options (SQLite's transaction mode, PostgreSQL's connection health checks).

Ours: ``carehub_sockets_open`` (open sockets, by consumer), ``carehub_messages_delivered_total``
(messages pushed live to a socket) and, read from the broker at each scrape,
``carehub_celery_queue_length`` (tasks waiting in the default queue; absent when tasks
run eagerly).

Gunicorn and Daphne may run several processes: with PROMETHEUS_MULTIPROC_DIR set (an
empty folder, emptied at each start, shared by a node's processes) prometheus_client
writes each process's values there and /metrics sums them.

/metrics answers only addresses of settings.METRICS_ALLOWED_NETWORKS (the client's
address as carehub/proxies.py finds it), 404 for anyone else.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import prometheus_client
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.db import metrics as db_metrics
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily

from . import proxies

logger = logging.getLogger(__name__)

SOCKETS_OPEN = prometheus_client.Gauge(
    "carehub_sockets_open",
    "WebSocket connections open, by consumer.",
    ["consumer"],
    multiprocess_mode="livesum",
)
MESSAGES_DELIVERED = prometheus_client.Counter(
    "carehub_messages_delivered",
    "Messages pushed live to an open socket (one per receiving socket).",
)

#: Broker reads at scrape time never hold a scrape for long.
BROKER_TIMEOUT = 1.0


def _count_query(execute, sql, params, many, context):
    connection = context["connection"]
    labels = (connection.alias, connection.vendor)
    if many:
        db_metrics.execute_many_total.labels(*labels).inc(len(params))
    db_metrics.execute_total.labels(*labels).inc(len(params) if many else 1)
    try:
        with db_metrics.query_duration_seconds.labels(*labels).time():
            return execute(sql, params, many, context)
    except Exception as exc:
        db_metrics.errors_total.labels(*labels, type(exc).__name__).inc()
        raise


@receiver(connection_created, dispatch_uid="carehub-metrics-db")
def _instrument_connection(sender, connection, **kwargs):
    db_metrics.connections_total.labels(connection.alias, connection.vendor).inc()
    if _count_query not in connection.execute_wrappers:
        # First in the list: ``connection.execute_wrapper()`` blocks opened around us pop the last one.
        connection.execute_wrappers.insert(0, _count_query)


class CeleryQueueCollector:
    """The default queue's length, read from the Redis broker when Prometheus scrapes."""

    def __init__(self):
        self._client = None

    def _redis(self):
        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(
                settings.CELERY_BROKER_URL, socket_timeout=BROKER_TIMEOUT, socket_connect_timeout=BROKER_TIMEOUT
            )
        return self._client

    def collect(self):
        broker = settings.CELERY_BROKER_URL
        if settings.CELERY_TASK_ALWAYS_EAGER or urlsplit(broker).scheme not in ("redis", "rediss", "unix"):
            return
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        up = GaugeMetricFamily("carehub_celery_broker_up", "1 when the broker answered this scrape.")
        try:
            length = self._redis().llen(queue)
        except Exception:
            logger.warning("metrics: the Celery broker did not answer", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        gauge = GaugeMetricFamily("carehub_celery_queue_length", "Tasks waiting in the queue.", labels=["queue"])
        gauge.add_metric([queue], length)
        yield gauge


_queue_collector = CeleryQueueCollector()


def registry() -> prometheus_client.CollectorRegistry:
    """What one scrape reads: this process's metrics, or every process's in multiprocess mode, and the queue."""
    scrape = prometheus_client.CollectorRegistry(auto_describe=False)
    if settings.PROMETHEUS_MULTIPROC_DIR:
        multiprocess.MultiProcessCollector(scrape)
    else:
        scrape.register(prometheus_client.REGISTRY)
    scrape.register(_queue_collector)
    return scrape


@login_not_required
@never_cache
@require_GET
def metrics(request):
    """Prometheus's scrape; unknown to anyone outside METRICS_ALLOWED_NETWORKS."""
    if not proxies.in_networks(
        request.META.get("REMOTE_ADDR", ""), proxies.networks(settings.METRICS_ALLOWED_NETWORKS)
    ):
        raise Http404
    return HttpResponse(
        prometheus_client.generate_latest(registry()), content_type=prometheus_client.CONTENT_TYPE_LATEST
    )
