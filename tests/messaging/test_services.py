"""Writes of messaging, as the people using it see their effect."""

import datetime
import uuid

import pytest
from django.core import mail
from django.utils import timezone

from messaging import duty, services, tasks
from messaging.models import Acknowledgement, Conversation, Kind, Membership, Message
from notifications.models import Notification
from tests.factories import make_staff
from tests.messaging.factories import MessageFactory, group_with

pytestmark = pytest.mark.django_db


def send(conversation, sender, body="Mme Martin a chuté en chambre 12", **kwargs):
    kwargs.setdefault("client_token", uuid.uuid4())
    return services.message_send(conversation=conversation, sender=sender, body=body, **kwargs)


def test_send_is_idempotent_on_the_client_token(staff_a, coordinator_a):
    conversation = group_with(staff_a, coordinator_a)
    token = uuid.uuid4()
    first = send(conversation, staff_a, client_token=token)
    again = send(conversation, staff_a, client_token=token)
    assert first.created and not again.created
    assert again.message.pk == first.message.pk
    assert Message.objects.filter(conversation=conversation).count() == 1
    conversation.refresh_from_db()
    assert conversation.last_message_id == first.message.pk


def test_send_refused_to_non_members_and_nothing_saved(staff_a, coordinator_a, staff_b):
    conversation = group_with(staff_a, coordinator_a)
    with pytest.raises(services.NotAllowed):
        send(conversation, staff_b)
    assert not Message.objects.exists()


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_empty_message_refused(staff_a, body):
    conversation = group_with(staff_a)
    with pytest.raises(services.MessagingError) as excinfo:
        send(conversation, staff_a, body=body)
    assert excinfo.value.code == "empty"


def test_size_limit(settings, staff_a):
    settings.MESSAGING_MAX_BODY_CHARS = 50
    conversation = group_with(staff_a)
    with pytest.raises(services.MessagingError) as excinfo:
        send(conversation, staff_a, body="x" * 51)
    assert excinfo.value.code == "too_long"
    assert "51" in excinfo.value.message
    send(conversation, staff_a, body="x" * 50)


def test_rate_limit_per_person(settings, staff_a, coordinator_a):
    settings.MESSAGING_RATE_LIMIT = 3
    settings.MESSAGING_RATE_WINDOW = 60
    conversation = group_with(staff_a, coordinator_a)
    for _ in range(3):
        send(conversation, staff_a)
    with pytest.raises(services.RateLimited) as excinfo:
        send(conversation, staff_a)
    assert excinfo.value.retry_after >= 1
    assert Message.objects.count() == 3
    send(conversation, coordinator_a)  # another person is not slowed down


def test_mark_read_only_moves_forward(staff_a, coordinator_a):
    conversation = group_with(staff_a, coordinator_a)
    m1 = send(conversation, staff_a).message
    m2 = send(conversation, staff_a).message
    conversation.refresh_from_db()
    services.message_mark_read(conversation=conversation, user=coordinator_a, last_id=m2.pk)
    services.message_mark_read(conversation=conversation, user=coordinator_a, last_id=m1.pk)
    assert Membership.objects.get(conversation=conversation, user=coordinator_a).last_read_message_id == m2.pk


def test_unread_counts_and_total(staff_a, coordinator_a):
    from messaging import selectors

    one = group_with(staff_a, coordinator_a)
    two = group_with(staff_a, coordinator_a, title="Deux")
    send(one, staff_a)
    send(one, staff_a)
    send(two, coordinator_a)  # one's own messages are never unread
    send(two, staff_a)
    assert selectors.unread_counts(coordinator_a) == {one.pk: 2, two.pk: 1}
    assert selectors.unread_total(coordinator_a) == 3
    assert selectors.unread_total(staff_a) == 0, "sending reads the conversation up to one's message"


def test_acknowledge_urgent_once(staff_a, coordinator_a):
    conversation = group_with(staff_a, coordinator_a)
    message = send(conversation, staff_a, urgent=True).message
    assert services.message_acknowledge(message=message, user=coordinator_a) is True
    assert services.message_acknowledge(message=message, user=coordinator_a) is False
    assert Acknowledgement.objects.filter(message=message).count() == 1
    with pytest.raises(services.MessagingError):
        services.message_acknowledge(message=message, user=staff_a)


def test_edit_within_window_then_refused(settings, staff_a, coordinator_a):
    conversation = group_with(staff_a, coordinator_a)
    message = send(conversation, staff_a, body="Chambre 12").message
    services.message_edit(message=message, editor=staff_a, body="Chambre 14")
    message.refresh_from_db()
    assert message.body == "Chambre 14" and message.edited_at
    with pytest.raises(services.NotAllowed):
        services.message_edit(message=message, editor=coordinator_a, body="x")
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=6))
    with pytest.raises(services.MessagingError) as excinfo:
        services.message_edit(message=message, editor=staff_a, body="Chambre 16")
    assert excinfo.value.code == "edit_window"
    message.refresh_from_db()
    assert message.body == "Chambre 14"


def test_edit_and_delete_are_in_the_audit_trail(staff_a):
    from auditlog.models import LogEntry

    conversation = group_with(staff_a)
    message = send(conversation, staff_a, body="Texte initial").message
    services.message_edit(message=message, editor=staff_a, body="Texte corrigé")
    services.message_delete(message=message, actor=staff_a)
    message.refresh_from_db()
    assert message.is_deleted and message.body == ""
    entries = LogEntry.objects.get_for_object(message).order_by("pk")
    changes = [e.changes_dict for e in entries]
    assert any(c.get("body") == ["Texte initial", "Texte corrigé"] for c in changes)
    assert any(c.get("body") == ["Texte corrigé", ""] for c in changes)


def test_mentions_notify_members_only(staff_a, coordinator_a, staff_b):
    conversation = group_with(staff_a, coordinator_a)
    handle = f"{coordinator_a.first_name}.{coordinator_a.last_name}".lower()
    from messaging.formatting import handle_of

    handle = handle_of(coordinator_a)
    message = send(conversation, staff_a, body=f"@{handle} peux-tu passer ? @{handle_of(staff_b)}").message
    assert list(message.mentioned.all()) == [coordinator_a]
    notice = Notification.objects.get(user=coordinator_a, kind="mention")
    assert str(conversation.public_id) in notice.url
    assert not Notification.objects.filter(user=staff_b).exists()


def test_member_removal(staff_a, coordinator_a):
    conversation = group_with(staff_a, coordinator_a)
    assert services.conversation_member_remove(conversation=conversation, actor=staff_a, user=coordinator_a)
    assert conversation not in Conversation.objects.visible_to(coordinator_a)
    with pytest.raises(services.NotAllowed):
        send(conversation, coordinator_a)


def test_direct_conversation_is_made_once(staff_a, coordinator_a):
    one = services.conversation_direct_get_or_create(user=staff_a, other=coordinator_a)
    two = services.conversation_direct_get_or_create(user=coordinator_a, other=staff_a)
    assert one == two
    assert one.kind == Kind.DIRECT
    assert set(one.memberships.values_list("user_id", flat=True)) == {staff_a.pk, coordinator_a.pk}
    with pytest.raises(services.NotAllowed):
        services.conversation_direct_get_or_create(user=staff_a, other=staff_a)


# --- duty roles -------------------------------------------------------------------------------


def test_on_call_role_resolves_from_the_roster_at_send_time(site_a, staff_a, coordinator_a):
    from directory.models import Job, OnCallShift
    from directory.selectors import site_today

    nurse = make_staff(site_a, job=Job.NURSE, first_name="Inès")
    OnCallShift.objects.create(site=site_a, date=site_today(site_a), user=nurse)
    role = duty.DutyRole(duty.ON_CALL, site_a)
    result = services.duty_role_message_send(
        sender=staff_a, role=role, body="Besoin d'un avis", client_token=uuid.uuid4(), urgent=False
    )
    message = result.message
    assert list(message.reached.all()) == [nurse]
    assert message.duty_role == role.key and site_a.name in message.duty_role_label
    assert set(message.conversation.memberships.values_list("user_id", flat=True)) == {staff_a.pk, nurse.pk}
    # The next day's roster reaches the next person: nothing is cached.
    OnCallShift.objects.all().delete()
    other = make_staff(site_a, job=Job.NURSE)
    OnCallShift.objects.create(site=site_a, date=site_today(site_a), user=other)
    again = services.duty_role_message_send(
        sender=staff_a, role=role, body="Encore moi", client_token=uuid.uuid4(), urgent=False
    ).message
    assert list(again.reached.all()) == [other]


def test_night_nurse_of_a_unit_and_fallback_to_on_call(site_a, unit_a, staff_a):
    from directory.models import Job, OnCallShift
    from directory.selectors import site_today

    role = duty.DutyRole(duty.NIGHT_NURSE, site_a, unit_a)
    with pytest.raises(services.MessagingError) as excinfo:
        services.duty_role_message_send(sender=staff_a, role=role, body="?", client_token=uuid.uuid4(), urgent=False)
    assert excinfo.value.code == "nobody"
    assert not Message.objects.exists()
    on_call = make_staff(site_a, job=Job.NURSE)
    OnCallShift.objects.create(site=site_a, date=site_today(site_a), user=on_call)
    message = services.duty_role_message_send(
        sender=staff_a, role=role, body="Fièvre", client_token=uuid.uuid4(), urgent=False
    ).message
    assert list(message.reached.all()) == [on_call]
    nurse = make_staff(site_a, unit=unit_a, job=Job.NURSE)
    make_staff(site_a, unit=unit_a, job=Job.CARE_ASSISTANT)
    message = services.duty_role_message_send(
        sender=staff_a, role=role, body="Fièvre", client_token=uuid.uuid4(), urgent=False
    ).message
    assert list(message.reached.all()) == [nurse]


def test_idec_role(site_a, staff_a, coordinator_a):
    role = duty.DutyRole(duty.COORDINATOR, site_a)
    message = services.duty_role_message_send(
        sender=staff_a, role=role, body="Question", client_token=uuid.uuid4(), urgent=False
    ).message
    assert list(message.reached.all()) == [coordinator_a]


def test_role_keys_are_checked_against_what_the_sender_sees(site_a, site_b, unit_a, staff_a, family_user):
    assert duty.role_from_key(f"on_call:{site_a.pk}", user=staff_a).site == site_a
    assert duty.role_from_key(f"night_nurse:{unit_a.pk}", user=staff_a).unit == unit_a
    assert duty.role_from_key("on_call:abc", user=staff_a) is None
    assert duty.role_from_key(f"boss:{site_a.pk}", user=staff_a) is None
    assert duty.role_from_key(f"on_call:{site_a.pk}", user=family_user) is None


# --- escalation, digest, retention --------------------------------------------------------------


def _age(message, **delta):
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - datetime.timedelta(**delta))


def test_urgent_unacknowledged_escalates_to_on_call_once_without_content(
    django_capture_on_commit_callbacks, site_a, staff_a, coordinator_a
):
    from directory.models import Job, OnCallShift
    from directory.selectors import site_today

    on_call = make_staff(site_a, job=Job.NURSE, email="astreinte@carehub.test")
    OnCallShift.objects.create(site=site_a, date=site_today(site_a), user=on_call)
    channel = services.site_channel_get_or_create(site=site_a)
    with django_capture_on_commit_callbacks(execute=True):
        message = send(channel, staff_a, body="Mme Durand désature à 85 %", urgent=True).message
    message.refresh_from_db()
    assert message.escalated_at is None, "eager run before the delay does nothing"
    _age(message, minutes=6)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.escalate_overdue_urgent_messages() == 1
        assert tasks.escalate_overdue_urgent_messages() == 0
        assert tasks.escalate_urgent_message(message.pk) == 0
    message.refresh_from_db()
    assert message.escalated_at is not None
    notice = Notification.objects.get(user=on_call, kind="urgent_message")
    assert notice.url.endswith(f"#m-{message.pk}")
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["astreinte@carehub.test"]
    assert "désature" not in email.body and "Durand" not in email.body and "Durand" not in email.subject


def test_acknowledged_urgent_is_not_escalated(site_a, staff_a, coordinator_a):
    channel = services.site_channel_get_or_create(site=site_a)
    message = send(channel, staff_a, urgent=True).message
    services.message_acknowledge(message=message, user=coordinator_a)
    _age(message, minutes=10)
    assert tasks.escalate_overdue_urgent_messages() == 0
    message.refresh_from_db()
    assert message.escalated_at is None
    assert not Notification.objects.filter(kind="urgent_message").exists()


def test_escalation_without_on_call_goes_to_coordinators(site_a, staff_a, coordinator_a):
    conversation = group_with(staff_a, title="Sans site")
    message = send(conversation, staff_a, urgent=True).message
    _age(message, minutes=6)
    tasks.escalate_urgent_message(message.pk)
    assert Notification.objects.filter(user=coordinator_a, kind="urgent_message").exists()
    # The coordinator can open the group to read it.
    assert conversation in Conversation.objects.visible_to(coordinator_a)


def test_unread_digest_says_how_many_never_what(settings, django_capture_on_commit_callbacks, staff_a, coordinator_a):
    settings.MESSAGING_UNREAD_EMAIL_AFTER = 3600
    conversation = group_with(staff_a, coordinator_a)
    m1 = send(conversation, staff_a, body="Le résident de la 12 refuse son traitement").message
    send(conversation, staff_a, body="Et il a de la fièvre")
    assert tasks.send_unread_digest(coordinator_a.pk) == 0, "not overdue yet"
    _age(m1, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_unread_digests() >= 1
    assert len(mail.outbox) == 1
    assert coordinator_a.email in mail.outbox[0].to
    assert "2" in mail.outbox[0].subject
    assert "traitement" not in mail.outbox[0].body and "fièvre" not in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_unread_digests()
        tasks.send_unread_digest(coordinator_a.pk)
    assert len(mail.outbox) == 1, "once per unread streak"


def test_retention_purge(settings, staff_a):
    from auditlog.models import LogEntry

    conversation = group_with(staff_a)
    old = send(conversation, staff_a, body="ancien").message
    recent = send(conversation, staff_a, body="récent").message
    _age(old, days=400)
    settings.MESSAGING_RETENTION_DAYS = 0
    assert tasks.purge_old_messages() == 0
    settings.MESSAGING_RETENTION_DAYS = 365
    assert tasks.purge_old_messages() == 1
    assert list(Message.objects.all()) == [recent]
    assert LogEntry.objects.filter(object_pk=str(old.pk), action=LogEntry.Action.DELETE).exists()


def test_factories_make_valid_messages(staff_a):
    message = MessageFactory(sender=staff_a, conversation=group_with(staff_a))
    assert message.pk


def test_family_and_resident_threads_reach_the_care_team_list(site_a, unit_a, staff_a, coordinator_a, family_user):
    from messaging import selectors
    from tests.factories import UnitFactory
    from tests.messaging.factories import ResidentFactory

    other_unit = UnitFactory(site=site_a, name="Les Roses")
    elsewhere = make_staff(site_a, unit=other_unit)
    resident = ResidentFactory(site=site_a, unit=unit_a)
    thread = services.family_thread_get_or_create(resident=resident)
    services.family_member_add(conversation=thread, user=family_user)
    listed = set(thread.memberships.values_list("user_id", flat=True))
    assert {staff_a.pk, coordinator_a.pk, family_user.pk} <= listed
    assert elsewhere.pk not in listed, "another unit's staff may open it, but it is not in their list"
    send(thread, family_user, body="Je viendrai voir papa samedi")
    assert selectors.unread_counts(staff_a) == {thread.pk: 1}
    # A resident thread opened by one nurse: the first message puts it in the team's list.
    resident_thread = services.resident_thread_open(resident=resident, user=staff_a)
    send(resident_thread, staff_a, body="Bilan à prévoir")
    assert selectors.unread_counts(coordinator_a).get(resident_thread.pk) == 1


def test_messages_are_numbered_one_by_one_in_their_conversation(staff_a, coordinator_a):
    first = group_with(staff_a, coordinator_a)
    second = group_with(staff_a, coordinator_a)
    numbers = [
        services.message_send(
            conversation=conversation, sender=staff_a, body="x", client_token=uuid.uuid4()
        ).message.seq
        for conversation in (first, second, first, first, second)
    ]
    assert numbers == [1, 1, 2, 3, 2]
