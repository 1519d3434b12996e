"""The Celery application. Eager in the embedded default, a Redis broker in production."""

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
