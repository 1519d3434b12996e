"""Finding a resident by name as people type it: accents aside, one typo forgiven, on SQLite and PostgreSQL."""

import re

import pytest
from django.urls import reverse

from tests.coordination.factories import ResidentFactory

URL = reverse("coordination:resident_list")


def listed(response) -> set[str]:
    """The upper-case last names on the resident list page."""
    return {name for name in ("LEFÈVRE", "BENALI", "BÉNARD", "BENAMAR", "LEFORT") if name in response.content.decode()}


@pytest.fixture
def residents(site_a, unit_a):
    for first, last, room in [
        ("Jeanne", "Lefèvre", "12"),
        ("Fatima", "Benali", "14"),
        ("Louis", "Bénard", "201"),
        ("Odette", "Benamar", "202"),
        ("Paulette", "Lefort", "203"),
    ]:
        ResidentFactory(site=site_a, unit=unit_a, first_name=first, last_name=last, room=room)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lefevre", {"LEFÈVRE"}),
        ("LEFÈVRE", {"LEFÈVRE"}),
        ("benard", {"BÉNARD"}),
        ("lefebvre", {"LEFÈVRE"}),
        ("leferve", {"LEFÈVRE"}),
        ("benaly", {"BENALI"}),
        ("bennali", {"BENALI"}),
        ("jeane lefebvre", {"LEFÈVRE"}),
        ("fatima benaly", {"BENALI"}),
        ("bena", {"BENALI", "BENAMAR", "BÉNARD"}),  # a word start, accents aside
        ("20", {"BÉNARD", "BENAMAR", "LEFORT"}),
    ],
)
def test_resident_found_despite_accents_and_one_typo(verified_client, staff_a, residents, query, expected):
    assert listed(verified_client(staff_a).get(URL, {"q": query})) == expected


@pytest.mark.parametrize("query", ["lefxbvxe", "odette benali", "dumas"])
def test_two_typos_or_another_name_find_no_resident(verified_client, staff_a, residents, query):
    content = verified_client(staff_a).get(URL, {"q": query}).content.decode()
    assert re.findall(r"LEF[ÈO]|BEN|BÉN", content) == []


def test_search_by_name_runs_a_fixed_number_of_queries(
    verified_client, staff_a, site_a, unit_a, residents, django_assert_max_num_queries
):
    client = verified_client(staff_a)
    client.get(URL, {"q": "benaly"})
    with django_assert_max_num_queries(40) as small:
        client.get(URL, {"q": "benaly"})
    for n in range(30):
        ResidentFactory(site=site_a, unit=unit_a, first_name="Marie", last_name=f"Benalix{n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(URL, {"q": "benaly"})


def test_a_renamed_resident_is_found_by_the_new_name(verified_client, staff_a, coordinator_a, residents):
    from coordination import services
    from coordination.models import Resident

    resident = Resident.objects.get(last_name="Lefort")
    services.resident_update(user=coordinator_a, resident=resident, last_name="Lefèvre-Dubois", room="305")
    client = verified_client(staff_a)
    assert "LEFÈVRE-DUBOIS" in client.get(URL, {"q": "dubois"}).content.decode()
    assert "LEFÈVRE-DUBOIS" in client.get(URL, {"q": "305"}).content.decode()
