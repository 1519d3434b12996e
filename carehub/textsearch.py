"""The one matching rule of every search: what counts as the same word, and which typo is forgiven.

- Text and query are compared *normalised* (``normalise``): lower case, no accents, no
  punctuation, so "hygiene" finds "Hygiène" and "lefevre" finds "Lefèvre", on SQLite as on
  PostgreSQL. Columns kept normalised by their app (the directory's search columns, the
  residents' and the care notes' ``search_text``) are compared as they are; other columns
  (document titles) go through ``Normalised``, the same normalisation run by the database.
- A query word matches a *word start*: "mart" finds "Martin" and "Martine".
- In *names* only, a query word of TYPO_MIN_LENGTH letters or more may also be one typo away
  from a whole word (one letter wrong, missing, added, or two neighbours swapped): "benaly",
  "bennali" and "benalli" find "Benali", "leferve" finds "Lefèvre". Jobs, places and note text
  come from fixed vocabularies or long texts: a typo there would mostly find noise.

The typo pass is the same on both databases: the database returns the candidates, rows with
a name word one typo away (``typo_patterns``: LIKE patterns with one wildcard letter), at
most TYPO_CANDIDATES of them, and Python keeps those where every query word matches
(``one_typo_apart`` within one word). PostgreSQL reads them faster scanning the names than
from the GIN trigram index (their trigrams are common ones): 20 to 30 ms for 40,000 staff, a
directory search staying at its former median (bench/directory_search.py's queries).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from django.db.backends.signals import connection_created
from django.db.models import F, Func, Lookup, Q, QuerySet, TextField

#: Query words beyond this many are ignored (each one is a filter of the query).
MAX_QUERY_TOKENS = 8
#: Shorter query words must match a word start exactly: one typo in four letters finds anyone.
TYPO_MIN_LENGTH = 5
#: At most this many candidate rows are read for the typo pass of one search: rows that do not
#: match every word exactly but have a name word one typo away (a few for "benaly" among 20,000
#: staff; a common name misspelt gives a few hundred).
TYPO_CANDIDATES = 2000

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o", "Ø": "o", "ł": "l"})
_NOT_WORD = re.compile(r"[\W_]+")
SQLITE_FUNCTION = "carehub_normalise"


def fold(text: str) -> str:
    """Lower case without accents, punctuation kept: "Hygiène, Œdème" -> "hygiene, œdeme".

    What the care notes' stored ``search_text`` is made of (and their queries, to match it).
    """
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def folded_words(text: str) -> list[str]:
    """The words of ``fold(text)``: what to look for in a folded column such as ``search_text``."""
    return [word for word in _NOT_WORD.split(fold(text)) if word]


def normalise(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces: "Lefèvre-Œdipe" -> "lefevre oedipe"."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", str(text).translate(_LIGATURES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def padded(text: str) -> str:
    """``normalise(text)`` between spaces: " tok" is then a word start and " tok " a whole word."""
    words = normalise(text)
    return f" {words} " if words else ""


def tokens(query: str, limit: int = MAX_QUERY_TOKENS) -> list[str]:
    """The distinct normalised words of a query, in order, at most ``limit``.

    They hold only letters and digits, so no LIKE wildcard gets into a filter built from them.
    """
    seen: list[str] = []
    for token in normalise(query).split():
        if token not in seen:
            seen.append(token)
    return seen[:limit]


# --- One typo ---------------------------------------------------------------------------------
def one_typo_apart(a: str, b: str) -> bool:
    """True when ``b`` is ``a`` with one letter wrong, missing or added, or two neighbours swapped
    (the optimal string alignment distance is exactly 1). Linear in the words' length."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    a_rest, b_rest = a[start:], b[start:]
    if len(a) == len(b):
        swapped = len(a_rest) >= 2 and a_rest[0] == b_rest[1] and a_rest[1] == b_rest[0]
        return a_rest[1:] == b_rest[1:] or (swapped and a_rest[2:] == b_rest[2:])
    longer, shorter = (a_rest, b_rest) if len(a) > len(b) else (b_rest, a_rest)
    return longer[1:] == shorter


def forgives_typo(token: str) -> bool:
    return len(token) >= TYPO_MIN_LENGTH


def typo_patterns(token: str) -> list[str]:
    """LIKE patterns of the words one typo from ``token``, as whole words of a padded text: the
    token with one letter replaced (``_``), added (``_``), removed, or two neighbours swapped.
    A word matches one of them exactly when it is at most one typo away; long literal parts
    make each pattern selective, and PostgreSQL serves them from a GIN trigram index.

    ``token`` comes from ``tokens``: letters and digits, no LIKE wildcard of its own.
    """
    patterns = []
    for i in range(len(token) + 1):
        patterns.append(f"% {token[:i]}_{token[i:]} %")  # a letter added
        if i < len(token):
            patterns.append(f"% {token[:i]}_{token[i + 1 :]} %")  # a letter wrong
            patterns.append(f"% {token[:i]}{token[i + 1 :]} %")  # a letter missing
        if i < len(token) - 1:
            patterns.append(f"% {token[:i]}{token[i + 1]}{token[i]}{token[i + 2 :]} %")  # two swapped
    return list(dict.fromkeys(patterns))


class Like(Lookup):
    """``lhs LIKE pattern``, the pattern's wildcards kept (``contains`` would escape them)."""

    lookup_name = "carehub_like"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


def has_word_start(token: str, text: str) -> bool:
    """Whether a word of the padded, normalised ``text`` starts with ``token``."""
    return f" {token}" in text


def has_word_one_typo_from(token: str, text: str) -> bool:
    return forgives_typo(token) and any(one_typo_apart(token, word) for word in text.split())


def word_start(field: str, token: str) -> Q:
    """Rows whose padded, normalised ``field`` has a word starting with ``token``."""
    return Q(**{f"{field}__contains": f" {token}"})


def _typo_candidate(field: str, token: str) -> Q:
    match = Q()
    for pattern in typo_patterns(token):
        match |= Q(Like(F(field), pattern))
    return match


def every_word_start(field: str, words: Sequence[str]) -> Q:
    match = Q()
    for token in words:
        match &= word_start(field, token)
    return match


def typo_matches(qs: QuerySet, *, words: Sequence[str], text_field: str, name_field: str) -> list:
    """Primary keys of the rows of ``qs`` found only thanks to a typo in a name: every query word
    starts a word of ``text_field`` or is one typo from a word of ``name_field``, and not every
    word starts one exactly (those rows ``every_word_start`` finds). One query, or none when no
    word is long enough to be forgiven a typo.

    Both fields hold padded normalised text (``padded``, or ``Normalised`` annotations); the name
    words must be among the text's words.
    """
    if not any(forgives_typo(t) for t in words):
        return []
    candidates = Q()
    for token in words:
        match = word_start(text_field, token)
        if forgives_typo(token):
            match |= _typo_candidate(name_field, token)
        candidates &= match
    candidates_qs = qs.filter(candidates).exclude(every_word_start(text_field, words)).order_by()
    fields = ["pk", text_field] if name_field == text_field else ["pk", text_field, name_field]
    rows = candidates_qs.values_list(*fields)[:TYPO_CANDIDATES]
    return [
        pk
        for pk, text, *names in rows
        if all(has_word_start(t, text) or has_word_one_typo_from(t, names[0] if names else text) for t in words)
    ]


def word_match(qs: QuerySet, *, words: Sequence[str], text_field: str, name_field: str) -> Q:
    """The filter of a search: every word starts a word of the text, or the row is a typo match."""
    exact = every_word_start(text_field, words)
    typos = typo_matches(qs, words=words, text_field=text_field, name_field=name_field)
    return exact | Q(pk__in=typos) if typos else exact


def fts5_word_starts(words: Sequence[str]) -> str:
    """An SQLite FTS5 query: every word starts a word of the text (``words`` from ``tokens``:
    letters and digits only, nothing FTS5 would read as syntax)."""
    return " ".join(f'"{token}"*' for token in words)


# --- The same normalisation in the database ----------------------------------------------------
class Normalised(Func):
    """``padded(" ".join(expressions))`` computed by the database, for columns without a stored
    normalised copy. SQLite calls ``normalise`` itself (registered on each connection);
    PostgreSQL runs unaccent (migration directory 0003), lower and the same punctuation rule."""

    function = SQLITE_FUNCTION  # the databases CareHub runs on: SQLite, and PostgreSQL below
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        template = (
            "(' ' || btrim(regexp_replace(lower(unaccent(concat_ws(' ', %(expressions)s))), '[^[:alnum:]]+', ' ', 'g'))"
            " || ' ')"
        )
        return super().as_sql(compiler, connection, template=template, **extra_context)


def _sqlite_normalise(*values) -> str:
    return padded(" ".join(str(v) for v in values if v is not None))


def _register_sqlite_function(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, -1, _sqlite_normalise, deterministic=True)


def register() -> None:
    """Give every new SQLite connection the function ``Normalised`` calls (CareHubConfig.ready)."""
    connection_created.connect(_register_sqlite_function, dispatch_uid="carehub.textsearch")
