"""The JSON report: every host, pair and finding, following ``validator/schemas/report-v1.json``.

This is the machine-readable record of a run: ``vmotion-validator report`` re-renders it in any other
format, ``diff`` compares two of them, and :func:`validator.load_report` reads it back (checked against
the schema). Host text is kept as it was, JSON-escaped.
"""

from __future__ import annotations

import json

from validator.report import Report

NAME = "json"
FILENAME = "report.json"


def render(report: Report, **_options: object) -> str:
    """The JSON report text (indented, UTF-8, newline-terminated)."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
