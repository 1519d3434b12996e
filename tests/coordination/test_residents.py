"""Resident list and page: policy, filters, alerts, timeline, read tracking, access log, query counts."""

from datetime import date, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from carehub.models import AccessLog
from coordination import services
from coordination.models import CareNote, Resident, ResidentAlert
from directory.models import Job
from tests.coordination.factories import CareNoteFactory, ResidentAlertFactory, ResidentFactory
from tests.factories import UnitFactory, make_staff


@pytest.fixture
def resident(site_a, unit_a):
    return ResidentFactory(site=site_a, unit=unit_a, last_name="Martin", first_name="Louise", room="12")


def test_list_shows_only_policy_residents(verified_client, staff_a, resident, site_b):
    ResidentFactory(site=site_b, last_name="Ailleurs")
    content = verified_client(staff_a).get(reverse("coordination:resident_list")).content.decode()
    assert "MARTIN" in content and "AILLEURS" not in content


def test_list_filters(verified_client, staff_a, site_a, unit_a, resident):
    other_unit = UnitFactory(site=site_a, name="Les Glycines")
    ResidentFactory(site=site_a, unit=other_unit, last_name="Bernard", room="201")
    ResidentFactory(
        site=site_a, unit=unit_a, last_name="Parti", status=Resident.Status.DISCHARGED, discharge_date=date(2026, 1, 1)
    )
    ResidentAlertFactory(resident=resident, kind=ResidentAlert.Kind.SWALLOWING)
    client = verified_client(staff_a)
    url = reverse("coordination:resident_list")

    def names(**params):
        return client.get(url, params).content.decode()

    assert "BERNARD" in names(q="201") and "MARTIN" not in names(q="201")
    assert "MARTIN" in names(q="mart")
    assert "BERNARD" not in names(unit=str(unit_a.public_id))
    assert "PARTI" not in names() and "PARTI" in names(status="archived")
    swallowing = names(alert="swallowing")
    assert "MARTIN" in swallowing and "BERNARD" not in swallowing


def test_list_search_is_logged(verified_client, staff_a, resident):
    verified_client(staff_a).get(reverse("coordination:resident_list"), {"q": "Martin"})
    assert AccessLog.objects.filter(action=AccessLog.Action.SEARCH, query__contains="Martin").exists()


def test_list_bad_filter_is_400(verified_client, staff_a):
    response = verified_client(staff_a).get(reverse("coordination:resident_list"), {"status": "nope"})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_list_denied_to_family(verified_client, family_user):
    assert verified_client(family_user).get(reverse("coordination:resident_list")).status_code == HTTPStatus.FORBIDDEN


def test_resident_page_shows_identity_alerts_links_and_is_logged(verified_client, staff_a, resident):
    ResidentAlertFactory(resident=resident, kind=ResidentAlert.Kind.ALLERGY, detail="pénicilline")
    response = verified_client(staff_a).get(reverse("coordination:resident_detail", args=[resident.public_id]))
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "MARTIN Louise" in content and "pénicilline" in content and "GIR 3" in content
    entry = AccessLog.objects.get(action=AccessLog.Action.VIEW, object_type="coordination.resident")
    assert entry.subject_id == resident.public_id and entry.site_id == resident.site_id


def test_resident_page_other_site_is_404(verified_client, staff_b, resident):
    response = verified_client(staff_b).get(reverse("coordination:resident_detail", args=[resident.public_id]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not AccessLog.objects.filter(action=AccessLog.Action.VIEW).exists()


def test_timeline_newest_first_paginated_with_new_highlight(verified_client, staff_a, resident, site_a, unit_a):
    colleague = make_staff(site_a, unit=unit_a, email="collegue@carehub.test")
    now = timezone.now()
    for i in range(25):
        CareNoteFactory(
            resident=resident, author=colleague, data=f"Note numéro {i:02d}", created_at=now - timedelta(hours=i)
        )
    client = verified_client(staff_a)
    url = reverse("coordination:resident_detail", args=[resident.public_id])
    first = client.get(url).content.decode()
    assert first.index("Note numéro 00") < first.index("Note numéro 01")
    assert "Note numéro 24" not in first
    assert first.count("is-new") >= 20
    assert "Note numéro 24" in client.get(url, {"page": 2}).content.decode()
    # Opening the page marks nothing read: only notes reported on screen (or marked) stop being new.
    assert client.get(url).content.decode().count("is-new") >= 20
    services.notes_mark_read(user=staff_a, notes=CareNote.objects.all())
    assert "is-new" not in client.get(url).content.decode()


def test_timeline_fixed_number_of_queries(
    verified_client, staff_a, resident, site_a, unit_a, django_assert_max_num_queries
):
    client = verified_client(staff_a)
    url = reverse("coordination:resident_detail", args=[resident.public_id])
    # One of everything, so that each prefetch runs at both sizes.
    from coordination.services import care_note_add_followup, care_note_amend

    note = CareNoteFactory(resident=resident, author=staff_a, is_open_target=True)
    care_note_add_followup(note=note, author=staff_a, result="Suivi")
    care_note_amend(original=note, author=staff_a, target=note.target, data="Précision")
    ResidentAlertFactory(resident=resident)
    client.get(url)
    with django_assert_max_num_queries(40) as small:
        client.get(url)
    colleague = make_staff(site_a, unit=unit_a, email="collegue@carehub.test")
    for i in range(30):
        note = CareNoteFactory(resident=resident, author=colleague if i % 2 else staff_a, is_open_target=i % 5 == 0)
        if i % 3 == 0:
            care_note_add_followup(note=note, author=colleague, result="Suivi")
            care_note_amend(original=note, author=colleague, target=note.target, data="Précision")
    ResidentAlertFactory(resident=resident)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


def test_list_fixed_number_of_queries(verified_client, staff_a, site_a, unit_a, django_assert_max_num_queries):
    client = verified_client(staff_a)
    url = reverse("coordination:resident_list")
    ResidentFactory(site=site_a, unit=unit_a)
    client.get(url)
    with django_assert_max_num_queries(30) as small:
        client.get(url)
    for _ in range(30):
        r = ResidentFactory(site=site_a, unit=unit_a)
        ResidentAlertFactory(resident=r)
        CareNoteFactory(resident=r, author=staff_a, is_open_target=True)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


def test_alerts_maintained_by_nurses_not_care_assistants(verified_client, staff_a, site_a, unit_a, resident):
    nurse = make_staff(site_a, unit=unit_a, job=Job.NURSE, email="ide@carehub.test")
    url = reverse("coordination:alert_add", args=[resident.public_id])
    assert verified_client(staff_a).post(url, {"kind": "allergy"}).status_code == HTTPStatus.FORBIDDEN
    assert verified_client(nurse).post(url, {"kind": "allergy", "detail": "iode"}).status_code == HTTPStatus.FOUND
    alert = ResidentAlert.objects.get(resident=resident)
    assert alert.created_by == nurse and alert.detail == "iode"
    verified_client(nurse).post(reverse("coordination:alert_end", args=[alert.public_id]))
    alert.refresh_from_db()
    assert not alert.is_active and alert.ended_by == nurse  # kept in the record


def test_transfer_and_discharge_by_coordinator(verified_client, coordinator_a, staff_a, site_a, unit_a, resident):
    other_unit = UnitFactory(site=site_a, name="Les Glycines")
    client = verified_client(coordinator_a)
    assert (
        verified_client(staff_a).get(reverse("coordination:resident_transfer", args=[resident.public_id])).status_code
        == HTTPStatus.FORBIDDEN
    )
    response = client.post(
        reverse("coordination:resident_transfer", args=[resident.public_id]), {"unit": str(other_unit.public_id)}
    )
    assert response.status_code == HTTPStatus.FOUND
    resident.refresh_from_db()
    assert resident.unit == other_unit
    url = reverse("coordination:resident_discharge", args=[resident.public_id])
    future = timezone.localdate() + timedelta(days=3)
    assert client.post(url, {"status": "deceased", "on": future.isoformat()}).status_code == HTTPStatus.BAD_REQUEST
    assert (
        client.post(url, {"status": "deceased", "on": timezone.localdate().isoformat()}).status_code == HTTPStatus.FOUND
    )
    resident.refresh_from_db()
    assert resident.is_archived and resident.discharge_date == timezone.localdate()
    # Archived: readable, still searchable, no longer writable.
    page = client.get(reverse("coordination:resident_detail", args=[resident.public_id]))
    assert page.status_code == HTTPStatus.OK and "note-form" not in page.content.decode()
    from auditlog.models import LogEntry

    assert LogEntry.objects.get_for_object(resident).count() >= 2


def test_transfer_to_a_site_not_managed_is_refused(verified_client, coordinator_a, resident, unit_b):
    response = verified_client(coordinator_a).post(
        reverse("coordination:resident_transfer", args=[resident.public_id]), {"unit": str(unit_b.public_id)}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    resident.refresh_from_db()
    assert resident.site_id != unit_b.site_id


def test_photo_served_only_through_the_policy(verified_client, staff_a, staff_b, resident, settings, tmp_path):
    import base64

    from django.core.files.base import ContentFile

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    resident.photo.save("photo.png", ContentFile(png))
    url = reverse("coordination:resident_photo", args=[resident.public_id])
    response = verified_client(staff_a).get(url)
    assert response.status_code == HTTPStatus.OK
    assert b"".join(response.streaming_content) == png
    assert verified_client(staff_b).get(url).status_code == HTTPStatus.NOT_FOUND
    page = verified_client(staff_a).get(reverse("coordination:resident_detail", args=[resident.public_id]))
    assert url in page.content.decode()


def test_target_names_follow_the_language(verified_client, staff_a, resident):
    from django.utils import translation

    from tests.coordination.factories import target

    with translation.override("en"):
        assert target("peau-escarre").label == "Skin / pressure ulcer"
    with translation.override("fr"):
        assert target("peau-escarre").label == "Peau / escarre"


def test_group_admin_chooses_a_unit(verified_client, group_admin, unit_a, unit_b):
    response = verified_client(group_admin).get(reverse("coordination:handover"))
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert str(unit_a.public_id) in content and str(unit_b.public_id) in content


def test_the_family_contacts_button_is_shown_only_to_who_may_use_it(verified_client, staff_a, coordinator_a, resident):
    url = reverse("coordination:resident_detail", args=[resident.public_id])
    family_url = reverse("portal:resident_family", args=[resident.public_id])
    shown = {
        user.email: family_url in verified_client(user).get(url).content.decode() for user in (staff_a, coordinator_a)
    }
    assert shown == {staff_a.email: False, coordinator_a.email: True}
