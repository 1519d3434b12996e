"""Required reading: the coordinator asks, staff see a badge and confirm, a new version asks again."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from directory.models import Job
from documents import selectors, services
from documents.models import ReadConfirmation, ReadingRequirement
from notifications.models import Notification
from tests.documents.factories import make_document, pdf_bytes, upload
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def procedure(group_folder, group_admin):
    return make_document(group_folder, group_admin, name="hygiene.pdf", title="Hygiène des mains")


def _reading_url(document):
    return reverse("documents:document_reading", kwargs={"public_id": document.public_id})


def test_full_must_read_flow(verified_client, coordinator_a, staff_a, staff_b, procedure, site_a):
    coordinator = verified_client(coordinator_a)
    response = coordinator.post(_reading_url(procedure), {"site": str(site_a.public_id), "unit": "", "job": ""})
    assert response.status_code == HTTPStatus.FOUND
    requirement = ReadingRequirement.objects.get()
    assert (requirement.site, requirement.created_by) == (site_a, coordinator_a)
    # Staff of site A are told; staff of site B are not concerned.
    notice = Notification.objects.get(user=staff_a)
    assert notice.kind == Notification.Kind.MUST_READ
    assert notice.url == procedure.get_absolute_url()
    assert not Notification.objects.filter(user=staff_b).exists()

    staff = verified_client(staff_a)
    index = staff.get(reverse("documents:index")).content.decode()
    assert "To read" in index and "Hygiène des mains" in index
    page = staff.get(procedure.get_absolute_url()).content.decode()
    assert "I have read it" in page
    status = coordinator.get(_reading_url(procedure)).content.decode()
    assert "Not yet" in status

    response = staff.post(reverse("documents:document_read_confirm", kwargs={"public_id": procedure.public_id}))
    assert response.status_code == HTTPStatus.FOUND
    assert ReadConfirmation.objects.filter(user=staff_a, version=procedure.current_version).exists()
    assert "To read" not in staff.get(reverse("documents:index")).content.decode()
    assert list(selectors.must_read_pending(staff_a)) == []
    _reqs, rows = selectors.reading_status(procedure, coordinator_a)
    assert {person: bool(at) for person, at in rows}[staff_a] is True

    # A new version: everyone must read again, and is told again.
    services.document_version_add(
        document=procedure, uploaded=upload("hygiene-v2.pdf", pdf_bytes("v2")), user=coordinator_a
    )
    assert list(selectors.must_read_pending(staff_a)) == [procedure]
    assert Notification.objects.filter(user=staff_a, kind=Notification.Kind.MUST_READ).count() == 2


def test_confirming_twice_keeps_one_confirmation(staff_a, procedure, coordinator_a, site_a):
    services.reading_requirement_add(document=procedure, user=coordinator_a, site=site_a)
    first = services.read_confirm(document=procedure, user=staff_a)
    second = services.read_confirm(document=procedure, user=staff_a)
    assert first.pk == second.pk
    assert ReadConfirmation.objects.count() == 1


def test_job_and_unit_narrow_the_audience(site_a, unit_a, coordinator_a, procedure):
    nurse = make_staff(site_a, unit=unit_a, job=Job.NURSE, email="ide@carehub.test")
    assistant_elsewhere = make_staff(site_a, job=Job.CARE_ASSISTANT, email="as@carehub.test")
    services.reading_requirement_add(document=procedure, user=coordinator_a, site=site_a, unit=unit_a, job=Job.NURSE)
    assert selectors.reading_audience(procedure) == [nurse]
    assert list(selectors.must_read_pending(nurse)) == [procedure]
    assert list(selectors.must_read_pending(assistant_elsewhere)) == []


def test_adding_the_same_requirement_twice_keeps_one(coordinator_a, procedure, site_a):
    services.reading_requirement_add(document=procedure, user=coordinator_a, site=site_a)
    services.reading_requirement_add(document=procedure, user=coordinator_a, site=site_a)
    assert ReadingRequirement.objects.count() == 1


def test_coordinator_cannot_target_a_site_they_do_not_manage(verified_client, coordinator_a, procedure, site_b):
    response = verified_client(coordinator_a).post(_reading_url(procedure), {"site": str(site_b.public_id)})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not ReadingRequirement.objects.exists()


def test_resident_documents_are_not_required_reading(coordinator_a, resident_folder_a, site_a):
    from django.core.exceptions import ValidationError

    document = make_document(resident_folder_a, coordinator_a)
    with pytest.raises(ValidationError):
        services.reading_requirement_add(document=document, user=coordinator_a, site=site_a)


@pytest.mark.parametrize(("who", "status"), [("staff_a", 403), ("staff_b", 404), ("family_user", 404)])
def test_only_coordinators_manage_required_reading(request, verified_client, folder_a, coordinator_a, who, status):
    document = make_document(folder_a, coordinator_a)
    response = verified_client(request.getfixturevalue(who)).get(_reading_url(document))
    assert response.status_code == status


def test_coordinator_sees_only_their_sites_people(coordinator_a, group_admin, procedure, site_a, site_b, staff_b):
    services.reading_requirement_add(document=procedure, user=group_admin, site=site_b)
    services.reading_requirement_add(document=procedure, user=coordinator_a, site=site_a)
    requirements, rows = selectors.reading_status(procedure, coordinator_a)
    assert [r.site for r in requirements] == [site_a]
    assert staff_b not in [person for person, _at in rows]
    _all, admin_rows = selectors.reading_status(procedure, group_admin)
    assert staff_b in [person for person, _at in admin_rows]
