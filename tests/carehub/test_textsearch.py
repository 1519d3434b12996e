"""The matching rule every search shares (carehub/textsearch.py), checked against plain definitions."""

import random
import re

import pytest
from django.db.models import Value

from carehub import textsearch
from directory.models import Site
from tests.factories import SiteFactory


def osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance, by the textbook dynamic programme."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def test_one_typo_apart_is_an_edit_distance_of_exactly_one():
    rng = random.Random(14)
    pairs = [("benali", "benaly"), ("lefevre", "leferve"), ("benali", "bennali"), ("lefevre", "lefebvre")]
    for _ in range(20000):
        a = "".join(rng.choice("abn") for _ in range(rng.randint(0, 6)))
        b = "".join(rng.choice("abn") for _ in range(rng.randint(0, 6)))
        pairs.append((a, b))
    wrong = [(a, b) for a, b in pairs if textsearch.one_typo_apart(a, b) != (osa_distance(a, b) == 1)]
    assert wrong == []


def like(pattern: str, text: str) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, flags=re.DOTALL) is not None


def test_typo_patterns_match_the_words_at_most_one_typo_away():
    rng = random.Random(12)
    tokens = ["benali", "lefevre", "karim"] + ["".join(rng.choice("abn") for _ in range(5)) for _ in range(30)]
    wrong = []
    for token in tokens:
        patterns = textsearch.typo_patterns(token)
        for _ in range(300):
            word = "".join(rng.choice("abn") for _ in range(rng.randint(3, 7)))
            for candidate in (word, token[:2] + word[2:], word[:-2] + token[-2:]):
                if any(like(p, f" {candidate} ") for p in patterns) != (osa_distance(token, candidate) <= 1):
                    wrong.append((token, candidate))
    assert wrong == []


@pytest.mark.parametrize(
    "text",
    ["Lefèvre-Œdipe", "  Jean--Pierre  ", "Straße", "Hélène d'Arc", "N°12 bis", "ÇA_VA", "Chambre 3B"],
)
def test_the_database_normalises_as_python_does(db, text):
    site = SiteFactory()
    normalised = textsearch.Normalised(Value(text), "name")
    found = Site.objects.filter(pk=site.pk).annotate(n=normalised).values_list("n", flat=True).get()
    assert found == textsearch.padded(f"{text} {site.name}")
