"""What every report format shows, computed once: matrix cells, failure wording, grouping, printable text.

Formats (terminal, Markdown, HTML, JUnit...) import these so that a pair is worded the same everywhere.
Text that came from a host (esxcli tags, error messages, raw vmkping output) is untrusted: every
human-facing format passes it through :func:`printable` first; JSON keeps it as it was, escaped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from validator.models import Family, Finding, PairResult, PairStatus, Reason, Severity
from validator.report import Report

ROUTED_MARK = "R"

SHORT_CODES: dict[Reason, str] = {
    Reason.PATH_MTU: "MTU",
    Reason.LOCAL_MTU: "lMTU",
    Reason.NO_ROUTE: "rte",
    Reason.ARP: "arp",
    Reason.UNREACHABLE: "unr",
    Reason.LOSS: "los",
    Reason.VMK_DOWN: "dwn",
    Reason.UNKNOWN_VMK: "vmk?",
    Reason.NETSTACK_MISSING: "stk?",
    Reason.HOST_ERROR: "host",
    Reason.PARSE_ERROR: "prs",
}

_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI (colours, cursor moves, clear screen)
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC (window title, hyperlinks) up to BEL or ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[@-_]?"  # any other escape
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)


def printable(text: str | None, *, keep_newlines: bool = False) -> str:
    """``text`` safe to show a person: escape sequences removed, other control characters as ``\\xNN``.

    Newlines (and tabs) are kept only with ``keep_newlines`` (raw command output); otherwise they become
    spaces, so one value stays on one line.
    """
    if not text:
        return ""
    text = _ESCAPE_SEQUENCE.sub("", text)
    out = []
    for ch in text:
        if ch in "\n\t" and keep_newlines:
            out.append(ch)
        elif ch in "\n\r\t":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") or ch in "\u2028\u2029":
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


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
        text += f" {ROUTED_MARK}"
    return text


def cell_style(pair: PairResult | None) -> str:
    if pair is None:
        return "dim"
    return {PairStatus.PASS: "ok", PairStatus.FAIL: "fail", PairStatus.ERROR: "error"}[pair.status]


def describe(pair: PairResult) -> str:
    """``what - detail`` for a failing pair, from PairResult.detail or, without one, from its fields."""
    if pair.status is PairStatus.ERROR:
        what = f"error ({pair.reason.value})" if pair.reason else "error"
    else:
        what = pair.reason.value if pair.reason else "fail"
    detail = printable(pair.detail)
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


def reason_label(pair: PairResult) -> str:
    reason = pair.reason.value if pair.reason else pair.status.value
    return f"error ({reason})" if pair.status is PairStatus.ERROR else reason


def reason_counts(pairs: Sequence[PairResult]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for pair in pairs:
        counts[reason_label(pair)] = counts.get(reason_label(pair), 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def group_failures(failing: Sequence[PairResult]) -> list[list[PairResult]]:
    """Failing pairs grouped by (source host, destination host, verdict); a source host that could not
    be used is one group whatever the destination."""
    groups: dict[tuple[str, str, str, str], list[PairResult]] = {}
    for pair in failing:
        p = pair.plan
        host_error = pair.reason is Reason.HOST_ERROR
        key = (p.src_host, "*" if host_error else p.dst_host, reason_label(pair), p.family.value)
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


def interrupted_note(report: Report) -> str | None:
    """The line every format shows first when the run was stopped before it finished, else None."""
    if not report.interrupted:
        return None
    skipped = sum(1 for p in report.pairs if p.reason is Reason.NOT_PROBED)
    return f"INTERRUPTED: the run was stopped before it finished; {skipped} pair(s) not probed"


def summary_line(report: Report) -> str:
    s = report.summary
    return f"{s.pairs} pairs: {s.passed} pass, {s.failed} fail, {s.errors} error - {s.verdict.upper()}"


# ---------------------------------------------------------------- findings

SEVERITY_ORDER: tuple[Severity, ...] = (Severity.ERROR, Severity.WARNING, Severity.INFO)  # the order shown


def by_severity(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then warnings, then info; the check order kept within each."""
    return sorted(findings, key=lambda f: SEVERITY_ORDER.index(f.severity))


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    """How many findings of each severity, every severity present, in :data:`SEVERITY_ORDER`."""
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts


def severity_counts_line(findings: Iterable[Finding]) -> str:
    """``1 error, 2 warning, 0 info``."""
    return ", ".join(f"{n} {severity.value}" for severity, n in severity_counts(findings).items())


def finding_where(finding: Finding) -> str:
    """``host:vmk``, ``host``, or empty for a finding about the whole run."""
    if finding.host and finding.vmk:
        return endpoint(finding.host, finding.vmk)
    return finding.host or ""


def finding_line(finding: Finding, *, severity: bool = True) -> str:
    """``error: esx06: no IPv4 default gateway ...`` (the host and vmk named once), printable."""
    where = printable(finding_where(finding))
    message = printable(finding.message)
    if where and not message.startswith(where):
        message = f"{where}: {message}"
    return f"{finding.severity.value}: {message}" if severity else message


def check_failure_text(name: str, description: str, findings: Sequence[Finding]) -> str:
    """Why a check failed: what it checks, then its findings, errors first."""
    lines = [f"check {printable(name)}: {severity_counts(findings)[Severity.ERROR]} error finding(s)"]
    if description:
        lines.append(f"({printable(description)})")
    lines += ["  " + finding_line(f) for f in by_severity(findings)]
    return "\n".join(lines)


def _indented(text: str) -> list[str]:
    return ["    " + line for line in printable(text.rstrip(), keep_newlines=True).splitlines()] or ["    (empty)"]


def pair_failure_text(pair: PairResult) -> str:
    """Why a pair failed: its line as the reports word it, the measured facts, then the raw output."""
    facts = [f"status {pair.status.value}", pair.plan.family.value]
    if pair.mtu_tested is not None:
        facts.append(f"DF tested at MTU {pair.mtu_tested}" + ("" if pair.mtu_ok is None else
                                                              (" passed" if pair.mtu_ok else " lost")))
    if pair.max_mtu is not None:
        facts.append(f"largest MTU that passes {pair.max_mtu}")
    if pair.loss_pct is not None:
        facts.append(f"loss {pair.loss_pct:g}%")
    if pair.routed is not None:
        by = f" (by {pair.routed_by})" if pair.routed_by else ""
        facts.append(("routed" if pair.routed else "not routed") + by)
    lines = [printable(pair_line(pair)), ", ".join(facts)]
    for key, text in pair.raw.items():
        lines.append(f"raw output ({printable(key)}):")
        lines.extend(_indented(text))
    if not pair.raw:
        lines.append("raw output: none kept")
    return "\n".join(lines)


@dataclass(frozen=True)
class Matrix:
    """One address family's pairs: every endpoint (host, vmk) in order, and the pair of each (src, dst)."""

    family: Family
    endpoints: list[tuple[str, str]]
    pairs: dict[tuple[tuple[str, str], tuple[str, str]], PairResult]


def matrices(report: Report) -> list[Matrix]:
    """One matrix per address family that has pairs, endpoints in host order."""
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
        result.append(Matrix(family, list(endpoints), cells))
    return result


