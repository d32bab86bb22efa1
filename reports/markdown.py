"""A short Markdown summary (CI job summaries, tickets): verdict, failing pairs, findings, host errors."""

from __future__ import annotations

import re

from reports.next_steps import command_lines, step_title, steps_of
from reports.view import by_severity, describe, finding_where, interrupted_note, printable, summary_line
from validator.report import Report

NAME = "markdown"
FILENAME = "report.md"

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")


def escape(text: str) -> str:
    """Text safe inside a Markdown table cell or list item (control characters made printable first)."""
    return _SPECIAL.sub(r"\\\1", " ".join(printable(text).split()))


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
    return lines


def _code_block(lines: list[str]) -> list[str]:
    """Lines as a fenced code block whose fence no line can close."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "sh", *lines, fence]


def _next_steps(report: Report) -> list[str]:
    """Numbered next steps; each step's commands in a code block, checks as sub-items."""
    steps = steps_of(report)
    if not steps:
        return []
    lines = [f"## Next steps ({len(steps)})", ""]
    for n, step in enumerate(steps, 1):
        lines.append(f"{n}. {escape(step_title(step))}")
        commands = [(label, text) for label, text in command_lines(step) if label != "check"]
        if commands:
            lines.append("")
            block = [line for label, text in commands for line in (f"# {label}", text)]
            lines += ["   " + line for line in _code_block(block)]
            lines.append("")
        lines += [f"   - check: {escape(text)}" for label, text in command_lines(step) if label == "check"]
    lines.append("")
    return lines


def render(report: Report, **_options: object) -> str:
    """Verdict, failing pairs, findings and host errors as Markdown."""
    s = report.summary
    lines = [
        f"# vMotion validation: {s.verdict.upper()}",
        "",
        f"**{escape(summary_line(report))}**",
        "",
        f"{len(report.hosts)} hosts, netstack `{report.netstack}`, probe `{escape(report.probe)}`, "
        f"started {escape(report.started_at)}, "
        f"{report.duration_s:.1f} s.",
        "",
    ]
    if note := interrupted_note(report):
        lines += [f"> **{escape(note)}**", ""]
    failing = report.failing_pairs()
    lines.append(f"## Failing pairs ({len(failing)})")
    lines.append("")
    if failing:
        rows = []
        for pair in failing:
            p = pair.plan
            what, _, detail = describe(pair).partition(" - ")
            rows.append(
                [
                    f"{p.src_host}:{p.src_vmk} ({p.src_ip})",
                    f"{p.dst_host}:{p.dst_vmk} ({p.dst_ip})",
                    what + (" (routed)" if pair.routed else ""),
                    detail,
                ]
            )
        lines += _table(["Source", "Destination", "Result", "Detail"], rows)
    else:
        lines.append("None.")
    lines.append("")

    lines.append(f"## Findings ({len(report.findings)})")
    lines.append("")
    if report.findings:
        rows = [[f.severity.value, f.check, finding_where(f), f.message] for f in by_severity(report.findings)]
        lines += _table(["Severity", "Check", "Where", "Message"], rows)
    else:
        lines.append("None.")
    lines.append("")

    lines += _next_steps(report)

    bad = [h for h in report.hosts if not h.ok]
    if bad:
        lines.append(f"## Hosts with errors ({len(bad)})")
        lines.append("")
        lines += _table(
            ["Host", "Address", "Status", "Error"], [[h.name, h.address, h.status.value, h.error or ""] for h in bad]
        )
        lines.append("")
    return "\n".join(lines)
