"""``vmotion-validator diff BEFORE.json AFTER.json`` and ``validate --baseline``: load, compare, print, write.

Exit codes: 0 no regression, 1 a pair regressed, 2 a report could not be loaded (one line naming the
file and the problem) or the two reports cannot be compared. Only the first format is printed, so
``--format json`` prints exactly one JSON object; with ``-o DIR`` every format is written to a file.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from reports import write_atomic
from reports.diff import FILE_WIDTH, FILENAMES, FORMATS, render_diff
from reports.view import printable
from validator.baseline import diff_reports
from validator.errors import IncomparableReportsError, ReportFormatError
from validator.report import Report, load_report

EXIT_OK, EXIT_REGRESSED, EXIT_REFUSED = 0, 1, 2


def _fail(message: str, stderr: TextIO) -> int:
    print(f"vmotion-validator: error: {printable(message)}", file=stderr)
    return EXIT_REFUSED


def run_diff(
    before: Path,
    after: Path,
    formats: Sequence[str] = ("table",),
    output: Path | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Diff two report files; 1 on any regression, 0 otherwise, 2 when a file or the comparison is refused."""
    try:
        old, new = load_report(before), load_report(after)
    except ReportFormatError as exc:
        return _fail(str(exc), stderr or sys.stderr)
    return compare(old, new, formats, output, stdout=stdout, stderr=stderr)


def compare(
    before: Report,
    after: Report,
    formats: Sequence[str] = ("table",),
    output: Path | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Diff two loaded reports: print the first format, write every format to ``output`` if given."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    names = list(dict.fromkeys(formats)) or ["table"]
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        return _fail(f"unknown diff format {unknown[0]!r}; valid formats: {', '.join(FORMATS)}", err)
    try:
        diff = diff_reports(before, after)
    except IncomparableReportsError as exc:
        return _fail(str(exc), err)
    out.write(render_diff(diff, names[0]))
    out.flush()
    if output is not None:
        try:
            output.mkdir(parents=True, exist_ok=True)
            for name in names:
                path = output / FILENAMES[name]
                write_atomic(path, render_diff(diff, name, width=FILE_WIDTH))
                print(f"wrote {path}", file=err)
        except OSError as exc:
            return _fail(f"{output}: cannot write the diff: {exc.strerror or exc}", err)
    elif len(names) > 1:
        print(f"only {names[0]} printed; -o DIR writes {', '.join(names[1:])} too", file=err)
    return EXIT_REGRESSED if diff.has_regressions else EXIT_OK
