"""PDF documents of the coordinators' panel, drawn with reportlab (pure Python)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus.flowables import Flowable


def _safe(text) -> str:
    """Text the standard PDF fonts can draw (Latin-1 + Windows-1252), XML-escaped for Paragraph."""
    value = "" if text is None else str(text)
    value = value.encode("cp1252", errors="replace").decode("cp1252")
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _footer(canvas, doc):
    canvas.saveState()
    canvas.setFont("Helvetica", 8)
    canvas.setFillColor(colors.grey)
    printed = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    canvas.drawString(15 * mm, 8 * mm, _safe(_("CareHub — confidential — printed %(when)s") % {"when": printed}))
    canvas.drawRightString(doc.pagesize[0] - 15 * mm, 8 * mm, _safe(_("Page %(n)d") % {"n": doc.page}))
    canvas.restoreState()


def build_pdf(
    *, title: str, intro: Sequence[str] = (), sections: Iterable[tuple[str, Sequence[str], list[Sequence]]] = ()
) -> bytes:
    """A document: a title, paragraphs, then sections each with a table (headers, rows).

    Landscape A4 so that tables of the access log fit; long tables break across
    pages with their header repeated.
    """
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=title,
        author="CareHub",
    )
    styles = getSampleStyleSheet()
    cell = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    head = styles["BodyText"].clone("head", fontSize=8, leading=10, fontName="Helvetica-Bold")
    story: list[Flowable] = [Paragraph(_safe(title), styles["Title"])]
    for line in intro:
        story.append(Paragraph(_safe(line), styles["BodyText"]))
    for heading, headers, rows in sections:
        story += [Spacer(1, 4 * mm), Paragraph(_safe(heading), styles["Heading2"])]
        if not rows:
            story.append(Paragraph(_safe(_("Nothing recorded.")), styles["BodyText"]))
            continue
        data = [[Paragraph(_safe(h), head) for h in headers]]
        data += [[Paragraph(_safe(value), cell) for value in row] for row in rows]
        table = LongTable(data, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6eef5")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()
