"""GDPR export of a resident's record: a ZIP with a PDF summary, the original files and the access history.

Right of access (GDPR art. 15) and portability (art. 20): the summary is for
people, the CSV files for software. Every export is written to the access log.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coordination.models import CareNote
from documents.models import Document

from .pdf import build_pdf
from .selectors import access_history_rows, resident_access_history

ACCESS_HEADERS = (
    gettext_lazy("when"),
    gettext_lazy("who"),
    gettext_lazy("action"),
    gettext_lazy("object"),
    gettext_lazy("search terms"),
    gettext_lazy("IP address"),
)


def _csv(headers, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 correctly


def _csv_safe(value) -> str:
    """Neutralise spreadsheet formulas (CSV injection): a cell never starts with = + - @."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def access_history_csv(resident) -> bytes:
    return _csv([str(h) for h in ACCESS_HEADERS], access_history_rows(resident_access_history(resident=resident)))


def access_history_pdf(resident) -> bytes:
    rows = access_history_rows(resident_access_history(resident=resident))
    return build_pdf(
        title=_("Access history of %(resident)s") % {"resident": resident},
        intro=[
            _("Everyone who opened, downloaded, printed or exported this resident's record, newest first."),
            _("%(count)d entries.") % {"count": len(rows)},
        ],
        sections=[(_("Accesses"), [str(h) for h in ACCESS_HEADERS], rows)],
    )


def _date(value) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _identity_rows(resident) -> list[list[str]]:
    fields = [
        (_("Last name"), resident.last_name),
        (_("First name"), resident.first_name),
        (_("Preferred name"), getattr(resident, "preferred_name", "")),
        (_("Date of birth"), _date(resident.birth_date)),
        (_("Site"), resident.site.name),
        (_("Unit"), resident.unit.name if resident.unit_id else ""),
        (_("Room"), resident.room),
        (_("Status"), resident.get_status_display()),
        (_("Admission date"), _date(resident.admission_date)),
        (_("Discharge date"), _date(resident.discharge_date)),
        (_("GIR"), getattr(resident, "gir", "") or ""),
        (_("Admission software id"), resident.external_id),
        (_("Referent staff"), ", ".join(str(u) for u in resident.referents.all())),
    ]
    return [[label, str(value or "")] for label, value in fields]


def _alerts(resident) -> list[list[str]]:
    if not any(rel.name == "alerts" for rel in resident._meta.related_objects):
        return []
    return [
        [
            alert.get_kind_display(),
            alert.detail,
            _date(timezone.localtime(alert.created_at)) if getattr(alert, "created_at", None) else "",
            _("active") if alert.is_active else _("ended"),
        ]
        for alert in resident.alerts.all()
    ]


def _notes(resident) -> list[list[str]]:
    rows = []
    notes = CareNote.objects.filter(resident=resident).select_related("target", "author").order_by("created_at", "id")
    for note in notes:
        rows.append(
            [
                timezone.localtime(note.created_at).strftime("%Y-%m-%d %H:%M"),
                str(note.author),
                note.target_label,
                note.get_priority_display(),
                note.data,
                note.action,
                note.result,
                _("retracted: %(reason)s") % {"reason": note.retraction_reason} if note.retracted_at else "",
            ]
        )
    return rows


NOTE_HEADERS = (
    gettext_lazy("written"),
    gettext_lazy("author"),
    gettext_lazy("target"),
    gettext_lazy("priority"),
    gettext_lazy("data"),
    gettext_lazy("action"),
    gettext_lazy("result"),
    gettext_lazy("remark"),
)


def _documents(resident):
    """(document, version) pairs of the resident's folders: the current version of each document."""
    documents = (
        Document.objects.filter(folder__resident=resident, binned_at__isnull=True)
        .select_related("current_version", "folder")
        .order_by("folder__name", "title")
    )
    return [(d, d.current_version) for d in documents if d.current_version_id]


def _zip_name(text: str) -> str:
    cleaned = re.sub(r"[^\w.\- ]+", "_", text, flags=re.UNICODE).strip(" ._")
    return cleaned[:120] or "file"


def resident_record_zip(*, resident) -> tempfile.SpooledTemporaryFile:
    """The ZIP of the resident's record, in a temporary file (big files go to disk, not memory)."""
    history = access_history_rows(resident_access_history(resident=resident))
    notes = _notes(resident)
    alerts = _alerts(resident)
    documents = _documents(resident)
    document_rows = [
        [
            d.folder.name,
            d.title,
            v.original_name,
            str(v.number),
            timezone.localtime(v.uploaded_at).strftime("%Y-%m-%d"),
            f"documents/{i:03d}-{_zip_name(v.original_name)}",
        ]
        for i, (d, v) in enumerate(documents, start=1)
    ]
    summary = build_pdf(
        title=_("Record of %(resident)s") % {"resident": resident},
        intro=[
            _("Export made on %(when)s under the GDPR right of access.")
            % {"when": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
        ],
        sections=[
            (_("Identity"), [_("Field"), _("Value")], _identity_rows(resident)),
            (_("Alerts"), [_("Kind"), _("Detail"), _("Since"), _("Status")], alerts),
            (_("Care notes"), [str(h) for h in NOTE_HEADERS], notes),
            (
                _("Documents"),
                [_("Folder"), _("Title"), _("File name"), _("Version"), _("Uploaded"), _("In this archive")],
                document_rows,
            ),
            (_("Access history"), [str(h) for h in ACCESS_HEADERS], history),
        ],
    )
    spool = tempfile.SpooledTemporaryFile(max_size=20 * 1024 * 1024)  # noqa: SIM115 - returned open to the caller
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("summary.pdf", summary)
        archive.writestr("care_notes.csv", _csv([str(h) for h in NOTE_HEADERS], notes))
        archive.writestr("access_history.csv", _csv([str(h) for h in ACCESS_HEADERS], history))
        archive.writestr("identity.csv", _csv([_("Field"), _("Value")], _identity_rows(resident)))
        for (_document, version), row in zip(documents, document_rows, strict=True):
            try:
                with version.file.open("rb") as source, archive.open(row[-1], "w") as target:
                    for chunk in iter(lambda: source.read(1024 * 1024), b""):
                        target.write(chunk)
            except OSError:
                archive.writestr(row[-1] + ".missing.txt", _("The stored file could not be read."))
    spool.seek(0)
    return spool
