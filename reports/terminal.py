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
from dataclasses import dataclass
from ipaddress import ip_address

from tabulate import tabulate

from validator.models import Family, PairResult, PairStatus, Reason, Report, Severity

MIN_WIDTH = 40  # below this, lay out as if it were this wide
_SEP = 2  # tabulate "simple": two spaces between columns
_HEADER_PAD = 2  # tabulate pads every header by two characters
_ROUTED = "R"
_MIN_LABEL = 24  # row labels are cut to max(this, width // 3) when the matrix is split

SHORT_CODES: dict[Reason, str] = {
    Reason.PATH_MTU: "MTU",
    Reason.LOCAL_MTU: "lMTU",
    Reason.NO_ROUTE: "rte",
    Reason.ARP: "arp",
    Reason.UNREACHABLE: "unr",
    Reason.LOSS: "los",
    Reason.VMK_DOWN: "dwn",
    Reason.UNKNOWN_VMK: "vmk?",
    Reason.HOST_ERROR: "host",
    Reason.PARSE_ERROR: "prs",
}

_SEVERITY_TITLES = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Info"}
_COLORS = {"ok": "32", "fail": "31", "error": "1;31", "dim": "2", "warning": "33", "info": "36", "title": "1"}


def _paint(text: str, style: str, color: bool) -> str:
    return f"\x1b[{_COLORS[style]}m{text}\x1b[0m" if color and text else text


def endpoint(host: str, vmk: str) -> str:
    return f"{host}:{vmk}"


def cell(pair: PairResult | None, *, short: bool = False) -> str:
    """The matrix cell of a pair: ``ok 9000``, a failure reason, ``ERR``, ``-``; `` R`` when routed."""
    if pair is None:
        return "-"
    if pair.status is PairStatus.PASS:
        text = "ok" if short or pair.mtu_tested is None else f"ok {pair.mtu_tested}"
    elif pair.status is PairStatus.ERROR:
        text = "ERR"
    elif pair.reason is None:
        text = "fail"
    else:
        text = SHORT_CODES.get(pair.reason, pair.reason.value) if short else pair.reason.value
    if pair.routed and pair.status is not PairStatus.ERROR:
        text += f" {_ROUTED}"
    return text


def _cell_style(pair: PairResult | None) -> str:
    if pair is None:
        return "dim"
    return {PairStatus.PASS: "ok", PairStatus.FAIL: "fail", PairStatus.ERROR: "error"}[pair.status]


def describe(pair: PairResult) -> str:
    """``what - detail`` for a failing pair, from PairResult.detail or, without one, from its fields."""
    if pair.status is PairStatus.ERROR:
        what = f"error ({pair.reason.value})" if pair.reason else "error"
    else:
        what = pair.reason.value if pair.reason else "fail"
    detail = pair.detail
    if not detail:
        parts = []
        if pair.mtu_ok is False and pair.mtu_tested is not None:
            parts.append(f"DF {pair.mtu_tested} lost")
        if pair.loss_pct:
            parts.append(f"{pair.loss_pct:g}% loss")
        detail = ", ".join(parts)
    if pair.max_mtu is not None and f"max {pair.max_mtu}" not in (detail or ""):
        detail = f"{detail} (max {pair.max_mtu})".strip()
    return f"{what} - {detail}" if detail else what


def pair_line(pair: PairResult) -> str:
    p = pair.plan
    return (
        f"{endpoint(p.src_host, p.src_vmk)} ({p.src_ip}) -> {endpoint(p.dst_host, p.dst_vmk)} ({p.dst_ip}): "
        f"{describe(pair)}"
    )


def _reason_label(pair: PairResult) -> str:
    reason = pair.reason.value if pair.reason else pair.status.value
    return f"error ({reason})" if pair.status is PairStatus.ERROR else reason


def _reason_counts(pairs: Sequence[PairResult]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for pair in pairs:
        counts[_reason_label(pair)] = counts.get(_reason_label(pair), 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def group_failures(failing: Sequence[PairResult]) -> list[list[PairResult]]:
    """Failing pairs grouped by (source host, destination host, verdict); a source host that could not
    be used is one group whatever the destination."""
    groups: dict[tuple[str, str, str, str], list[PairResult]] = {}
    for pair in failing:
        p = pair.plan
        host_error = pair.reason is not None and pair.reason.value == "host-error"
        key = (p.src_host, "*" if host_error else p.dst_host, _reason_label(pair), p.family.value)
        groups.setdefault(key, []).append(pair)
    return list(groups.values())


def group_line(group: Sequence[PairResult]) -> str:
    """One line for a group: the single pair in full, or the host pair with its vmk pairs listed."""
    if len(group) == 1:
        return pair_line(group[0])
    first = group[0].plan
    if all(g.plan.src_host == first.src_host and g.plan.dst_host == first.dst_host for g in group):
        vmk_pairs = ", ".join(f"{g.plan.src_vmk}->{g.plan.dst_vmk}" for g in group)
        where = f"{first.src_host} -> {first.dst_host} ({vmk_pairs})"
    else:
        where = f"{first.src_host} -> every peer ({len(group)} pairs)"
    return f"{where}: {describe(group[0])}"


def summary_line(report: Report) -> str:
    s = report.summary
    return f"{s.pairs} pairs: {s.passed} pass, {s.failed} fail, {s.errors} error - {s.verdict.upper()}"


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


@dataclass(frozen=True)
class _Matrix:
    family: Family
    endpoints: list[tuple[str, str]]
    pairs: dict[tuple[tuple[str, str], tuple[str, str]], PairResult]


def _matrices(report: Report) -> list[_Matrix]:
    result = []
    for family in Family:
        fam_pairs = [p for p in report.pairs if p.plan.family is family]
        if not fam_pairs:
            continue
        endpoints: dict[tuple[str, str], None] = {}
        for host in report.hosts:
            for vmk in host.vmks:
                if vmk.address(family) is not None:
                    endpoints[(host.name, vmk.name)] = None
        cells = {}
        for p in fam_pairs:
            src, dst = (p.plan.src_host, p.plan.src_vmk), (p.plan.dst_host, p.plan.dst_vmk)
            endpoints.setdefault(src, None)
            endpoints.setdefault(dst, None)
            cells[(src, dst)] = p
        result.append(_Matrix(family, list(endpoints), cells))
    return result


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


def _render_matrix(m: _Matrix, width: int, color: bool) -> list[str]:
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
            [row_labels[r]] + [_paint(grid[r][c], _cell_style(pairs[r][c]), color) for c in chunk]
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
    m: _Matrix, grid: Sequence[Sequence[str]], *, short: bool, numbered: bool, labels: Sequence[str], width: int
) -> list[str]:
    used = {c.removesuffix(f" {_ROUTED}") for row in grid for c in row}
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
    if any(c.endswith(f" {_ROUTED}") for row in grid for c in row):
        notes.append(f"{_ROUTED} = routed (reply TTL shows a router hop)")
    notes.append("- = same host or not planned")
    lines = _wrap("Legend: " + ", ".join(notes), width)
    if numbered:
        lines.append("Destinations:")
        lines.extend(_packed([f"d{i} {label}" for i, label in enumerate(labels, 1)], width))
    return lines


def render(report: Report, *, width: int | None = None, color: bool = False, max_groups: int = 40) -> str:
    """The console report; ``width`` defaults to the terminal's; failing pairs are grouped per host pair."""
    width = max(width or shutil.get_terminal_size().columns, MIN_WIDTH)
    hosts_ok = sum(1 for h in report.hosts if h.ok)
    lines = _wrap(
        f"vMotion validation: {len(report.hosts)} hosts ({hosts_ok} reachable), netstack {report.netstack}, "
        f"started {report.started_at}, {report.duration_s:.1f} s",
        width,
    )
    lines = [_paint(line, "title", color) for line in lines]
    lines.append("")

    matrices = _matrices(report)
    if not matrices:
        lines += ["No pairs were probed.", ""]
    for m in matrices:
        lines += _render_matrix(m, width, color)
        lines.append("")

    failing = [p for p in report.pairs if p.status is not PairStatus.PASS]
    lines.append(_paint(f"Failing pairs ({len(failing)})" if failing else "Failing pairs: none", "title", color))
    if failing:
        lines += _wrap("By reason: " + ", ".join(f"{r} {n}" for r, n in _reason_counts(failing)), width, "  ")
    groups = group_failures(failing)
    for pairs in groups[:max_groups]:
        lines += _wrap(group_line(pairs), width, indent="  ")
    if len(groups) > max_groups:
        lines.append(f"  ... and {len(groups) - max_groups} more groups: every pair is in report.json (-o DIR)")
    lines.append("")

    if report.findings:
        lines.append(_paint(f"Findings ({len(report.findings)})", "title", color))
        for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
            group = [f for f in report.findings if f.severity is severity]
            if not group:
                continue
            style = "fail" if severity is Severity.ERROR else severity.value
            lines.append(_paint(f"  {_SEVERITY_TITLES[severity]} ({len(group)})", style, color))
            for f in group:
                where = f"{f.host}:{f.vmk}" if f.host and f.vmk else f.host
                text = f.message if not where or where in f.message else f"{where}: {f.message}"
                lines += _wrap(f"[{f.check}] {text}", width, indent="    ")
    else:
        lines.append(_paint("Findings: none", "title", color))
    lines.append("")

    bad_hosts = [h for h in report.hosts if not h.ok]
    if bad_hosts:
        lines.append(_paint(f"Hosts with errors ({len(bad_hosts)})", "title", color))
        for host in bad_hosts:
            text = f"{host.name} ({host.address}): {host.status.value}" + (f" - {host.error}" if host.error else "")
            lines += _wrap(text, width, indent="  ")
        lines.append("")

    counts = {s: sum(1 for f in report.findings if f.severity is s) for s in Severity}
    lines.append(
        f"Findings: {counts[Severity.ERROR]} error, {counts[Severity.WARNING]} warning, {counts[Severity.INFO]} info"
    )
    verdict_style = "ok" if report.summary.verdict == "pass" else "fail"
    lines.append(_paint(summary_line(report), verdict_style, color))
    return "\n".join(line.rstrip() for line in lines) + "\n"
