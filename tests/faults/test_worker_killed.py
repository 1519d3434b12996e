"""A worker killed (SIGKILL) while it sends an escalation e-mail: the task comes back, the e-mail goes once.

The broker is a Redis of the test's own with a visibility timeout of seconds (production:
minutes, carehub/settings.py); the mail server is the test's own, and hangs the first
worker's connection so that the kill lands between the "sending" mark and the e-mail.
"""

import time

import pytest

from notifications.models import Notification
from notifications.services import notify
from notifications.tasks import email_key
from outbox.models import SideEffectMark
from tests.faults.mail_server import MailServer
from tests.processes import celery_broker, celery_worker, output, redis_server, wait_until

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT = 4


def test_a_worker_killed_mid_send_is_redelivered_and_the_email_goes_once(tmp_path, coordinator_a, fault_report):
    with MailServer() as mail_server, redis_server(tmp_path) as broker, celery_broker(broker.url):
        env = {
            "CELERY_BROKER_URL": broker.url,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "OUTBOX_SENDING_RETRY_AFTER": str(VISIBILITY_TIMEOUT - 1),
            "EMAIL_URL": mail_server.url,
            "TESTS_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        }
        mail_server.hang.set()
        with celery_worker(env=env) as first:
            notify(
                users=[coordinator_a],
                kind=Notification.Kind.URGENT_NOTE,
                title="Une note urgente attend",
                url="/",
                email_subject="Une note urgente attend",
            )
            assert wait_until(lambda: mail_server.connections >= 1, timeout=60), output(first)
            first.kill()
            first.wait(timeout=10)
        notice = Notification.objects.get()
        mark = SideEffectMark.objects.get(key=email_key(notice.pk))
        assert (mark.sending_at is not None, mark.done_at, mail_server.messages) == (True, None, [])
        mail_server.answer_again()
        back = time.monotonic()
        with celery_worker(env=env) as second:
            assert wait_until(
                lambda: Notification.objects.filter(pk=notice.pk, emailed_at__isnull=False).exists(), timeout=60
            ), output(second)
            sent_s = time.monotonic() - back
            time.sleep(VISIBILITY_TIMEOUT + 2)  # a second redelivery would have come by now
    fault_report(
        scenario="worker killed while sending an escalation e-mail",
        sent=1,
        acknowledged=1,
        stored=len(mail_server.messages),
        lost=int(not mail_server.messages),
        duplicated=max(0, len(mail_server.messages) - 1),
        recovery_s=sent_s,
    )
    assert len(mail_server.messages) == 1
