"""The printed handover (PDF): names in any alphabet, and on every page the page number out of the
total, the print time in the site's zone and, beside each resident's name, the date of birth
(identity vigilance); French dates and a French file name."""

from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus

import pypdfium2
import pytest
from django.urls import reverse
from django.utils import timezone

from tests.coordination.factories import CareNoteFactory, ResidentFactory
from tests.factories import make_staff

NOW = datetime(2026, 12, 3, 8, 40, tzinfo=UTC)  # 09:40 in Paris


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def colleague(site_a, unit_a):
    return make_staff(site_a, unit=unit_a, email="collegue@carehub.test", first_name="Anna", last_name="Petit")


@pytest.fixture
def lucja(site_a, unit_a):
    return ResidentFactory(
        site=site_a, unit=unit_a, first_name="Łucja", last_name="Nguyễn", birth_date=date(1938, 4, 3), room="12"
    )


def _pages(content: bytes) -> list[str]:
    """The text of each page, whitespace collapsed (a line break is a space)."""
    document = pypdfium2.PdfDocument(content)
    return [" ".join(document[i].get_textpage().get_text_range().split()) for i in range(len(document))]


def _handover_pdf(verified_client, user, unit):
    response = verified_client(user).get(reverse("coordination:handover_pdf"), {"unit": str(unit.public_id)})
    assert response.status_code == HTTPStatus.OK
    return response


def test_names_outside_latin1_print_as_written(verified_client, staff_a, unit_a, colleague, lucja):
    CareNoteFactory(resident=lucja, author=colleague, created_at=NOW - timedelta(hours=2))
    text = " ".join(_pages(_handover_pdf(verified_client, staff_a, unit_a).content))
    assert "NGUYỄN Łucja" in text


def test_the_date_of_birth_is_beside_the_name(verified_client, staff_a, unit_a, colleague, lucja):
    CareNoteFactory(resident=lucja, author=colleague, created_at=NOW - timedelta(hours=2))
    text = " ".join(_pages(_handover_pdf(verified_client, staff_a, unit_a).content))
    assert "NGUYỄN Łucja — né(e) le 03/04/1938 — chambre 12" in text


def test_every_page_has_its_number_the_print_time_and_the_residents_identity(
    verified_client, staff_a, unit_a, colleague, lucja
):
    long_text = "Agitée en fin de journée, a refusé le repas puis accepté une compote. " * 12
    for hours in range(1, 13):
        CareNoteFactory(resident=lucja, author=colleague, data=long_text, created_at=NOW - timedelta(hours=hours))
    pages = _pages(_handover_pdf(verified_client, staff_a, unit_a).content)
    assert len(pages) == 3
    assert [
        (
            f"Page {number} sur {len(pages)}" in page,
            "imprimé le 03/12/2026 09:40" in page,
            "NGUYỄN Łucja — né(e) le 03/04/1938" in page,
        )
        for number, page in enumerate(pages, start=1)
    ] == [(True, True, True)] * 3


def test_note_times_are_french_in_the_sites_zone(verified_client, staff_a, unit_a, colleague, lucja):
    CareNoteFactory(resident=lucja, author=colleague, created_at=NOW - timedelta(hours=2))
    text = " ".join(_pages(_handover_pdf(verified_client, staff_a, unit_a).content))
    assert "03/12/2026 07:40 · Matin" in text


def test_the_file_is_named_in_french_with_site_unit_date_and_time(verified_client, staff_a, unit_a, lucja):
    response = _handover_pdf(verified_client, staff_a, unit_a)
    assert response["Content-Disposition"] == (
        'attachment; filename="releve-ehpad-les-tilleuls-les-lilas-2026-12-03-09h40.pdf"'
    )


@pytest.mark.parametrize(
    ("parts", "on", "expected"),
    [
        (("export-rgpd", "Nguyễn", "Łucja"), date(2026, 12, 3), "export-rgpd-nguyen-lucja-2026-12-03.zip"),
        (
            ("historique-acces", "Œuvray", "Jean-Noël"),
            date(2026, 1, 9),
            "historique-acces-oeuvray-jean-noel-2026-01-09.zip",
        ),
    ],
)
def test_file_names_are_plain_lower_case_words_then_the_iso_date(parts, on, expected):
    from carehub.pdf import file_name

    assert file_name(*parts, on=on, extension="zip") == expected
