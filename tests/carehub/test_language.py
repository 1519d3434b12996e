"""French by default, English from the language switch; the French catalogue is complete."""

from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.accounts.flows import fresh_client, page_text
from tests.conftest import ANY_PAGE

PO_FILE = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def test_the_interface_is_french_by_default(db):
    response = fresh_client().get(reverse("account_login"))
    assert response.status_code == HTTPStatus.OK
    assert '<html lang="fr">' in response.content.decode()
    assert "Se connecter" in page_text(response)
    assert "Forgotten password?" not in page_text(response)


def test_switching_to_english_changes_the_page(db):
    client = fresh_client()
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("account_login")})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_login")
    page = client.get(response.url)
    assert '<html lang="en">' in page.content.decode()
    assert "Sign in" in page_text(page)
    # And back to French.
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert '<html lang="fr">' in client.get(reverse("account_login")).content.decode()


def test_signed_in_staff_switch_language_too(staff_a, verified_client):
    client = verified_client(staff_a)
    assert 'lang="fr"' in client.get(ANY_PAGE).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(ANY_PAGE)
    assert '<html lang="en">' in page.content.decode()
    assert "Sign out" in page_text(page)


@pytest.mark.skipif(not PO_FILE.exists(), reason="the French catalogue is not written yet")
def test_french_catalogue_is_complete():
    import polib

    catalogue = polib.pofile(str(PO_FILE))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated[:20]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy[:20]}"
    plurals = [e.msgid for e in catalogue if e.msgid_plural and not all(e.msgstr_plural.values())]
    assert not plurals, f"plural forms missing: {plurals[:20]}"


@pytest.mark.skipif(not PO_FILE.exists(), reason="the French catalogue is not written yet")
def test_french_catalogue_keeps_placeholders():
    import re

    import polib

    placeholder = re.compile(r"%\(\w+\)[sd]|\{\w*\}|%[sd]")
    broken = []
    for entry in polib.pofile(str(PO_FILE)).translated_entries():
        if entry.msgid_plural:
            continue
        if sorted(placeholder.findall(entry.msgid)) != sorted(placeholder.findall(entry.msgstr)):
            broken.append(entry.msgid)
    assert not broken, broken[:20]


@pytest.mark.skipif(not PO_FILE.exists(), reason="the French catalogue is not written yet")
def test_french_catalogue_follows_french_typography():
    """A non-breaking space before : ; ? ! and inside « », none before a comma."""
    import re

    import polib

    wrong = re.compile(r"[ \u202f][:;?!](?=\s|$)|(?<=[A-Za-zÀ-ÿ)])[;?!](?=\s|$)|(?<=[A-Za-zÀ-ÿ)])[:](?=\s|$)|« | »| ,")
    broken = []
    for entry in polib.pofile(str(PO_FILE)).translated_entries():
        texts = [entry.msgstr, *entry.msgstr_plural.values()]
        broken += [text for text in texts if wrong.search(text)]
    assert broken == []
