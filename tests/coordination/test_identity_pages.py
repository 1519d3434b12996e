"""A resident's identity traits (RNIV) as a coordinator enters them in the admin panel and as staff
read them on the resident's page, the handover and its PDF; possible duplicates flagged on admission
by hand and by import, without showing another site's resident."""

from datetime import date
from http import HTTPStatus

import pypdfium2
import pytest
from django.urls import reverse

from coordination.models import Resident
from tests.accounts.flows import page_text
from tests.coordination.factories import CareNoteFactory, ResidentFactory

ADD_URL = reverse("admin:coordination_resident_add")
NIR = "255081416802538"
FR = {"HTTP_ACCEPT_LANGUAGE": "fr"}


def _traits(**values) -> dict:
    return {
        "last_name": "Dupont",
        "first_name": "Jeanne",
        "birth_date": "1955-08-01",
        "birth_name": "Martin",
        "birth_first_forename": "Jeanne",
        "birth_forenames": "Jeanne Marie",
        "sex": "F",
        "birth_place_code": "14118",
        "ins_matricule": "2 55 08 14 168 025 38",
        "ins_oid": "1.2.250.1.213.1.4.8",
        "identity_status": "qualified",
        **values,
    }


def _admit(client, site, **values):
    data = {
        "site": site.pk,
        "status": Resident.Status.PRESENT,
        "alerts-TOTAL_FORMS": "0",
        "alerts-INITIAL_FORMS": "0",
        **_traits(**values),
    }
    return client.post(ADD_URL, {k: v for k, v in data.items() if v is not None}, **FR)


@pytest.fixture
def martin(site_a, unit_a):
    return ResidentFactory(
        site=site_a,
        unit=unit_a,
        last_name="Dupont",
        first_name="Jeanne",
        birth_date=date(1955, 8, 1),
        birth_name="Martin",
        birth_first_forename="Jeanne",
        birth_forenames="Jeanne Marie",
        sex="F",
        birth_place_code="14118",
        ins_matricule=NIR,
        ins_oid="1.2.250.1.213.1.4.8",
        identity_status="qualified",
    )


def test_the_admin_admits_a_resident_with_their_traits_and_the_ins_typed_with_spaces(
    verified_client, coordinator_a, site_a
):
    response = _admit(verified_client(coordinator_a), site_a)
    assert response.status_code == HTTPStatus.FOUND
    resident = Resident.objects.get(last_name="Dupont")
    assert (resident.birth_name, resident.ins_matricule, resident.identity_status) == ("Martin", NIR, "qualified")


def test_the_admin_change_form_shows_the_traits_back(verified_client, coordinator_a, martin):
    response = verified_client(coordinator_a).get(reverse("admin:coordination_resident_change", args=[martin.pk]), **FR)
    assert response.context["adminform"].form["ins_matricule"].value() == NIR


def test_a_wrong_ins_key_in_the_admin_is_a_french_error_and_nothing_is_saved(verified_client, coordinator_a, site_a):
    response = _admit(verified_client(coordinator_a), site_a, ins_matricule=NIR[:13] + "39")
    assert (response.status_code, Resident.objects.count()) == (HTTPStatus.BAD_REQUEST, 0)
    assert "La clé de ce matricule INS est fausse\u00a0: vérifiez chaque chiffre." in page_text(response)


def test_the_resident_page_shows_the_rniv_traits_and_the_status(verified_client, staff_a, martin):
    response = verified_client(staff_a).get(reverse("coordination:resident_detail", args=[martin.public_id]), **FR)
    text = page_text(response)
    assert all(
        part in text
        for part in (
            "Nom de naissance MARTIN",
            "Premier prénom de naissance Jeanne",
            "né(e) le 1 août 1955",
            "Sexe Féminin",
            "Nom utilisé DUPONT Jeanne",
            "Identité qualifiée",
        )
    )


def test_the_handover_row_identifies_the_resident_by_the_birth_traits(verified_client, staff_a, unit_a, martin):
    CareNoteFactory(resident=martin, author=staff_a, data="Nuit calme.")
    response = verified_client(staff_a).get(reverse("coordination:handover"), {"unit": str(unit_a.public_id)}, **FR)
    assert "Nom de naissance MARTIN Jeanne · 01/08/1955 · F" in page_text(response)


def test_the_residents_document_folder_identifies_them_by_the_birth_traits(verified_client, staff_a, site_a, martin):
    from documents.models import Folder
    from tests.documents.factories import FolderFactory

    folder = FolderFactory(scope=Folder.Scope.RESIDENT, site=site_a, resident=martin, name="Dossier de soins")
    response = verified_client(staff_a).get(reverse("documents:folder_detail", args=[folder.public_id]), **FR)
    assert "Nom de naissance MARTIN Jeanne · 01/08/1955 · F" in page_text(response)


def test_the_handover_pdf_prints_the_rniv_traits(verified_client, staff_a, unit_a, martin):
    CareNoteFactory(resident=martin, author=staff_a, data="Nuit calme.")
    response = verified_client(staff_a).get(reverse("coordination:handover_pdf"), {"unit": str(unit_a.public_id)}, **FR)
    document = pypdfium2.PdfDocument(response.content)
    text = " ".join(document[0].get_textpage().get_text_range().split())
    assert "MARTIN Jeanne — F — né(e) le 01/08/1955 — nom utilisé : DUPONT Jeanne" in text


def test_a_possible_duplicate_at_the_same_site_is_shown_and_must_be_confirmed(
    verified_client, coordinator_a, site_a, martin
):
    response = _admit(
        verified_client(coordinator_a), site_a, last_name="MARTIN", first_name="jeanne", ins_matricule="", ins_oid=""
    )
    assert (response.status_code, Resident.objects.count()) == (HTTPStatus.BAD_REQUEST, 1)
    assert (
        "Un résident avec les mêmes traits d'identité existe déjà\u00a0: "
        f"MARTIN Jeanne — F — né(e) le 01/08/1955 — nom utilisé\u00a0: DUPONT Jeanne, {site_a.name}."
    ) in page_text(response)


def test_a_confirmed_possible_duplicate_is_created_flagged(verified_client, coordinator_a, site_a, martin):
    _admit(
        verified_client(coordinator_a),
        site_a,
        last_name="Martin",
        ins_matricule="",
        ins_oid="",
        identity_status="provisional",
        confirm_possible_duplicate="on",
    )
    assert Resident.objects.get(last_name="Martin").possible_duplicate is True


def test_a_possible_duplicate_at_another_site_is_only_said_to_exist(verified_client, coordinator_a, site_a, site_b):
    other = ResidentFactory(
        site=site_b, last_name="Dupont", first_name="Jeanne", birth_date=date(1955, 8, 1), room="B-207"
    )
    response = _admit(
        verified_client(coordinator_a), site_a, ins_matricule="", ins_oid="", identity_status="provisional"
    )
    text = page_text(response)
    assert (
        "Un doublon possible existe dans un autre établissement\u00a0; adressez-vous au référent en identitovigilance."
        in text
    )
    assert site_b.name not in text and other.room not in text


def test_the_import_flags_a_resident_with_the_traits_of_another(group_admin, site_a, unit_a, martin):
    from backoffice import imports

    text = (
        "external_id,last_name,first_name,birth_date,site,unit\n"
        f"DPI-9,Martin,Jeanne,01/08/1955,{site_a.name},{unit_a.name}\n"
    )
    imports.apply_import(kind="residents", text=text, user=group_admin)
    assert Resident.objects.get(external_id="DPI-9").possible_duplicate is True


def test_an_import_of_another_person_flags_nothing(group_admin, site_a, unit_a, martin):
    from backoffice import imports

    text = f"external_id,last_name,first_name,birth_date,site,unit\nDPI-10,Martin,Jeanne,02/08/1955,{site_a.name},{unit_a.name}\n"
    imports.apply_import(kind="residents", text=text, user=group_admin)
    assert Resident.objects.get(external_id="DPI-10").possible_duplicate is False


def test_a_flagged_resident_page_tells_staff(verified_client, staff_a, martin):
    Resident.objects.filter(pk=martin.pk).update(possible_duplicate=True)
    response = verified_client(staff_a).get(reverse("coordination:resident_detail", args=[martin.public_id]), **FR)
    assert "Doublon possible\u00a0: le référent en identitovigilance le vérifie" in page_text(response)


def test_a_possible_duplicate_shown_on_the_form_is_a_read_in_the_access_log(
    verified_client, coordinator_a, site_a, martin
):
    from carehub.models import AccessLog

    _admit(verified_client(coordinator_a), site_a, ins_matricule="", ins_oid="", identity_status="provisional")
    entries = AccessLog.objects.filter(user=coordinator_a, action=AccessLog.Action.VIEW, query="possible duplicate")
    assert list(entries.values_list("subject_id", flat=True)) == [martin.public_id]


def test_the_referent_clears_the_flag_in_the_admin(verified_client, coordinator_a, martin):
    from tests.carehub.admin_forms import admin_form_data

    Resident.objects.filter(pk=martin.pk).update(possible_duplicate=True)
    client = verified_client(coordinator_a)
    url = reverse("admin:coordination_resident_change", args=[martin.pk])
    data = admin_form_data(client.get(url))
    data.pop("possible_duplicate")
    client.post(url, data)
    martin.refresh_from_db()
    assert martin.possible_duplicate is False


def test_a_change_of_traits_that_matches_another_resident_flags_the_record(coordinator_a, site_a, martin):
    from coordination import services

    resident = ResidentFactory(site=site_a, last_name="Martin", first_name="Jeanne", birth_date=date(1955, 8, 2))
    services.resident_update(user=coordinator_a, resident=resident, birth_date=date(1955, 8, 1))
    resident.refresh_from_db()
    assert resident.possible_duplicate is True


def test_the_ins_of_another_resident_is_a_possible_duplicate_whatever_the_names(coordinator_a, site_a, martin):
    """An INS is one person's: written again for another name (the API's path), the record is flagged."""
    from coordination import services

    traits = {
        **_traits(),
        "last_name": "Durand",
        "first_name": "Lucie",
        "birth_name": "Durand",
        "birth_first_forename": "Lucie",
        "birth_forenames": "Lucie",
        "birth_date": date(1955, 8, 2),
        "ins_matricule": NIR,
    }
    assert services.resident_admit(user=coordinator_a, site=site_a, **traits).possible_duplicate is True


def test_the_duplicate_selector_runs_one_query_whatever_the_residents_born_that_day(
    site_a, martin, django_assert_num_queries
):
    from coordination import selectors

    ResidentFactory.create_batch(5, site=site_a, birth_date=martin.birth_date)
    with django_assert_num_queries(1):
        assert selectors.resident_possible_duplicates(
            Resident(**{**_traits(ins_matricule=""), "birth_date": martin.birth_date})
        )
