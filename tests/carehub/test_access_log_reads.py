"""Every page that shows resident data writes its access-log entry, the panel's included; a refused
object leaves one too (ASVS 16.3.2). Before: the note forms, the photo, the residents list, the transfer
and discharge forms, the admin's resident and note pages and searches wrote nothing; a list wrote one
entry for the page, without the residents on it. tests/access/test_access_log_walker.py walks every page;
these pin the rules one by one."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carehub.models import AccessLog
from tests.coordination.factories import CareNoteFactory, ResidentFactory
from tests.directory.factories import jpeg_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident(site_a, unit_a):
    return ResidentFactory(site=site_a, unit=unit_a, last_name="Bernard", first_name="Odette")


@pytest.fixture
def note(resident, coordinator_a):
    return CareNoteFactory(resident=resident, author=coordinator_a)


def _entries(user, action=AccessLog.Action.VIEW):
    return list(AccessLog.objects.filter(user=user, action=action).values_list("object_type", "object_id"))


def _resident_entry(resident):
    return [("coordination.resident", str(resident.public_id))]


@pytest.mark.parametrize("name", ["coordination:note_create"])
def test_the_new_note_form_is_a_read_of_the_resident(name, resident, staff_a, verified_client):
    verified_client(staff_a).get(reverse(name, args=[resident.public_id]))
    assert _entries(staff_a) == _resident_entry(resident)


@pytest.mark.parametrize("name", ["coordination:note_amend", "coordination:note_followup"])
def test_the_amend_and_result_forms_are_reads_of_the_note(name, note, staff_a, verified_client):
    verified_client(staff_a).get(reverse(name, args=[note.public_id]))
    assert _entries(staff_a) == [("coordination.carenote", str(note.public_id))]


def test_the_photo_is_a_read_of_the_resident(resident, staff_a, verified_client, media_root):
    resident.photo.save("photo.jpg", ContentFile(jpeg_bytes(exif=False)))
    verified_client(staff_a).get(reverse("coordination:resident_photo", args=[resident.public_id]))
    assert _entries(staff_a) == _resident_entry(resident)


def test_the_residents_list_names_each_resident_on_it(resident, site_a, unit_a, staff_a, verified_client):
    other = ResidentFactory(site=site_a, unit=unit_a)
    verified_client(staff_a).get(reverse("coordination:resident_list"))
    entries = AccessLog.objects.filter(user=staff_a, action=AccessLog.Action.VIEW, query="residents list")
    assert set(entries.values_list("subject_id", flat=True)) == {resident.public_id, other.public_id}


def test_naming_each_resident_costs_the_same_queries_for_many(site_a, unit_a, staff_a, verified_client):
    """The entries of a page go in with one insert: the list's queries do not grow with its rows."""
    client = verified_client(staff_a)
    ResidentFactory(site=site_a, unit=unit_a)
    client.get(reverse("coordination:resident_list"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("coordination:resident_list"))
    ResidentFactory.create_batch(5, site=site_a, unit=unit_a)
    with CaptureQueriesContext(connection) as six:
        client.get(reverse("coordination:resident_list"))
    assert len(six) == len(one)


def test_the_handover_names_each_resident_it_shows(resident, staff_a, verified_client):
    verified_client(staff_a).get(reverse("coordination:handover"))
    assert _entries(staff_a) == _resident_entry(resident)


@pytest.mark.parametrize("name", ["coordination:resident_transfer", "coordination:resident_discharge"])
def test_the_transfer_and_discharge_forms_are_reads(name, resident, coordinator_a, verified_client):
    verified_client(coordinator_a).get(reverse(name, args=[resident.public_id]))
    assert _entries(coordinator_a) == _resident_entry(resident)


def test_the_admins_resident_page_is_a_read(resident, coordinator_a, verified_client):
    verified_client(coordinator_a).get(reverse("admin:coordination_resident_change", args=[resident.pk]))
    assert _entries(coordinator_a) == _resident_entry(resident)


def test_the_admins_note_page_is_a_read(note, coordinator_a, verified_client):
    verified_client(coordinator_a).get(reverse("admin:coordination_carenote_change", args=[note.pk]))
    assert _entries(coordinator_a) == [("coordination.carenote", str(note.public_id))]


@pytest.mark.parametrize("model", ["resident", "carenote"])
def test_an_admin_search_is_in_the_log_with_its_terms(model, resident, coordinator_a, verified_client):
    verified_client(coordinator_a).get(reverse(f"admin:coordination_{model}_changelist"), {"q": "Bernard"})
    searches = AccessLog.objects.filter(user=coordinator_a, action=AccessLog.Action.SEARCH)
    assert list(searches.values_list("query", flat=True)) == [f"{model}: Bernard"]


def test_another_sites_resident_refused_is_in_the_log(resident, staff_b, verified_client):
    url = reverse("coordination:resident_detail", args=[resident.public_id])
    response = verified_client(staff_b).get(url)
    refused = AccessLog.objects.filter(user=staff_b, action=AccessLog.Action.REFUSED)
    assert (response.status_code, list(refused.values_list("query", flat=True))) == (
        HTTPStatus.NOT_FOUND,
        [f"GET {url}"],
    )


def test_another_sites_resident_refused_in_the_admin_is_in_the_log(site_b, unit_b, coordinator_a, verified_client):
    other = ResidentFactory(site=site_b, unit=unit_b)
    url = reverse("admin:coordination_resident_change", args=[other.pk])
    verified_client(coordinator_a).get(url)
    refused = AccessLog.objects.filter(user=coordinator_a, action=AccessLog.Action.REFUSED)
    assert list(refused.values_list("query", flat=True)) == [f"GET {url}"]


def test_a_page_without_an_object_is_not_a_refusal(family_user, verified_client):
    verified_client(family_user).get(reverse("coordination:resident_list"))
    assert not AccessLog.objects.filter(action=AccessLog.Action.REFUSED).exists()
