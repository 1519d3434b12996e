"""Reads and searches: every answer a valid R4B resource, paging, site isolation, the access log."""

from http import HTTPStatus

import pytest
from django.test import Client

from carehub.models import AccessLog
from tests.conftest import ON_REDIS
from tests.coordination.factories import CareNoteFactory, ResidentFactory

from .conftest import valid


def test_metadata_is_a_capability_statement_listing_patient_search(client):
    data = valid(client.get("/fhir/metadata"))
    patient = next(r for r in data["rest"][0]["resource"] if r["type"] == "Patient")
    assert {p["name"] for p in patient["searchParam"]} == {"name", "identifier", "birthdate"}


def test_patient_read(api, resident_a):
    data = valid(api.get(f"/fhir/Patient/{resident_a.public_id}"))
    assert data["name"][0] == {"use": "official", "family": "Durand"}


def test_patient_of_another_site_is_not_found(api, resident_b):
    response = api.get(f"/fhir/Patient/{resident_b.public_id}")
    assert (response.status_code, valid(response)["issue"][0]["code"]) == (HTTPStatus.NOT_FOUND, "not-found")


def test_patient_search_by_name_leaves_out_another_site(api, resident_a, resident_b):
    data = valid(api.get("/fhir/Patient", {"name": "martin"}))
    assert [e["resource"]["id"] for e in data["entry"]] == [str(resident_a.public_id)]


def test_patient_search_by_birth_name(api, resident_a):
    data = valid(api.get("/fhir/Patient", {"name": "durand"}))
    assert [e["resource"]["id"] for e in data["entry"]] == [str(resident_a.public_id)]


def test_patient_search_by_ins(api, group):
    rose = ResidentFactory(site=group.site_a, ins_matricule="248067512345678", ins_oid="1.2.250.1.213.1.4.8")
    ResidentFactory(site=group.site_a, ins_matricule="148067512345678", ins_oid="1.2.250.1.213.1.4.8")
    data = valid(api.get("/fhir/Patient", {"identifier": "urn:oid:1.2.250.1.213.1.4.8|248067512345678"}))
    assert [e["resource"]["id"] for e in data["entry"]] == [str(rose.public_id)]


def test_patient_search_by_birthdate_range(api, group):
    import datetime

    ResidentFactory(site=group.site_a, birth_date=datetime.date(1939, 5, 2))
    old = ResidentFactory(site=group.site_a, birth_date=datetime.date(1930, 5, 2))
    data = valid(api.get("/fhir/Patient", {"birthdate": "lt1935"}))
    assert [e["resource"]["id"] for e in data["entry"]] == [str(old.public_id)]


def test_bad_search_parameter_is_a_400_outcome(api):
    response = api.get("/fhir/Patient", {"birthdate": "mai 1939"})
    assert (response.status_code, valid(response)["resourceType"]) == (HTTPStatus.BAD_REQUEST, "OperationOutcome")


def test_unknown_search_parameter_is_a_400_outcome(api):
    response = api.get("/fhir/Patient", {"eyes": "blue"})
    assert (response.status_code, valid(response)["issue"][0]["code"]) == (HTTPStatus.BAD_REQUEST, "invalid")


def test_paging_follows_next_links_to_every_resident_once(api, group):
    residents = {str(ResidentFactory(site=group.site_a).public_id) for _ in range(5)}
    seen, url, pages = [], "/fhir/Patient?_count=2", 0
    while url:
        data = valid(api.get(url))
        seen += [e["resource"]["id"] for e in data.get("entry", [])]
        url = next((link["url"] for link in data["link"] if link["relation"] == "next"), None)
        pages += 1
    assert (sorted(seen), pages) == (sorted(residents), 3)


def test_second_page_links_back_to_the_first(api, group):
    for _ in range(3):
        ResidentFactory(site=group.site_a)
    data = valid(api.get("/fhir/Patient", {"_count": 2, "page": 2}))
    previous = next(link["url"] for link in data["link"] if link["relation"] == "previous")
    assert previous == "http://testserver/fhir/Patient?_count=2"


@pytest.mark.parametrize("rows", [2, 7])
def test_patient_search_queries_do_not_grow_with_rows(api, group, token_a, django_assert_num_queries, rows):
    for _ in range(rows):
        ResidentFactory(site=group.site_a, unit=group.unit_a)
    api.get("/fhir/Patient")  # the token's last use is written once a minute: not in the count
    with django_assert_num_queries(QUERIES["Patient"]):
        assert api.get("/fhir/Patient", {"_count": 5}).status_code == HTTPStatus.OK


@pytest.mark.parametrize("rows", [2, 7])
def test_communication_search_queries_do_not_grow_with_rows(api, resident_a, django_assert_num_queries, rows):
    for _ in range(rows):
        CareNoteFactory(resident=resident_a)
    api.get("/fhir/Communication")
    with django_assert_num_queries(QUERIES["Communication"]):
        assert (
            api.get("/fhir/Communication", {"subject": f"Patient/{resident_a.public_id}", "_count": 5}).status_code
            == 200
        )


#: The token with its creator, its sites, the page, the access-log entry (5 with its savepoint); and the
#: rate limit's counter, 12 more on the database cache (none on Redis).
QUERIES = dict.fromkeys(["Patient", "Communication"], 8 if ON_REDIS else 20)


def test_read_of_a_patient_is_in_the_access_log_under_the_token_name(api, resident_a):
    api.get(f"/fhir/Patient/{resident_a.public_id}")
    entry = AccessLog.objects.first()
    assert (entry.actor, entry.action, entry.subject_id, entry.user_id) == (
        "api:DPI Tilleuls",
        AccessLog.Action.VIEW,
        resident_a.public_id,
        None,
    )


def test_search_is_in_the_access_log_under_the_token_name(api, resident_a):
    api.get("/fhir/Patient", {"name": "martin"})
    entry = AccessLog.objects.first()
    assert (entry.actor, entry.action, entry.query) == (
        "api:DPI Tilleuls",
        AccessLog.Action.SEARCH,
        "FHIR Patient?name=martin",
    )


def test_communication_carries_the_dar_parts_and_the_target(api, resident_a):
    note = CareNoteFactory(resident=resident_a, data="Se plaint de la hanche", action="Antalgique donné", result="")
    data = valid(api.get(f"/fhir/Communication/{note.public_id}"))
    parts = [(p["extension"][0]["valueCode"], p["contentString"]) for p in data["payload"]]
    assert (parts, data["topic"]["coding"][0]["code"]) == (
        [("data", "Se plaint de la hanche"), ("action", "Antalgique donné")],
        note.target.code,
    )


def test_communication_search_by_subject_and_date(api, resident_a, group):
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    recent = CareNoteFactory(resident=resident_a)
    CareNoteFactory(resident=resident_a, created_at=timezone.now() - datetime.timedelta(days=10))
    CareNoteFactory(resident=ResidentFactory(site=group.site_a))
    data = valid(
        api.get("/fhir/Communication", {"subject": f"Patient/{resident_a.public_id}", "date": f"ge{today.isoformat()}"})
    )
    assert [e["resource"]["id"] for e in data["entry"]] == [str(recent.public_id)]


def test_communication_of_another_site_is_absent(api, resident_b):
    CareNoteFactory(resident=resident_b)
    assert "entry" not in valid(api.get("/fhir/Communication"))


@pytest.mark.parametrize(
    "resource", ["Organization", "Location", "Practitioner", "PractitionerRole", "DocumentReference"]
)
def test_every_type_searches_as_a_valid_bundle(api, group, resource):
    from tests.factories import make_staff

    make_staff(group.site_a, unit=group.unit_a, email="ide@fhir.test")
    data = valid(api.get(f"/fhir/{resource}"))
    assert data["type"] == "searchset"


def test_locations_are_the_token_sites_and_units_only(api, group):
    data = valid(api.get("/fhir/Location"))
    assert sorted(e["resource"]["name"] for e in data["entry"]) == ["Jardin", "Les Tilleuls", "Verger"]


def test_organizations_are_the_group_and_the_token_sites(api, group):
    data = valid(api.get("/fhir/Organization"))
    assert [e["resource"]["id"] for e in data["entry"]] == ["group", str(group.site_a.public_id)]


def test_practitioner_roles_of_another_site_are_absent(api, group):
    from tests.factories import make_staff

    make_staff(group.site_a, email="ide.a@fhir.test")
    make_staff(group.site_b, email="ide.b@fhir.test")
    data = valid(api.get("/fhir/PractitionerRole"))
    assert [e["resource"]["organization"]["display"] for e in data["entry"]] == ["Les Tilleuls"]


def test_signed_in_browser_without_token_gets_401(resident_a):
    from tests.conftest import login_verified
    from tests.factories import make_group_admin

    browser = login_verified(Client(), make_group_admin(email="siege@fhir.test"))
    response = browser.get(f"/fhir/Patient/{resident_a.public_id}")
    assert (response.status_code, valid(response)["issue"][0]["code"]) == (HTTPStatus.UNAUTHORIZED, "login")


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/fhir/Patient?_count=abc", HTTPStatus.BAD_REQUEST),
        ("/fhir/Patient?page=0", HTTPStatus.BAD_REQUEST),
        ("/fhir/Patient?birthdate=ge", HTTPStatus.BAD_REQUEST),
        ("/fhir/Patient?birthdate=2024-13-01", HTTPStatus.BAD_REQUEST),
        ("/fhir/Patient?birthdate=9999-12", HTTPStatus.BAD_REQUEST),  # its end is past the last date
        ("/fhir/Patient?birthdate=2024-01-01T10:00", HTTPStatus.BAD_REQUEST),
        ("/fhir/Patient?identifier=|", HTTPStatus.BAD_REQUEST),
        ("/fhir/Patient?identifier=urn:ietf:rfc:3986|x", HTTPStatus.OK),
        ("/fhir/Patient/not-a-uuid", HTTPStatus.NOT_FOUND),
        ("/fhir/Observation", HTTPStatus.NOT_FOUND),
        ("/fhir/Communication?subject=Observation/1", HTTPStatus.BAD_REQUEST),
        ("/fhir/Communication?subject=Patient/not-a-uuid", HTTPStatus.OK),
        ("/fhir/Organization/group", HTTPStatus.OK),
        ("/fhir/Location/00000000-0000-4000-8000-000000000000", HTTPStatus.NOT_FOUND),
        ("/fhir/Binary/00000000-0000-4000-8000-000000000000", HTTPStatus.NOT_FOUND),
    ],
)
def test_odd_requests_get_a_4xx_outcome_or_a_bundle(api, url, status):
    response = api.get(url)
    assert (
        response.status_code,
        valid(response)["resourceType"] in ("OperationOutcome", "Bundle", "Organization"),
    ) == (
        status,
        True,
    )


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_other_methods_are_405_outcomes(api, resident_a, method):
    response = getattr(api, method)(f"/fhir/Patient/{resident_a.public_id}")
    assert (response.status_code, valid(response)["issue"][0]["code"]) == (
        HTTPStatus.METHOD_NOT_ALLOWED,
        "not-supported",
    )
