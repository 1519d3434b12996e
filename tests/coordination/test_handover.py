"""The handover (relève): window, one row per resident by room, what to read first, new for me from
per-note readings, open targets, quiet residents, taking the handover (acknowledging only what was
shown), print and PDF, bounded pages, query counts."""

import re
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from carehub.models import AccessLog
from coordination import selectors, services
from coordination.models import CareNote, HandoverAcknowledgement, NoteReading
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
    assert [n.pk for n in handover.notes] == [inside.pk]


def test_window_in_overseas_site(staff_b, site_b, unit_b):
    resident = ResidentFactory(site=site_b, unit=unit_b)
    # 12:00 UTC = 09:00 in Cayenne: morning; previous shift = night from 21:00 local (00:00 UTC).
    note = CareNoteFactory(resident=resident, author=staff_b, created_at=datetime(2026, 6, 10, 0, 5, tzinfo=UTC))
    handover = selectors.handover_build(staff_b, unit=unit_b, now=NOW)
    assert handover.slot.shift == "morning"
    assert handover.since == datetime(2026, 6, 10, 0, 0, tzinfo=UTC)
    assert handover.rows[0].notes == [note]


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
    # To read first: the urgent one, then the other residents with notes new for the reader, by room.
    assert [r.resident for r in handover.to_read] == [urgent, calm]
    assert handover.to_read[0].notes == [alarm, routine]  # urgent first within the resident too
    # A target under watch with no new note is not "new": listed with the others, tagged.
    assert [r.resident for r in handover.others] == [watched, forgotten]
    assert handover.others[0].open_targets == [target_note] and handover.others[0].notes == []
    assert set(handover.quiet_residents) == {watched, forgotten}
    assert handover.urgent_to_acknowledge == [alarm]


def test_rooms_are_sorted_as_people_count_them(staff_a, site_a, unit_a):
    for room in ("10", "2", "A1", "2b", "1"):
        ResidentFactory(site=site_a, unit=unit_a, room=room)
    rooms = [r.resident.room for r in selectors.handover_build(staff_a, unit=unit_a, now=NOW).rows]
    assert rooms == ["1", "2", "2b", "10", "A1"]


def test_new_for_me_is_per_note_and_per_person(staff_a, site_a, unit_a, colleague):
    resident = ResidentFactory(site=site_a, unit=unit_a)
    read = CareNoteFactory(resident=resident, author=colleague, created_at=NOW - timedelta(hours=1))
    mine = CareNoteFactory(resident=resident, author=staff_a, created_at=NOW - timedelta(hours=2))
    unread = CareNoteFactory(resident=resident, author=colleague, created_at=NOW - timedelta(hours=3))
    services.notes_mark_read(user=staff_a, notes=[read])
    handover = selectors.handover_build(staff_a, unit=unit_a, now=NOW)
    flags = {n.pk: n.is_new for n in handover.rows[0].notes}
    assert flags == {read.pk: False, mine.pk: False, unread.pk: True}


def test_a_note_read_by_a_colleague_is_still_new_for_me(staff_a, site_a, unit_a, colleague):
    note = CareNoteFactory(
        resident=ResidentFactory(site=site_a, unit=unit_a), author=make_staff(site_a), created_at=NOW
    )
    services.notes_mark_read(user=colleague, notes=[note])
    assert selectors.handover_build(staff_a, unit=unit_a, now=NOW).rows[0].new_count == 1


def test_new_for_me_starts_when_my_last_shift_ended(staff_a, site_a, unit_a, colleague):
    # She took the morning handover (07:00–14:00 in Paris, 05:00–12:00 UTC); it is now 17:00 UTC.
    HandoverAcknowledgement.objects.create(
        site=site_a, unit=unit_a, shift="morning", shift_date=date(2026, 6, 10), user=staff_a
    )
    resident = ResidentFactory(site=site_a, unit=unit_a)
    during = CareNoteFactory(resident=resident, author=colleague, created_at=datetime(2026, 6, 10, 11, 0, tzinfo=UTC))
    after = CareNoteFactory(resident=resident, author=colleague, created_at=datetime(2026, 6, 10, 12, 30, tzinfo=UTC))
    handover = selectors.handover_build(staff_a, unit=unit_a, now=datetime(2026, 6, 10, 17, 0, tzinfo=UTC))
    flags = {n.pk: n.is_new for n in handover.rows[0].notes}
    assert flags == {during.pk: False, after.pk: True}


def test_the_shift_i_am_on_does_not_end_what_is_new(staff_a, site_a, unit_a, colleague):
    # Taking the current shift's handover at 14:05 does not make the morning's unread notes old.
    HandoverAcknowledgement.objects.create(
        site=site_a, unit=unit_a, shift="afternoon", shift_date=date(2026, 6, 10), user=staff_a
    )
    note = CareNoteFactory(
        resident=ResidentFactory(site=site_a, unit=unit_a), author=colleague, created_at=NOW - timedelta(hours=2)
    )
    handover = selectors.handover_build(staff_a, unit=unit_a, now=NOW + timedelta(minutes=5))
    assert [n.is_new for n in handover.rows[0].notes if n.pk == note.pk] == [True]


def test_an_urgent_note_from_my_own_shift_is_still_to_read_first(staff_a, site_a, unit_a, colleague):
    HandoverAcknowledgement.objects.create(
        site=site_a, unit=unit_a, shift="morning", shift_date=date(2026, 6, 10), user=staff_a
    )
    resident = ResidentFactory(site=site_a, unit=unit_a)
    CareNoteFactory(
        resident=resident, author=colleague, priority="urgent", created_at=datetime(2026, 6, 10, 11, 0, tzinfo=UTC)
    )
    handover = selectors.handover_build(staff_a, unit=unit_a, now=datetime(2026, 6, 10, 17, 0, tzinfo=UTC))
    assert [r.resident for r in handover.to_read] == [resident]


def test_open_all_opens_every_row_to_read_and_only_those(verified_client, staff_a, site_a, unit_a, colleague):
    for room in ("1", "2"):
        CareNoteFactory(resident=ResidentFactory(site=site_a, unit=unit_a, room=room), author=colleague)
    ResidentFactory(site=site_a, unit=unit_a, room="3")
    client = verified_client(staff_a)
    content = client.get(reverse("coordination:handover"), {"open": "to-read"}).content.decode()
    # Rooms 1 and 2 (to read first) open; room 3 (nothing new) stays closed.
    assert re.findall(r'<details class="handover-row[^"]*"\s+id="res-[^"]+"( open)?>', content) == [
        " open",
        " open",
        "",
    ]


def test_the_open_all_link_names_how_many_residents_it_opens(verified_client, staff_a, site_a, unit_a, colleague):
    for room in ("1", "2"):
        CareNoteFactory(resident=ResidentFactory(site=site_a, unit=unit_a, room=room), author=colleague)
    client = verified_client(staff_a)
    content = client.get(reverse("coordination:handover"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Ouvrir les 2 résidents à lire" in content


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
    assert list(AccessLog.objects.filter(action=AccessLog.Action.VIEW).values_list("subject_id", flat=True)) == [
        resident.public_id
    ]
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


def test_opening_the_handover_marks_nothing_read(verified_client, staff_a, site_a, unit_a, colleague):
    CareNoteFactory(resident=ResidentFactory(site=site_a, unit=unit_a), author=colleague)
    client = verified_client(staff_a)
    client.get(reverse("coordination:handover"))
    assert "is-new" in client.get(reverse("coordination:handover")).content.decode()


def test_take_the_handover_acknowledges_the_urgent_notes_it_listed(verified_client, staff_a, site_a, unit_a, colleague):
    resident = ResidentFactory(site=site_a, unit=unit_a)
    alarm = CareNoteFactory(resident=resident, author=colleague, priority="urgent", data="Chute dans la salle de bain")
    client = verified_client(staff_a)
    page = client.get(reverse("coordination:handover")).content.decode()
    take = page[page.index('id="take"') :]
    assert "Chute dans la salle de bain" in take  # its text is on the take-over form
    url = reverse("coordination:handover_take")
    data = {"unit": str(unit_a.public_id), "urgent": [str(alarm.public_id)]}
    assert client.post(url, data).status_code == HTTPStatus.FOUND
    assert client.post(url, data).status_code == HTTPStatus.FOUND  # twice: once
    ack = HandoverAcknowledgement.objects.get()
    assert (ack.user, ack.unit, list(ack.urgent_acknowledged.all())) == (staff_a, unit_a, [alarm])
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == staff_a
    # The outgoing colleague sees who took it.
    content = verified_client(colleague).get(reverse("coordination:handover")).content.decode()
    assert str(staff_a) in content


def test_taking_the_handover_never_acknowledges_an_urgent_note_not_shown(
    verified_client, staff_a, site_a, unit_a, colleague
):
    """Written after the page was drawn (or posted by a tampered form without it): it stays to acknowledge."""
    resident = ResidentFactory(site=site_a, unit=unit_a)
    CareNoteFactory(resident=resident, author=colleague, priority="urgent")
    verified_client(staff_a).post(reverse("coordination:handover_take"), {"unit": str(unit_a.public_id)})
    assert CareNote.objects.filter(acknowledged_at__isnull=True).count() == 1


def test_the_take_over_records_which_notes_the_person_had_read(staff_a, site_a, unit_a, colleague):
    resident = ResidentFactory(site=site_a, unit=unit_a)
    read, _unread = (CareNoteFactory(resident=resident, author=colleague) for _ in range(2))
    services.notes_mark_read(user=staff_a, notes=[read])
    ack, _created = services.handover_take(user=staff_a, unit=unit_a)
    assert list(ack.notes_seen.all()) == [read]


def test_an_acknowledgement_with_the_handover_is_in_the_change_history(staff_a, site_a, unit_a, colleague):
    from auditlog.models import LogEntry

    alarm = CareNoteFactory(resident=ResidentFactory(site=site_a, unit=unit_a), author=colleague, priority="urgent")
    services.handover_take(user=staff_a, unit=unit_a, urgent_shown=[alarm])
    entry = LogEntry.objects.get_for_object(alarm).filter(action=LogEntry.Action.UPDATE).get()
    assert "acknowledged_by" in entry.changes_dict


def test_notes_displayed_on_screen_are_recorded_as_read(verified_client, staff_a, site_a, unit_a, colleague):
    note = CareNoteFactory(resident=ResidentFactory(site=site_a, unit=unit_a), author=colleague)
    response = verified_client(staff_a).post(
        reverse("coordination:notes_read"), {"note": [str(note.public_id)]}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert NoteReading.objects.get().how == NoteReading.How.DISPLAYED


def test_another_sites_notes_cannot_be_marked_read(verified_client, staff_a, site_b, unit_b, staff_b):
    note = CareNoteFactory(resident=ResidentFactory(site=site_b, unit=unit_b), author=staff_b)
    verified_client(staff_a).post(reverse("coordination:notes_read"), {"note": [str(note.public_id)]})
    assert not NoteReading.objects.exists()


def test_a_resident_with_many_notes_keeps_the_handover_bounded(staff_a, site_a, unit_a, colleague):
    resident = ResidentFactory(site=site_a, unit=unit_a)
    for minutes in range(30):
        CareNoteFactory(resident=resident, author=colleague, created_at=NOW - timedelta(minutes=minutes))
    alarm = CareNoteFactory(resident=resident, author=colleague, priority="urgent", created_at=NOW - timedelta(hours=2))
    row = selectors.handover_build(staff_a, unit=unit_a, now=NOW).rows[0]
    assert (len(row.notes), row.more_count, alarm in row.notes) == (
        selectors.HANDOVER_NOTES_PER_RESIDENT + 1,
        30 - selectors.HANDOVER_NOTES_PER_RESIDENT,
        True,
    )


def test_filter_by_target_keeps_its_residents_and_notes(verified_client, staff_a, site_a, unit_a, colleague):
    from tests.coordination.factories import target

    fall = ResidentFactory(site=site_a, unit=unit_a, last_name="Tombee")
    ResidentFactory(site=site_a, unit=unit_a, last_name="Ailleurs")
    CareNoteFactory(resident=fall, author=colleague, target=target("chute"))
    handover = selectors.handover_build(staff_a, unit=unit_a, target=target("chute"))
    assert [r.resident for r in handover.rows] == [fall]


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


def test_after_saving_the_confirmation_names_the_resident_and_shows_the_note(verified_client, staff_a, site_a, unit_a):
    resident = ResidentFactory(site=site_a, unit=unit_a, last_name="Martin", first_name="Louise", room="12")
    response = verified_client(staff_a).post(
        reverse("coordination:handover_note_create"),
        {
            "unit": str(unit_a.public_id),
            "resident": str(resident.public_id),
            "target": "sommeil",
            "data": "Nuit calme",
            "priority": "routine",
        },
        follow=True,
    )
    content = response.content.decode()
    assert "Transmission enregistrée pour MARTIN Louise (chambre 12)." in content
    assert content.index("Nuit calme") < content.index('id="write"')


def test_the_form_opened_from_a_residents_row_has_the_resident_chosen(verified_client, staff_a, site_a, unit_a):
    resident = ResidentFactory(site=site_a, unit=unit_a)
    response = verified_client(staff_a).get(
        reverse("coordination:handover"), {"unit": str(unit_a.public_id), "resident": str(resident.public_id)}
    )
    assert response.context["form"]["resident"].value() == resident.public_id


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
    with django_assert_max_num_queries(41) as small:
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


def test_the_printed_handover_gives_each_residents_birth_date_beside_the_name(verified_client, staff_a, unit_a):
    resident = ResidentFactory(site=unit_a.site, unit=unit_a, last_name="Nguyễn", birth_date=date(1938, 4, 3))
    CareNoteFactory(resident=resident, author=staff_a, data="Nuit calme.")
    page = verified_client(staff_a).get(
        reverse("coordination:handover_print"), {"unit": str(unit_a.public_id)}, headers={"accept-language": "fr"}
    )
    assert "né(e) le 03/04/1938" in page.content.decode()
