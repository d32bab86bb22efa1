"""The JSON report: every host, pair and finding, following ``validator/schemas/report-v1.json``.

This is the machine-readable record of a run: ``vmotion-validator report`` re-renders it in any other
format, ``diff`` compares two of them, and :func:`validator.load_report` reads it back (checked against
the schema). Host text is kept as it was, JSON-escaped.
"""

from __future__ import annotations

from typing import TextIO

from validator.report import Report, iter_report_json

NAME = "json"
FILENAME = "report.json"


def render(report: Report, **_options: object) -> str:
    """The JSON report text (indented, one line per pair, UTF-8, newline-terminated)."""
    return "".join(iter_report_json(report))


def write(report: Report, stream: TextIO, **_options: object) -> None:
    """The JSON report written piece by piece (bounded memory for any number of pairs)."""
    for piece in iter_report_json(report):
        stream.write(piece)
