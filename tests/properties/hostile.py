"""Strategies of hostile input: what a broken client, a fuzzer or an attacker may send.

Values are strings as HTTP carries them (surrogates cannot travel in UTF-8, every other code point
can, NUL and control characters included), or :class:`Ref` to an object of the shared world (an
id of another site's object, of another resident…), resolved when the request is sent.
"""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass

from hypothesis import strategies as st

#: Every code point HTTP can carry: controls and NUL included, surrogates excluded.
ANY_CHARACTER = st.characters(codec="utf-8")

#: Values that broke form handlers elsewhere: empty, NUL, bidirectional overrides, emoji, markup,
#: SQL, paths, numbers out of every range, dates that do not exist, booleans and JSON as text.
NASTY = (
    "",
    " ",
    "\x00",
    "abc\x00def",
    "\r\n\t\x0b\x0c\x1b[31m",
    "\u202eevil\u202c",
    "مرحبا بالعالم",
    "💉🩺👩‍⚕️🏳️‍🌈",
    "\ufeff\u200b\u2028\u2029",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../../etc/passwd",
    "%00",
    "%2e%2e%2f",
    "null",
    "None",
    "undefined",
    "true",
    "on",
    "[]",
    "{}",
    "-1",
    "0",
    "1e309",
    "NaN",
    "-Infinity",
    "99999999999999999999999999",
    "-9223372036854775809",
    "2024-02-30",
    "0000-00-00",
    "9999-12-31",
    "10000-01-01",
    "31/12/2024",
    "2024-13-01T25:61:61",
    "00000000-0000-0000-0000-000000000000",
    str(uuid.UUID(int=1)),
    "ffffffff-ffff-ffff-ffff-ffffffffffff-",
    "\x00" * 64,
)

#: Long strings, built (not drawn character by character, which would be slow): past every max_length.
LONG = st.builds(lambda c, n: c * n, st.sampled_from(["A", "é", "💉", "\x00", "<", "\u202e"]), st.integers(200, 70_000))

TEXT = st.one_of(st.sampled_from(NASTY), st.text(ANY_CHARACTER, max_size=300), LONG)


@dataclass(frozen=True)
class Ref:
    """An attribute path into the shared world (``"unit_b.public_id"``, ``"users.staff_b.pk"``)."""

    path: str

    def resolve(self, world) -> str:
        def step(obj, name):
            return obj[name] if isinstance(obj, dict) else getattr(obj, name)

        return str(functools.reduce(step, self.path.split("."), world))


def refs(*paths: str) -> st.SearchStrategy:
    return st.sampled_from([Ref(p) for p in paths])


def one_value(plausible: st.SearchStrategy | None = None) -> st.SearchStrategy:
    """A field's value: often plausible, else hostile text; sometimes the key repeated (a list)."""
    single = TEXT if plausible is None else st.one_of(plausible, plausible, TEXT)
    return st.one_of(single, single, single, st.lists(single, min_size=2, max_size=3))


def form_data(fields: dict[str, st.SearchStrategy | None]) -> st.SearchStrategy:
    """A form body: each field present or missing, with plausible or hostile values, and now and
    then a key nobody asked for."""
    optional = {name: one_value(plausible) for name, plausible in fields.items()}
    optional["unexpected"] = one_value()
    return st.fixed_dictionaries({}, optional=optional)


@dataclass(frozen=True)
class Raw:
    """A body sent as is, not form-encoded: JSON, a piece of a file, with its headers."""

    body: bytes | str
    content_type: str = "application/octet-stream"
    headers: dict | None = None


def _key(key: str, world) -> str:
    """A field name that holds an id, as ``"{ref:portal_link.public_id}-may_see_news"`` (form prefixes)."""
    return re.sub(r"\{ref:([\w.]+)\}", lambda m: Ref(m[1]).resolve(world), key)


def resolved(value, world):
    if isinstance(value, Raw):
        return Raw(resolved(value.body, world), value.content_type, resolved(value.headers or {}, world))
    if isinstance(value, Ref):
        return value.resolve(world)
    if isinstance(value, list | tuple):
        return [resolved(v, world) for v in value]
    if isinstance(value, dict):
        return {_key(k, world): resolved(v, world) for k, v in value.items()}
    return value


#: JSON of every shape: what a script may send where an object is expected.
JSON_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
JSON = st.recursive(
    JSON_SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=10,
)


#: File contents: empty, random bytes, and real files of the kinds CareHub accepts.
def _samples() -> list[bytes]:
    from tests.documents.factories import pdf_bytes, png_bytes

    return [b"", b"%PDF-1.4 truncated", pdf_bytes("Protocole"), png_bytes(), b"<svg onload=alert(1)>", b"MZ\x90\x00"]


FILE_NAMES = st.one_of(
    st.sampled_from(["protocole.pdf", "photo.png", "../../etc/passwd", "a.pdf.exe", "CON", ".htaccess", "é💉.pdf"]),
    st.text(ANY_CHARACTER.filter(lambda c: c not in '"\r\n\\/'), min_size=1, max_size=300),
)
FILE_CONTENT = st.one_of(st.sampled_from(range(6)).map(lambda i: _samples()[i]), st.binary(max_size=2048))


def uploaded_files() -> st.SearchStrategy:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return st.builds(SimpleUploadedFile, FILE_NAMES, FILE_CONTENT)
