"""GDPR export of a resident's record: ZIP with a PDF summary, notes, original files, access history; logged."""

from __future__ import annotations

import csv
import io
import zipfile
from http import HTTPStatus

import pypdfium2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from carehub.access_log import log_access
from carehub.models import AccessLog
from coordination.models import CareNote, Resident, Target
from tests.jobs.helpers import download_export


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    """Every test writes its files under its own temporary directory."""


@pytest.fixture
def resident_a(site_a, unit_a):
    return Resident.objects.create(
        site=site_a, unit=unit_a, first_name="Rose", last_name="Martin", room="12", external_id="A-100"
    )


def _pdf_text(content: bytes) -> str:
    pdf = pypdfium2.PdfDocument(content)
    return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def test_the_record_export_holds_summary_notes_files_and_history_and_is_logged(
    coordinator_a, staff_a, resident_a, verified_client
):
    from documents.services import document_upload, resident_folder_get_or_create

    target = Target.objects.get_or_create(code="gdpr-pain", defaults={"name_fr": "Douleur", "name_en": "Pain"})[0]
    CareNote.objects.create(
        resident=resident_a,
        site=resident_a.site,
        unit=resident_a.unit,
        author=staff_a,
        target=target,
        data="Douleur à la hanche gauche",
        action="Antalgique donné",
        shift="morning",
        shift_date=timezone.localdate(),
    )
    folder = resident_folder_get_or_create(resident=resident_a, user=coordinator_a)
    document_upload(
        folder=folder,
        uploaded=SimpleUploadedFile("consignes.txt", b"Consignes de nuit\n", content_type="text/plain"),
        user=coordinator_a,
        title="Consignes",
    )
    log_access(None, AccessLog.Action.VIEW, resident_a, user=staff_a)

    response = download_export(
        verified_client(coordinator_a), reverse("backoffice:gdpr_export", args=[resident_a.public_id])
    )
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert {"synthese.pdf", "transmissions.csv", "historique-acces.csv", "identite.csv"} <= set(names)
    files = [n for n in names if n.startswith("documents/")]
    assert len(files) == 1 and files[0].endswith("consignes.txt")
    assert archive.read(files[0]) == b"Consignes de nuit\n"
    summary = " ".join(_pdf_text(archive.read("synthese.pdf")).split())
    assert "MARTIN Rose" in summary and "hanche gauche" in summary and "consignes.txt" in summary
    assert staff_a.email in summary
    notes = list(csv.reader(io.StringIO(archive.read("transmissions.csv").decode("utf-8-sig")), delimiter=";"))
    assert notes[1][6] == "Douleur à la hanche gauche"
    history = archive.read("historique-acces.csv").decode("utf-8-sig")
    assert staff_a.email in history

    export = AccessLog.objects.get(action=AccessLog.Action.EXPORT)
    assert (export.user, export.subject_id) == (coordinator_a, resident_a.public_id)
    assert "GDPR" in export.query


def test_csv_cells_cannot_carry_spreadsheet_formulas(coordinator_a, resident_a, verified_client):
    resident_a.room = '=HYPERLINK("x")'
    resident_a.save()
    response = download_export(
        verified_client(coordinator_a), reverse("backoffice:gdpr_export", args=[resident_a.public_id])
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    identity = archive.read("identite.csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in identity


def test_another_sites_resident_cannot_be_exported(coordinator_a, site_b, unit_b, verified_client):
    other = Resident.objects.create(site=site_b, unit=unit_b, first_name="Paul", last_name="Bernard")
    response = verified_client(coordinator_a).post(reverse("backoffice:gdpr_export", args=[other.public_id]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()


@pytest.mark.parametrize(
    ("fixture", "refusal"), [("staff_a", HTTPStatus.FORBIDDEN), ("family_user", HTTPStatus.NOT_FOUND)]
)
def test_staff_and_families_cannot_export(request, fixture, refusal, resident_a, verified_client):
    client = verified_client(request.getfixturevalue(fixture))
    for name in ("backoffice:gdpr_export", "backoffice:history_csv", "backoffice:history_pdf"):
        assert client.post(reverse(name, args=[resident_a.public_id])).status_code == refusal


def test_resident_records_page_finds_only_managed_residents(coordinator_a, resident_a, site_b, unit_b, verified_client):
    other = Resident.objects.create(site=site_b, unit=unit_b, first_name="Rosa", last_name="Martinez")
    client = verified_client(coordinator_a)
    response = client.get(reverse("backoffice:resident_records"), {"q": "mart"})
    assert response.status_code == HTTPStatus.OK
    assert list(response.context["page"]) == [resident_a]
    page = response.content.decode()
    assert reverse("backoffice:gdpr_export", args=[resident_a.public_id]) in page
    assert str(other.public_id) not in page
    assert "DOCUMENTS_BIN_RETENTION_DAYS" in page  # retention documented for coordinators
    response = client.get(reverse("backoffice:resident_records"), {"q": "A-100"})
    assert list(response.context["page"]) == [resident_a]
