"""Misspelt names in the directory search: the same answers on SQLite and on PostgreSQL (issue 14)."""

import re

import pytest

from tests.factories import make_staff

URL = "/directory/"


def names(response) -> set[str]:
    html = response.content.decode()
    return {
        re.sub(r"\s+", " ", name).strip()
        for name in re.findall(r'<p class="person__name">\s*<a href="[^"]+">([^<]+)</a>', html)
    }


@pytest.fixture
def namesakes(site_a, site_b, unit_a, staff_a, staff_b):
    """Hélène Lefèvre (site A) and Marc Dupont (site B) come from conftest; the others are their neighbours
    in the alphabet, one or two letters away from the names people misspell."""
    for first, last, site in [
        ("Paul", "Lefebvre", site_a),
        ("Samia", "Benali", site_a),
        ("Karim", "Benali", site_b),
        ("Karim", "Bensaïd", site_a),
        ("Léa", "Lefort", site_a),
        ("Luc", "Lebrun", site_b),
        ("Nadia", "Bernard", site_a),
        ("Yasmine", "Benamar", site_b),
        ("Anna", "Lefranc", site_a),
    ]:
        make_staff(site, first_name=first, last_name=last, email=f"{first}.{last}@t.test".lower())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lefebvre", {"Paul Lefebvre", "Hélène Lefèvre"}),  # the exact name, then Lefèvre less one letter
        ("lefevbre", {"Paul Lefebvre", "Hélène Lefèvre"}),  # two letters swapped, one letter too many
        ("leferve", {"Hélène Lefèvre"}),  # two letters swapped
        ("benalli", {"Samia Benali", "Karim Benali"}),  # a letter doubled
        ("benaly", {"Samia Benali", "Karim Benali"}),  # a wrong letter
        ("bennali", {"Samia Benali", "Karim Benali"}),
        ("karim benaly", {"Karim Benali"}),  # every word must match, the first exactly
    ],
)
def test_one_typo_in_a_name_finds_the_person_and_no_one_else(verified_client, staff_a, namesakes, query, expected):
    assert names(verified_client(staff_a).get(URL, {"q": query})) == expected


def test_exact_spelling_comes_before_a_typo(verified_client, staff_a, namesakes):
    response = verified_client(staff_a).get(URL, {"q": "lefebvre"})
    first = re.search(r'<p class="person__name">\s*<a href="[^"]+">([^<]+)</a>', response.content.decode())
    assert first.group(1).strip() == "Paul Lefebvre"


@pytest.mark.parametrize("query", ["lefxbvxe", "benoit", "karim lefebvre", "dumas"])
def test_two_typos_or_an_unknown_name_find_nobody(verified_client, staff_a, namesakes, query):
    assert names(verified_client(staff_a).get(URL, {"q": query})) == set()


def test_a_word_start_is_not_also_forgiven_a_typo(verified_client, staff_a, namesakes):
    # "bena" starts Benali and Benamar; "Bensaïd" is one letter away from a word start, not a name.
    found = names(verified_client(staff_a).get(URL, {"q": "bena"}))
    assert found == {"Samia Benali", "Karim Benali", "Yasmine Benamar"}
