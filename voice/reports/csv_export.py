"""CSV files of the reports and the IVR funnel (what the supervisor pages offer to download).

Owns the columns and their order. Figures without a value (an average of nothing) are empty
cells; percentages and seconds keep one decimal. A cell that a spreadsheet would read as a
formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is prefixed with an
apostrophe, so a crafted queue or agent name cannot run anything when the file is opened.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from voice.reports.breakdowns import Report
from voice.reports.funnel import Funnel

FIGURES = ("offered", "answered", "abandoned", "handled", "answered_within_threshold",
           "abandoned_after_threshold", "service_level_pct", "asa_seconds", "aht_seconds",
           "abandonment_rate_pct")
FUNNEL_COLUMNS = ("node", "type", "reached", "left", "contained", "queued", "went_on")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def report_columns(by: str) -> list[str]:
    """The header of a ``by`` report."""
    return [by, *(["service_level_threshold_s"] if by == "queue" else []), *FIGURES]


def report_csv(report: Report) -> str:
    """The report as CSV: a header, then one line per row (no total line)."""
    lines: list[list[object]] = []
    for row in report.rows:
        figures = row.sums.figures()
        lines.append([row.key, *([row.threshold] if report.by == "queue" else []),
                      *(figures[name] for name in FIGURES)])
    return _write(report_columns(report.by), lines)


def funnel_csv(result: Funnel) -> str:
    """The funnel as CSV: a header, then one line per node in path order."""
    return _write(list(FUNNEL_COLUMNS),
                  ([row.to_dict()[name] for name in FUNNEL_COLUMNS] for row in result.rows))


def _write(header: list[str], rows: Iterable[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
    return out.getvalue()


def spreadsheet_safe(value: object) -> object:
    """A CSV cell: None as empty, text a spreadsheet would read as a formula made inert."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
