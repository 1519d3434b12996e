"""Sites page, site detail, on-call roster and its selectors, exports."""

import csv
import datetime
import io
from http import HTTPStatus

import pytest
import vobject
from django.urls import reverse
from django.utils import timezone

from carehub.models import AccessLog
from directory.models import Job, OnCallShift, StaffProfile
from directory.selectors import on_call_for
from tests.directory.factories import OnCallShiftFactory, bulk_staff
from tests.factories import SiteFactory, UnitFactory, make_staff


def today(site):
    return timezone.localdate(timezone=site.zone)


# --- Sites page ---------------------------------------------------------------------------------
def test_sites_page_lists_sites_units_leads_and_on_call(verified_client, staff_b, site_a, site_b, unit_a, staff_a):
    unit_a.nurse_station_phone = "04 72 00 11 22"
    unit_a.save()
    idec = make_staff(site_a, job=Job.NURSE_COORDINATOR, coordinator=True, first_name="Claire", last_name="Idec")
    OnCallShiftFactory(site=site_a, user=staff_a, date=today(site_a), note="nuit")
    OnCallShiftFactory(site=site_a, user=idec, date=today(site_a) + datetime.timedelta(days=1))
    response = verified_client(staff_b).get(reverse("directory:sites"))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert site_a.name in html and site_b.name in html
    assert site_a.phone in html and site_a.address in html
    assert "Les Lilas" in html and "04 72 00 11 22" in html
    assert "Claire Idec" in html
    main = html[html.index("<main") :]
    section_a = main[main.index(f">{site_a.name}</a>") : main.index(f">{site_b.name}</a>")]
    assert "Hélène Lefèvre" in section_a and "nuit" in section_a
    assert section_a.count("Claire Idec") == 1  # lead, not on call today


def test_inactive_site_is_not_listed(verified_client, staff_a):
    closed = SiteFactory(name="EHPAD Fermé", is_active=False)
    response = verified_client(staff_a).get(reverse("directory:sites"))
    assert closed.name not in response.content.decode()
    detail = verified_client(staff_a).get(reverse("directory:site_detail", args=[closed.public_id]))
    assert detail.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("per_site", [5, 250])
def test_sites_and_site_pages_run_a_fixed_number_of_queries(
    verified_client, staff_a, site_a, site_b, django_assert_max_num_queries, per_site
):
    for n in range(3):
        site = SiteFactory(name=f"Site {per_site}-{n}")
        UnitFactory(site=site, name="Unité 1")
        UnitFactory(site=site, name="Unité 2")
        make_staff(site, job=Job.SITE_DIRECTOR, coordinator=True, email=f"dir{n}@t.test")
        OnCallShiftFactory(site=site, user=staff_a, date=today(site))
    bulk_staff(site_a, per_site, prefix="membre")
    client = verified_client(staff_a)
    client.get(reverse("directory:sites"))
    with django_assert_max_num_queries(26):
        assert client.get(reverse("directory:sites")).status_code == HTTPStatus.OK
    with django_assert_max_num_queries(26):
        response = client.get(reverse("directory:site_detail", args=[site_a.public_id]))
    assert response.content.decode().count("Membre") >= per_site
    for name in ("site_vcards", "site_csv"):
        with django_assert_max_num_queries(26):
            assert client.get(reverse(f"directory:{name}", args=[site_a.public_id])).status_code == HTTPStatus.OK


def test_site_detail_lists_the_people_working_there(verified_client, staff_b, site_a, staff_a, coordinator_a):
    response = verified_client(staff_b).get(reverse("directory:site_detail", args=[site_a.public_id]))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "LEFÈVRE Hélène" in html and "Claire" in html
    assert "Marc" not in html.split("<table")[1]


# --- On-call selectors ---------------------------------------------------------------------------
def test_on_call_for_uses_the_sites_own_day(site_b, staff_b):
    """Cayenne is 4 or 5 hours behind Paris: its "today" is its own calendar day."""
    local_today = today(site_b)
    OnCallShiftFactory(site=site_b, user=staff_b, date=local_today)
    other = make_staff(site_b, email="other.b@t.test")
    OnCallShiftFactory(site=site_b, user=other, date=local_today + datetime.timedelta(days=1))
    assert on_call_for(site=site_b) == [staff_b]
    assert on_call_for(site=site_b, on=local_today + datetime.timedelta(days=1)) == [other]
    assert on_call_for(site=site_b, on=local_today - datetime.timedelta(days=1)) == []


def test_on_call_for_at_the_edge_of_the_day(site_b, staff_b, monkeypatch):
    # 02:30 UTC is still the previous evening in Cayenne (UTC-3).
    moment = datetime.datetime(2026, 3, 10, 2, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    OnCallShiftFactory(site=site_b, user=staff_b, date=datetime.date(2026, 3, 9))
    assert on_call_for(site=site_b) == [staff_b]


def test_on_call_for_skips_deactivated_accounts(site_a, staff_a):
    OnCallShiftFactory(site=site_a, user=staff_a, date=today(site_a))
    staff_a.is_active = False
    staff_a.save()
    assert on_call_for(site=site_a) == []


# --- On-call roster page -------------------------------------------------------------------------
def _roster_url(site):
    return reverse("directory:oncall_roster", args=[site.public_id])


def test_coordinator_fills_the_roster(verified_client, coordinator_a, staff_a, site_a, unit_a):
    client = verified_client(coordinator_a)
    day = today(site_a) + datetime.timedelta(days=2)
    response = client.post(
        _roster_url(site_a), {"date": day.isoformat(), "user": staff_a.pk, "unit": unit_a.pk, "note": "20h-8h"}
    )
    assert response.status_code == HTTPStatus.FOUND
    shift = OnCallShift.objects.get()
    assert (shift.site, shift.user, shift.date, shift.unit, shift.note, shift.created_by) == (
        site_a,
        staff_a,
        day,
        unit_a,
        "20h-8h",
        coordinator_a,
    )
    page = client.get(_roster_url(site_a)).content.decode()
    assert "Hélène Lefèvre" in page and "20h-8h" in page
    # The same person twice on the same day: a clear error, nothing added.
    again = client.post(_roster_url(site_a), {"date": day.isoformat(), "user": staff_a.pk})
    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert OnCallShift.objects.count() == 1


def test_roster_refuses_past_days_and_people_of_other_sites(
    verified_client, coordinator_a, staff_b, staff_a, site_a, unit_b
):
    client = verified_client(coordinator_a)
    past = client.post(
        _roster_url(site_a), {"date": (today(site_a) - datetime.timedelta(days=1)).isoformat(), "user": staff_a.pk}
    )
    assert past.status_code == HTTPStatus.BAD_REQUEST
    stranger = client.post(_roster_url(site_a), {"date": today(site_a).isoformat(), "user": staff_b.pk})
    assert stranger.status_code == HTTPStatus.BAD_REQUEST
    wrong_unit = client.post(
        _roster_url(site_a), {"date": today(site_a).isoformat(), "user": staff_a.pk, "unit": unit_b.pk}
    )
    assert wrong_unit.status_code == HTTPStatus.BAD_REQUEST
    assert not OnCallShift.objects.exists()


def test_staff_read_the_roster_but_cannot_change_it(verified_client, staff_a, staff_b, site_a):
    client = verified_client(staff_a)
    page = client.get(_roster_url(site_a))
    assert page.status_code == HTTPStatus.OK
    assert '<form method="post" class="card"' not in page.content.decode()
    response = client.post(_roster_url(site_a), {"date": today(site_a).isoformat(), "user": staff_a.pk})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not OnCallShift.objects.exists()


def test_coordinator_of_another_site_cannot_fill_this_roster(verified_client, site_a, site_b, staff_a):
    coordinator_b = make_staff(site_b, coordinator=True, job=Job.NURSE_COORDINATOR, email="idec.b@t.test")
    response = verified_client(coordinator_b).post(
        _roster_url(site_a), {"date": today(site_a).isoformat(), "user": staff_a.pk}
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not OnCallShift.objects.exists()


def test_removing_an_entry(verified_client, coordinator_a, staff_a, site_a):
    upcoming = OnCallShiftFactory(site=site_a, user=staff_a, date=today(site_a) + datetime.timedelta(days=1))
    past = OnCallShiftFactory(site=site_a, user=staff_a, date=today(site_a) - datetime.timedelta(days=1))
    assert (
        verified_client(staff_a).post(reverse("directory:oncall_delete", args=[upcoming.public_id])).status_code == 403
    )
    client = verified_client(coordinator_a)
    assert client.post(reverse("directory:oncall_delete", args=[upcoming.public_id])).status_code == HTTPStatus.FOUND
    assert not OnCallShift.objects.filter(pk=upcoming.pk).exists()
    client.post(reverse("directory:oncall_delete", args=[past.public_id]))
    assert OnCallShift.objects.filter(pk=past.pk).exists()  # past days stay as a record


# --- Exports ----------------------------------------------------------------------------------
def test_person_vcard_parses_with_vobject(verified_client, staff_b, staff_a, site_a):
    profile = staff_a.staff_profile
    profile.phone_extension = "3012"
    profile.mobile = "06 12 34 56 78"
    profile.mobile_visibility = StaffProfile.MobileVisibility.GROUP
    profile.save()
    response = verified_client(staff_b).get(reverse("directory:profile_vcard", args=[staff_a.public_id]))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/vcard")
    assert "attachment" in response["Content-Disposition"]
    cards = list(vobject.readComponents(response.content.decode()))
    assert len(cards) == 1
    card = cards[0]
    assert card.fn.value == "Hélène Lefèvre"
    assert (card.n.value.family, card.n.value.given) == ("Lefèvre", "Hélène")
    assert card.email.value == "aide.a@carehub.test"
    assert card.org.value[0] == site_a.name
    phones = {(t.value, tuple(t.params.get("TYPE", []))) for t in card.contents["tel"]}
    assert ("3012", ("WORK", "VOICE")) in phones
    assert ("06 12 34 56 78", ("CELL", "VOICE")) in phones
    assert card.uid.value == f"urn:uuid:{staff_a.public_id}"


def test_site_vcards_parse_and_respect_mobile_rules(verified_client, staff_b, site_a, staff_a):
    people = bulk_staff(site_a, 4, prefix="équipe")  # private mobiles (site visibility)
    response = verified_client(staff_b).get(reverse("directory:site_vcards", args=[site_a.public_id]))
    assert response.status_code == HTTPStatus.OK
    cards = list(vobject.readComponents(response.content.decode()))
    assert len(cards) == 5
    assert {c.fn.value for c in cards} >= {"Hélène Lefèvre", f"{people[0].first_name} {people[0].last_name}"}
    assert all("CELL" not in str(c.serialize()) for c in cards)  # staff of site B: no private mobile
    own = verified_client(staff_a).get(reverse("directory:site_vcards", args=[site_a.public_id]))
    assert sum("CELL" in c.serialize() for c in vobject.readComponents(own.content.decode())) == 4
    entry = AccessLog.objects.filter(action=AccessLog.Action.EXPORT).order_by("-id").first()
    assert entry.user == staff_a and entry.site_id == site_a.pk


def test_site_csv(verified_client, staff_a, site_a):
    evil = make_staff(site_a, first_name='=HYPERLINK("http://x")', last_name="Evil", email="evil@t.test")
    evil.staff_profile.mobile = "+33 6 00 00 00 00"
    evil.staff_profile.save()
    response = verified_client(staff_a).get(reverse("directory:site_csv", args=[site_a.public_id]))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 3
    by_last = {row[0]: row for row in rows[1:]}
    assert by_last["Lefèvre"][1] == "Hélène" and by_last["Lefèvre"][3] == site_a.name
    assert by_last["Evil"][1].startswith("'=")  # no formula runs in a spreadsheet
    assert by_last["Evil"][6] == "+33 6 00 00 00 00"  # a phone number stays a phone number
    assert AccessLog.objects.filter(action=AccessLog.Action.EXPORT, user=staff_a, query="csv").exists()


def test_exports_refused_to_families(verified_client, family_user, site_a):
    client = verified_client(family_user)
    for name in ("site_vcards", "site_csv"):
        # Addressed by an id: a family gets 404, as for a site that does not exist.
        assert client.get(reverse(f"directory:{name}", args=[site_a.public_id])).status_code == HTTPStatus.NOT_FOUND


def test_sites_page_filters_and_pages(verified_client, staff_a, site_a, site_b, settings):
    settings.DIRECTORY_SITES_PAGE_SIZE = 2
    SiteFactory(name="MAS Les Capucines", city="Rennes", postal_code="35000")
    SiteFactory(name="FAM Le Colombier", city="Dijon", postal_code="21000")
    client = verified_client(staff_a)
    first = client.get(reverse("directory:sites")).content.decode()
    assert "page=2" in first
    main = first[first.index("<main") :]
    assert main.count('class="card site-card"') == 2
    found = client.get(reverse("directory:sites"), {"q": "rennes"}).content.decode()
    main = found[found.index("<main") :]
    assert "MAS Les Capucines" in main and "FAM Le Colombier" not in main
    entry = AccessLog.objects.filter(action=AccessLog.Action.SEARCH).order_by("-id").first()
    assert (entry.user, entry.query) == (staff_a, "sites: rennes")
    assert "Capucines" in client.get(reverse("directory:sites"), {"q": "35"}).content.decode()
    assert "Oliviers" in client.get(reverse("directory:sites"), {"q": "residence oliv"}).content.decode()
    last = client.get(reverse("directory:sites"), {"page": "99"})
    assert last.status_code == HTTPStatus.OK
