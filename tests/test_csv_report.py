"""The CSV format: every pair of the demo report read back with the csv module, spreadsheet-safe text."""

from __future__ import annotations

import csv
from pathlib import Path

from reports import get_format, parse_formats, write_reports
from reports.csv_report import FINDING_COLUMNS, PAIR_COLUMNS, render, safe_text
from tests.factories import make_finding, make_report
from validator.models import Family, PairResult, PairStatus, Reason
from validator.report import Report, load_report

DEMO = Path(__file__).resolve().parents[1] / "samples" / "reports" / "demo-report.json"


def _opt(text: str, convert: type) -> object:
    return None if text == "" else convert(text)


def _bool(text: str) -> bool | None:
    return {"": None, "true": True, "false": False}[text]


def pair_from_row(row: dict[str, str], like: PairResult) -> tuple[object, ...]:
    """A row's values, typed back, next to what the report held (the plan is compared field by field)."""
    p = like.plan
    return (
        (row["src_host"], row["src_vmk"], row["src_ip"], row["dst_host"], row["dst_vmk"], row["dst_ip"])
        == (p.src_host, p.src_vmk, str(p.src_ip), p.dst_host, p.dst_vmk, str(p.dst_ip)),
        Family(row["family"]) is p.family and int(row["planned_mtu"]) == p.mtu,
        _opt(row["src_prefix"], int) == p.src_prefix,
        PairStatus(row["status"]) is like.status,
        (Reason(row["reason"]) if row["reason"] else None) is like.reason,
        (row["detail"] or None) == like.detail,
        _bool(row["reachable"]) == like.reachable and _opt(row["loss_pct"], float) == like.loss_pct,
        (_opt(row["rtt_min_ms"], float), _opt(row["rtt_avg_ms"], float), _opt(row["rtt_max_ms"], float))
        == (like.rtt_min_ms, like.rtt_avg_ms, like.rtt_max_ms),
        _opt(row["ttl"], int) == like.ttl,
        _bool(row["routed"]) == like.routed and (row["routed_by"] or None) == like.routed_by,
        _opt(row["mtu_tested"], int) == like.mtu_tested and _bool(row["mtu_ok"]) == like.mtu_ok,
        _opt(row["max_mtu"], int) == like.max_mtu,
    )


def test_every_pair_of_the_demo_report_round_trips(tmp_path: Path) -> None:
    report = load_report(DEMO)
    written = write_reports(report, tmp_path, ["csv"])
    assert [p.name for p in written] == ["pairs.csv", "findings.csv"]
    with (tmp_path / "pairs.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(report.pairs) > 100
    assert tuple(rows[0]) == PAIR_COLUMNS
    for row, pair in zip(rows, report.pairs, strict=True):
        assert all(pair_from_row(row, pair)), (row, pair)
    assert {r["status"] for r in rows} == {"pass", "fail", "error"}
    with (tmp_path / "findings.csv").open(newline="", encoding="utf-8") as fh:
        findings = list(csv.DictReader(fh))
    assert [(f["check"], f["severity"], f["host"] or None, f["vmk"] or None, f["message"]) for f in findings] == [
        (f.check, f.severity.value, f.host, f.vmk, f.message) for f in report.findings]
    assert tuple(findings[0]) == FINDING_COLUMNS


def test_printed_csv_is_the_pairs_file(tmp_path: Path) -> None:
    report = load_report(DEMO)
    assert parse_formats("table,csv") == ("table", "csv")
    write_reports(report, tmp_path, ["csv"])
    assert render(report).encode() == (tmp_path / "pairs.csv").read_bytes()
    assert get_format("csv").filename == "pairs.csv"


def test_host_text_cannot_become_a_formula_and_is_printable(tmp_path: Path) -> None:
    assert safe_text('=HYPERLINK("http://x","y")') == "'=HYPERLINK(\"http://x\",\"y\")"
    for start in "+-@":
        assert safe_text(f"{start}1+2").startswith("'")
    assert safe_text("\tcmd") == " cmd"  # a tab becomes a space: text, not a formula
    assert safe_text("esx01\x1b[31m red\x07") == "esx01 red\\x07"
    assert safe_text("vmk1") == "vmk1" and safe_text(None) == ""
    base = make_report()
    hostile = make_finding("gateway", message="=cmd|' /C calc'!A0\nsecond line", host="@esx01", vmk="-vmk1")
    report = Report(base.started_at, base.duration_s, base.netstack, base.hosts, base.pairs, (hostile,))
    write_reports(report, tmp_path, ["csv"])
    with (tmp_path / "findings.csv").open(newline="", encoding="utf-8") as fh:
        [row] = list(csv.DictReader(fh))
    assert row["message"] == "'=cmd|' /C calc'!A0 second line"
    assert (row["host"], row["vmk"]) == ("'@esx01", "'-vmk1")
    assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())
