"""Findings as every human format shows them, decided once in reports.view: the order (errors, warnings,
info), the per-severity counts, where a finding points, and the pytest plugin's wording."""

from __future__ import annotations

import re

from reports import html, markdown, terminal
from reports.view import (
    SEVERITY_ORDER,
    by_severity,
    check_failure_text,
    finding_line,
    finding_where,
    severity_counts,
    severity_counts_line,
)
from tests.factories import make_finding, make_report
from validator.models import Severity

FINDINGS = [
    make_finding("rtt", Severity.INFO, "slow-ish", host=None),
    make_finding("gateway", Severity.ERROR, "esx02: no IPv4 default gateway", host="esx02"),
    make_finding("vmk_disabled", Severity.WARNING, "esx03:vmk2 is disabled", host="esx03", vmk="vmk2"),
    make_finding("gateway", Severity.ERROR, "no IPv6 default gateway", host="esx04"),
    make_finding("mtu_consistency", Severity.WARNING, "esx01:vmk1 has MTU 1500", host="esx01", vmk="vmk1"),
]


def test_order_is_errors_warnings_info_and_keeps_the_check_order_within() -> None:
    assert SEVERITY_ORDER == (Severity.ERROR, Severity.WARNING, Severity.INFO)
    assert [f.message for f in by_severity(FINDINGS)] == [
        "esx02: no IPv4 default gateway", "no IPv6 default gateway",
        "esx03:vmk2 is disabled", "esx01:vmk1 has MTU 1500",
        "slow-ish",
    ]


def test_counts_name_every_severity_even_at_zero() -> None:
    assert severity_counts(FINDINGS) == {Severity.ERROR: 2, Severity.WARNING: 2, Severity.INFO: 1}
    assert severity_counts([]) == {Severity.ERROR: 0, Severity.WARNING: 0, Severity.INFO: 0}
    assert severity_counts_line(FINDINGS[2:3]) == "0 error, 1 warning, 0 info"


def test_where_and_lines_name_the_host_and_vmk_once() -> None:
    assert [finding_where(f) for f in FINDINGS] == ["", "esx02", "esx03:vmk2", "esx04", "esx01:vmk1"]
    assert finding_line(FINDINGS[1]) == "error: esx02: no IPv4 default gateway"
    assert finding_line(FINDINGS[3]) == "error: esx04: no IPv6 default gateway"
    assert finding_line(FINDINGS[2], severity=False) == "esx03:vmk2 is disabled"
    hostile = make_finding("gateway", Severity.ERROR, "bad\x1b[2J\nname", host="esx\x07")
    assert finding_line(hostile) == "error: esx\\x07: bad name"


def test_check_failure_text_counts_errors_and_lists_errors_first() -> None:
    text = check_failure_text("gateway", "Routed vMotion needs a gateway", [FINDINGS[0], FINDINGS[1]])
    assert text.splitlines() == [
        "check gateway: 1 error finding(s)",
        "(Routed vMotion needs a gateway)",
        "  error: esx02: no IPv4 default gateway",
        "  info: slow-ish",
    ]


def _positions(text: str) -> list[int]:
    return [text.index(f.message) for f in by_severity(FINDINGS)]


def test_every_format_lists_findings_in_the_one_order_and_counts_them_alike() -> None:
    report = make_report(findings=FINDINGS)
    md = markdown.render(report)
    table = terminal.render(report, width=200)
    page = html.render(report)
    for text in (md, table, page):
        positions = _positions(text)
        assert positions == sorted(positions)
    assert "Findings: 2 error, 2 warning, 1 info" in table
    assert re.search(r'<span class="stat-note">2 error, 2 warning, 1 info</span>', page)
    assert "| error | gateway | esx04 | no IPv6 default gateway |" in md
