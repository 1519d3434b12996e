"""The fault tests' report: each scenario's counts, as a table at the end of the run.

A test takes the ``fault_report`` fixture and records one row of what it measured:
``fault_report(scenario=…, sent=…, acknowledged=…, stored=…, …)``. Rows travel in the test's
``user_properties``, so pytest-xdist brings them back from its workers; the rows of one scenario
(its parametrised cases, its repeated runs) are added up. At the end of the session the table is
printed in the terminal summary and written to var/faults-report.json and var/faults-report.md.

The columns: ``sent`` what the clients sent; ``acknowledged`` what the server confirmed (a
redirect, a ``sent`` frame); ``stored`` the database rows; ``delivered_live`` and ``replayed`` what
other clients were shown, live or late (their replay, the server's repair); ``lost`` what was
confirmed (or stored) and never stored (or never shown); ``duplicated`` rows or frames beyond one;
``recovery_s`` the longest time from the fault to service again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPORT_DIR = Path(__file__).resolve().parents[2] / "var"
PROPERTY = "fault_row"
COUNTS = ("runs", "sent", "acknowledged", "stored", "delivered_live", "replayed", "lost", "duplicated")
COLUMNS = ("scenario", *COUNTS, "recovery_s")

_rows: dict[str, dict] = {}


@pytest.fixture
def fault_report(request):
    """Record this test's row: ``fault_report(scenario="…", sent=3, stored=3, recovery_s=1.2)``."""

    def record(*, scenario: str, runs: int = 1, recovery_s: float | None = None, **counts: int) -> None:
        unknown = set(counts) - set(COUNTS)
        assert not unknown, f"not a column of the fault report: {unknown}"
        row = {"scenario": scenario, "runs": runs, **dict.fromkeys(COUNTS[1:], 0), **counts}
        request.node.user_properties.append((PROPERTY, {**row, "recovery_s": recovery_s}))

    return record


def _add(row: dict) -> None:
    total = _rows.setdefault(row["scenario"], {"scenario": row["scenario"], **dict.fromkeys(COUNTS, 0)})
    for column in COUNTS:
        total[column] += row[column]
    if row["recovery_s"] is not None:
        total["recovery_s"] = round(max(total.get("recovery_s") or 0.0, row["recovery_s"]), 2)


def pytest_runtest_logreport(report):
    # The controller's view of every test, its workers' included; a row once, from the call phase.
    if report.when == "call":
        for name, value in report.user_properties:
            if name == PROPERTY:
                _add(value)


def _table() -> list[dict]:
    return [{column: row.get(column) for column in COLUMNS} for _, row in sorted(_rows.items())]


def _markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = ["–" if row[c] is None else str(row[c]) for c in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def pytest_sessionfinish(session):
    if not _rows or hasattr(session.config, "workerinput"):  # nothing measured, or an xdist worker
        return
    rows = _table()
    REPORT_DIR.mkdir(exist_ok=True)
    (REPORT_DIR / "faults-report.json").write_text(json.dumps(rows, indent=2) + "\n")
    (REPORT_DIR / "faults-report.md").write_text(_markdown(rows))


def pytest_terminal_summary(terminalreporter):
    if not _rows:
        return
    terminalreporter.section("fault report (var/faults-report.md)")
    for line in _markdown(_table()).splitlines():
        terminalreporter.write_line(line)
