"""The Celery application. Eager in the embedded default, a Redis broker in production."""

import logging
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehub.settings")

app = Celery("carehub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.before_task_publish.connect
def _beat_heartbeat(sender=None, **kwargs):
    # In beat's process: sending the heartbeat task is beat's own heartbeat (carehub/heartbeat.py).
    from carehub import heartbeat

    heartbeat.on_publish(sender=sender, **kwargs)


@signals.worker_ready.connect
def _drain_outbox(sender=None, **kwargs):
    # A worker back after an outage sends what waited in the outbox at once, not at beat's next minute.
    from django.db import connection

    from outbox import services

    try:
        services.drain()
    except Exception:  # the database may not be up yet: beat's drain follows within a minute
        logging.getLogger(__name__).exception("outbox: drain at worker start failed")
    finally:
        connection.close()  # the pool's processes must not share this process's connection
