"""The checks of a resident's identity traits under the identity-vigilance rules (RNIV): the INS
matricule and its key, its OID, the INSEE code and the coherence of the identity status."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from coordination import identity, services
from coordination.models import Resident
from tests.coordination.factories import ResidentFactory

#: The textbook NIR "2 55 08 14 168 025 38": a woman born in August 1955 in the Calvados.
NIR = "255081416802538"
NIR_OID = "1.2.250.1.213.1.4.8"


def _nir(first_13: str) -> str:
    return first_13 + f"{identity.ins_key(first_13):02d}"


def _qualified(**traits) -> dict:
    return {
        "birth_name": "Martin",
        "birth_first_forename": "Jeanne",
        "birth_forenames": "Jeanne Marie",
        "sex": "F",
        "birth_date": date(1955, 8, 1),
        "birth_place_code": "14118",
        "ins_matricule": NIR,
        "ins_oid": NIR_OID,
        "identity_status": Resident.IdentityStatus.QUALIFIED,
        **traits,
    }


def _errors(**traits) -> dict:
    with translation.override("fr"):
        return identity.identity_errors(traits)


def test_a_nir_with_its_key_is_valid():
    assert identity.matricule_errors(NIR) == []


def test_a_qualified_identity_with_every_trait_holds():
    assert _errors(**_qualified()) == {}


def test_a_wrong_key_is_refused_in_french():
    assert _errors(ins_matricule=NIR[:13] + "39", ins_oid=NIR_OID, identity_status="retrieved")["ins_matricule"] == [
        "La clé de ce matricule INS est fausse\u00a0: vérifiez chaque chiffre."
    ]


@pytest.mark.parametrize(("department", "stands_for"), [("2A", "19"), ("2B", "18")])
def test_a_corsican_birth_counts_its_department_as_19_or_18_for_the_key(department, stands_for):
    number = f"18505{department}004123"
    key = 97 - int(f"18505{stands_for}004123") % 97
    assert identity.matricule_errors(f"{number}{key:02d}") == []


def test_letters_are_refused_outside_the_corsican_department():
    assert _errors(ins_matricule="2A5081416802538")["ins_matricule"] == [  # pragma: allowlist secret
        "Le matricule INS a 15 caractères\u00a0: 13 chiffres (2A ou 2B pour une naissance en Corse) suivis de la clé "
        "à 2 chiffres."
    ]


def test_an_oid_that_is_not_of_an_ins_is_refused():
    assert _errors(**_qualified(ins_oid="1.2.250.1.213.1.4.2"))["ins_oid"] == [
        "OID inconnu\u00a0: un INS est un NIR (1.2.250.1.213.1.4.8) ou un NIA (1.2.250.1.213.1.4.9)."
    ]


@pytest.mark.parametrize("oid", ["1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"])
def test_the_nia_and_the_test_oids_are_accepted(oid):
    assert _errors(**_qualified(ins_oid=oid)) == {}


@pytest.mark.parametrize("code", ["75056", "2A004", "99134"])
def test_an_insee_code_of_a_commune_corsica_or_a_country_is_accepted(code):
    assert "birth_place_code" not in _errors(birth_place_code=code)


@pytest.mark.parametrize("code", ["7505", "2C004", "75 056"])
def test_an_insee_code_of_another_shape_is_refused(code):
    assert "birth_place_code" in _errors(birth_place_code=code)


def test_a_retrieved_identity_needs_its_ins():
    assert _errors(**_qualified(identity_status="retrieved", ins_matricule="", ins_oid="")) == {
        "ins_matricule": ["Une identité récupérée ou qualifiée a un INS\u00a0: indiquez son matricule."],
        "ins_oid": ["Une identité récupérée ou qualifiée a un INS\u00a0: indiquez son OID."],
    }


@pytest.mark.parametrize("status", ["provisional", "validated"])
def test_an_ins_makes_the_identity_retrieved_or_qualified(status):
    assert "identity_status" in _errors(**_qualified(identity_status=status))


def test_a_qualified_identity_needs_every_strict_trait():
    assert _errors(**_qualified(birth_place_code=""))["birth_place_code"] == [
        "Obligatoire au-delà d'une identité provisoire."
    ]


def test_a_provisional_identity_may_lack_every_trait():
    assert _errors(identity_status="provisional") == {}


def test_the_matricule_must_be_of_the_persons_sex():
    assert "ins_matricule" in _errors(**_qualified(sex="M"))


def test_the_first_birth_forename_is_the_first_of_the_list():
    assert "birth_first_forename" in _errors(**_qualified(birth_first_forename="Marie"))


def test_a_compound_first_forename_matches_without_accents_or_case():
    assert _errors(**_qualified(birth_first_forename="Jeanne-Hélène", birth_forenames="JEANNE HELENE Marie")) == {}


def test_the_service_keeps_the_matricule_without_its_spaces(coordinator_a, site_a):
    resident = services.resident_admit(
        user=coordinator_a,
        site=site_a,
        last_name="Dupont",
        first_name="Jeanne",
        **_qualified(ins_matricule="2 55 08 14 168 025 38"),
    )
    resident.refresh_from_db()
    assert resident.ins_matricule == NIR


def test_the_service_refuses_traits_that_do_not_hold_with_errors_by_field(coordinator_a, site_a):
    resident = ResidentFactory(site=site_a)
    with pytest.raises(ValidationError) as raised:
        services.resident_identity_set(
            user=coordinator_a, resident=resident, ins_matricule=NIR, identity_status="retrieved"
        )
    assert set(raised.value.message_dict) >= {"ins_oid"}


def test_the_service_sets_the_traits_for_a_caller_without_a_form(coordinator_a, site_a):
    resident = ResidentFactory(site=site_a, last_name="Dupont", first_name="Jeanne")
    services.resident_identity_set(user=coordinator_a, resident=resident, **_qualified())
    resident.refresh_from_db()
    assert (resident.identity_status, resident.ins_matricule) == ("qualified", NIR)


def test_a_change_of_identity_traits_is_in_the_audit_trail(coordinator_a, site_a):
    from auditlog.models import LogEntry

    resident = ResidentFactory(site=site_a, last_name="Dupont", first_name="Jeanne")
    services.resident_identity_set(user=coordinator_a, resident=resident, birth_name="Martin")
    entry = LogEntry.objects.get_for_object(resident).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.changes_dict["birth_name"] == ["", "Martin"]


def test_the_identity_line_puts_the_birth_traits_first_then_the_used_name():
    resident = Resident(
        last_name="Dupont", first_name="Jeanne", birth_name="Martin", birth_first_forename="Jeanne", sex="F"
    )
    resident.birth_date = date(1955, 8, 1)
    with translation.override("fr"):
        assert (
            identity.identity_line(resident)
            == "MARTIN Jeanne — F — né(e) le 01/08/1955 — nom utilisé\u00a0: DUPONT Jeanne"
        )


def test_the_demo_residents_traits_hold(db):
    """seed_demo writes in bulk (no checks on the way): its traits must hold all the same."""
    import random

    from faker import Faker

    from coordination.demo import demo_identity

    rng, faker = random.Random(3), Faker("fr_FR")
    problems = []
    for n in range(60):
        born = date(1925 + n % 30, 1 + n % 12, 1)
        traits = demo_identity(rng, faker, female=n % 3 != 0, first_name="Jeanne", last_name="Dupont", born=born)
        problems += identity.identity_errors({**traits, "birth_date": born}).values()
    assert problems == []
