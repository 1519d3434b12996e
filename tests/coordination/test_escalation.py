"""Escalation of urgent notes nobody acknowledged: recipients, delay, idempotency, no health details.

Eager in the embedded run; with a real Celery worker and Redis in the PostgreSQL/Redis run.
"""

import time
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from coordination import services, tasks
from coordination.models import CareNote, SiteCareSettings
from directory.models import Job
from notifications.models import Notification
from outbox import services as outbox
from outbox.models import OutboxTask
from tests.coordination.factories import CareNoteFactory, ResidentFactory, target
from tests.factories import UnitFactory, make_staff
from tests.processes import celery_worker


@pytest.fixture
def team(site_a, unit_a, staff_a, coordinator_a):
    """Who should and should not be told."""
    other_unit = UnitFactory(site=site_a, name="Les Glycines")
    return {
        "author": staff_a,
        "nurse": make_staff(site_a, unit=unit_a, job=Job.NURSE, email="ide@carehub.test"),
        "coordinator": coordinator_a,
        "assistant": make_staff(site_a, unit=unit_a, email="as2@carehub.test"),
        "nurse_elsewhere": make_staff(site_a, unit=other_unit, job=Job.NURSE, email="ide2@carehub.test"),
    }


@pytest.fixture
def resident(site_a, unit_a):
    return ResidentFactory(site=site_a, unit=unit_a, last_name="Secretnom", first_name="Louise")


def _recipients():
    return set(Notification.objects.filter(kind=Notification.Kind.URGENT_NOTE).values_list("user__email", flat=True))


def test_due_urgent_note_escalates_once_to_nurses_and_coordinators(team, resident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note, _ = services.care_note_create(
            author=team["author"],
            resident=resident,
            target=target("chute"),
            data="Chute, saignement du cuir chevelu",
            priority="urgent",
            now=timezone.now() - timedelta(minutes=20),
        )
    # The on-commit task ran eagerly and found the note due.
    assert _recipients() == {"ide@carehub.test", "idec.a@carehub.test"}
    note.refresh_from_db()
    assert note.escalated_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.escalate_urgent_note.delay(note.pk).get() == 0  # idempotent
        tasks.sweep_urgent_notes.delay()
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        text = message.subject + message.body
        assert "Secretnom" not in text and "SECRETNOM" not in text and "saignement" not in text and "Chute" not in text
        assert "Les Lilas" in text  # where, not what
    for title in Notification.objects.values_list("title", flat=True):
        assert "secretnom" not in title.lower() and "saignement" not in title


def test_not_due_yet_then_sweep_escalates(team, resident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note, _ = services.care_note_create(
            author=team["author"], resident=resident, target=target(), data="Douleur thoracique", priority="urgent"
        )
    assert not Notification.objects.exists()  # the countdown has not elapsed
    assert tasks.sweep_urgent_notes.delay().get() == 0
    CareNote.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_urgent_notes.delay().get() == 1
    assert _recipients() == {"ide@carehub.test", "idec.a@carehub.test"}


def test_acknowledged_note_is_not_escalated(team, resident):
    note = CareNoteFactory(
        resident=resident, author=team["author"], priority="urgent", created_at=timezone.now() - timedelta(minutes=30)
    )
    services.care_note_acknowledge(note=note, user=team["assistant"])
    assert services.urgent_note_escalate(note_id=note.pk) == 0
    assert not Notification.objects.exists()


def test_retracted_and_routine_notes_are_not_escalated(team, resident, coordinator_a):
    old = timezone.now() - timedelta(minutes=30)
    routine = CareNoteFactory(resident=resident, author=team["author"], created_at=old)
    retracted = CareNoteFactory(resident=resident, author=team["author"], priority="urgent", created_at=old)
    services.care_note_retract(note=retracted, user=coordinator_a, reason="Mauvais résident")
    assert services.urgent_note_escalate(note_id=routine.pk) == 0
    assert services.urgent_note_escalate(note_id=retracted.pk) == 0
    assert not Notification.objects.exists()


def test_delay_is_a_site_setting_and_enqueued_on_commit(team, resident, site_a, django_capture_on_commit_callbacks):
    SiteCareSettings.objects.create(site=site_a, escalation_delay_minutes=5)
    resident.site.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        note, _ = services.care_note_create(
            author=team["author"], resident=resident, target=target(), data="x", priority="urgent"
        )
    row = OutboxTask.objects.get(key=f"coordination:escalation:{note.pk}")
    assert (row.task, row.args, row.sent_at) == (tasks.escalate_urgent_note.name, [note.pk], None)
    assert row.due_at - note.created_at == pytest.approx(timedelta(minutes=5), abs=timedelta(seconds=2))
    # 6 minutes later it is due with this site's delay: the drain hands it over and it escalates.
    CareNote.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    OutboxTask.objects.filter(pk=row.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    assert outbox.drain() == 1
    assert _recipients() == {"ide@carehub.test", "idec.a@carehub.test"}


def test_old_outage_notes_are_left_to_humans(team, resident):
    CareNoteFactory(
        resident=resident, author=team["author"], priority="urgent", created_at=timezone.now() - timedelta(days=3)
    )
    assert services.urgent_notes_due() == []


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_escalation_by_a_real_worker(team, resident, settings):
    """A Celery worker process, the Redis broker and the test database (committed rows)."""
    note = CareNoteFactory(
        resident=resident, author=team["author"], priority="urgent", created_at=timezone.now() - timedelta(minutes=20)
    )
    queue = f"coordination-test-{uuid.uuid4().hex[:8]}"
    with celery_worker(queue=queue):
        # Twice and the sweep: the claim on the note makes it one escalation.
        tasks.escalate_urgent_note.apply_async((note.pk,), queue=queue)
        tasks.escalate_urgent_note.apply_async((note.pk,), queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and Notification.objects.count() < 2:
            time.sleep(0.5)
        time.sleep(2)  # let the duplicate run
        assert _recipients() == {"ide@carehub.test", "idec.a@carehub.test"}
        assert Notification.objects.count() == 2
        note.refresh_from_db()
        assert note.escalated_at is not None
