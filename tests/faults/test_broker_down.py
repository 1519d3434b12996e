"""The broker down while urgent work is committed: the request succeeds, the work waits, then happens once.

A Redis of the test's own is the broker (killed and started again on its port: never the
shared one); a real Celery worker on the test database drains the outbox when it starts.
"""

import time
import uuid
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from coordination.models import CareNote
from messaging.models import Message
from notifications.models import Notification
from outbox import services as outbox
from outbox.models import OutboxTask
from tests.coordination.factories import ResidentFactory, default_targets
from tests.messaging.factories import group_with
from tests.processes import celery_broker, celery_worker, output, redis_server, wait_until

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _urgent_note(client, unit, resident):
    data = {
        "target": "chute",
        "data": "Chute dans la chambre, bosse au front.",
        "priority": "urgent",
        "unit": str(unit.public_id),
        "resident": str(resident.public_id),
        "client_token": str(uuid.uuid4()),
    }
    return client.post(reverse("coordination:handover_note_create"), data)


def _urgent_message(client, conversation):
    data = {"body": "Chute de Mme Martin, venir vite", "urgent": "on", "client_token": str(uuid.uuid4())}
    return client.post(reverse("messaging:conversation", kwargs={"public_id": conversation.public_id}), data)


def _escalations():
    return sorted(
        Notification.objects.filter(kind__in=["urgent_note", "urgent_message"]).values_list("kind", "user__email")
    )


def test_urgent_work_survives_the_broker_down_and_is_done_once_when_it_returns(
    tmp_path, settings, verified_client, site_a, unit_a, staff_a, coordinator_a, fault_report
):
    default_targets()
    resident = ResidentFactory(site=site_a, unit=unit_a, last_name="Martin", first_name="Louise")
    conversation = group_with(staff_a, coordinator_a)
    settings.MESSAGING_ESCALATION_DELAY = 2
    client = verified_client(staff_a)
    with redis_server(tmp_path) as broker, celery_broker(broker.url):
        broker.kill()
        note_response = _urgent_note(client, unit_a, resident)
        message_response = _urgent_message(client, conversation)
        assert (note_response.status_code, message_response.status_code) == (HTTPStatus.FOUND, HTTPStatus.FOUND)
        note = CareNote.objects.get()
        message = Message.objects.get(conversation=conversation)
        pending = OutboxTask.objects.filter(sent_at__isnull=True)
        assert sorted(pending.values_list("key", flat=True)) == sorted(
            [f"coordination:escalation:{note.pk}", f"messaging:escalation:{message.pk}"]
        )
        # The broker stays down past the note's delay: both are due when it returns.
        CareNote.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(minutes=20))
        OutboxTask.objects.filter(key=f"coordination:escalation:{note.pk}").update(due_at=timezone.now())
        assert outbox.drain() == 0  # still down: nothing sent, nothing raised
        broker.start()
        back = time.monotonic()
        env = {"CELERY_BROKER_URL": broker.url, "MESSAGING_ESCALATION_DELAY": "2"}
        with celery_worker(env=env) as worker:
            # The worker drains the outbox as it starts; beat's drain would within the minute.
            assert wait_until(lambda: not pending.exists(), timeout=60), output(worker)
            drained_s = time.monotonic() - back
            assert wait_until(
                lambda: (
                    not CareNote.objects.filter(pk=note.pk, escalated_at__isnull=True).exists()
                    and not Message.objects.filter(pk=message.pk, escalated_at__isnull=True).exists()
                ),
                timeout=60,
            ), output(worker)
            told = _escalations()
            assert wait_until(lambda: Notification.objects.filter(emailed_at__isnull=True).count() == 0, timeout=30), (
                output(worker)
            )
            # A second drain and a duplicate of each task change nothing.
            assert outbox.drain() == 0
            from coordination.tasks import escalate_urgent_note
            from messaging.tasks import escalate_urgent_message

            escalate_urgent_note.delay(note.pk)
            escalate_urgent_message.delay(message.pk)
            assert not wait_until(lambda: _escalations() != told, timeout=5)
    fault_report(
        scenario="broker down: urgent note and urgent message, escalated when it returns",
        sent=2,
        acknowledged=[note_response.status_code, message_response.status_code].count(HTTPStatus.FOUND),
        stored=CareNote.objects.count() + Message.objects.filter(conversation=conversation).count(),
        duplicated=len(told) - len(set(told)),
        recovery_s=drained_s,
    )
    assert {kind for kind, _ in told} == {"urgent_note", "urgent_message"}
    assert len(told) == len(set(told))
