"""The handover as a PDF, for downtime procedures (the network or the server is down).

Drawn with the shared frame of carehub/pdf.py (embedded Unicode font, print time
and "Page n of N" on every page). Each resident's part is a one-column table
whose first row, the resident's name and date of birth, is repeated on every
page the part runs onto: a sheet picked up alone still says whom it is about.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Spacer, TableStyle

from carehub import pdf
from carehub.pdf import paragraph as _p


def _resident_heading(resident) -> str:
    identity = pdf.person_identity(resident)
    return identity + (f" — {_('room')} {resident.room}" if resident.room else "")


def handover_pdf(handover, *, printed_by) -> bytes:
    zone = handover.site.zone
    styles = pdf.stylesheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=9, leading=11.5)
    small = ParagraphStyle("small", parent=body, fontSize=8, textColor=colors.HexColor("#333333"))
    head = ParagraphStyle("head", parent=styles["Heading3"], fontSize=11, spaceBefore=0, spaceAfter=2)
    urgent = ParagraphStyle("urgent", parent=body, textColor=colors.HexColor("#a4161a"))
    where = handover.unit.name if handover.unit else handover.site.name
    printed_at = timezone.now()

    def when(moment) -> str:
        return pdf.moment(moment, zone)

    def flowables(split_in_row: int) -> list:
        story = [
            _p(_("Handover — %(where)s") % {"where": f"{handover.site.name} / {where}"}, styles["Title"]),
            _p(
                _("Notes from %(since)s to %(until)s. Printed by %(who)s. Confidential: health data.")
                % {"since": when(handover.since), "until": when(handover.until), "who": str(printed_by)},
                small,
            ),
            Spacer(1, 4 * mm),
        ]
        if not handover.rows_with_notes:
            story.append(_p(_("No note and no open target in this period."), body))
        for group in handover.rows_with_notes:
            resident = group.resident
            rows = [[_p(_resident_heading(resident), head)]]
            alerts = getattr(resident, "active_alerts", [])
            if alerts:
                rows.append([_p(_("Alerts: %(alerts)s") % {"alerts": ", ".join(str(a) for a in alerts)}, urgent)])
            for note in group.notes:
                line = f"{when(note.created_at)} · {note.get_shift_display()} · {note.target_label}"
                line += f" · {note.get_priority_display()} · {note.author}"
                if note.is_retracted:
                    line += " · " + _("RETRACTED: %(reason)s") % {"reason": note.retraction_reason}
                cell = [_p(line, urgent if note.is_urgent else body), _p(f"{_('D')}: {note.data}", body)]
                if note.action:
                    cell.append(_p(f"{_('A')}: {note.action}", body))
                if note.result:
                    cell.append(_p(f"{_('R')}: {note.result}", body))
                for followup in note.followups.all():
                    cell.append(
                        _p(f"{_('R')} ({when(followup.created_at)}, {followup.author}): {followup.result}", body)
                    )
                rows.append([cell])
            for note in group.open_targets:
                rows.append(
                    [
                        _p(
                            _("Open target since %(when)s: %(target)s — %(data)s")
                            % {"when": when(note.created_at), "target": note.target_label, "data": note.data},
                            body,
                        )
                    ]
                )
            table = LongTable(rows, colWidths=["100%"], repeatRows=1, splitInRow=split_in_row)
            table.setStyle(
                TableStyle(
                    [
                        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.HexColor("#333333")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                        ("TOPPADDING", (0, 1), (-1, -1), 2),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                    ]
                )
            )
            story += [table, Spacer(1, 3 * mm)]
        if handover.quiet_residents:
            story.append(_p(_("Residents without any note for 24 hours"), head))
            for resident in handover.quiet_residents:
                story.append(_p(_resident_heading(resident), body))
        return story

    return pdf.build(
        flowables,
        title=_("Handover — %(where)s") % {"where": where},
        header=_("Handover — %(where)s") % {"where": f"{handover.site.name} / {where}"},
        printed_at=printed_at,
        zone=zone,
    )
