"""Work after commit on the embedded default (eager Celery): after commit, once; a broker failure never fails the request."""

import uuid
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import staff
from accounts.tasks import send_welcome_email
from coordination.models import CareNote, SiteCareSettings
from directory.models import Job
from messaging.models import Message
from notifications.models import Notification
from notifications.services import notify
from notifications.tasks import email_key, send_notification_emails
from outbox import services as outbox
from outbox.models import OutboxTask, SideEffectMark
from tests.coordination.factories import ResidentFactory, default_targets
from tests.messaging.factories import group_with
from tests.processes import celery_broker, free_port

pytestmark = pytest.mark.django_db


def _new_staff(by, site):
    return staff.staff_create(
        by=by, email="nouvelle@carehub.test", first_name="Inès", last_name="Roux", job=Job.NURSE, site=site
    )


def test_the_work_runs_after_commit_and_not_before(coordinator_a, site_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = _new_staff(coordinator_a, site_a)
        assert mail.outbox == []
    assert [m.to for m in mail.outbox] == [[user.email]]


def test_the_work_is_marked_sent_and_a_later_drain_sends_it_no_more(
    coordinator_a, site_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user = _new_staff(coordinator_a, site_a)
    assert OutboxTask.objects.get(key=f"accounts:welcome:{user.pk}").sent_at is not None
    assert outbox.drain() == 0
    assert len(mail.outbox) == 1


def test_the_same_key_is_queued_once(coordinator_a, site_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = _new_staff(coordinator_a, site_a)
        outbox.enqueue(send_welcome_email, [user.pk, site_a.pk], key=f"accounts:welcome:{user.pk}")
    assert (OutboxTask.objects.count(), len(mail.outbox)) == (1, 1)


def test_rolled_back_work_is_never_sent(coordinator_a, site_a, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        _new_staff(coordinator_a, site_a)
        raise RuntimeError("the request failed after the account was written")
    assert (OutboxTask.objects.count(), len(mail.outbox)) == (0, 0)


def test_a_countdown_waits_in_the_outbox_until_due(staff_a, django_capture_on_commit_callbacks):
    notice = Notification.objects.create(user=staff_a, title="Document à lire")
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue(send_notification_emails, [[notice.pk], "À lire", ""], key="later", countdown=600)
    assert (outbox.drain(), len(mail.outbox)) == (0, 0)
    assert outbox.drain(now=timezone.now() + timedelta(seconds=601)) == 1
    assert len(mail.outbox) == 1


# --- the broker down: a real, unreachable broker URL (nothing listens on the port) ---------------


@pytest.fixture
def broker_down():
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        yield


@pytest.fixture
def resident(site_a, unit_a):
    default_targets()
    return ResidentFactory(site=site_a, unit=unit_a, last_name="Martin", first_name="Louise", room="12")


@pytest.mark.django_db(transaction=True)
def test_an_urgent_note_succeeds_with_the_broker_down_and_waits_in_the_outbox(
    verified_client, site_a, staff_a, unit_a, resident, broker_down
):
    """Committed for real: the after-commit send runs inside the request, as in production."""
    SiteCareSettings.objects.create(site=site_a, escalation_delay_minutes=1)  # short: sent at commit, with its ETA
    data = {
        "target": "chute",
        "data": "Chute dans la chambre, bosse au front.",
        "priority": "urgent",
        "unit": str(unit_a.public_id),
        "resident": str(resident.public_id),
        "client_token": str(uuid.uuid4()),
    }
    response = verified_client(staff_a).post(reverse("coordination:handover_note_create"), data)
    assert response.status_code == HTTPStatus.FOUND
    note = CareNote.objects.get()
    row = OutboxTask.objects.get(key=f"coordination:escalation:{note.pk}")
    assert (row.sent_at, row.attempts, bool(row.last_error)) == (None, 1, True)


@pytest.mark.django_db(transaction=True)
def test_an_urgent_message_succeeds_with_the_broker_down_and_waits_in_the_outbox(
    verified_client, settings, staff_a, coordinator_a, broker_down
):
    settings.MESSAGING_ESCALATION_DELAY = 30  # short: sent at commit, with its ETA
    group = group_with(staff_a, coordinator_a)
    data = {"body": "Chute de M. Martin, venir vite", "urgent": "on", "client_token": str(uuid.uuid4())}
    response = verified_client(staff_a).post(
        reverse("messaging:conversation", kwargs={"public_id": group.public_id}), data
    )
    assert response.status_code == HTTPStatus.FOUND
    message = Message.objects.get(conversation=group)
    row = OutboxTask.objects.get(key=f"messaging:escalation:{message.pk}")
    assert (row.sent_at, row.attempts, bool(row.last_error)) == (None, 1, True)


def test_a_refused_send_is_kept_with_its_error_and_sent_by_the_drain_when_the_broker_is_back(
    coordinator_a, site_a, django_capture_on_commit_callbacks
):
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        with django_capture_on_commit_callbacks(execute=True):
            user = _new_staff(coordinator_a, site_a)
        row = OutboxTask.objects.get()
        assert (row.sent_at, row.attempts, bool(row.last_error), mail.outbox) == (None, 1, True, [])
    # Back to the embedded default: the drain (the scheduler's every minute) runs it, once.
    assert outbox.drain() == 1
    assert [m.to for m in mail.outbox] == [[user.email]]


# --- e-mails idempotent by key: "sending" before, "sent" after, checked first ----------------------


def _notice_by_email(user):
    notify(users=[user], kind="info", title="Document à lire", url="/documents/", email_subject="À lire")
    return Notification.objects.get(user=user)


def test_a_redelivered_email_task_sends_nothing_twice(staff_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = _notice_by_email(staff_a)
    assert send_notification_emails.apply(args=([notice.pk], "À lire", "")).get() == 0
    assert len(mail.outbox) == 1


def test_an_email_marked_sent_is_not_sent_even_if_the_notice_was_not_updated(staff_a):
    notice = _notice_by_email(staff_a)  # not committed: the task has not run
    SideEffectMark.objects.create(key=email_key(notice.pk), sending_at=timezone.now(), done_at=timezone.now())
    assert send_notification_emails.apply(args=([notice.pk], "À lire", "")).get() == 0


def test_an_email_being_sent_by_a_live_task_is_left_to_it(staff_a):
    notice = _notice_by_email(staff_a)
    SideEffectMark.objects.create(key=email_key(notice.pk), sending_at=timezone.now())
    assert send_notification_emails.apply(args=([notice.pk], "À lire", "")).get() == 0


def test_an_email_whose_sender_died_is_sent_again_after_the_retry_delay(staff_a, settings):
    """At least once: the dead worker may or may not have reached the mail server."""
    notice = _notice_by_email(staff_a)
    died = timezone.now() - timedelta(seconds=settings.OUTBOX_SENDING_RETRY_AFTER + 1)
    SideEffectMark.objects.create(key=email_key(notice.pk), sending_at=died)
    assert send_notification_emails.apply(args=([notice.pk], "À lire", "")).get() == 1
    assert SideEffectMark.objects.get(key=email_key(notice.pk)).done_at is not None


# --- the drain: the embedded scheduler's every minute (`make run`), and its clean-up -----------------


def test_the_embedded_scheduler_drains_what_a_refused_send_left(
    coordinator_a, site_a, settings, django_capture_on_commit_callbacks
):
    from carehub import scheduler
    from tests.conftest import clear_cache

    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"), django_capture_on_commit_callbacks(execute=True):
        user = _new_staff(coordinator_a, site_a)
    clear_cache()  # no slot of the scheduler handled yet
    jobs = [job for job in scheduler.jobs_from(settings.CELERY_BEAT_SCHEDULE) if job.task == "outbox.tasks.drain"]
    assert [job.interval for job in jobs] == [60]
    scheduler.Scheduler(jobs).run_due()
    assert [m.to for m in mail.outbox] == [[user.email]]


def test_sent_rows_and_done_marks_are_forgotten_after_the_keep_days_pending_ones_never(staff_a, settings):
    old = timezone.now() - timedelta(days=settings.OUTBOX_KEEP_DAYS + 1)
    OutboxTask.objects.create(key="sent", task="x", due_at=old, sent_at=old)
    OutboxTask.objects.create(key="pending", task="x", due_at=old)
    SideEffectMark.objects.create(key="done", sending_at=old, done_at=old)
    SideEffectMark.objects.create(key="left sending", sending_at=old)
    outbox.purge_sent()
    assert sorted(OutboxTask.objects.values_list("key", flat=True)) == ["pending"]
    assert sorted(SideEffectMark.objects.values_list("key", flat=True)) == ["left sending"]


def test_a_row_naming_an_unknown_task_is_kept_and_does_not_block_the_others(staff_a):
    notice = Notification.objects.create(user=staff_a, title="Document à lire")
    due = timezone.now() - timedelta(minutes=1)
    OutboxTask.objects.create(key="renamed", task="removed.tasks.gone", due_at=due - timedelta(minutes=1))
    OutboxTask.objects.create(
        key="next", task=send_notification_emails.name, args=[[notice.pk], "À lire", ""], due_at=due
    )
    assert (outbox.drain(), len(mail.outbox)) == (1, 1)
    assert OutboxTask.objects.get(key="renamed").last_error == "unknown task removed.tasks.gone"
