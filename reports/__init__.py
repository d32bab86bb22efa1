"""Report formats, one module each: ``render(report) -> str``; and writing them to a directory."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

from reports import json_report, markdown, terminal
from validator.errors import UsageError
from validator.models import Report

__all__ = ["FILENAMES", "FORMATS", "Renderer", "write_reports"]

Renderer = Callable[[Report], str]

FORMATS: dict[str, Renderer] = {
    "terminal": terminal.render,
    "json": json_report.render,
    "markdown": markdown.render,
}

FILENAMES: dict[str, str] = {
    "terminal": "report.txt",
    "json": "report.json",
    "markdown": "report.md",
}

FILE_WIDTH = 120  # the terminal format written to a file is laid out for this width, without color


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` next to ``path`` then rename over it: readers see the old file or the new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies, as for open()
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_reports(report: Report, out_dir: Path, formats: Iterable[str] = ("json", "markdown")) -> list[Path]:
    """Write one file per format into ``out_dir`` (created if needed); return their paths in order.

    ``report.json``, ``report.md`` and, for ``terminal``, ``report.txt``. An unknown format raises
    :class:`UsageError` before anything is written.
    """
    names = list(dict.fromkeys(formats))
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise UsageError(f"unknown report format {unknown[0]!r}; valid formats: {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        text = terminal.render(report, width=FILE_WIDTH) if name == "terminal" else FORMATS[name](report)
        path = out_dir / FILENAMES[name]
        _write_atomic(path, text)
        written.append(path)
    return written
