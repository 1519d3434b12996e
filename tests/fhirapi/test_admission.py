"""The admission software's conditional update: PUT Patient?identifier=system|value."""

import json
from http import HTTPStatus

import pytest
from django.utils import timezone

from coordination.models import CareNote, Resident
from fhirapi import codes
from tests.coordination.factories import CareNoteFactory, ResidentFactory

from .conftest import valid
from .factories import api_client, make_token

ADMISSION_ID = f"{codes.ADMISSION_ID_SYSTEM}|DPI-0042"


def patient(group, **changes):
    body = {
        "resourceType": "Patient",
        "identifier": [
            {"system": codes.ADMISSION_ID_SYSTEM, "value": "DPI-0042"},
            {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": "239057505612361"},
        ],
        "name": [
            {"use": "official", "family": "Durand", "given": ["Rose", "Marie"]},
            {"use": "usual", "family": "Martin", "given": ["Rose"]},
        ],
        "gender": "female",
        "birthDate": "1939-05-02",
        "managingOrganization": {"reference": f"Organization/{group.site_a.public_id}"},
        "extension": [
            {"url": codes.EXT_UNIT, "valueReference": {"reference": f"Location/{group.unit_a.public_id}"}},
            {"url": codes.EXT_ROOM, "valueString": "12"},
            {"url": codes.EXT_ADMISSION_DATE, "valueDate": "2026-11-02"},
            {"url": codes.EXT_BIRTH_PLACE_CODE, "valueCode": "75056"},
            {"url": codes.EXT_IDENTITY_STATUS, "valueCode": "retrieved"},
        ],
    }
    body.update(changes)
    return body


def put(api, body, identifier=ADMISSION_ID):
    return api.put(f"/fhir/Patient?identifier={identifier}", json.dumps(body), content_type="application/fhir+json")


def test_admission_creates_the_resident_with_its_identity(api, group):
    response = put(api, patient(group))
    resident = Resident.objects.get()
    assert (response.status_code, valid(response)["id"], response["Location"]) == (
        HTTPStatus.CREATED,
        str(resident.public_id),
        f"http://testserver/fhir/Patient/{resident.public_id}",
    )
    assert (
        resident.last_name,
        resident.birth_name,
        resident.birth_forenames,
        resident.birth_first_forename,
        resident.sex,
        resident.ins_matricule,
        resident.ins_oid,
        resident.external_id,
        resident.unit,
        resident.room,
        resident.birth_place_code,
    ) == (
        "Martin",
        "Durand",
        "Rose Marie",
        "Rose",
        "F",
        "239057505612361",
        "1.2.250.1.213.1.4.8",
        "DPI-0042",
        group.unit_a,
        "12",
        "75056",
    )


def test_an_ins_whose_key_is_wrong_is_422_naming_the_matricule(api, group):
    body = patient(group)
    body["identifier"][1]["value"] = "239057505612362"
    response = put(api, body)
    assert (response.status_code, Resident.objects.count()) == (HTTPStatus.UNPROCESSABLE_ENTITY, 0)
    assert valid(response)["issue"][0]["diagnostics"].startswith("ins_matricule: ")


def test_same_body_twice_is_one_resident_and_200_the_second_time(api, group):
    first = put(api, patient(group))
    second = put(api, patient(group))
    assert (first.status_code, second.status_code, Resident.objects.count(), valid(second)["id"]) == (
        HTTPStatus.CREATED,
        HTTPStatus.OK,
        1,
        valid(first)["id"],
    )


def test_a_matricule_typed_with_spaces_is_kept_without_and_changes_nothing_the_second_time(api, group):
    body = patient(group)
    body["identifier"][1]["value"] = "2 39 05 75 056 123 61"
    first, again = put(api, body), put(api, body)
    assert (first.status_code, again.status_code, Resident.objects.get().ins_matricule) == (
        HTTPStatus.CREATED,
        HTTPStatus.OK,
        "239057505612361",
    )


def test_update_by_ins_changes_the_used_name(api, group):
    put(api, patient(group))
    body = patient(group, name=[{"use": "usual", "family": "Martin-Leroy", "given": ["Rose"]}])
    put(api, body, identifier="urn:oid:1.2.250.1.213.1.4.8|239057505612361")
    assert Resident.objects.get().last_name == "Martin-Leroy"


def test_transfer_to_another_unit_goes_through_the_transfer_service(api, group):
    put(api, patient(group))
    body = patient(group)
    body["extension"][0] = {
        "url": codes.EXT_UNIT,
        "valueReference": {"reference": f"Location/{group.unit_a2.public_id}"},
    }
    response = put(api, body)
    assert (response.status_code, Resident.objects.get().unit) == (HTTPStatus.OK, group.unit_a2)


def test_transfer_to_another_site_of_the_token_moves_the_notes_too(group):
    _token, raw = make_token(group.site_a, group.site_b, name="DPI groupe")
    api = api_client(raw)
    put(api, patient(group))
    resident = Resident.objects.get()
    CareNoteFactory(resident=resident)
    body = patient(group, managingOrganization={"reference": f"Organization/{group.site_b.public_id}"})
    body["extension"][0] = {
        "url": codes.EXT_UNIT,
        "valueReference": {"reference": f"Location/{group.unit_b.public_id}"},
    }
    put(api, body)
    assert (Resident.objects.get().site, CareNote.objects.get().site) == (group.site_b, group.site_b)


def test_a_site_of_another_token_is_refused_with_422(api, group):
    body = patient(group, managingOrganization={"reference": f"Organization/{group.site_b.public_id}"})
    response = put(api, body)
    assert (response.status_code, valid(response)["issue"][0]["expression"], Resident.objects.count()) == (
        HTTPStatus.UNPROCESSABLE_ENTITY,
        ["Patient.managingOrganization"],
        0,
    )


def test_a_move_to_another_site_without_its_unit_is_422(group):
    _token, raw = make_token(group.site_a, group.site_b, name="DPI groupe")
    api = api_client(raw)
    put(api, patient(group))
    body = patient(group, managingOrganization={"reference": f"Organization/{group.site_b.public_id}"})
    response = put(api, body)
    assert (response.status_code, Resident.objects.get().site) == (HTTPStatus.UNPROCESSABLE_ENTITY, group.site_a)


def test_discharge_through_the_residence_status(api, group):
    put(api, patient(group))
    today = timezone.localdate().isoformat()
    body = patient(group)
    body["extension"] += [
        {"url": codes.EXT_STATUS, "valueCode": "discharged"},
        {"url": codes.EXT_DISCHARGE_DATE, "valueDate": today},
    ]
    first, again = put(api, body), put(api, body)
    resident = Resident.objects.get()
    assert (first.status_code, again.status_code, resident.status, resident.discharge_date.isoformat()) == (
        HTTPStatus.OK,
        HTTPStatus.OK,
        "discharged",
        today,
    )


def test_discharge_before_admission_is_422_and_changes_nothing(api, group):
    put(api, patient(group))
    body = patient(group, name=[{"use": "usual", "family": "Autre", "given": ["Rose"]}])
    body["extension"] += [
        {"url": codes.EXT_STATUS, "valueCode": "discharged"},
        {"url": codes.EXT_DISCHARGE_DATE, "valueDate": "2020-01-01"},
    ]
    response = put(api, body)
    resident = Resident.objects.get()
    assert (response.status_code, resident.status, resident.last_name) == (
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "present",
        "Martin",
    )


def test_death_through_deceased_date_time(api, group):
    put(api, patient(group))
    today = timezone.localdate().isoformat()
    put(api, patient(group, deceasedDateTime=today))
    assert Resident.objects.get().status == Resident.Status.DECEASED


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"resourceType": "Patient", "gender": 12}, HTTPStatus.UNPROCESSABLE_ENTITY),
        ({"resourceType": "Observation"}, HTTPStatus.UNPROCESSABLE_ENTITY),
        ({"resourceType": "Patient", "gender": "femme"}, HTTPStatus.UNPROCESSABLE_ENTITY),
        ({"resourceType": "Patient", "birthDate": "hier"}, HTTPStatus.UNPROCESSABLE_ENTITY),
        (
            {"resourceType": "Patient", "name": [{"use": "usual", "family": "", "given": ["Rose"]}]},
            HTTPStatus.UNPROCESSABLE_ENTITY,
        ),
    ],
)
def test_invalid_bodies_are_422_outcomes(api, group, body, status):
    body = {**body, "managingOrganization": {"reference": f"Organization/{group.site_a.public_id}"}}
    response = put(api, body)
    assert (response.status_code, valid(response)["resourceType"], Resident.objects.count()) == (
        status,
        "OperationOutcome",
        0,
    )


def test_body_that_is_not_json_is_400(api):
    response = api.put(f"/fhir/Patient?identifier={ADMISSION_ID}", "{nope", content_type="application/fhir+json")
    assert (response.status_code, valid(response)["issue"][0]["code"]) == (HTTPStatus.BAD_REQUEST, "structure")


def test_conditional_update_without_identifier_is_400(api, group):
    response = api.put("/fhir/Patient", json.dumps(patient(group)), content_type="application/fhir+json")
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_two_residents_with_the_identifier_is_412(api, group):
    ResidentFactory(site=group.site_a, external_id="DPI-0042")
    ResidentFactory(site=group.site_a, external_id="DPI-0042")
    response = put(api, patient(group))
    assert (response.status_code, valid(response)["issue"][0]["code"]) == (
        HTTPStatus.PRECONDITION_FAILED,
        "multiple-matches",
    )


def test_read_only_token_may_not_write(group):
    _token, raw = make_token(group.site_a, name="Lecteur", scopes=["Patient.read"])
    response = put(api_client(raw), patient(group))
    assert (response.status_code, Resident.objects.count()) == (HTTPStatus.FORBIDDEN, 0)


def test_admission_is_in_the_change_history_under_the_token_creator(api, group, token_a):
    from auditlog.models import LogEntry

    put(api, patient(group))
    entry = LogEntry.objects.get_for_object(Resident.objects.get()).first()
    assert entry.actor == token_a[0].created_by
