"""PDF documents of the coordinators' panel: a title, paragraphs, then sections each with a table.

Drawn with the shared frame of carehub/pdf.py (embedded Unicode font, the person's
identity, the print time and "Page n of N" on every page).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import tzinfo

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import KeepTogether, LongTable, Spacer, TableStyle
from reportlab.platypus.flowables import Flowable

from carehub import pdf
from carehub.pdf import paragraph


def _column_widths(headers: Sequence[str], rows: list[Sequence], width: float) -> list[float]:
    """Share ``width`` by what the columns hold: each column at least as wide as its longest word,
    the rest to the columns with long texts (equal columns made a note's data one word wide and its
    export ten times longer)."""
    padding = 13  # the cell padding (6 each side) and a little air

    def text_width(text: str, font: str) -> float:
        return pdfmetrics.stringWidth(text, font, 8)

    minimum, desired = [], []
    for index, header in enumerate(headers):
        values = [str(row[index] or "") for row in rows]
        words = [(w, pdf.FONT_BOLD) for w in str(header).split()] + [(w, pdf.FONT) for v in values for w in v.split()]
        shortest = min(max((text_width(w, font) for w, font in words), default=0), 120) + padding
        longest = max((text_width(v, pdf.FONT) for v in values), default=0)
        minimum.append(shortest)
        desired.append(max(shortest, min(longest, 400) + padding))
    if sum(minimum) >= width:
        return [width * m / sum(minimum) for m in minimum]
    if sum(desired) <= width:
        return [width * d / sum(desired) for d in desired]
    extra = width - sum(minimum)
    room = sum(d - m for d, m in zip(desired, minimum, strict=True))
    return [m + extra * (d - m) / room for d, m in zip(desired, minimum, strict=True)]


def build_pdf(
    *,
    title: str,
    zone: tzinfo | None,
    header: str = "",
    intro: Sequence[str] = (),
    sections: Iterable[tuple[str, Sequence[str], list[Sequence]]] = (),
) -> bytes:
    """A document: a title, paragraphs, then sections each with a table (headers, rows).

    Landscape A4 so that tables of the access log fit; long tables break across
    pages with their header repeated. ``header`` is printed at the top of every
    page (the resident the document is about); the print time is in ``zone``.
    """
    sections = list(sections)  # laid out twice if a row is taller than a page
    styles = pdf.stylesheet()
    cell = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    head = styles["BodyText"].clone("head", fontSize=8, leading=10, fontName=pdf.FONT_BOLD)

    def flowables(split_in_row: int) -> list[Flowable]:
        story: list[Flowable] = [paragraph(title, styles["Title"])]
        for line in intro:
            story.append(paragraph(line, styles["BodyText"]))
        for heading, headers, rows in sections:
            story.append(Spacer(1, 4 * mm))
            title_of_section = paragraph(heading, styles["Heading2"])
            if not rows:
                story += [title_of_section, paragraph(_("Nothing recorded."), styles["BodyText"])]
                continue
            # Columns empty in every row are left out of the printed table (the CSV files keep them):
            # their headers would take the width that the notes' text needs.
            kept = [i for i in range(len(headers)) if any(str(row[i] or "") for row in rows)]
            headers, rows = [headers[i] for i in kept], [[row[i] for i in kept] for row in rows]
            data = [[paragraph(h, head) for h in headers]]
            data += [[paragraph(value, cell) for value in row] for row in rows]
            widths = _column_widths(headers, rows, landscape(A4)[0] - 2 * pdf.MARGIN)
            table = LongTable(data, colWidths=widths, repeatRows=1, splitInRow=split_in_row)
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6eef5")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story.append(KeepTogether([title_of_section, table]))  # a heading never ends a page alone
        return story

    return pdf.build(
        flowables, title=title, header=header, printed_at=timezone.now(), zone=zone, pagesize=landscape(A4)
    )
