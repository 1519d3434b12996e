"""The properties every endpoint must hold, whatever it is sent (issue 17, hostile input):

1. no 500 (the test client re-raises the exception a 500 would hide, with its traceback);
2. a refusal (4xx, or a page of form errors) says why, in French: no English msgid left untranslated;
3. a refusal writes nothing: no row added or removed in any table but the access log (which records
   refused attempts too) and the session tables, no file left in the media; an accepted request may
   write, and its files belong to its rows.

Each example runs in a savepoint rolled back afterwards, so that the next one meets the same world.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.urls import reverse
from django.utils.translation import trans_real

from tests.conftest import clear_cache
from tests.properties.hostile import Raw, resolved

#: Written on purpose whatever the answer: who tried what (ASVS 16.3.2) and the sessions themselves.
ALWAYS_WRITABLE = frozenset({"carehub_accesslog", "carehub_accessloghead", "django_session", "accounts_usersession"})

#: Statuses whose page is the project's own translated error page, with nothing more to say.
GENERIC_REFUSALS = frozenset({HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED, 429})


@cache
def _tables() -> tuple[str, ...]:
    names = {m._meta.db_table for m in apps.get_models(include_auto_created=True) if m._meta.managed}
    return tuple(sorted(names - ALWAYS_WRITABLE))


def row_counts() -> dict[str, int]:
    """Rows of every table, in one query."""
    quote = connection.ops.quote_name
    tables = _tables()
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


def media_files(root) -> set[str]:
    return {os.path.join(d, f) for d, _dirs, files in os.walk(root) for f in files}


@cache
def _untranslated() -> tuple[frozenset[str], tuple[str, ...]]:
    """English msgids that have a French translation, whole, and the fixed openings of those with
    placeholders (an error quoting a value never equals its msgid)."""
    catalog = trans_real.translation("fr")._catalog
    whole, openings = set(), set()
    for key in catalog.keys():  # noqa: SIM118 - a TranslationCatalog is not iterable
        if not isinstance(key, str) or not key.strip() or catalog[key] == key:
            continue
        whole.add(key)
        opening = re.split(r"%\(|%[sd]|\{", key, maxsplit=1)[0]
        if opening != key and len(opening) >= 16:
            openings.add(opening)
    return frozenset(whole), tuple(openings)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


_ERRORLIST = re.compile(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', re.S)
_LI = re.compile(r"<li[^>]*>(.*?)</li>", re.S)
_ALERT = re.compile(r'<(p|div|section|span)[^>]*(?:role="alert"|class="[^"]*\berror\b[^"]*")[^>]*>(.*?)</\1>', re.S)


def _json_messages(value) -> Iterable[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("message", "error", "errors", "detail") and isinstance(item, str):
                yield item
            else:
                yield from _json_messages(item)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                yield item
            else:
                yield from _json_messages(item)


def error_texts(response) -> list[str]:
    """The error messages a person reads on the answer: form errors, alerts, JSON messages."""
    content_type = response.get("Content-Type", "")
    body = response.content.decode(errors="replace")
    if "json" in content_type:
        try:
            return [m for m in _json_messages(json.loads(body)) if m]
        except ValueError:
            return []
    if "html" not in content_type:
        return []
    texts = [_text(li) for block in _ERRORLIST.findall(body) for li in _LI.findall(block)]
    texts += [_text(inner) for _tag, inner in _ALERT.findall(body)]
    return [t for t in texts if t]


def assert_translated(texts: list[str]) -> None:
    whole, openings = _untranslated()
    for text in texts:
        assert text not in whole, f"untranslated error: {text!r}"
        assert not text.startswith(openings), f"untranslated error: {text!r}"


@dataclass
class Endpoint:
    """One URL to pound: who sends, what, and what it may write even when it refuses."""

    name: str
    role: str
    kwargs: Callable[[Any], dict] | None = None
    method: str = "post"
    #: Writes a refusal may make on purpose (for instance a failed code counted on its device).
    writes_on_refusal: frozenset[str] = field(default_factory=frozenset)
    #: Several files in one form: a 400 page that lists a stored file ("message--success") is a mixed
    #: result (the good files kept, the others listed), not a refusal.
    mixed_results: bool = False
    #: A value read from the database that a refusal must leave as it was (updates, not inserts).
    unchanged: Callable[[Any], Any] | None = None

    def url(self, world, query: str = "") -> str:
        url = reverse(self.name, kwargs=self.kwargs(world) if self.kwargs else None)
        return f"{url}?{query}" if query else url


def is_refusal(response, texts: list[str]) -> bool:
    return response.status_code >= HTTPStatus.BAD_REQUEST or (
        response.status_code == HTTPStatus.OK and bool(_ERRORLIST.search(response.content.decode(errors="replace")))
    )


def send(endpoint: Endpoint, world, client, payload=None, *, query: str = "", **extra):
    """Send one request in a savepoint rolled back afterwards and assert the three properties.
    Returns the response (for properties of one endpoint)."""
    payload = resolved(payload, world)
    url = endpoint.url(world, query)
    clear_cache()  # rate-limit buckets: each example meets the limits afresh
    files_before = media_files(world.media_root) | media_files(world.pieces_root)
    with transaction.atomic():
        before = row_counts()
        unchanged_before = endpoint.unchanged(world) if endpoint.unchanged else None
        if isinstance(payload, Raw):  # sent as bytes: the test client would choke on a charset it does not know
            body = payload.body.encode() if isinstance(payload.body, str) else payload.body
            response = client.generic(
                endpoint.method.upper(), url, body, payload.content_type, headers=payload.headers, **extra
            )
        else:
            response = getattr(client, endpoint.method)(
                url, **({"data": payload} if payload is not None else {}), **extra
            )
        after = row_counts()
        unchanged_after = endpoint.unchanged(world) if endpoint.unchanged else None
        transaction.set_rollback(True)
    new_files = (media_files(world.media_root) | media_files(world.pieces_root)) - files_before
    for path in new_files:  # the rows they belonged to were rolled back with the example
        os.unlink(path)

    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, response.status_code
    texts = error_texts(response)
    assert_translated(texts)
    changed = {
        t: (before[t], after[t]) for t in before if before[t] != after[t] and t not in endpoint.writes_on_refusal
    }
    mixed = endpoint.mixed_results and b"message--success" in response.content
    if is_refusal(response, texts) and not mixed:
        if response.status_code not in GENERIC_REFUSALS and response.status_code != HTTPStatus.BAD_REQUEST:
            assert texts, f"{response.status_code} without a message to read"
        assert not changed, f"refused with {response.status_code} but wrote {changed}"
        assert not new_files, f"refused with {response.status_code} but left files {sorted(new_files)}"
        assert unchanged_before == unchanged_after, "refused but changed"
    else:  # the pieces of an upload still in progress wait for the next piece, without a row yet
        media = {f for f in new_files if not f.startswith(str(world.pieces_root))}
        assert not media or changed, f"files without rows: {sorted(media)}"
    return response


#: URL names with a property test, filled as the test modules are imported (see test_coverage).
COVERED: set[str] = set()


def property_test(endpoint: Endpoint, payloads, *, examples=(), query: str = "", suffix: str = "", **extra):
    """A Hypothesis test of ``endpoint``: every payload drawn holds the three properties.
    ``examples`` are payloads that once broke it, kept as regressions."""
    from hypothesis import example, given

    COVERED.add(endpoint.name)

    @given(payload=payloads)
    def test(props_world, clients, payload):
        send(endpoint, props_world, clients(endpoint.role), payload, query=query, **extra)

    for kept in examples:
        test = example(payload=kept)(test)
    test.__name__ = "test_" + endpoint.name.replace(":", "_") + (f"_{suffix}" if suffix else "")
    return test
