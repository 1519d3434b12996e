"""The optional summary e-mail to relatives: "3 new updates about Marie", never any health content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from carehub.mail import render_subject
from coordination.models import Resident

from . import selectors
from .models import DigestFrequency, FamilyPreferences, SentDigest


@dataclass(frozen=True)
class Period:
    key: str
    start: datetime
    end: datetime


def period_to_send(frequency: str, now: datetime) -> Period | None:
    """The last complete period (yesterday, or last ISO week), once the local send hour has come."""
    local = timezone.localtime(now)
    if local.hour < settings.PORTAL_DIGEST_SEND_HOUR:
        return None
    zone = local.tzinfo
    today = local.date()
    if frequency == DigestFrequency.DAILY:
        day = today - timedelta(days=1)
        start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
        end = datetime.combine(today, datetime.min.time(), tzinfo=zone)
        return Period(f"daily:{day.isoformat()}", start, end)
    if frequency == DigestFrequency.WEEKLY:
        this_monday = today - timedelta(days=today.weekday())
        last_monday = this_monday - timedelta(days=7)
        year, week, _day = last_monday.isocalendar()
        start = datetime.combine(last_monday, datetime.min.time(), tzinfo=zone)
        end = datetime.combine(this_monday, datetime.min.time(), tzinfo=zone)
        return Period(f"weekly:{year}-W{week:02d}", start, end)
    return None


def users_due() -> list[int]:
    """Ids of active family users who asked for a summary e-mail."""
    return list(
        FamilyPreferences.objects.filter(user__is_active=True, user__kind=get_user_model().Kind.FAMILY)
        .exclude(digest=DigestFrequency.OFF)
        .values_list("user_id", flat=True)
    )


def family_digest_send(*, user_id: int, now: datetime | None = None) -> SentDigest | None:
    """Send one person's summary for the last complete period, at most once (SentDigest unique key).

    A period with nothing new is recorded with 0 updates and no e-mail. If the
    mail server fails, the record is rolled back and the next hourly run retries.
    """
    now = now or timezone.now()
    user = get_user_model().objects.filter(pk=user_id, is_active=True, kind=get_user_model().Kind.FAMILY).first()
    if user is None:
        return None
    prefs = FamilyPreferences.objects.filter(user=user).first()
    if prefs is None or prefs.digest == DigestFrequency.OFF:
        return None
    period = period_to_send(prefs.digest, now)
    if period is None or SentDigest.objects.filter(user=user, period=period.key).exists():
        return None
    counts = selectors.news_count_between(user, period.start, period.end)
    residents = {r.pk: r for r in Resident.objects.filter(pk__in=counts)} if counts else {}
    lines = [
        {
            "name": selectors.resident_first_name(residents[pk]),
            "count": n,
            "url": settings.SITE_BASE_URL.rstrip("/")
            + reverse("portal:news", kwargs={"public_id": residents[pk].public_id}),
        }
        for pk, n in sorted(counts.items(), key=lambda item: residents[item[0]].first_name)
        if pk in residents
    ]
    total = sum(line["count"] for line in lines)
    try:
        with transaction.atomic():
            record = SentDigest.objects.create(user=user, period=period.key, update_count=total, sent_at=now)
            if total:
                context = {
                    "user": user,
                    "lines": lines,
                    "total": total,
                    "frequency": prefs.digest,
                    "portal_url": settings.SITE_BASE_URL.rstrip("/") + reverse("portal:home"),
                    "account_url": settings.SITE_BASE_URL.rstrip("/") + reverse("portal:account"),
                }
                with translation.override(settings.LANGUAGE_CODE):
                    subject = render_subject("portal/email/digest_subject.txt", context)
                    body = render_to_string("portal/email/digest_body.txt", context)
                send_mail(subject, body, None, [user.email])
    except IntegrityError:  # another worker sent this period at the same moment
        return None
    return record
