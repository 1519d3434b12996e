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
from reportlab.platypus import LongTable, Spacer, TableStyle
from reportlab.platypus.flowables import Flowable

from carehub import pdf
from carehub.pdf import paragraph


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
    styles = pdf.stylesheet()
    cell = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    head = styles["BodyText"].clone("head", fontSize=8, leading=10, fontName=pdf.FONT_BOLD)

    def flowables(split_in_row: int) -> list[Flowable]:
        story: list[Flowable] = [paragraph(title, styles["Title"])]
        for line in intro:
            story.append(paragraph(line, styles["BodyText"]))
        for heading, headers, rows in sections:
            story += [Spacer(1, 4 * mm), paragraph(heading, styles["Heading2"])]
            if not rows:
                story.append(paragraph(_("Nothing recorded."), styles["BodyText"]))
                continue
            data = [[paragraph(h, head) for h in headers]]
            data += [[paragraph(value, cell) for value in row] for row in rows]
            table = LongTable(data, repeatRows=1, splitInRow=split_in_row)
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
        return story

    return pdf.build(
        flowables, title=title, header=header, printed_at=timezone.now(), zone=zone, pagesize=landscape(A4)
    )
