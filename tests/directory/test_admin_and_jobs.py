"""The on-call roster in the admin, the nightly search refresh, the demo seed."""

import datetime
from http import HTTPStatus

from django.urls import reverse
from django.utils import timezone

from carehub.demo import DemoContext
from directory import demo, selectors, services, tasks
from directory.models import Assignment, OnCallShift, StaffProfile
from tests.directory.factories import OnCallShiftFactory
from tests.factories import make_staff


def test_admin_roster_is_scoped_to_the_coordinators_sites(
    verified_client, coordinator_a, staff_a, staff_b, site_a, site_b
):
    mine = OnCallShiftFactory(site=site_a, user=staff_a, date=timezone.localdate() + datetime.timedelta(days=1))
    other = OnCallShiftFactory(site=site_b, user=staff_b, date=timezone.localdate() + datetime.timedelta(days=1))
    client = verified_client(coordinator_a)
    listing = client.get(reverse("admin:directory_oncallshift_changelist"))
    assert listing.status_code == HTTPStatus.OK
    assert reverse("admin:directory_oncallshift_change", args=[mine.pk]) in listing.content.decode()
    assert reverse("admin:directory_oncallshift_change", args=[other.pk]) not in listing.content.decode()
    assert client.get(reverse("admin:directory_oncallshift_change", args=[other.pk])).status_code in (302, 404)


def test_admin_add_records_who_entered_it(verified_client, coordinator_a, staff_a, site_a):
    day = timezone.localdate(timezone=site_a.zone) + datetime.timedelta(days=3)
    response = verified_client(coordinator_a).post(
        reverse("admin:directory_oncallshift_add"),
        {"site": site_a.pk, "date": day.isoformat(), "user": staff_a.pk, "unit": "", "note": "nuit"},
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    shift = OnCallShift.objects.get()
    assert (shift.user, shift.created_by, shift.note) == (staff_a, coordinator_a, "nuit")


def test_admin_refuses_a_site_the_coordinator_does_not_manage(verified_client, coordinator_a, staff_b, site_b):
    response = verified_client(coordinator_a).post(
        reverse("admin:directory_oncallshift_add"),
        {"site": site_b.pk, "date": timezone.localdate().isoformat(), "user": staff_b.pk},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST  # the form again, with an error
    assert not OnCallShift.objects.exists()


def test_nightly_refresh_follows_assignments_that_ended(site_a, site_b, staff_a):
    assignment = Assignment.objects.get(user=staff_a)
    Assignment.objects.create(user=staff_a, site=site_b, is_primary=False)
    profile = StaffProfile.objects.get(user=staff_a)
    assert " oliviers " in profile.search_document
    # The calendar moves on: the assignment at site B ended yesterday. No save happened.
    Assignment.objects.filter(user=staff_a, site=site_b).update(
        end_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert " oliviers " in StaffProfile.objects.get(user=staff_a).search_document
    assert tasks.search_documents_refresh_recent_changes.delay().get() == 1
    profile.refresh_from_db()
    assert " oliviers " not in profile.search_document and " tilleuls " in profile.search_document
    assert assignment.site == site_a
    assert services.search_documents_refresh_recent_changes() == 0  # idempotent


def test_demo_seed_gives_searchable_staff_and_an_on_call_roster(db):
    ctx = DemoContext(sites=2, staff_per_site=12, residents_per_site=0, note_days=0)
    demo.seed(ctx)
    assert StaffProfile.objects.count() == 24
    assert not StaffProfile.objects.filter(search_document="").exists()
    site = ctx.site_list[0]
    assert selectors.on_call_for(site=site)
    assert selectors.site_leads(site=site)
    person = StaffProfile.objects.select_related("user").first()
    viewer = make_staff(site, email="viewer@t.test")
    found = selectors.directory_search(
        viewer=viewer, filters=selectors.SearchFilters(query=person.user.last_name.upper())
    )
    assert person.user_id in [p.user.pk for p in found.people]
    again = DemoContext(sites=2, staff_per_site=12, residents_per_site=0, note_days=0)
    demo.seed(again)  # idempotent
    assert StaffProfile.objects.count() == 25  # the 24, and the viewer
