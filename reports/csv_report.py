"""CSV for spreadsheets: ``pairs.csv`` (one row per directed pair, every measured field) and ``findings.csv``.

RFC 4180 (comma, double quotes, CRLF), UTF-8, a header row. Empty cell: no value; booleans ``true``/``false``.
Text that came from a host is made printable, and a text cell that a spreadsheet would take for a formula
(starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading ``'``. Printed on stdout,
the format is ``pairs.csv``; with ``-o DIR`` both files are written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TextIO

from reports.view import printable
from validator.models import Finding, PairResult
from validator.report import Report

NAME = "csv"
FILENAME = "pairs.csv"
FINDINGS_FILENAME = "findings.csv"

PAIR_COLUMNS: tuple[str, ...] = (
    "src_host", "src_vmk", "src_ip", "dst_host", "dst_vmk", "dst_ip", "family", "planned_mtu", "src_prefix",
    "status", "reason", "detail", "reachable", "loss_pct", "rtt_min_ms", "rtt_avg_ms", "rtt_max_ms", "ttl",
    "routed", "routed_by", "mtu_tested", "mtu_ok", "max_mtu",
)
FINDING_COLUMNS: tuple[str, ...] = ("check", "severity", "host", "vmk", "message")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | bool | None


def safe_text(text: str | None) -> str:
    """A text cell a spreadsheet shows as text: printable, and never read as a formula."""
    shown = printable(text)
    return "'" + shown if shown.startswith(FORMULA_STARTS) else shown


def cell(value: Cell) -> str:
    """One value as a CSV cell (numbers as Python writes them, text made safe)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return safe_text(value)


def pair_values(pair: PairResult) -> dict[str, Cell]:
    """Every field of one pair, by column."""
    p = pair.plan
    return {
        "src_host": p.src_host, "src_vmk": p.src_vmk, "src_ip": str(p.src_ip),
        "dst_host": p.dst_host, "dst_vmk": p.dst_vmk, "dst_ip": str(p.dst_ip),
        "family": p.family.value, "planned_mtu": p.mtu, "src_prefix": p.src_prefix,
        "status": pair.status.value, "reason": pair.reason.value if pair.reason else None, "detail": pair.detail,
        "reachable": pair.reachable, "loss_pct": pair.loss_pct,
        "rtt_min_ms": pair.rtt_min_ms, "rtt_avg_ms": pair.rtt_avg_ms, "rtt_max_ms": pair.rtt_max_ms,
        "ttl": pair.ttl, "routed": pair.routed, "routed_by": pair.routed_by,
        "mtu_tested": pair.mtu_tested, "mtu_ok": pair.mtu_ok, "max_mtu": pair.max_mtu,
    }


def finding_values(finding: Finding) -> dict[str, Cell]:
    return {"check": finding.check, "severity": finding.severity.value, "host": finding.host, "vmk": finding.vmk,
            "message": finding.message}


def _write_rows(stream: TextIO, columns: Sequence[str], rows: Iterable[Mapping[str, Cell]]) -> None:
    out = csv.writer(stream, lineterminator="\r\n")
    out.writerow(columns)
    for row in rows:
        out.writerow([cell(row[c]) for c in columns])


def write(report: Report, stream: TextIO, **_options: object) -> None:
    """``pairs.csv``, row by row (bounded memory for any number of pairs)."""
    _write_rows(stream, PAIR_COLUMNS, (pair_values(p) for p in report.pairs))


def write_findings(report: Report, stream: TextIO, **_options: object) -> None:
    """``findings.csv``: one row per finding."""
    _write_rows(stream, FINDING_COLUMNS, (finding_values(f) for f in report.findings))


def render(report: Report, **options: object) -> str:
    """``pairs.csv`` as text."""
    buffer = io.StringIO(newline="")
    write(report, buffer, **options)
    return buffer.getvalue()


EXTRA_FILES: dict[str, Callable[..., None]] = {FINDINGS_FILENAME: write_findings}
