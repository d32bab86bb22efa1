"""A baseline diff (:class:`validator.baseline.ReportDiff`) as terminal text, JSON or Markdown.

Regressions come first; in the terminal text, pairs that changed the same way between the same two hosts
share one line, as failing pairs do in the report. Host text is made printable everywhere; the JSON
output is ASCII with every other character escaped.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Sequence

from reports.markdown import escape
from reports.view import describe, endpoint, printable
from validator.baseline import HostRef, PairChange, ReportDiff, VmkRef, verdict
from validator.errors import UsageError
from validator.models import Finding, PairResult, PairStatus, Reason
from validator.report import Report

FORMATS = ("table", "json", "markdown")
FILENAMES = {"table": "diff.txt", "json": "diff.json", "markdown": "diff.md"}
FILE_WIDTH = 120
MIN_WIDTH = 40

PAIR_SECTIONS = (
    ("regressions", "Regressions"),
    ("fixes", "Fixes"),
    ("changed", "Still failing, reason changed"),
    ("added", "Pairs added"),
    ("removed", "Pairs removed"),
)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}es" if word.endswith("x") else f"{n} {word}s"


def summary_line(diff: ReportDiff) -> str:
    c = diff.counts
    verdict = "REGRESSED" if diff.has_regressions else "no regressions"
    return (
        f"{_plural(c['regressions'], 'regression')}, {_plural(c['fixes'], 'fix')}, {c['changed']} changed, "
        f"{c['added']} added, {c['removed']} removed - {verdict}"
    )


def _run_line(label: str, report: Report) -> str:
    s = report.summary
    return (
        f"{label}: started {printable(report.started_at)}, {len(report.hosts)} hosts, "
        f"{s.pairs} pairs: {s.passed} pass, {s.failed} fail, {s.errors} error"
    )


def _detail(change: PairChange) -> str:
    """The failure detail of the pair's newest failing state, or ``""``."""
    if change.after is None or change.after.status is PairStatus.PASS:
        return ""
    return describe(change.after).partition(" - ")[2]


def _family_tag(change: PairChange) -> str:
    return " [ipv6]" if change.key[4] == "ipv6" else ""


def change_line(change: PairChange) -> str:
    """``src:vmk (ip) -> dst:vmk (ip): why - detail`` for one pair."""
    p = change.current.plan
    where = f"{endpoint(p.src_host, p.src_vmk)} ({p.src_ip}) -> {endpoint(p.dst_host, p.dst_vmk)} ({p.dst_ip})"
    detail = _detail(change)
    return printable(f"{where}: {change.why}" + (f" - {detail}" if detail else ""))


def group_changes(changes: Sequence[PairChange]) -> list[list[PairChange]]:
    """Changes grouped by (source host, destination host, why, family); a source host that could not be
    used after is one group whatever the destination."""
    groups: dict[tuple[str, str, str, str], list[PairChange]] = {}
    for change in changes:
        host_error = change.after is not None and change.after.reason is Reason.HOST_ERROR
        key = (change.src_host, "*" if host_error else change.dst_host, change.why, change.key[4])
        groups.setdefault(key, []).append(change)
    return list(groups.values())


def group_line(group: Sequence[PairChange]) -> str:
    """One line for a group: the single pair in full, or the host pair with its vmk pairs listed."""
    if len(group) == 1:
        return change_line(group[0])
    first = group[0]
    if all(c.src_host == first.src_host and c.dst_host == first.dst_host for c in group):
        vmk_pairs = ", ".join(f"{c.key[1]}->{c.key[3]}" for c in group)
        where = f"{first.src_host} -> {first.dst_host} ({vmk_pairs})"
    else:
        where = f"{first.src_host} -> every peer ({len(group)} pairs)"
    detail = _detail(first)
    return printable(f"{where}{_family_tag(first)}: {first.why}" + (f" - {detail}" if detail else ""))


def _host_text(h: HostRef) -> str:
    return printable(f"{h.name} ({h.address})")


def _vmk_text(v: VmkRef) -> str:
    return printable(endpoint(v.host, v.vmk) + (f" ({', '.join(v.addresses)})" if v.addresses else ""))


def _finding_text(f: Finding) -> str:
    where = endpoint(f.host, f.vmk) if f.host and f.vmk else f.host
    message = f.message if not where or where in f.message else f"{where}: {f.message}"
    return printable(f"[{f.check}] {f.severity.value}: {message}")


def _wrap(text: str, width: int, indent: str = "  ") -> list[str]:
    return textwrap.wrap(
        text, width=width, initial_indent=indent, subsequent_indent=indent + "    ", break_on_hyphens=False
    ) or [""]


def render_table(diff: ReportDiff, width: int | None = None, max_groups: int = 40) -> str:
    """Terminal text: the two runs, then each non-empty section (regressions always), then the verdict."""
    width = max(width or shutil.get_terminal_size().columns, MIN_WIDTH)
    lines = _wrap(f"Baseline diff, netstack {printable(diff.after.netstack)}", width, "")
    lines += _wrap(_run_line("before", diff.before), width) + _wrap(_run_line("after", diff.after), width)
    lines.append("")
    for name, title in PAIR_SECTIONS:
        changes: tuple[PairChange, ...] = getattr(diff, name)
        if not changes:
            if name == "regressions":
                lines += ["Regressions: none", ""]
            continue
        lines.append(f"{title} ({len(changes)})")
        groups = group_changes(changes)
        for group in groups[:max_groups]:
            lines += _wrap(group_line(group), width)
        if len(groups) > max_groups:
            lines.append(f"  ... and {len(groups) - max_groups} more groups: every pair is in the JSON diff")
        lines.append("")
    other: list[tuple[str, Sequence[str]]] = [
        ("Hosts added", [_host_text(h) for h in diff.hosts_added]),
        ("Hosts removed", [_host_text(h) for h in diff.hosts_removed]),
        ("vmks added", [_vmk_text(v) for v in diff.vmks_added]),
        ("vmks removed", [_vmk_text(v) for v in diff.vmks_removed]),
        ("Findings new", [_finding_text(f) for f in diff.findings_new]),
        ("Findings gone", [_finding_text(f) for f in diff.findings_gone]),
    ]
    for title, items in other:
        if items:
            lines.append(f"{title} ({len(items)})")
            for item in items:
                lines += _wrap(item, width)
            lines.append("")
    lines += _wrap(summary_line(diff), width, "")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return lines + ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]


def _state(pair: PairResult | None) -> str:
    """``pass (MTU 9000)``, ``path-mtu (max 1500)``, ``error (host-error)``, or ``-`` when not planned."""
    if pair is None:
        return "-"
    if pair.status is PairStatus.PASS:
        return f"pass (MTU {pair.mtu_tested})" if pair.mtu_tested is not None else "pass"
    return verdict(pair) + (f" (max {pair.max_mtu})" if pair.max_mtu is not None else "")


def render_markdown(diff: ReportDiff) -> str:
    """Markdown for CI job summaries and tickets: a table per non-empty section."""
    lines = [
        f"# Baseline diff: {'REGRESSED' if diff.has_regressions else 'no regressions'}",
        "",
        f"**{escape(summary_line(diff))}**",
        "",
        f"- {escape(_run_line('before', diff.before))}",
        f"- {escape(_run_line('after', diff.after))}",
        "",
    ]
    for name, title in PAIR_SECTIONS:
        changes: tuple[PairChange, ...] = getattr(diff, name)
        if not changes and name != "regressions":
            continue
        lines += [f"## {title} ({len(changes)})", ""]
        if changes:
            rows = []
            for c in changes:
                p = c.current.plan
                rows.append(
                    [
                        f"{endpoint(p.src_host, p.src_vmk)} ({p.src_ip})",
                        f"{endpoint(p.dst_host, p.dst_vmk)} ({p.dst_ip})",
                        _state(c.before),
                        _state(c.after),
                        _detail(c),
                    ]
                )
            lines += _md_table(["Source", "Destination", "Before", "After", "Detail"], rows)
        else:
            lines.append("None.")
        lines.append("")
    hosts = [[h.name, h.address, "added"] for h in diff.hosts_added]
    hosts += [[h.name, h.address, "removed"] for h in diff.hosts_removed]
    if hosts:
        lines += [f"## Hosts ({len(hosts)})", "", *_md_table(["Host", "Address", "Change"], hosts), ""]
    vmks = [[v.host, v.vmk, ", ".join(v.addresses), "added"] for v in diff.vmks_added]
    vmks += [[v.host, v.vmk, ", ".join(v.addresses), "removed"] for v in diff.vmks_removed]
    if vmks:
        lines += [f"## vmks ({len(vmks)})", "", *_md_table(["Host", "vmk", "Addresses", "Change"], vmks), ""]
    findings = [("new", f) for f in diff.findings_new] + [("gone", f) for f in diff.findings_gone]
    if findings:
        rows = [
            [
                change,
                f.severity.value,
                f.check,
                endpoint(f.host, f.vmk) if f.host and f.vmk else f.host or "",
                f.message,
            ]
            for change, f in findings
        ]
        lines += [f"## Findings ({len(rows)})", ""]
        lines += [*_md_table(["Change", "Severity", "Check", "Where", "Message"], rows), ""]
    return "\n".join(lines)


def render_json(diff: ReportDiff) -> str:
    """One JSON object (:meth:`ReportDiff.to_dict`), ASCII only, newline-terminated."""
    return json.dumps(diff.to_dict(), indent=2) + "\n"


def render_diff(diff: ReportDiff, fmt: str, *, width: int | None = None) -> str:
    """The diff in one of :data:`FORMATS`; :class:`UsageError` for any other."""
    if fmt == "table":
        return render_table(diff, width)
    if fmt == "json":
        return render_json(diff)
    if fmt == "markdown":
        return render_markdown(diff)
    raise UsageError(f"unknown diff format {fmt!r}; valid formats: {', '.join(FORMATS)}")
