"""Hostile input on the care notes, handover and resident forms (coordination)."""

from hypothesis import strategies as st

from tests.properties.checks import Endpoint, property_test
from tests.properties.hostile import TEXT, form_data, refs

RESIDENTS = refs("note.resident.public_id", "resident.public_id", "resident_b.public_id", "portal_resident.public_id")
UNITS = refs("unit_a.public_id", "unit_b.public_id", "unit_a.pk", "site_a.public_id")
TARGETS = st.sampled_from(["douleur", "chute", "alimentation", "sommeil", "DOULEUR"])
PRIORITIES = st.sampled_from(["routine", "important", "urgent", "URGENT", "critical"])
BOOLEANS = st.sampled_from(["on", "1", "true", "off", "0", "false"])
TOKENS = st.one_of(st.uuids().map(str), refs("note.public_id", "note_b.public_id"))
WORDS = st.sampled_from(["Douleur à la hanche, EVA 6/10.", "Antalgique donné.", "Soulagé à 15 h."])

NOTE_FIELDS = {
    "target": TARGETS,
    "target_detail": WORDS,
    "data": WORDS,
    "action": WORDS,
    "result": WORDS,
    "priority": PRIORITIES,
    "is_open_target": BOOLEANS,
    "is_family_visible": BOOLEANS,
    "client_token": TOKENS,
}


def _note(w):
    return {"public_id": w.note.public_id}


def _resident(w):
    return {"public_id": w.note.resident.public_id}


test_note_create = property_test(
    Endpoint("coordination:note_create", "staff_a", _resident),
    form_data({**NOTE_FIELDS, "_preview": BOOLEANS}),
)
test_handover_note_create = property_test(
    Endpoint("coordination:handover_note_create", "staff_a"),
    form_data(
        {**NOTE_FIELDS, "resident": RESIDENTS, "unit": UNITS, "site": refs("site_a.public_id", "site_b.public_id")}
    ),
)
test_handover_take = property_test(
    Endpoint("coordination:handover_take", "nurse_a"),
    form_data(
        {
            "unit": UNITS,
            "site": refs("site_a.public_id", "site_b.public_id"),
            "urgent": refs("note.public_id", "note_b.public_id"),
        }
    ),
)
test_notes_read = property_test(
    Endpoint("coordination:notes_read", "nurse_a"),
    form_data(
        {
            "note": st.one_of(refs("note.public_id", "note_b.public_id"), st.uuids().map(str)),
            "how": st.sampled_from(["marked", "displayed", "x"]),
        }
    ),
)
test_note_correct = property_test(Endpoint("coordination:note_correct", "staff_a", _note), form_data(NOTE_FIELDS))
test_note_amend = property_test(Endpoint("coordination:note_amend", "nurse_a", _note), form_data(NOTE_FIELDS))
test_note_followup = property_test(
    Endpoint("coordination:note_followup", "nurse_a", _note), form_data({"result": WORDS, "close_target": BOOLEANS})
)
test_note_retract = property_test(
    Endpoint("coordination:note_retract", "coordinator_a", _note),
    form_data({"reason": st.sampled_from(["Écrite dans le mauvais dossier.", "abc"])}),
)
test_note_acknowledge = property_test(
    Endpoint("coordination:note_acknowledge", "nurse_a", _note), form_data({"note": TEXT})
)
test_alert_add = property_test(
    Endpoint("coordination:alert_add", "nurse_a", _resident),
    form_data({"kind": st.sampled_from(["allergy", "fall_risk", "swallowing", "x"]), "detail": WORDS}),
)
test_alert_end = property_test(
    Endpoint("coordination:alert_end", "nurse_a", lambda w: {"public_id": w.alert.public_id}), form_data({})
)
test_resident_transfer = property_test(
    Endpoint("coordination:resident_transfer", "coordinator_a", _resident), form_data({"unit": UNITS})
)
test_resident_discharge = property_test(
    Endpoint("coordination:resident_discharge", "coordinator_a", _resident),
    form_data({"status": st.sampled_from(["discharged", "deceased", "present"]), "on": st.dates().map(str)}),
)
