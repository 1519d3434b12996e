"""The GDPR export holds everything CareHub keeps about the resident, in French, readable by people
(summary PDF: names in any alphabet, the resident's identity, page number and print time on every
page) and by software (one CSV per kind of data, French file names, dates the French way in the
site's time zone)."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pypdfium2
import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from carehub.access_log import log_access
from carehub.models import AccessLog
from coordination import services as care
from coordination.models import CareNote, HandoverAcknowledgement, NoteReading, Resident
from directory.models import Job
from documents.services import document_upload, document_version_add, resident_folder_get_or_create
from messaging.models import Attachment, Conversation, Kind, Message
from portal.models import Invitation, Relationship
from tests.coordination.factories import CareNoteFactory, ResidentAlertFactory, TargetFactory
from tests.factories import FamilyUserFactory, make_staff
from tests.jobs.helpers import content, download_export
from tests.messaging.factories import MessageFactory
from tests.portal.factories import link

NOW = datetime(2026, 12, 3, 8, 40, tzinfo=UTC)  # 09:40 in Paris, 05:40 in Cayenne


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    """Every test writes its files under its own temporary directory."""


@pytest.fixture
def lucja(site_a, unit_a):
    return Resident.objects.create(
        site=site_a, unit=unit_a, first_name="Łucja", last_name="Nguyễn", birth_date=date(1938, 4, 3), room="12"
    )


def _export(client, resident) -> zipfile.ZipFile:
    response = download_export(client, reverse("backoffice:gdpr_export", args=[resident.public_id]))
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _rows(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")), delimiter=";"))


def _pages(content: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(content)
    return [" ".join(document[i].get_textpage().get_text_range().split()) for i in range(len(document))]


# --- Everything that refers to the resident or to one of their notes is exported -------------


def _relations() -> set[str]:
    """ "app.Model.field" of every relation whose rows are about a resident: foreign keys and
    many-to-many to Resident or CareNote, and the resident's own many-to-many (its table refers to
    the resident)."""
    about = (Resident, CareNote)
    found = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if field.auto_created or not field.is_relation:
                continue
            if field.related_model in about or (model in about and field.many_to_many):
                found.add(f"{model._meta.label}.{field.name}")
    return found


def _note(resident, author, **fields) -> CareNote:
    return CareNoteFactory(resident=resident, author=author, data="Chute dans la salle de bain", **fields)


def _alert(resident, author):
    ResidentAlertFactory(resident=resident, detail="Allergie à la pénicilline", created_by=author)
    return "alertes.csv", ["Allergie à la pénicilline"]


def _care_note(resident, author):
    _note(resident, author)
    return "transmissions.csv", ["1", "Chute dans la salle de bain"]


def _amendment(resident, author):
    original = _note(resident, author)
    care.care_note_amend(original=original, author=author, target=original.target, data="Précision : genou droit")
    return "transmissions.csv", ["2", "Précision : genou droit", "1"]


def _revision(resident, author):
    note = _note(resident, author)
    care.care_note_correct(
        note=note,
        user=author,
        target=note.target,
        data="Chute dans la chambre",
        priority=CareNote.Priority.ROUTINE,
        is_family_visible=False,
        is_open_target=False,
    )
    return "versions-anterieures.csv", ["1", "Chute dans la salle de bain"]


def _followup(resident, author):
    note = _note(resident, author, is_open_target=True)
    care.care_note_add_followup(note=note, author=author, result="Pas de douleur le lendemain")
    return "resultats-ajoutes.csv", ["1", "Pas de douleur le lendemain", str(author)]


def _reading(resident, author):
    reader = make_staff(resident.site, unit=resident.unit, first_name="Yusuf", last_name="Öztürk")
    NoteReading.objects.create(note=_note(resident, author), user=reader)
    return "lectures.csv", ["1", "Yusuf Öztürk"]


def _handover_taken(relation: str, how: str) -> Callable:
    def make(resident, author):
        note = _note(resident, author, priority=CareNote.Priority.URGENT)
        taker = make_staff(resident.site, unit=resident.unit, first_name="Nadia", last_name="Benali")
        taken = HandoverAcknowledgement.objects.create(
            site=resident.site, unit=resident.unit, shift="afternoon", shift_date=date(2026, 12, 3), user=taker
        )
        getattr(taken, relation).add(note)
        return "releves-pris.csv", ["1", "Nadia Benali", resident.unit.name, gettext(how)]

    return make


def _folder(resident, author):
    coordinator = make_staff(resident.site, job=Job.NURSE_COORDINATOR, coordinator=True, first_name="Inès")
    folder = resident_folder_get_or_create(resident=resident, user=coordinator)
    # Each call's bytes differ: the same bytes twice in one folder are refused (one document per content).
    edition = f" ({folder.documents.count()})" if folder.documents.exists() else ""
    document = document_upload(
        folder=folder,
        uploaded=SimpleUploadedFile("pap-2025.txt", f"PAP 2025{edition}\n".encode(), content_type="text/plain"),
        user=coordinator,
        title="Projet personnalisé",
    )
    document_version_add(
        document=document,
        uploaded=SimpleUploadedFile("pap-2026.txt", f"PAP 2026{edition}\n".encode(), content_type="text/plain"),
        user=coordinator,
    )
    return "documents.csv", ["Projet personnalisé", "1", "pap-2025.txt"]


def _conversation(resident, author):
    thread, _ = Conversation.objects.get_or_create(kind=Kind.RESIDENT, site=resident.site, resident=resident)
    MessageFactory(conversation=thread, sender=author, body="Rendez-vous chez le cardiologue jeudi")
    return "messages.csv", ["Rendez-vous chez le cardiologue jeudi", str(author)]


def _family_link(resident, author):
    relative = FamilyUserFactory(first_name="Agnieszka", last_name="Nguyễn")
    link(relative, resident)
    return "proches.csv", ["Agnieszka Nguyễn", relative.email]


def _invitation(resident, author):
    Invitation.objects.create(
        email="neveu@example.test",
        resident=resident,
        relationship=Relationship.NEPHEW_NIECE,
        token_hash=uuid.uuid4().hex * 2,
        expires_at=NOW + timedelta(days=7),
        created_by=author,
    )
    return "invitations-proches.csv", ["neveu@example.test"]


def _referent(resident, author):
    resident.referents.add(author)
    return "identite.csv", [str(author)]


#: One way to make a row of each relation, and the CSV row of the archive that must show it.
ROWS: dict[str, Callable] = {
    "coordination.ResidentAlert.resident": _alert,
    "coordination.CareNote.resident": _care_note,
    "coordination.CareNote.amends": _amendment,
    "coordination.CareNoteRevision.note": _revision,
    "coordination.CareNoteFollowUp.note": _followup,
    "coordination.NoteReading.note": _reading,
    "coordination.HandoverAcknowledgement.notes_seen": _handover_taken("notes_seen", "read"),
    "coordination.HandoverAcknowledgement.urgent_acknowledged": _handover_taken(
        "urgent_acknowledged", "urgent note acknowledged"
    ),
    "documents.Folder.resident": _folder,
    "messaging.Conversation.resident": _conversation,
    "portal.FamilyLink.resident": _family_link,
    "portal.Invitation.resident": _invitation,
    "coordination.Resident.referents": _referent,
}


def test_every_relation_to_a_resident_or_a_note_is_known_to_the_export(db):
    # A new model referring to a resident or a note fails here: export it in backoffice/gdpr.py, add it to ROWS.
    assert _relations() == set(ROWS)


@pytest.mark.parametrize("relation", sorted(ROWS))
def test_the_archive_holds_each_kind_of_row(relation, coordinator_a, staff_a, lucja, verified_client):
    name, values = ROWS[relation](lucja, staff_a)
    rows = _rows(_export(verified_client(coordinator_a), lucja), name)
    assert [row for row in rows if set(values) <= set(row)] != []


def test_the_archive_holds_every_version_of_a_document(coordinator_a, staff_a, lucja, verified_client):
    _folder(lucja, staff_a)
    archive = _export(verified_client(coordinator_a), lucja)
    contents = sorted(archive.read(n) for n in archive.namelist() if n.startswith("documents/"))
    assert contents == [b"PAP 2025\n", b"PAP 2026\n"]


def test_the_archive_holds_the_changes_made_to_the_record(coordinator_a, staff_a, lucja, verified_client):
    lucja.room = "14"
    lucja.save()
    note = _note(lucja, staff_a, is_open_target=True)
    care.care_note_add_followup(note=note, author=staff_a, result="Pas de douleur le lendemain")
    rows = _rows(_export(verified_client(coordinator_a), lucja), "historique-modifications.csv")
    changes = [row[-1] for row in rows[1:]]
    assert ("room: 12 → 14" in changes, any("Pas de douleur le lendemain" in c for c in changes)) == (True, True)


def test_the_archive_holds_message_attachments(coordinator_a, staff_a, lucja, verified_client):
    _conversation(lucja, staff_a)
    message = Message.objects.get()
    Attachment.objects.create(
        message=message,
        original_name="ordonnance.txt",
        name="ordonnance.txt",
        file=ContentFile(b"Ordonnance du Dr Moreau\n", name="ordonnance.txt"),
        size=24,
        sha256="0" * 64,
        kind="txt",
        content_type="text/plain",
        uploaded_by=staff_a,
    )
    archive = _export(verified_client(coordinator_a), lucja)
    (name,) = [n for n in archive.namelist() if n.startswith("pieces-jointes/")]
    row = _rows(archive, "messages.csv")[1]
    assert (archive.read(name), row[-1]) == (b"Ordonnance du Dr Moreau\n", name)


# --- French names, French dates, the site's time zone -----------------------------------------


def test_the_archive_and_its_files_have_french_names(coordinator_a, lucja, verified_client):
    response = download_export(
        verified_client(coordinator_a), reverse("backoffice:gdpr_export", args=[lucja.public_id])
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert (response["Content-Disposition"], sorted(archive.namelist())) == (
        'attachment; filename="export-rgpd-nguyen-lucja-2026-12-03.zip"',
        [
            "alertes.csv",
            "documents.csv",
            "historique-acces.csv",
            "historique-modifications.csv",
            "identite.csv",
            "invitations-proches.csv",
            "lectures.csv",
            "messages.csv",
            "proches.csv",
            "releves-pris.csv",
            "resultats-ajoutes.csv",
            "synthese.pdf",
            "transmissions.csv",
            "versions-anterieures.csv",
        ],
    )


@pytest.mark.parametrize(("url", "extension"), [("backoffice:history_csv", "csv"), ("backoffice:history_pdf", "pdf")])
def test_the_access_history_has_a_french_file_name(url, extension, coordinator_a, lucja, verified_client):
    response = download_export(verified_client(coordinator_a), reverse(url, args=[lucja.public_id]))
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="historique-acces-nguyen-lucja-2026-12-03.{extension}"'
    )


@pytest.fixture
def overseas(site_b, unit_b, staff_b, monkeypatch):
    """A resident of the Cayenne site, a note and a reading of their record at NOW (05:40 there)."""
    resident = Resident.objects.create(
        site=site_b, unit=unit_b, first_name="Léon", last_name="Abchi", birth_date=date(1941, 11, 2)
    )
    CareNoteFactory(resident=resident, author=staff_b, target=TargetFactory(code="chute"), created_at=NOW)
    # The entry's time defaults to the real clock (bound when the model was defined), not to the patched one.
    monkeypatch.setattr(AccessLog._meta.get_field("at"), "_get_default", lambda: NOW)
    log_access(None, AccessLog.Action.VIEW, resident, user=staff_b)
    coordinator = make_staff(site_b, job=Job.NURSE_COORDINATOR, coordinator=True, email="idec.b@carehub.test")
    return resident, coordinator


def test_dates_are_french_and_times_are_the_sites(overseas, verified_client):
    resident, coordinator = overseas
    archive = _export(verified_client(coordinator), resident)
    assert (
        _rows(archive, "identite.csv")[4][1],
        _rows(archive, "transmissions.csv")[1][1],
        _rows(archive, "historique-acces.csv")[1][0],
    ) == ("02/11/1941", "03/12/2026 05:40", "03/12/2026 05:40:00")


# --- The summary PDF ---------------------------------------------------------------------------


def test_names_outside_latin1_print_as_written(coordinator_a, lucja, verified_client):
    text = " ".join(_pages(_export(verified_client(coordinator_a), lucja).read("synthese.pdf")))
    # (the PDF's text layer gives the non-breaking space before ":" as a space)
    assert "Dossier : NGUYỄN Łucja" in text


def test_the_access_history_pdf_prints_names_as_written(coordinator_a, lucja, verified_client):
    response = download_export(
        verified_client(coordinator_a), reverse("backoffice:history_pdf", args=[lucja.public_id])
    )
    assert "Historique des accès au dossier : NGUYỄN Łucja" in " ".join(_pages(content(response)))


def test_every_summary_page_names_the_resident_with_birth_date_number_and_print_time(
    coordinator_a, staff_a, lucja, verified_client
):
    for hours in range(40):
        _note(lucja, staff_a, created_at=NOW - timedelta(hours=hours))
    pages = _pages(_export(verified_client(coordinator_a), lucja).read("synthese.pdf"))
    assert len(pages) > 1
    assert [
        (
            "NGUYỄN Łucja — né(e) le 03/04/1938" in page,
            f"Page {number} sur {len(pages)}" in page,
            "imprimé le 03/12/2026 09:40" in page,
        )
        for number, page in enumerate(pages, start=1)
    ] == [(True, True, True)] * len(pages)


def test_a_note_longer_than_a_page_is_exported_whole(coordinator_a, staff_a, lucja, verified_client):
    words = [f"mot{i}" for i in range(700)]
    _note(lucja, staff_a, action=" ".join(words))
    text = " ".join(_pages(_export(verified_client(coordinator_a), lucja).read("synthese.pdf")))
    assert (words[0] in text, words[-1] in text) == (True, True)


def test_the_number_of_queries_does_not_grow_with_the_record(coordinator_a, staff_a, lucja, verified_client):
    client = verified_client(coordinator_a)
    for make in ROWS.values():
        make(lucja, staff_a)

    def reads(captured) -> int:
        # The job's progress is written as each stored file is added: that grows, by design.
        return sum(1 for q in captured.captured_queries if not q["sql"].startswith('UPDATE "jobs_job"'))

    with CaptureQueriesContext(connection) as small:
        _export(client, lucja)
    for make in ROWS.values():
        make(lucja, staff_a)
    with CaptureQueriesContext(connection) as big:
        _export(client, lucja)
    assert reads(big) == reads(small)
