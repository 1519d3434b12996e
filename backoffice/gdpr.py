"""GDPR export of a resident's record: a ZIP with a PDF summary, one CSV per kind of data, the files.

Right of access (GDPR art. 15) and portability (art. 20): everything CareHub holds
about the person — identity, alerts, care notes with their amendments, results
added later and earlier versions, who read them and took them over in a
handover, documents with every version, the messages and files of the resident's
threads, the relatives and invitations, the change history and the access
history. The summary is for people, the CSV files (the same tables) for
software. Dates are written the active language's way, times in the resident's
site's time zone; file names are French in every language (the layout of the
archive does not change with the reader's language). Every export is written to
the access log (by the view).

A model that refers to a resident or to a care note must be exported here:
tests/backoffice/test_gdpr_export.py finds such models in the app registry.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

from auditlog.models import LogEntry
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carehub import spreadsheets
from carehub.pdf import day, file_name, moment, person_identity
from coordination.models import CareNote, HandoverAcknowledgement, NoteReading
from documents.models import DocumentVersion
from messaging.models import Conversation, Message
from portal.models import FamilyLink, Invitation

from .pdf import build_pdf
from .selectors import access_history_rows, resident_access_history, resident_change_scope

#: progress(done, total=None): how far a long export is (the background job's page shows it).
Progress = Callable[..., None]

ACCESS_HEADERS = (
    gettext_lazy("when"),
    gettext_lazy("who"),
    gettext_lazy("action"),
    gettext_lazy("object"),
    gettext_lazy("search terms"),
    gettext_lazy("IP address"),
)


def _history_rows(resident, progress: Progress | None = None, before_id: int | None = None) -> list[list[str]]:
    """The rows of the access history; ``progress(done, total)`` is told as entries are read."""
    entries = resident_access_history(resident=resident, before_id=before_id)
    zone = resident.site.zone
    if progress is None:
        return access_history_rows(entries, zone=zone)
    progress(0, entries.count())
    rows: list[list[str]] = []
    for done, entry in enumerate(entries.iterator(chunk_size=2000), start=1):
        rows += access_history_rows([entry], zone=zone)
        progress(done)
    return rows


def access_history_csv(resident, *, progress: Progress | None = None, before_id: int | None = None) -> bytes:
    rows = _history_rows(resident, progress, before_id)
    return spreadsheets.csv_bytes([str(h) for h in ACCESS_HEADERS], rows)


def access_history_pdf(resident, *, progress: Progress | None = None, before_id: int | None = None) -> bytes:
    rows = _history_rows(resident, progress, before_id)
    return build_pdf(
        title=_("Access history of %(resident)s") % {"resident": resident},
        header=person_identity(resident),
        zone=resident.site.zone,
        intro=[
            _("Everyone who opened, downloaded, printed or exported this resident's record, newest first."),
            _("%(count)d entries.") % {"count": len(rows)},
        ],
        sections=[(_("Accesses"), [str(h) for h in ACCESS_HEADERS], rows)],
    )


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


@dataclass
class Part:
    """One kind of data: a section of the summary and a CSV file of the archive."""

    name: str
    heading: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)

    @property
    def csv_name(self) -> str:
        return f"{self.name}.csv"


@dataclass
class _File:
    path: str
    field_file: object


def _identity(resident) -> Part:
    fields = [
        (_("Last name"), resident.last_name),
        (_("First name"), resident.first_name),
        (_("Preferred name"), resident.preferred_name),
        (_("Date of birth"), day(resident.birth_date)),
        (_("Site"), resident.site.name),
        (_("Unit"), resident.unit.name if resident.unit_id else ""),
        (_("Room"), resident.room),
        (_("Status"), resident.get_status_display()),
        (_("Admission date"), day(resident.admission_date)),
        (_("Discharge date"), day(resident.discharge_date)),
        (_("GIR"), resident.gir or ""),
        (_("Admission software id"), resident.external_id),
        (_("Referent staff"), ", ".join(str(u) for u in resident.referents.all())),
        (_("Photo"), _("in this archive") if resident.photo else ""),
    ]
    return Part(
        "identite",
        _("Identity"),
        [_("Field"), _("Value")],
        [[label, str(value or "")] for label, value in fields],
    )


def _alerts(resident, zone) -> Part:
    rows = [
        [
            alert.get_kind_display(),
            alert.detail,
            moment(alert.created_at, zone),
            str(alert.created_by or ""),
            _("active") if alert.is_active else _("ended"),
            moment(alert.ended_at, zone),
            str(alert.ended_by or ""),
        ]
        for alert in resident.alerts.select_related("created_by", "ended_by").order_by("created_at", "id")
    ]
    return Part(
        "alertes",
        _("Alerts"),
        [_("Kind"), _("Detail"), _("Since"), _("Recorded by"), _("Status"), _("Ended"), _("Ended by")],
        rows,
    )


def _note_parts(resident, zone) -> list[Part]:
    """The notes, numbered in the order they were written, and what refers to them by that number."""
    notes = list(
        CareNote.objects.filter(resident=resident)
        .select_related("target", "author", "retracted_by", "acknowledged_by", "target_closed_by")
        .prefetch_related(
            "revisions__target",
            "followups__author",
            Prefetch("readings", queryset=NoteReading.objects.select_related("user").order_by("read_at", "id")),
        )
        .order_by("created_at", "id")
    )
    number = {note.pk: i for i, note in enumerate(notes, start=1)}
    notes_part = Part(
        "transmissions",
        _("Care notes"),
        [str(h) for h in NOTE_HEADERS],
    )
    followups = Part(
        "resultats-ajoutes",
        _("Results added later"),
        [_("note no."), _("written"), _("author"), _("result"), _("closes the target")],
    )
    revisions = Part(
        "versions-anterieures",
        _("Earlier versions of notes"),
        [_("note no."), _("replaced"), _("target"), _("priority"), _("data"), _("action"), _("result")],
    )
    readings = Part(
        "lectures",
        _("Who read the notes"),
        [_("note no."), _("who"), _("when"), _("how")],
    )
    for note in notes:
        remarks = []
        if note.corrected_at:
            remarks.append(_("corrected by its author on %(when)s") % {"when": moment(note.corrected_at, zone)})
        if note.target_closed_at:
            remarks.append(
                _("target closed on %(when)s by %(who)s")
                % {"when": moment(note.target_closed_at, zone), "who": note.target_closed_by or ""}
            )
        if note.acknowledged_at:
            remarks.append(
                _("acknowledged on %(when)s by %(who)s")
                % {"when": moment(note.acknowledged_at, zone), "who": note.acknowledged_by or ""}
            )
        if note.retracted_at:
            remarks.append(_("retracted: %(reason)s") % {"reason": note.retraction_reason})
        notes_part.rows.append(
            [
                str(number[note.pk]),
                moment(note.created_at, zone),
                str(note.author),
                note.get_shift_display(),
                note.target_label,
                note.get_priority_display(),
                note.data,
                note.action,
                note.result,
                _yes_no(note.is_family_visible),
                str(number[note.amends_id]) if note.amends_id else "",
                "; ".join(remarks),
            ]
        )
        for followup in note.followups.all():
            followups.rows.append(
                [
                    str(number[note.pk]),
                    moment(followup.created_at, zone),
                    str(followup.author),
                    followup.result,
                    _yes_no(followup.closes_target),
                ]
            )
        for revision in note.revisions.all():
            label = revision.target.label + (f" — {revision.target_detail}" if revision.target_detail else "")
            revisions.rows.append(
                [
                    str(number[note.pk]),
                    moment(revision.replaced_at, zone),
                    label,
                    revision.get_priority_display(),
                    revision.data,
                    revision.action,
                    revision.result,
                ]
            )
        for reading in note.readings.all():
            readings.rows.append(
                [str(number[note.pk]), str(reading.user), moment(reading.read_at, zone), reading.get_how_display()]
            )
    handovers = Part(
        "releves-pris",
        _("Handovers taken with these notes"),
        [_("note no."), _("taken at"), _("taken by"), _("unit"), _("shift"), _("how")],
    )
    for label, relation in ((_("read"), "notes_seen"), (_("urgent note acknowledged"), "urgent_acknowledged")):
        through = getattr(HandoverAcknowledgement, relation).through
        links = (
            through.objects.filter(carenote__resident=resident)
            .select_related("handoveracknowledgement__user", "handoveracknowledgement__unit")
            .order_by("handoveracknowledgement__acknowledged_at", "id")
        )
        for link in links:
            taken = link.handoveracknowledgement
            handovers.rows.append(
                [
                    str(number[link.carenote_id]),
                    moment(taken.acknowledged_at, zone),
                    str(taken.user),
                    taken.unit.name,
                    taken.get_shift_display(),
                    label,
                ]
            )
    return [notes_part, followups, revisions, readings, handovers]


NOTE_HEADERS = (
    gettext_lazy("note no."),
    gettext_lazy("written"),
    gettext_lazy("author"),
    gettext_lazy("shift"),
    gettext_lazy("target"),
    gettext_lazy("priority"),
    gettext_lazy("data"),
    gettext_lazy("action"),
    gettext_lazy("result"),
    gettext_lazy("visible to the family"),
    gettext_lazy("amends note no."),
    gettext_lazy("remark"),
)


def _zip_name(text: str) -> str:
    cleaned = re.sub(r"[^\w.\- ]+", "_", text, flags=re.UNICODE).strip(" ._")
    return cleaned[:120] or "file"


def _documents(resident, zone, files: list[_File]) -> Part:
    """Every version of every document of the resident's folders, those in the bin too."""
    versions = (
        DocumentVersion.objects.filter(document__folder__resident=resident)
        .select_related("document__folder", "uploaded_by")
        .order_by("document__folder__name", "document__title", "document_id", "number")
    )
    folder = "documents"
    part = Part(
        folder,
        _("Documents"),
        [
            _("Folder"),
            _("Title"),
            _("Version"),
            _("File name"),
            _("Uploaded"),
            _("Uploaded by"),
            _("Comment"),
            _("Remark"),
            _("In this archive"),
        ],
    )
    for version in versions:
        document = version.document
        path = f"{folder}/{len(files) + 1:03d}-{_zip_name(version.original_name)}"
        files.append(_File(path, version.file))
        part.rows.append(
            [
                document.folder.name,
                document.title,
                str(version.number),
                version.original_name,
                moment(version.uploaded_at, zone),
                str(version.uploaded_by),
                version.comment,
                _("in the bin") if document.binned_at else "",
                path,
            ]
        )
    return part


def _messages(resident, zone, files: list[_File]) -> Part:
    """The messages of the conversations about the resident (care team thread, family thread)."""
    messages = (
        Message.objects.filter(conversation__in=Conversation.objects.filter(resident=resident))
        .select_related("conversation", "sender")
        .prefetch_related("attachments")
        .order_by("conversation_id", "id")
    )
    folder = "pieces-jointes"
    part = Part(
        "messages",
        _("Messages"),
        [_("Conversation"), _("sent"), _("sender"), _("message"), _("Remark"), _("In this archive")],
    )
    for message in messages:
        conversation = message.conversation
        paths = []
        for attachment in message.attachments.all():
            path = f"{folder}/{len(files) + 1:03d}-{_zip_name(attachment.original_name)}"
            files.append(_File(path, attachment.file))
            paths.append(path)
        remark = _("deleted on %(when)s") % {"when": moment(message.deleted_at, zone)} if message.deleted_at else ""
        part.rows.append(
            [
                conversation.title or conversation.get_kind_display(),
                moment(message.created_at, zone),
                str(message.sender),
                message.body,
                remark,
                ", ".join(paths),
            ]
        )
    return part


def _family(resident, zone) -> list[Part]:
    links = FamilyLink.objects.filter(resident=resident).select_related("user").order_by("created_at", "id")
    family = Part(
        "proches",
        _("Relatives"),
        [_("Relative"), _("E-mail"), _("Relationship"), _("May see"), _("Status"), _("Since"), _("Revoked")],
        [
            [
                str(link.user),
                link.user.email,
                link.get_relationship_display(),
                ", ".join(link.rights_summary()),
                _("active") if link.is_active else _("ended"),
                moment(link.created_at, zone),
                moment(link.revoked_at, zone),
            ]
            for link in links
        ],
    )
    invitations = Part(
        "invitations-proches",
        _("Invitations sent to relatives"),
        [_("E-mail"), _("Relationship"), _("May see"), _("Status"), _("Sent"), _("Valid until"), _("Invited by")],
        [
            [
                invitation.email,
                invitation.get_relationship_display(),
                ", ".join(invitation.rights_summary()),
                invitation.get_status_display(),
                moment(invitation.created_at, zone),
                moment(invitation.expires_at, zone),
                str(invitation.created_by),
            ]
            for invitation in Invitation.objects.filter(resident=resident)
            .select_related("created_by")
            .order_by("created_at", "id")
        ],
    )
    return [family, invitations]


#: The first words of the downloads about a resident. File names are French whatever the reader's language:
#: the archive's layout is read by software too (portability), so it does not change with the language.
RECORD_NAME = "export-rgpd"
HISTORY_NAME = "historique-acces"


def _change_text(changes: dict) -> str:
    """ "room: 12 → 14; referents: add Hélène Lefèvre" (auditlog's own text fails on many-to-many)."""
    parts = []
    for name, values in changes.items():
        if isinstance(values, dict):  # many-to-many: {"type": "m2m", "operation": "add", "objects": [...]}
            objects = ", ".join(str(o) for o in values.get("objects", []))
            parts.append(f"{name}: {values.get('operation', '')} {objects}")
        else:
            parts.append(f"{name}: {values[0]} → {values[1]}")
    return "; ".join(parts)


def _changes(resident, zone) -> Part:
    """What was changed in the file, by whom and when (django-auditlog): the earlier values of fields."""
    entries = (
        LogEntry.objects.filter(resident_change_scope(public_id=resident.public_id))
        .select_related("actor", "content_type")
        .order_by("timestamp", "id")
    )
    return Part(
        "historique-modifications",
        _("Changes to the record"),
        [_("when"), _("who"), _("object"), _("action"), _("changes")],
        [
            [
                moment(entry.timestamp, zone),
                str(entry.actor or entry.actor_email or ""),
                f"{capfirst(entry.content_type.name)}: {entry.object_repr}",
                entry.get_action_display(),
                _change_text(entry.changes_dict),
            ]
            for entry in entries
        ],
    )


def record_file_name(resident, *, what: str, extension: str) -> str:
    """ "export-rgpd-imbert-marie-2026-12-03.zip": a download about the resident, dated in their site's zone."""
    today = timezone.localdate(timezone=resident.site.zone)
    return file_name(what, resident.last_name, resident.first_name, on=today, extension=extension)


def resident_record_zip(
    *, resident, progress: Progress | None = None, before_id: int | None = None
) -> tempfile.SpooledTemporaryFile:
    """The ZIP of the resident's record, in a temporary file (big files go to disk, not memory).

    ``progress(done, total)`` counts steps: the tables, the summary, then each stored file."""
    zone = resident.site.zone
    progress = progress or (lambda done, total=None: None)
    progress(0, 10)
    files: list[_File] = []
    if resident.photo:
        files.append(_File(f"photo-{_zip_name(resident.photo.name)}", resident.photo))
    parts = [
        _identity(resident),
        _alerts(resident, zone),
        *_note_parts(resident, zone),
        _documents(resident, zone, files),
        _messages(resident, zone, files),
        *_family(resident, zone),
        _changes(resident, zone),
        Part(
            HISTORY_NAME,
            _("Access history"),
            [str(h) for h in ACCESS_HEADERS],
            access_history_rows(resident_access_history(resident=resident, before_id=before_id), zone=zone),
        ),
    ]
    steps = len(parts) + 1 + len(files)
    progress(len(parts), steps)
    summary = build_pdf(
        title=_("Record of %(resident)s") % {"resident": resident},
        header=person_identity(resident),
        zone=zone,
        intro=[
            _("Export made on %(when)s under the GDPR right of access.") % {"when": moment(timezone.now(), zone)},
        ],
        sections=[(part.heading, part.headers, part.rows) for part in parts],
    )
    spool = tempfile.SpooledTemporaryFile(max_size=20 * 1024 * 1024)  # noqa: SIM115 - returned open to the caller
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("synthese.pdf", summary)
        for part in parts:
            archive.writestr(part.csv_name, spreadsheets.csv_bytes(part.headers, part.rows))
        progress(len(parts) + 1)
        for done, stored in enumerate(files, start=len(parts) + 2):
            progress(done)
            try:
                with stored.field_file.open("rb") as source, archive.open(stored.path, "w") as target:
                    for chunk in iter(lambda: source.read(1024 * 1024), b""):
                        target.write(chunk)
            except (OSError, ValueError):
                archive.writestr(stored.path + ".missing.txt", _("The stored file could not be read."))
    spool.seek(0)
    return spool
