"""The console report: pair matrix, failing pairs, findings, host errors, summary line.

Every line fits in ``width`` columns when ``width >= 80``: a matrix too wide for it first numbers its
destination columns (``d1..dN``, with a legend), then shortens the cells to codes, then splits the columns
into chunks; long text lines are wrapped. ANSI colors only when ``color=True``.
"""

from __future__ import annotations

import contextlib
import shutil
import textwrap
from collections.abc import Iterable, Sequence
from ipaddress import ip_address

from tabulate import tabulate

from reports.next_steps import command_lines, step_title, steps_of
from reports.view import (
    ROUTED_MARK,
    SEVERITY_ORDER,
    SHORT_CODES,
    Matrix,
    cell,
    cell_style,
    endpoint,
    finding_where,
    group_failures,
    group_line,
    interrupted_note,
    matrices,
    printable,
    reason_counts,
    severity_counts_line,
    summary_line,
)
from validator.models import Family, PairStatus, Severity
from validator.report import Report

NAME = "table"
FILENAME = "report.txt"

MIN_WIDTH = 40  # below this, lay out as if it were this wide
_SEP = 2  # tabulate "simple": two spaces between columns
_HEADER_PAD = 2  # tabulate pads every header by two characters
_MIN_LABEL = 24  # row labels are cut to max(this, width // 3) when the matrix is split


_SEVERITY_TITLES = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Info"}
_COLORS = {"ok": "32", "fail": "31", "error": "1;31", "dim": "2", "warning": "33", "info": "36", "title": "1"}


def _paint(text: str, style: str, color: bool) -> str:
    return f"\x1b[{_COLORS[style]}m{text}\x1b[0m" if color and text else text


def _wrap(text: str, width: int, indent: str = "", hang: str = "    ") -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent + hang,
        break_long_words=True,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def _shorten(label: str, limit: int) -> str:
    """``label`` cut in the middle to ``limit`` characters (host names differ at the start, vmks at the end)."""
    if len(label) <= limit:
        return label
    if limit <= 3:
        return label[:limit]
    head = (limit - 1) // 2
    tail = limit - 1 - head
    return f"{label[:head]}~{label[-tail:]}"


def _packed(entries: Sequence[str], width: int, indent: str = "  ") -> list[str]:
    """``entries`` in as many column-major columns as fit ``width``."""
    if not entries:
        return []
    avail = width - len(indent)
    entries = [_shorten(e, avail) for e in entries]
    col_w = max(len(e) for e in entries) + _SEP
    ncols = max(1, (avail + _SEP) // col_w)
    nrows = -(-len(entries) // ncols)
    lines = []
    for r in range(nrows):
        row = [entries[c * nrows + r] for c in range(ncols) if c * nrows + r < len(entries)]
        lines.append((indent + "".join(e.ljust(col_w) for e in row)).rstrip())
    return lines


def _column_chunks(label_w: int, col_ws: Sequence[int], width: int, split: bool) -> list[list[int]] | None:
    """Column indexes per chunk so each table fits ``width``; None if one table is needed but does not fit."""
    chunks: list[list[int]] = [[]]
    used = label_w
    for i, w in enumerate(col_ws):
        if used + _SEP + w > width and chunks[-1]:
            if not split:
                return None
            chunks.append([])
            used = label_w
        chunks[-1].append(i)
        used += _SEP + w
    if not split and used > width:
        return None
    return chunks


def _common_domain(hosts: Iterable[str]) -> str:
    """The DNS suffix (``.dc1.example.com``) every host name shares, or ``""``; never for IP addresses."""
    names = list(hosts)
    domains = {name.partition(".")[2] for name in names}
    if len(domains) != 1 or not names:
        return ""
    domain = domains.pop()
    for name in names:
        with contextlib.suppress(ValueError):
            ip_address(name)
            return ""
    return f".{domain}" if any(c.isalpha() for c in domain) else ""


def _render_matrix(m: Matrix, width: int, color: bool) -> list[str]:
    family = "IPv4" if m.family is Family.IPV4 else "IPv6"
    domain = _common_domain(host for host, _ in m.endpoints)
    title = f"{family} pairs (rows: source, columns: destination"
    title += f"; host names without {domain})" if domain else ")"
    labels = [endpoint(host.removesuffix(domain), vmk) for host, vmk in m.endpoints]
    numbers = [f"d{i}" for i in range(1, len(labels) + 1)]
    pairs = [[m.pairs.get((src, dst)) for dst in m.endpoints] for src in m.endpoints]
    attempts = ((labels, False, False), (numbers, False, False), (numbers, True, False), (numbers, True, True))
    for headers, short, split in attempts:
        grid = [[cell(p, short=short) for p in row] for row in pairs]
        col_ws = [max([len(h) + _HEADER_PAD] + [len(row[c]) for row in grid]) for c, h in enumerate(headers)]
        cap = max(3, width - _SEP - max(col_ws))
        if split:  # long row labels would leave room for few columns per chunk: cut them, keep the number
            cap = min(cap, max(_MIN_LABEL, width // 3))
        if max(len(label) for label in labels) <= cap:
            row_labels = labels
        elif headers is numbers:
            row_labels = [f"{n} {_shorten(label, cap - len(n) - 1)}" for n, label in zip(numbers, labels, strict=True)]
        else:
            row_labels = [_shorten(label, cap) for label in labels]
        label_w = max(len(label) for label in row_labels)
        chunks = _column_chunks(label_w, col_ws, width, split)
        if chunks is not None:
            break
    assert chunks is not None  # the last attempt always splits
    numbered = headers is numbers
    lines = [_paint(line, "title", color) for line in _wrap(title, width)]
    for chunk in chunks:
        if len(chunks) > 1:
            lines.append(f"destinations d{chunk[0] + 1}-d{chunk[-1] + 1} of {len(labels)}")
        table = [
            [row_labels[r]] + [_paint(grid[r][c], cell_style(pairs[r][c]), color) for c in chunk]
            for r in range(len(labels))
        ]
        lines.extend(
            tabulate(
                table,
                headers=[""] + [headers[c] for c in chunk],
                tablefmt="simple",
                disable_numparse=True,
                colalign=["left"] + ["center"] * len(chunk),
            ).splitlines()
        )
        lines.append("")
    lines.extend(_legend(m, grid, short=short, numbered=numbered, labels=labels, width=width))
    return lines


def _legend(
    m: Matrix, grid: Sequence[Sequence[str]], *, short: bool, numbered: bool, labels: Sequence[str], width: int
) -> list[str]:
    used = {c.removesuffix(f" {ROUTED_MARK}") for row in grid for c in row}
    notes = []
    if short and "ok" in used:
        mtus = sorted({p.mtu_tested for p in m.pairs.values() if p.status is PairStatus.PASS and p.mtu_tested})
        notes.append(f"ok = pass (DF at {'/'.join(map(str, mtus))})" if mtus else "ok = pass")
    elif "ok" in used or any(c.startswith("ok ") for c in used):
        notes.append("ok N = pass, DF at MTU N")
    if short:
        notes.extend(f"{code} = {reason.value}" for reason, code in SHORT_CODES.items() if code in used)
    if "ERR" in used:
        notes.append("ERR = could not be tested")
    if any(c.endswith(f" {ROUTED_MARK}") for row in grid for c in row):
        notes.append(f"{ROUTED_MARK} = routed (reply TTL shows a router hop, or the peer is outside the source subnet)")
    notes.append("- = same host or not planned")
    lines = _wrap("Legend: " + ", ".join(notes), width)
    if numbered:
        lines.append("Destinations:")
        lines.extend(_packed([f"d{i} {label}" for i, label in enumerate(labels, 1)], width))
    return lines


def _next_steps(report: Report, width: int, color: bool, limit: int) -> list[str]:
    """Numbered next steps, each with what it clears, then its commands and checks."""
    steps = steps_of(report)
    if not steps:
        return []
    lines = [_paint(f"Next steps ({len(steps)})", "title", color)]
    for n, step in enumerate(steps[:limit], 1):
        lines += _wrap(f"{n}. {step_title(step)}", width, indent="  ", hang="   ")
        for label, text in command_lines(step):
            lines += _wrap(f"{label}: {text}", width, indent="     ", hang="    ")
    if len(steps) > limit:
        lines.append(f"  ... and {len(steps) - limit} more: every step is in report.json (-o DIR) and fix-script")
    lines.append("")
    return lines


def render(
    report: Report, *, width: int | None = None, color: bool = False, max_groups: int = 40, **_options: object
) -> str:
    """The console report; ``width`` defaults to the terminal's; failing pairs are grouped per host pair."""
    width = max(width or shutil.get_terminal_size().columns, MIN_WIDTH)
    hosts_ok = sum(1 for h in report.hosts if h.ok)
    lines = _wrap(
        f"vMotion validation: {len(report.hosts)} hosts ({hosts_ok} reachable), netstack {report.netstack}, "
        f"probe {report.probe}, "
        f"started {report.started_at}, {report.duration_s:.1f} s",
        width,
    )
    lines = [_paint(line, "title", color) for line in lines]
    if note := interrupted_note(report):
        lines += [_paint(line, "error", color) for line in _wrap(note, width)]
    lines.append("")

    family_matrices = matrices(report)
    if not family_matrices:
        lines += ["No pairs were probed.", ""]
    for m in family_matrices:
        lines += _render_matrix(m, width, color)
        lines.append("")

    failing = report.failing_pairs()
    lines.append(_paint(f"Failing pairs ({len(failing)})" if failing else "Failing pairs: none", "title", color))
    if failing:
        lines += _wrap("By reason: " + ", ".join(f"{r} {n}" for r, n in reason_counts(failing)), width, "  ")
    groups = group_failures(failing)
    for pairs in groups[:max_groups]:
        lines += _wrap(group_line(pairs), width, indent="  ")
    if len(groups) > max_groups:
        lines.append(f"  ... and {len(groups) - max_groups} more groups: every pair is in report.json (-o DIR)")
    lines.append("")

    if report.findings:
        lines.append(_paint(f"Findings ({len(report.findings)})", "title", color))
        for severity in SEVERITY_ORDER:
            group = [f for f in report.findings if f.severity is severity]
            if not group:
                continue
            style = "fail" if severity is Severity.ERROR else severity.value
            lines.append(_paint(f"  {_SEVERITY_TITLES[severity]} ({len(group)})", style, color))
            for f in group:
                where = finding_where(f)
                message = printable(f.message)
                text = message if not where or where in message else f"{where}: {message}"
                lines += _wrap(f"[{f.check}] {text}", width, indent="    ")
    else:
        lines.append(_paint("Findings: none", "title", color))
    lines.append("")

    lines += _next_steps(report, width, color, max_groups)

    bad_hosts = [h for h in report.hosts if not h.ok]
    if bad_hosts:
        lines.append(_paint(f"Hosts with errors ({len(bad_hosts)})", "title", color))
        for host in bad_hosts:
            error = printable(host.error)
            text = f"{host.name} ({host.address}): {host.status.value}" + (f" - {error}" if error else "")
            lines += _wrap(text, width, indent="  ")
        lines.append("")

    lines.append(f"Findings: {severity_counts_line(report.findings)}")
    verdict_style = "ok" if report.summary.verdict == "pass" else "fail"
    lines.append(_paint(summary_line(report), verdict_style, color))
    return "\n".join(line.rstrip() for line in lines) + "\n"
