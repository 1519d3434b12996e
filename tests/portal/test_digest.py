"""The summary e-mail: off by default, daily or weekly, counts only, once per period."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from portal import digests, tasks
from portal.models import DigestFrequency, FamilyPreferences, SentDigest
from tests.portal.factories import ResidentFactory, link, shared_note

PARIS = ZoneInfo("Europe/Paris")
# Wednesday 18 November 2026, 09:00 in Paris: after the default send hour (8).
NOW = datetime(2026, 11, 18, 9, 0, tzinfo=PARIS)
YESTERDAY_NOON = datetime(2026, 11, 17, 12, 0, tzinfo=PARIS)


def prefer(user, digest):
    FamilyPreferences.objects.update_or_create(user=user, defaults={"digest": digest})


def test_off_by_default(family_a, staff_a):
    shared_note(family_a.resident, staff_a, created_at=YESTERDAY_NOON)
    assert digests.family_digest_send(user_id=family_a.user.pk, now=NOW) is None
    assert FamilyPreferences.objects.filter(user=family_a.user).first() is None or (
        FamilyPreferences.objects.get(user=family_a.user).digest == DigestFrequency.OFF
    )
    assert not mail.outbox


def test_daily_summary_counts_yesterdays_shared_news_without_any_health_content(family_a, staff_a):
    prefer(family_a.user, DigestFrequency.DAILY)
    for i in range(3):
        shared_note(
            family_a.resident, staff_a, created_at=YESTERDAY_NOON + timedelta(minutes=i), data=f"Chute sans gravité {i}"
        )
    shared_note(family_a.resident, staff_a, created_at=YESTERDAY_NOON, family_visible=False, data="Interne")
    shared_note(family_a.resident, staff_a, created_at=NOW - timedelta(hours=1), data="Aujourd'hui")  # next period
    shared_note(family_a.resident, staff_a, created_at=YESTERDAY_NOON - timedelta(days=1), data="Avant-hier")
    record = digests.family_digest_send(user_id=family_a.user.pk, now=NOW)
    assert record.period == "daily:2026-11-17" and record.update_count == 3
    (message,) = mail.outbox
    assert message.to == [family_a.user.email]
    text = message.subject + message.body
    assert "3" in message.subject and "Marie" in message.subject
    assert "Chute" not in text and "Interne" not in text and "Durand" not in text
    assert f"/family/r/{family_a.resident.public_id}/" in message.body


def test_the_same_period_is_sent_once(family_a, staff_a):
    prefer(family_a.user, DigestFrequency.DAILY)
    shared_note(family_a.resident, staff_a, created_at=YESTERDAY_NOON)
    assert digests.family_digest_send(user_id=family_a.user.pk, now=NOW) is not None
    assert digests.family_digest_send(user_id=family_a.user.pk, now=NOW + timedelta(hours=3)) is None
    assert len(mail.outbox) == 1
    assert SentDigest.objects.filter(user=family_a.user).count() == 1


def test_nothing_new_records_the_period_without_mail(family_a):
    prefer(family_a.user, DigestFrequency.DAILY)
    record = digests.family_digest_send(user_id=family_a.user.pk, now=NOW)
    assert record.update_count == 0
    assert not mail.outbox


def test_not_before_the_send_hour(family_a, staff_a):
    prefer(family_a.user, DigestFrequency.DAILY)
    shared_note(family_a.resident, staff_a, created_at=YESTERDAY_NOON)
    assert digests.family_digest_send(user_id=family_a.user.pk, now=NOW.replace(hour=6)) is None
    assert not SentDigest.objects.exists()


def test_a_mail_failure_is_retried_next_run(family_a, staff_a, settings):
    prefer(family_a.user, DigestFrequency.DAILY)
    shared_note(family_a.resident, staff_a, created_at=YESTERDAY_NOON)
    settings.EMAIL_BACKEND = "tests.portal.failing_mail.FailingBackend"
    with pytest.raises(ConnectionRefusedError):
        digests.family_digest_send(user_id=family_a.user.pk, now=NOW)
    assert not SentDigest.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert digests.family_digest_send(user_id=family_a.user.pk, now=NOW) is not None
    assert len(mail.outbox) == 1


def test_weekly_summary_covers_last_iso_week_for_several_residents(family_a, staff_a, site_a):
    robert = ResidentFactory(site=site_a, first_name="Robert", last_name="Durand")
    link(family_a.user, robert)
    prefer(family_a.user, DigestFrequency.WEEKLY)
    last_week = datetime(2026, 11, 10, 15, 0, tzinfo=PARIS)  # Tuesday of ISO week 46
    shared_note(family_a.resident, staff_a, created_at=last_week)
    shared_note(robert, staff_a, created_at=last_week)
    shared_note(robert, staff_a, created_at=last_week + timedelta(days=1))
    record = digests.family_digest_send(user_id=family_a.user.pk, now=NOW)
    assert record.period == "weekly:2026-W46" and record.update_count == 3
    body = mail.outbox[0].body
    assert "Marie" in body and "Robert" in body


def test_without_the_news_right_nothing_is_counted(family_a, staff_a):
    prefer(family_a.user, DigestFrequency.DAILY)
    family_a.link.may_see_news = False
    family_a.link.save(update_fields=["may_see_news"])
    shared_note(family_a.resident, staff_a, created_at=YESTERDAY_NOON)
    assert digests.family_digest_send(user_id=family_a.user.pk, now=NOW).update_count == 0
    assert not mail.outbox


def test_beat_task_queues_only_people_who_asked(family_a, family_b):
    prefer(family_a.user, DigestFrequency.DAILY)
    prefer(family_b.user, DigestFrequency.OFF)
    assert digests.users_due() == [family_a.user.pk]
    # Eager Celery in tests: the beat task runs each person's task in process.
    assert tasks.send_family_digests() == 1


def test_inactive_accounts_get_nothing(family_a, staff_a):
    prefer(family_a.user, DigestFrequency.DAILY)
    shared_note(family_a.resident, staff_a, created_at=YESTERDAY_NOON)
    type(family_a.user).objects.filter(pk=family_a.user.pk).update(is_active=False)
    assert digests.users_due() == []
    assert digests.family_digest_send(user_id=family_a.user.pk, now=NOW) is None
