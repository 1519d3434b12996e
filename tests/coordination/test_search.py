"""Full-text search over the notes a user may read (PostgreSQL French config, SQLite fallback)."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from carehub.models import AccessLog
from coordination import selectors, services
from tests.coordination.factories import CareNoteFactory, ResidentFactory, target
from tests.factories import UnitFactory, make_staff


@pytest.fixture
def notes(site_a, unit_a, site_b, unit_b, staff_a, staff_b):
    mine = ResidentFactory(site=site_a, unit=unit_a, last_name="Martin")
    elsewhere = ResidentFactory(site=site_b, unit=unit_b, last_name="Ailleurs")
    other_unit = ResidentFactory(site=site_a, unit=UnitFactory(site=site_a, name="Les Glycines"), last_name="Voisin")
    return {
        "hip": CareNoteFactory(resident=mine, author=staff_a, data="Douleur à la hanche gauche, grimaçante au lever."),
        "fall": CareNoteFactory(
            resident=mine, author=staff_a, target=target("chute"), data="Retrouvée au sol", priority="urgent"
        ),
        "meal": CareNoteFactory(
            resident=other_unit,
            author=staff_a,
            target=target("alimentation"),
            data="A mangé la moitié du repas.",
            created_at=timezone.now() - timedelta(days=10),
        ),
        "hidden": CareNoteFactory(resident=elsewhere, author=staff_b, data="Douleur de la hanche droite"),
    }


def _search(user, **kw):
    return selectors.note_search_page(
        user, selectors.SearchFilters(**kw), using_postgres=settings.IS_POSTGRES, limit=100
    )


def test_words_accents_and_case_do_not_matter(staff_a, notes):
    assert _search(staff_a, query="HANCHE") == [notes["hip"]]
    assert _search(staff_a, query="grimacante") == [notes["hip"]]  # typed without the cedilla
    assert _search(staff_a, query="douleur hanche") == [notes["hip"]]


def test_only_notes_the_user_may_read(staff_a, staff_b, notes):
    assert notes["hidden"] not in _search(staff_a, query="hanche")
    assert _search(staff_b, query="hanche") == [notes["hidden"]]


def test_filters(staff_a, notes, unit_a):
    assert _search(staff_a, target=target("chute")) == [notes["fall"]]
    assert _search(staff_a, priority="urgent") == [notes["fall"]]
    assert set(_search(staff_a, unit=unit_a)) == {notes["hip"], notes["fall"]}
    assert _search(staff_a, date_to=timezone.localdate() - timedelta(days=5)) == [notes["meal"]]
    assert notes["meal"] not in _search(staff_a, date_from=timezone.localdate() - timedelta(days=1))
    assert set(_search(staff_a, author="Lefèvre")) == {notes["hip"], notes["fall"], notes["meal"]}


def test_followup_text_is_searchable(staff_a, notes):
    services.care_note_add_followup(note=notes["meal"], author=staff_a, result="Complément hyperprotéiné accepté")
    assert _search(staff_a, query="hyperproteine") == [notes["meal"]]


@pytest.mark.postgres
def test_french_stemming_on_postgres(staff_a, notes):
    # "douleurs" and "mangeait" find "Douleur" and "mangé" through the French stemmer.
    assert _search(staff_a, query="douleurs") == [notes["hip"]]
    assert notes["meal"] in _search(staff_a, query="repas")


@pytest.mark.postgres
def test_gin_index_exists_on_postgres(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'carenote_search_vector_fr'")
        (definition,) = cursor.fetchone()
    assert "gin" in definition.lower() and "search_vector" in definition


@pytest.mark.postgres
def test_trigger_keeps_the_vector_in_step(staff_a, notes):
    from coordination.models import CareNote

    def vector(note):
        return CareNote.objects.values_list("search_vector", flat=True).get(pk=note.pk)

    assert "chut" in vector(notes["fall"])  # French stem of "chute"
    services.care_note_add_followup(note=notes["fall"], author=staff_a, result="Radiographie demandée")
    assert "radiograph" in vector(notes["fall"])


def test_search_page_logs_and_escapes(verified_client, staff_a, notes, site_a, unit_a):
    CareNoteFactory(resident=notes["hip"].resident, author=staff_a, data="<img src=x onerror=alert(1)> hanche")
    client = verified_client(staff_a)
    response = client.get(reverse("coordination:search"), {"q": "hanche"})
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "grimaçante" in content and "droite" not in content
    assert "<img src=x" not in content
    entries = AccessLog.objects.filter(action=AccessLog.Action.SEARCH)
    assert {(e.user, "hanche" in e.query, e.subject_id) for e in entries} == {
        (staff_a, True, notes["hip"].resident.public_id)
    }


def test_empty_search_shows_form_only_and_logs_nothing(verified_client, staff_a):
    response = verified_client(staff_a).get(reverse("coordination:search"))
    assert response.status_code == HTTPStatus.OK
    assert not AccessLog.objects.filter(action=AccessLog.Action.SEARCH).exists()


def test_bad_dates_are_a_clear_400(verified_client, staff_a):
    client = verified_client(staff_a)
    response = client.get(reverse("coordination:search"), {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert (
        client.get(reverse("coordination:search"), {"date_from": "pas une date"}).status_code == HTTPStatus.BAD_REQUEST
    )


def test_search_pagination(verified_client, staff_a, site_a, unit_a):
    resident = ResidentFactory(site=site_a, unit=unit_a)
    colleague = make_staff(site_a, unit=unit_a, email="c@carehub.test")
    for i in range(30):
        CareNoteFactory(resident=resident, author=colleague, data=f"Selles normales {i}")
    client = verified_client(staff_a)
    first = client.get(reverse("coordination:search"), {"q": "selles"}).content.decode()
    assert first.count("note__title") == 25 and "page=2" in first
    second = client.get(reverse("coordination:search"), {"q": "selles", "page": 2}).content.decode()
    assert second.count("note__title") == 5


def test_results_show_each_note_at_its_site_time(verified_client, group_admin, site_b, unit_b, staff_b):
    from datetime import UTC, datetime

    resident = ResidentFactory(site=site_b, unit=unit_b)
    # 22:30 UTC is 19:30 in Cayenne (and 23:30 or 00:30 in Paris).
    CareNoteFactory(
        resident=resident, author=staff_b, data="Toux nocturne", created_at=datetime(2026, 6, 10, 22, 30, tzinfo=UTC)
    )
    content = verified_client(group_admin).get(reverse("coordination:search"), {"q": "toux"}).content.decode()
    assert "19:30" in content


@pytest.fixture
def hygiene_note(site_a, unit_a, staff_b, staff_a):
    colleague = make_staff(site_a, unit=unit_a, email="k.benali@carehub.test", first_name="Karim", last_name="Benali")
    resident = ResidentFactory(site=site_a, unit=unit_a, last_name="Lenoir")
    return {
        "hygiene": CareNoteFactory(resident=resident, author=colleague, data="Hygiène des mains refusée, œdème."),
        "other": CareNoteFactory(resident=resident, author=staff_a, data="Sieste calme"),
    }


@pytest.mark.parametrize("query", ["hygiene", "HYGIÈNE", "hygiène.", "« hygiène »", "l'hygiène", "œdème", "refusee"])
def test_note_text_found_accents_case_and_punctuation_aside(staff_a, hygiene_note, query):
    assert _search(staff_a, query=query) == [hygiene_note["hygiene"]]


@pytest.mark.parametrize("author", ["benali", "BÉNALI", "karim", "k.benali", "benaly", "karim bennali"])
def test_author_found_by_name_accents_aside_and_one_typo(staff_a, hygiene_note, author):
    assert _search(staff_a, author=author) == [hygiene_note["hygiene"]]


@pytest.mark.parametrize("author", ["lefevre", "helene", "Hélène Lefèvre", "leferve"])
def test_author_with_accents_in_the_name_found_without_them(staff_a, hygiene_note, author):
    assert _search(staff_a, author=author) == [hygiene_note["other"]]


@pytest.mark.parametrize("author", ["benoit", "karim lefevre", "bena lefevre"])
def test_author_who_wrote_nothing_finds_nothing(staff_a, hygiene_note, author):
    assert _search(staff_a, author=author) == []


def test_search_page_finds_a_note_by_a_word_without_its_accent(verified_client, staff_a, hygiene_note):
    response = verified_client(staff_a).get(reverse("coordination:search"), {"q": "hygiene", "author": "benaly"})
    assert "Hygiène des mains refusée" in response.content.decode()
