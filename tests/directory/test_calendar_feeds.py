"""The on-call calendars as iCalendar feeds: subscribing, renewing, what a feed holds, who may read it."""

import datetime
import re
from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from carehub.models import AccessLog
from directory import services
from directory.models import Assignment, CalendarFeed, Job, OnCallShift, StaffProfile
from tests.conftest import clear_cache
from tests.directory.factories import OnCallShiftFactory
from tests.factories import make_staff

FR = {"HTTP_ACCEPT_LANGUAGE": "fr"}


def today(site):
    return timezone.localdate(timezone=site.zone)


def day(site, offset: int) -> datetime.date:
    return today(site) + datetime.timedelta(days=offset)


def feed_url(token: str) -> str:
    return reverse("directory:calendar_feed", kwargs={"token": token})


def fetch(token: str):
    """What a calendar app gets: no session, the address only."""
    return Client().get(feed_url(token), **FR)


def events(response) -> dict:
    """The feed's events by UID (the feed must parse)."""
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def uid(shift) -> str:
    return f"oncall-{shift.public_id}@carehub"


@pytest.fixture(autouse=True)
def _empty_cache(db):
    clear_cache()  # rate-limit counters and the access log's once-an-hour mark


@pytest.fixture
def site_feed(staff_b, site_a):
    """A colleague of another site (the directory is group-wide) subscribed to site A's roster."""
    return services.calendar_feed_issue(user=staff_b, site=site_a, language="fr")


def issued_url(response) -> str:
    return re.search(r'id="calendar-url"[^>]*value="([^"]+)"', response.content.decode(), re.S).group(1)


# --- What a feed holds --------------------------------------------------------------------------
def test_site_feed_parses_and_holds_the_sites_shifts_of_its_window(site_feed, site_a, site_b, staff_a, staff_b):
    _, token = site_feed
    colleague = make_staff(site_a, email="ide.a@carehub.test", first_name="Inès", last_name="Martin")
    inside = [
        OnCallShiftFactory(site=site_a, user=staff_a, date=day(site_a, -30)),
        OnCallShiftFactory(site=site_a, user=colleague, date=day(site_a, 0)),
        OnCallShiftFactory(site=site_a, user=staff_a, date=day(site_a, 180)),
    ]
    OnCallShiftFactory(site=site_a, user=staff_a, date=day(site_a, -31))
    OnCallShiftFactory(site=site_a, user=staff_a, date=day(site_a, 181))
    OnCallShiftFactory(site=site_b, user=staff_b, date=day(site_b, 0))
    response = fetch(token)
    assert set(events(response)) == {uid(s) for s in inside}


def test_feed_answers_as_a_private_calendar(site_feed):
    response = fetch(site_feed[1])
    assert (response["Content-Type"], "private" in response["Cache-Control"]) == ("text/calendar; charset=utf-8", True)


def test_event_is_an_all_day_entry_of_the_sites_calendar(site_feed, site_a, unit_a, staff_a):
    shift = OnCallShiftFactory(site=site_a, user=staff_a, unit=unit_a, date=day(site_a, 2), note="nuit 20 h - 8 h")
    event = events(fetch(site_feed[1]))[uid(shift)]
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (day(site_a, 2), day(site_a, 3))


def test_summary_is_in_french_by_default(site_feed, site_a, unit_a, staff_a):
    shift = OnCallShiftFactory(site=site_a, user=staff_a, unit=unit_a, date=day(site_a, 1))
    assert str(events(fetch(site_feed[1]))[uid(shift)]["SUMMARY"]) == "Astreinte\u00a0: Hélène Lefèvre (Les Lilas)"


def test_own_shifts_summary_names_the_site(staff_a, site_a):
    _, token = services.calendar_feed_issue(user=staff_a, site=None, language="fr")
    shift = OnCallShiftFactory(site=site_a, user=staff_a, date=day(site_a, 1))
    assert str(events(fetch(token))[uid(shift)]["SUMMARY"]) == "Astreinte — EHPAD Les Tilleuls"


def test_summary_speaks_the_language_the_link_was_made_in(staff_b, site_a, staff_a):
    _, token = services.calendar_feed_issue(user=staff_b, site=site_a, language="en")
    shift = OnCallShiftFactory(site=site_a, user=staff_a, date=day(site_a, 1))
    assert str(events(fetch(token))[uid(shift)]["SUMMARY"]) == "On call: Hélène Lefèvre"


def test_colleague_details_are_those_the_directory_shows_the_subscriber(site_feed, site_a, staff_a):
    StaffProfile.objects.filter(user=staff_a).update(phone_extension="4312", mobile="06 12 34 56 78")
    shift = OnCallShiftFactory(site=site_a, user=staff_a, date=day(site_a, 1), note="nuit")
    description = str(events(fetch(site_feed[1]))[uid(shift)]["DESCRIPTION"])
    # staff_b works at site B: a mobile kept for the colleagues of site A is not theirs to see.
    assert description.splitlines() == ["Aide-soignant(e) (AS)", "Poste\u00a0: 4312", "nuit"]


def test_feed_holds_no_other_sites_data(site_feed, site_a, site_b, staff_a, staff_b, unit_b):
    OnCallShiftFactory(site=site_a, user=staff_a, date=day(site_a, 1))
    OnCallShiftFactory(site=site_b, user=staff_b, unit=unit_b, date=day(site_b, 1), note="Oliviers nuit")
    text = fetch(site_feed[1]).content.decode()
    assert [word for word in ("Oliviers", "Palmiers", "Dupont") if word in text] == []


def test_own_feed_holds_only_the_persons_shifts(staff_a, coordinator_a, site_a, site_b):
    _, token = services.calendar_feed_issue(user=staff_a, site=None, language="fr")
    Assignment.objects.create(user=staff_a, site=site_b)
    mine = [
        OnCallShiftFactory(site=site_a, user=staff_a, date=day(site_a, 1)),
        OnCallShiftFactory(site=site_b, user=staff_a, date=day(site_b, 4)),
    ]
    OnCallShiftFactory(site=site_a, user=coordinator_a, date=day(site_a, 2))
    assert set(events(fetch(token))) == {uid(s) for s in mine}


def test_feed_runs_a_fixed_number_of_queries(site_feed, site_a, settings):
    """The same queries for 1 shift of 1 person as for 40 shifts of 8, measured in one test (the
    first fetch writes the hourly access-log entry and warms the caches; the two measured do not)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    clear_cache()
    people = [make_staff(site_a, email=f"p{n}@carehub.test", last_name=f"Nom{n}") for n in range(8)]
    OnCallShiftFactory(site=site_a, user=people[0], date=day(site_a, 0))
    fetch(site_feed[1])
    with CaptureQueriesContext(connection) as few:
        fetch(site_feed[1])
    for n in range(1, 40):
        OnCallShiftFactory(site=site_a, user=people[n % 8], date=day(site_a, n // 8))
    with CaptureQueriesContext(connection) as many:
        response = fetch(site_feed[1])
    assert (len(events(response)), len(many), len(few) <= 8) == (40, len(few), True), [q["sql"] for q in many]


# --- Changes reach the calendar apps ------------------------------------------------------------
def test_a_changed_shift_gets_a_new_sequence_and_last_modified(site_feed, site_a, unit_a, staff_a):
    shift = OnCallShiftFactory(site=site_a, user=staff_a, date=day(site_a, 1))
    OnCallShift.objects.filter(pk=shift.pk).update(updated_at=timezone.now() - datetime.timedelta(hours=2))
    before = events(fetch(site_feed[1]))[uid(shift)]
    shift.refresh_from_db()
    shift.unit = unit_a
    services.on_call_shift_revise(shift=shift, fields=["unit"])
    clear_cache()
    after = events(fetch(site_feed[1]))[uid(shift)]
    assert (
        after.decoded("SEQUENCE") - before.decoded("SEQUENCE"),
        after.decoded("LAST-MODIFIED") > before.decoded("LAST-MODIFIED"),
    ) == (1, True)


def test_editing_a_shift_in_the_admin_bumps_its_sequence(verified_client, coordinator_a, site_a, staff_a):
    shift = OnCallShiftFactory(site=site_a, user=staff_a, date=day(site_a, 1))
    verified_client(coordinator_a).post(
        reverse("admin:directory_oncallshift_change", args=[shift.pk]),
        {"site": site_a.pk, "date": day(site_a, 1).isoformat(), "user": staff_a.pk, "unit": "", "note": "nuit"},
    )
    shift.refresh_from_db()
    assert (shift.note, shift.sequence) == ("nuit", 1)


# --- Subscribing and renewing -------------------------------------------------------------------
def test_page_gives_the_address_once_and_it_works(verified_client, staff_a, site_a):
    client = verified_client(staff_a)
    response = client.post(reverse("directory:calendar_feed_issue"), {"feed": str(site_a.public_id)}, **FR)
    url = issued_url(response)
    assert Client().get(url).status_code == HTTPStatus.OK


def test_address_is_not_shown_again_nor_stored(verified_client, staff_a, site_a):
    client = verified_client(staff_a)
    url = issued_url(client.post(reverse("directory:calendar_feed_issue"), {"feed": "mine"}, **FR))
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    page = client.get(reverse("directory:calendar_feeds"), **FR).content.decode()
    assert (token in page, CalendarFeed.objects.filter(token_hash=token).exists()) == (False, False)


def test_renewing_stops_the_former_address_at_once(verified_client, staff_a, site_a):
    client = verified_client(staff_a)
    old = issued_url(client.post(reverse("directory:calendar_feed_issue"), {"feed": str(site_a.public_id)}, **FR))
    new = issued_url(client.post(reverse("directory:calendar_feed_issue"), {"feed": str(site_a.public_id)}, **FR))
    assert (Client().get(old).status_code, Client().get(new).status_code) == (HTTPStatus.NOT_FOUND, HTTPStatus.OK)


def test_renewing_keeps_one_feed_per_calendar(verified_client, staff_a, site_a):
    client = verified_client(staff_a)
    for _ in range(2):
        client.post(reverse("directory:calendar_feed_issue"), {"feed": str(site_a.public_id)}, **FR)
    assert CalendarFeed.objects.filter(user=staff_a).count() == 1


def test_removed_feed_answers_404(verified_client, staff_a):
    feed, token = services.calendar_feed_issue(user=staff_a, site=None, language="fr")
    verified_client(staff_a).post(reverse("directory:calendar_feed_delete", args=[feed.public_id]))
    assert fetch(token).status_code == HTTPStatus.NOT_FOUND


def test_unknown_calendar_choice_is_a_clear_400(verified_client, staff_a):
    response = verified_client(staff_a).post(reverse("directory:calendar_feed_issue"), {"feed": "elsewhere"}, **FR)
    assert (response.status_code, "Sélectionnez un choix valide" in response.content.decode()) == (400, True)


def test_roster_page_leads_to_its_subscription(verified_client, staff_a, site_a):
    roster = verified_client(staff_a).get(reverse("directory:oncall_roster", args=[site_a.public_id]), **FR)
    assert f"{reverse('directory:calendar_feeds')}?site={site_a.public_id}" in roster.content.decode()


# --- Rights at each fetch -----------------------------------------------------------------------
def _deactivate(user, site):
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)


def _end_assignment(user, site):
    Assignment.objects.filter(user=user).update(end_date=timezone.localdate() - datetime.timedelta(days=1))


def _close_site(user, site):
    type(site).objects.filter(pk=site.pk).update(is_active=False)


@pytest.mark.parametrize("change", [_deactivate, _end_assignment, _close_site])
def test_site_feed_follows_the_owners_rights_of_today(site_feed, staff_b, site_a, change):
    _, token = site_feed
    assert fetch(token).status_code == HTTPStatus.OK
    change(staff_b, site_a)
    assert fetch(token).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("change", [_deactivate, _end_assignment])
def test_own_feed_follows_the_owners_rights_of_today(staff_a, site_a, change):
    _, token = services.calendar_feed_issue(user=staff_a, site=None, language="fr")
    change(staff_a, site_a)
    assert fetch(token).status_code == HTTPStatus.NOT_FOUND


def test_a_relative_cannot_get_a_link(verified_client, family_user):
    response = verified_client(family_user).post(reverse("directory:calendar_feed_issue"), {"feed": "mine"})
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_wrong_addresses_are_rate_limited(db):
    statuses = [Client().get(feed_url(f"guess{n}")).status_code for n in range(21)]
    assert statuses[-2:] == [HTTPStatus.NOT_FOUND, HTTPStatus.TOO_MANY_REQUESTS]


def test_a_site_feed_read_is_in_the_access_log_once_an_hour(site_feed, staff_b, site_a):
    for _ in range(3):
        fetch(site_feed[1])
    logged = AccessLog.objects.filter(action=AccessLog.Action.EXPORT, query="ical")
    assert list(logged.values_list("user_id", "site_id")) == [(staff_b.pk, site_a.pk)]


def test_nursing_job_is_shown_as_the_directory_names_it(site_feed, site_a):
    nurse = make_staff(site_a, job=Job.NURSE, email="ide2.a@carehub.test", first_name="Inès", last_name="Roux")
    shift = OnCallShiftFactory(site=site_a, user=nurse, date=day(site_a, 1))
    description = str(events(fetch(site_feed[1]))[uid(shift)]["DESCRIPTION"])
    assert description.splitlines()[0] == "Infirmier(ère) (IDE)"
