"""The handover as a PDF, for downtime procedures (the network or the server is down).

ReportLab's built-in Helvetica covers French (WinAnsi: é, è, ç, œ, « », €), so
no font file is needed. Every text is escaped before it goes into a Paragraph,
which reads a small markup language.
"""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer


def _p(text: str, style) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _when(moment, zone) -> str:
    return date_format(timezone.localtime(moment, zone), "SHORT_DATETIME_FORMAT")


def handover_pdf(handover, *, printed_by) -> bytes:
    zone = handover.site.zone
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=9, leading=11.5)
    small = ParagraphStyle("small", parent=body, fontSize=8, textColor=colors.HexColor("#333333"))
    head = ParagraphStyle("head", parent=styles["Heading3"], fontSize=11, spaceBefore=8, spaceAfter=2)
    urgent = ParagraphStyle("urgent", parent=body, textColor=colors.HexColor("#a4161a"))
    where = handover.unit.name if handover.unit else handover.site.name

    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=_("Handover — %(where)s") % {"where": where},
        author="CareHub",
    )
    story = [
        _p(_("Handover — %(where)s") % {"where": f"{handover.site.name} / {where}"}, styles["Title"]),
        _p(
            _("Notes from %(since)s to %(until)s. Printed by %(who)s. Confidential: health data.")
            % {
                "since": _when(handover.since, zone),
                "until": _when(handover.until, zone),
                "who": str(printed_by),
            },
            small,
        ),
        Spacer(1, 4 * mm),
    ]
    if not handover.rows_with_notes:
        story.append(_p(_("No note and no open target in this period."), body))
    for group in handover.rows_with_notes:
        resident = group.resident
        title = str(resident) + (f" — {_('room')} {resident.room}" if resident.room else "")
        block = [_p(title, head)]
        alerts = getattr(resident, "active_alerts", [])
        if alerts:
            block.append(_p(_("Alerts: %(alerts)s") % {"alerts": ", ".join(str(a) for a in alerts)}, urgent))
        for note in group.notes:
            line = f"{_when(note.created_at, zone)} · {note.get_shift_display()} · {note.target_label}"
            line += f" · {note.get_priority_display()} · {note.author}"
            if note.is_retracted:
                line += " · " + _("RETRACTED: %(reason)s") % {"reason": note.retraction_reason}
            block.append(_p(line, urgent if note.is_urgent else body))
            block.append(_p(f"{_('D')}: {note.data}", body))
            if note.action:
                block.append(_p(f"{_('A')}: {note.action}", body))
            if note.result:
                block.append(_p(f"{_('R')}: {note.result}", body))
            for followup in note.followups.all():
                block.append(
                    _p(f"{_('R')} ({_when(followup.created_at, zone)}, {followup.author}): {followup.result}", body)
                )
        for note in group.open_targets:
            block.append(
                _p(
                    _("Open target since %(when)s: %(target)s — %(data)s")
                    % {"when": _when(note.created_at, zone), "target": note.target_label, "data": note.data},
                    body,
                )
            )
        story.append(KeepTogether(block[:4]))
        story.extend(block[4:])
    if handover.quiet_residents:
        story.append(_p(_("Residents without any note for 24 hours"), head))
        story.append(_p(", ".join(f"{r} ({r.room})" if r.room else str(r) for r in handover.quiet_residents), body))
    doc.build(story)
    return buffer.getvalue()
