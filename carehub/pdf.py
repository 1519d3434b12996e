"""Printed and exported documents: one font, one page frame, one way of writing dates and file names.

Both PDF builders (the handover, the coordinators' access history and GDPR
record) draw with these. The standard PDF fonts only cover Latin-1, so names
such as "Łucja NGUYỄN" would print as "■ucja NGUY■N": the documents embed
DejaVu Sans (carehub/fonts/, licence beside it), which covers Latin, Greek,
Cyrillic and Vietnamese. Every printed page says when it was printed (in the
site's time zone), its number out of the total and, for a document about one
person, that person's identity traits (identity vigilance).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, tzinfo
from functools import cache, partial
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate
from reportlab.platypus.doctemplate import LayoutError

from carehub.times import shown

FONT = "CareHubSans"
FONT_BOLD = "CareHubSans-Bold"
_FONTS = Path(__file__).resolve().parent / "fonts"
MARGIN = 14 * mm


@cache
def register_fonts() -> None:
    """Embed DejaVu Sans once per process; <b> in a Paragraph maps to its bold face."""
    pdfmetrics.registerFont(TTFont(FONT, str(_FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(_FONTS / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def stylesheet() -> StyleSheet1:
    """ReportLab's sample styles, drawn with the embedded font (bold styles with its bold face)."""
    register_fonts()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        font = getattr(style, "fontName", None)
        if font is not None:
            style.fontName = FONT_BOLD if "Bold" in font else FONT
    return styles


def paragraph(text, style) -> Paragraph:
    """A Paragraph of plain text: escaped (Paragraph reads a markup language), line breaks kept."""
    value = "" if text is None else str(text)
    return Paragraph(escape(value).replace("\n", "<br/>"), style)


def day(value: date | None) -> str:
    """A date the active language's way: "03/12/2026" in French, "" when unknown."""
    return date_format(value, "SHORT_DATE_FORMAT") if value else ""


def moment(value: datetime | None, zone: tzinfo | None = None) -> str:
    """A moment in ``zone`` (the site's) the active language's way: "03/12/2026 09:40" in French."""
    return shown(value, zone) if value else ""


def person_identity(person) -> str:
    """The identity printed on every page about a resident: the traits of the identity-vigilance
    rules, birth name first ("NGUYỄN Łucja — F — né(e) le 03/04/1938"), in one home."""
    from coordination.identity import identity_line

    return identity_line(person)


#: Letters that Unicode does not decompose into a base letter and an accent ("Łucja" would lose its Ł).
_LETTERS = str.maketrans(
    {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe"}
    | {"ß": "ss", "Þ": "Th", "þ": "th", "ı": "i", "Ħ": "H", "ħ": "h"}
)


def file_name(*parts, on: date | datetime, extension: str) -> str:
    """The name of a downloaded document: "<what>-<whom or where>-<YYYY-MM-DD>.<extension>".

    French words, lower case, without accents, joined by hyphens, the date last
    and in ISO order so that files sort by date
    ("releve-ehpad-les-tilleuls-unite-b-2026-12-03-14h05.pdf", "export-rgpd-imbert-marie-2026-12-03.zip").
    A datetime adds its time ("14h05")."""
    words = [slugify(str(part).translate(_LETTERS)) for part in parts]
    stamp = on.strftime("%Y-%m-%d-%Hh%M") if isinstance(on, datetime) else on.isoformat()
    return "-".join([w for w in words if w] + [stamp]) + f".{extension}"


class _FramedCanvas(Canvas):
    """Draws the page frame once the whole document is laid out, so that each page knows the total."""

    def __init__(self, *args, header: str, footer: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._header = header
        self._footer = footer
        self._pages: list[dict] = []

    def showPage(self):  # noqa: N802 - ReportLab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._draw_frame(total)
            super().showPage()
        super().save()

    def _draw_frame(self, total: int) -> None:
        width, height = self._pagesize
        self.saveState()
        self.setFillColor(colors.HexColor("#333333"))
        if self._header:
            self.setFont(FONT_BOLD, 9)
            self.drawString(MARGIN, height - 9 * mm, self._header)
        self.setFont(FONT, 8)
        self.drawString(MARGIN, 7 * mm, self._footer)
        number = _("Page %(number)s of %(total)s") % {"number": self._pageNumber, "total": total}
        self.drawRightString(width - MARGIN, 7 * mm, number)
        self.restoreState()


def build(
    story: Callable[[int], Sequence[Flowable]],
    *,
    title: str,
    printed_at: datetime,
    zone: tzinfo | None,
    header: str = "",
    pagesize: tuple[float, float] = A4,
) -> bytes:
    """The PDF of ``story(split_in_row)``: every page carries ``header`` (the person it is about, if one),
    the print time in ``zone`` and "Page n of N".

    ``story`` gives its tables ``splitInRow=split_in_row``. Rows first move whole to the next page (0);
    only if a row is taller than a page (a very long note) is the document laid out again with rows
    allowed to continue on the next page (1), instead of failing."""
    register_fonts()
    footer = _("CareHub — confidential — printed %(when)s") % {"when": moment(printed_at, zone)}
    for split_in_row in (0, 1):
        buffer = BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=pagesize,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN + (4 * mm if header else 0),
            bottomMargin=MARGIN,
            title=title,
            author="CareHub",
        )
        try:
            doc.build(list(story(split_in_row)), canvasmaker=partial(_FramedCanvas, header=header, footer=footer))
        except LayoutError:
            if split_in_row:
                raise
            continue
        break
    return buffer.getvalue()
