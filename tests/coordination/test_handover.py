"""The handover (relève): window, grouping, urgent first, new-to-me, open targets, quiet residents,
taking the handover, print and PDF, query counts."""

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from carehub.models import AccessLog
from coordination import selectors, services
from coordination.models import CareNote, HandoverAcknowledgement, NoteReadMark
from tests.coordination.factories import CareNoteFactory, ResidentAlertFactory, ResidentFactory
from tests.factories import UnitFactory, make_staff

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # 14:00 in Paris: the afternoon shift starts


@pytest.fixture
def colleague(site_a, unit_a):
    return make_staff(site_a, unit=unit_a, email="collegue@carehub.test", last_name="Collègue")


def test_window_starts_at_previous_shift(staff_a, site_a, unit_a, colleague):
    resident = ResidentFactory(site=site_a, unit=unit_a)
    # Afternoon starts 14:00 local (12:00 UTC); previous shift (morning) started 07:00 local = 05:00 UTC.
    inside = CareNoteFactory(resident=resident, author=colleague, created_at=datetime(2026, 6, 10, 5, 1, tzinfo=UTC))
    CareNoteFactory(resident=resident, author=colleague, created_at=datetime(2026, 6, 10, 4, 59, tzinfo=UTC))
    handover = selectors.handover_build(staff_a, unit=unit_a, now=NOW)
    assert handover.slot.shift == "afternoon"
    assert handover.since == datetime(2026, 6, 10, 5, 0, tzinfo=UTC)
    assert [n.pk for g in handover.groups for n in g.notes] == [inside.pk]


def test_window_in_overseas_site(staff_b, site_b, unit_b):
    resident = ResidentFactory(site=site_b, unit=unit_b)
    # 12:00 UTC = 09:00 in Cayenne: morning; previous shift = night from 21:00 local (00:00 UTC).
    note = CareNoteFactory(resident=resident, author=staff_b, created_at=datetime(2026, 6, 10, 0, 5, tzinfo=UTC))
    handover = selectors.handover_build(staff_b, unit=unit_b, now=NOW)
    assert handover.slot.shift == "morning"
    assert handover.since == datetime(2026, 6, 10, 0, 0, tzinfo=UTC)
    assert handover.groups[0].notes == [note]


def test_groups_urgent_first_open_targets_and_quiet(staff_a, site_a, unit_a, colleague):
    calm = ResidentFactory(site=site_a, unit=unit_a, room="101", last_name="Calme")
    urgent = ResidentFactory(site=site_a, unit=unit_a, room="102", last_name="Urgent")
    watched = ResidentFactory(site=site_a, unit=unit_a, room="103", last_name="Surveille")
    forgotten = ResidentFactory(site=site_a, unit=unit_a, room="104", last_name="Oublie")
    ResidentFactory(site=site_a, unit=UnitFactory(site=site_a, name="Autre"), last_name="AutreUnite")
    recent = NOW - timedelta(hours=1)
    CareNoteFactory(resident=calm, author=colleague, created_at=recent)
    routine = CareNoteFactory(resident=urgent, author=colleague, created_at=recent)
    alarm = CareNoteFactory(
        resident=urgent, author=colleague, created_at=recent - timedelta(minutes=30), priority="urgent"
    )
    # An open target written three days ago, no new note since: still listed.
    target_note = CareNoteFactory(
        resident=watched, author=colleague, created_at=NOW - timedelta(days=3), is_open_target=True
    )
    handover = selectors.handover_build(staff_a, unit=unit_a, now=NOW)
    assert [g.resident for g in handover.groups] == [urgent, calm, watched]
    assert handover.groups[0].notes == [alarm, routine]  # urgent first within the resident too
    assert handover.groups[2].open_targets == [target_note] and handover.groups[2].notes == []
    assert set(handover.quiet_residents) == {watched, forgotten}
    assert handover.urgent_count == 1


def test_new_to_me_uses_read_marks(staff_a, site_a, unit_a, colleague):
    resident = ResidentFactory(site=site_a, unit=unit_a)
    old = CareNoteFactory(resident=resident, author=colleague, created_at=NOW - timedelta(hours=3))
    mine = CareNoteFactory(resident=resident, author=staff_a, created_at=NOW - timedelta(hours=2))
    services.read_marks_update(
        user=staff_a, resident_ids=[resident.pk], seen_until=NOW - timedelta(hours=2, minutes=30)
    )
    new = CareNoteFactory(resident=resident, author=colleague, created_at=NOW - timedelta(hours=1))
    handover = selectors.handover_build(staff_a, unit=unit_a, now=NOW)
    flags = {n.pk: n.is_new for n in handover.groups[0].notes}
    assert flags == {old.pk: False, mine.pk: False, new.pk: True}


def test_handover_page_defaults_to_own_unit_and_is_logged(verified_client, staff_a, site_a, unit_a, colleague):
    resident = ResidentFactory(site=site_a, unit=unit_a, last_name="Durand")
    CareNoteFactory(resident=resident, author=colleague, data="Tombée près du lit", priority="urgent")
    other_unit = UnitFactory(site=site_a, name="Les Glycines")
    ResidentFactory(site=site_a, unit=other_unit, last_name="Voisin")
    client = verified_client(staff_a)
    response = client.get(reverse("coordination:handover"))
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "Tombée près du lit" in content and "DURAND" in content and "VOISIN" not in content
    assert "is-new" in content
    assert AccessLog.objects.filter(action=AccessLog.Action.VIEW, object_type="directory.unit").exists()
    assert NoteReadMark.objects.filter(user=staff_a, resident=resident).exists()
    # Another unit of the same site can be chosen.
    content = client.get(reverse("coordination:handover"), {"unit": str(other_unit.public_id)}).content.decode()
    assert "VOISIN" in content


def test_site_wide_handover_for_coordinators_only(verified_client, staff_a, coordinator_a, site_a, unit_a):
    ResidentFactory(site=site_a, unit=unit_a, last_name="Durand")
    ResidentFactory(site=site_a, unit=UnitFactory(site=site_a, name="Les Glycines"), last_name="Voisin")
    url = reverse("coordination:handover")
    content = verified_client(coordinator_a).get(url, {"site": str(site_a.public_id)}).content.decode()
    assert "DURAND" in content and "VOISIN" in content
    assert verified_client(staff_a).get(url, {"site": str(site_a.public_id)}).status_code == HTTPStatus.FORBIDDEN
    # A coordinator without a unit lands on the site-wide handover of their site.
    assert "VOISIN" in verified_client(coordinator_a).get(url).content.decode()


def test_other_site_unit_and_garbage_are_404(verified_client, staff_a, unit_b):
    client = verified_client(staff_a)
    url = reverse("coordination:handover")
    assert client.get(url, {"unit": str(unit_b.public_id)}).status_code == HTTPStatus.NOT_FOUND
    assert client.get(url, {"unit": "not-a-uuid"}).status_code == HTTPStatus.NOT_FOUND


def test_take_the_handover_records_and_acknowledges_urgent(verified_client, staff_a, site_a, unit_a, colleague):
    resident = ResidentFactory(site=site_a, unit=unit_a)
    alarm = CareNoteFactory(resident=resident, author=colleague, priority="urgent")
    client = verified_client(staff_a)
    url = reverse("coordination:handover_take")
    assert client.post(url, {"unit": str(unit_a.public_id)}).status_code == HTTPStatus.FOUND
    assert client.post(url, {"unit": str(unit_a.public_id)}).status_code == HTTPStatus.FOUND  # twice: once
    ack = HandoverAcknowledgement.objects.get()
    assert ack.user == staff_a and ack.unit == unit_a
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == staff_a
    # The outgoing colleague sees who took it.
    content = verified_client(colleague).get(reverse("coordination:handover")).content.decode()
    assert str(staff_a) in content


def test_quick_note_from_handover(verified_client, staff_a, site_a, unit_a):
    resident = ResidentFactory(site=site_a, unit=unit_a)
    client = verified_client(staff_a)
    response = client.post(
        reverse("coordination:handover_note_create"),
        {
            "unit": str(unit_a.public_id),
            "resident": str(resident.public_id),
            "target": "sommeil",
            "data": "Nuit calme",
            "priority": "routine",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert CareNote.objects.get().resident == resident


def test_quick_note_refuses_resident_of_other_unit(verified_client, staff_a, site_a, unit_a):
    elsewhere = ResidentFactory(site=site_a, unit=UnitFactory(site=site_a, name="Autre"))
    response = verified_client(staff_a).post(
        reverse("coordination:handover_note_create"),
        {
            "unit": str(unit_a.public_id),
            "resident": str(elsewhere.public_id),
            "target": "sommeil",
            "data": "x",
            "priority": "routine",
        },
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not CareNote.objects.exists()


def test_print_and_pdf_last_24_hours(verified_client, staff_a, site_a, unit_a, colleague):
    resident = ResidentFactory(site=site_a, unit=unit_a, last_name="Lefèvre")
    ResidentAlertFactory(resident=resident, detail="Chute le 3 juin")
    CareNoteFactory(
        resident=resident,
        author=colleague,
        data="Cœur régulier, « calme » — <b>ok</b>",
        created_at=timezone.now() - timedelta(hours=20),
    )
    CareNoteFactory(
        resident=resident, author=colleague, data="Trop ancien", created_at=timezone.now() - timedelta(hours=30)
    )
    client = verified_client(staff_a)
    params = {"unit": str(unit_a.public_id)}
    page = client.get(reverse("coordination:handover_print"), params)
    assert page.status_code == HTTPStatus.OK
    content = page.content.decode()
    assert "Cœur régulier" in content and "Trop ancien" not in content and "&lt;b&gt;ok&lt;/b&gt;" in content
    assert "coordination-print.css" in content
    pdf = client.get(reverse("coordination:handover_pdf"), params)
    assert pdf.status_code == HTTPStatus.OK and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf.content)
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert "Cœur régulier" in text and "LEFÈVRE" in text and "Trop ancien" not in text
    actions = set(AccessLog.objects.values_list("action", flat=True))
    assert {AccessLog.Action.PRINT, AccessLog.Action.EXPORT} <= actions


def test_handover_fixed_number_of_queries(
    verified_client, staff_a, site_a, unit_a, colleague, django_assert_max_num_queries
):
    client = verified_client(staff_a)
    url = reverse("coordination:handover")
    first = ResidentFactory(site=site_a, unit=unit_a)
    # One of everything, so that each prefetch runs at both sizes.
    note = CareNoteFactory(resident=first, author=colleague, is_open_target=True)
    services.care_note_add_followup(note=note, author=colleague, result="Suivi")
    services.care_note_amend(original=note, author=colleague, target=note.target, data="Précision")
    client.get(url)
    with django_assert_max_num_queries(40) as small:
        client.get(url)
    for i in range(25):
        r = ResidentFactory(site=site_a, unit=unit_a)
        ResidentAlertFactory(resident=r)
        for j in range(3):
            note = CareNoteFactory(
                resident=r,
                author=colleague,
                priority=["routine", "important", "urgent"][j],
                is_open_target=j == 0 and i % 2 == 0,
                created_at=timezone.now() - timedelta(minutes=10 * j + i),
            )
        services.care_note_add_followup(note=note, author=colleague, result="Suivi")
        services.care_note_amend(original=note, author=colleague, target=note.target, data="Précision")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("note--urgent") >= 25
