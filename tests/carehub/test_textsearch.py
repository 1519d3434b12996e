"""The matching rule every search shares (carehub/textsearch.py), checked against plain definitions."""

import random
import string

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


def one_edit_variants(word: str) -> set[str]:
    letters = "abelnr"
    out = set()
    for i in range(len(word) + 1):
        out |= {word[:i] + c + word[i:] for c in letters}
        if i < len(word):
            out.add(word[:i] + word[i + 1 :])
            out |= {word[:i] + c + word[i + 1 :] for c in letters}
        if i < len(word) - 1:
            out.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    return out - {word}


def test_one_typo_apart_is_an_edit_distance_of_exactly_one():
    rng = random.Random(14)
    pairs = [("benali", "benaly"), ("lefevre", "leferve"), ("benali", "bennali"), ("lefevre", "lefebvre")]
    for _ in range(20000):
        a = "".join(rng.choice("abn") for _ in range(rng.randint(0, 6)))
        b = "".join(rng.choice("abn") for _ in range(rng.randint(0, 6)))
        pairs.append((a, b))
    wrong = [(a, b) for a, b in pairs if textsearch.one_typo_apart(a, b) != (osa_distance(a, b) == 1)]
    assert wrong == []


def test_every_word_one_typo_away_starts_or_ends_like_the_anchors():
    rng = random.Random(12)
    words = ["benali", "lefevre", "dupont", "karim", "vasseur"]
    words += ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 12))) for _ in range(200)]
    missed = []
    for word in words:
        start, end = textsearch.typo_anchors(word)
        missed += [(word, v) for v in one_edit_variants(word) if not (v.startswith(start) or v.endswith(end))]
    assert missed == []


@pytest.mark.parametrize(
    "text",
    ["Lefèvre-Œdipe", "  Jean--Pierre  ", "Straße", "Hélène d'Arc", "N°12 bis", "ÇA_VA", "Chambre 3B"],
)
def test_the_database_normalises_as_python_does(db, text):
    site = SiteFactory()
    normalised = textsearch.Normalised(Value(text), "name")
    found = Site.objects.filter(pk=site.pk).annotate(n=normalised).values_list("n", flat=True).get()
    assert found == textsearch.padded(f"{text} {site.name}")
