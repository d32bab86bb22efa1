"""Report formats: one module each, listed in one registry, written to a directory by one function.

A format module declares ``NAME`` (what ``--format`` takes), ``FILENAME`` (what ``-o DIR`` writes) and
``render(report, **options) -> str``; options a format does not use are ignored. A format whose output
grows with the pairs may also declare ``write(report, stream, **options)``, used for files and stdout so
that the whole text never has to sit in memory. A format that writes more than one file names the others in
``EXTRA_FILES`` (file name -> ``write(report, stream, **options)``); only ``-o DIR`` writes them. Modules are imported
when a format is first asked for, so a run that prints the table never loads the HTML renderer.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TextIO

from validator.errors import UsageError
from validator.report import Report

__all__ = ["FORMAT_MODULES", "ReportFormat", "get_format", "parse_formats", "write_atomic", "write_reports"]

# name -> module; the order is the order --format lists them in help and errors
FORMAT_MODULES: dict[str, str] = {
    "table": "reports.terminal",
    "json": "reports.json_report",
    "markdown": "reports.markdown",
    "junit": "reports.junit",
    "html": "reports.html",
    "csv": "reports.csv_report",
}

FILE_OPTIONS: dict[str, object] = {"width": 120, "color": False}  # a table written to a file


@dataclass(frozen=True)
class ReportFormat:
    """One output format: its name, the file ``-o DIR`` writes, and its renderer."""

    name: str
    filename: str
    render: Callable[..., str]
    write: Callable[..., None] | None = None
    extra_files: tuple[tuple[str, Callable[..., None]], ...] = ()  # (file name, writer) besides ``filename``

    def write_to(self, report: Report, stream: TextIO, **options: object) -> None:
        """The format written to ``stream``, piece by piece when the format can."""
        if self.write is not None:
            self.write(report, stream, **options)
        else:
            text = self.render(report, **options)
            stream.write(text if text.endswith("\n") else text + "\n")


@cache
def get_format(name: str) -> ReportFormat:
    """The format called ``name``; :class:`UsageError` listing the valid ones when there is none."""
    module_name = FORMAT_MODULES.get(name)
    if module_name is None:
        raise UsageError(f"unknown report format {name!r}; valid formats: {', '.join(FORMAT_MODULES)}")
    module = importlib.import_module(module_name)
    return ReportFormat(name=module.NAME, filename=module.FILENAME, render=module.render,
                        write=getattr(module, "write", None),
                        extra_files=tuple(getattr(module, "EXTRA_FILES", {}).items()))


def parse_formats(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"table,json"`` (or a list of names) as a checked tuple, duplicates dropped, order kept."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    names = tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))
    if not names:
        raise UsageError(f"no report format given; valid formats: {', '.join(FORMAT_MODULES)}")
    for name in names:
        get_format(name)
    return names


def write_atomic(path: Path, text: str | Callable[[TextIO], None]) -> None:
    """Write ``text`` (or what a writer function writes) next to ``path`` then rename over it: readers see
    the old file or the new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies, as for open()
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            if isinstance(text, str):
                fh.write(text)
            else:
                text(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _writer(fmt: ReportFormat, report: Report) -> Callable[[TextIO], None]:
    def write(stream: TextIO) -> None:
        fmt.write_to(report, stream, **FILE_OPTIONS)

    return write


def _extra_writer(write: Callable[..., None], report: Report) -> Callable[[TextIO], None]:
    def write_file(stream: TextIO) -> None:
        write(report, stream, **FILE_OPTIONS)

    return write_file


def write_reports(report: Report, out_dir: Path, names: Iterable[str] = ("json", "markdown")) -> list[Path]:
    """Write one file per format into ``out_dir`` (created if needed); return their paths in order.

    An unknown format raises :class:`UsageError` before anything is written.
    """
    formats = [get_format(name) for name in dict.fromkeys(names)]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = out_dir / fmt.filename
        write_atomic(path, _writer(fmt, report))
        written.append(path)
        for filename, write in fmt.extra_files:
            extra = out_dir / filename
            write_atomic(extra, _extra_writer(write, report))
            written.append(extra)
    return written
