"""Access rows for residents, care notes, handover and search (coordination)."""

from tests.access.matrix import Rule, expect
from tests.coordination.factories import CareNoteFactory, ResidentAlertFactory, ResidentFactory, default_targets

#: A site-A page: staff of site B get 404 (absent); families are refused every staff page (403).
SITE_A = expect(staff_b=404, family=404)
#: Coordinator-only page on a site-A object.
MANAGE_A = expect(staff_b=404, staff_a=403, family=404)


def build(world):
    default_targets()
    staff_a = world.users["staff_a"]
    world.resident = ResidentFactory(site=world.site_a, unit=world.unit_a, last_name="Martin")
    world.note = CareNoteFactory(resident=world.resident, author=staff_a, priority="urgent")
    world.alert = ResidentAlertFactory(resident=world.resident, created_by=staff_a)


def _resident(w):
    return {"public_id": w.resident.public_id}


def _note(w):
    return {"public_id": w.note.public_id}


RULES = [
    # Pages for any current staff member; families are refused (403).
    Rule("coordination:resident_list"),
    Rule("coordination:search", data=lambda w: {"q": "hanche"}),
    Rule("coordination:handover", note="each sees their own unit; the group admin gets the unit chooser"),
    Rule(
        "coordination:handover_print",
        data=lambda w: {"unit": w.unit_a.public_id},
        statuses=expect(staff_b=404),
    ),
    Rule(
        "coordination:handover_pdf",
        data=lambda w: {"unit": w.unit_a.public_id},
        statuses=expect(staff_b=404),
    ),
    Rule(
        "coordination:handover_take",
        method="post",
        data=lambda w: {"unit": w.unit_a.public_id},
        statuses=expect(staff_a=302, staff_b=404, coordinator_a=302, group_admin=302),
    ),
    Rule(
        "coordination:handover_note_create",
        method="post",
        data=lambda w: {"unit": w.unit_a.public_id},
        statuses=expect(staff_a=400, staff_b=404, coordinator_a=400, group_admin=400),
        note="an empty form: the error page, nothing saved",
    ),
    Rule(
        "coordination:notes_read",
        method="post",
        data=lambda w: {"note": [w.note.public_id]},
        statuses=expect(staff_a=302, staff_b=302, coordinator_a=302, group_admin=302),
        note="only notes the person may read are recorded (another site's: nothing)",
    ),
    # A resident of site A.
    Rule("coordination:resident_detail", _resident, SITE_A),
    Rule(
        "coordination:resident_photo",
        _resident,
        expect(family=404, staff_b=404, staff_a=404, coordinator_a=404, group_admin=404),
        note="no photo",
    ),
    Rule("coordination:note_create", _resident, SITE_A),
    Rule(
        "coordination:alert_add",
        _resident,
        expect(family=404, staff_b=404, staff_a=403, coordinator_a=302, group_admin=302, nurse_a=302, doctor_a=302),
        method="post",
        data=lambda w: {"kind": "allergy", "detail": "pénicilline"},
        note="nurses, doctors and coordinators only; staff_a is a care assistant",
    ),
    Rule(
        "coordination:alert_end",
        lambda w: {"public_id": w.alert.public_id},
        expect(family=404, staff_b=404, staff_a=403, coordinator_a=302, group_admin=302, nurse_a=302, doctor_a=302),
        method="post",
    ),
    Rule("coordination:resident_transfer", _resident, MANAGE_A),
    Rule("coordination:resident_discharge", _resident, MANAGE_A),
    # A note of site A, written by staff_a.
    Rule("coordination:note_detail", _note, SITE_A),
    Rule(
        "coordination:note_correct",
        _note,
        expect(family=404, staff_b=404, coordinator_a=403, group_admin=403, nurse_a=403, doctor_a=403),
        note="only the author (staff_a), within the correction window",
    ),
    Rule("coordination:note_amend", _note, SITE_A),
    Rule("coordination:note_followup", _note, SITE_A),
    Rule("coordination:note_retract", _note, MANAGE_A),
    Rule(
        "coordination:note_acknowledge",
        _note,
        expect(family=404, staff_b=404, staff_a=400, coordinator_a=302, group_admin=302, nurse_a=302, doctor_a=302),
        method="post",
        note="the author (staff_a) cannot acknowledge their own urgent note; a colleague can",
    ),
]
