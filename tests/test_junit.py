"""The JUnit XML report: schema-valid for Jenkins/GitLab, counts right, host text made safe."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest
import xmlschema

from reports import junit
from reports.view import describe
from tests.factories import (
    full_mesh,
    make_cluster,
    make_finding,
    make_host,
    make_pair,
    make_report,
    make_vmk,
    replace_pair,
)
from validator.models import Family, PairStatus, Reason, Severity
from validator.report import Report, load_report

ROOT = Path(__file__).resolve().parent.parent
XSD = ROOT / "tests" / "data" / "junit-10.xsd"
DEMO = ROOT / "samples" / "reports" / "demo-report.json"


@cache
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def parse(report: Report) -> ET.Element:
    """Render, check against the Jenkins schema, parse."""
    text = junit.render(report)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    schema().validate(text)
    return ET.fromstring(text)


def demo_report() -> Report:
    return load_report(DEMO)


def suites(root: ET.Element) -> dict[str, ET.Element]:
    return {s.get("name", ""): s for s in root.findall("testsuite")}


def count_attrs(el: ET.Element) -> tuple[int, int, int]:
    return int(el.get("tests", "-1")), int(el.get("failures", "-1")), int(el.get("errors", "-1"))


def counted(suite: ET.Element) -> tuple[int, int, int]:
    cases = suite.findall("testcase")
    return len(cases), sum(len(c.findall("failure")) for c in cases), sum(len(c.findall("error")) for c in cases)


def mixed_report() -> Report:
    hosts = make_cluster(3, 2, ipv6=True)
    pairs = full_mesh(hosts, (Family.IPV4, Family.IPV6))
    pairs = replace_pair(pairs, make_pair(hosts[0], "vmk1", hosts[1], "vmk1", PairStatus.FAIL, Reason.PATH_MTU))
    pairs = replace_pair(
        pairs, make_pair(hosts[0], "vmk2", hosts[2], "vmk1", PairStatus.FAIL, Reason.ARP, family=Family.IPV6)
    )
    pairs = replace_pair(pairs, make_pair(hosts[2], "vmk1", hosts[0], "vmk1", PairStatus.ERROR, Reason.PARSE_ERROR))
    findings = [
        make_finding("gateway", Severity.ERROR, "esx02: no gateway", host="esx02"),
        make_finding("vmk_disabled", Severity.WARNING, "esx03:vmk2 is disabled", host="esx03", vmk="vmk2"),
        make_finding("rtt", Severity.INFO, "slow", host=None),
    ]
    return make_report(hosts, pairs, findings)


def test_demo_report_is_valid_junit_and_counts_match() -> None:
    report = demo_report()
    s = report.summary
    root = parse(report)
    tests, failures, errors = count_attrs(root)
    assert failures == s.failed + s.findings_error == 106 + 4
    assert errors == s.errors == 26
    assert tests == s.pairs + len(report.findings)
    assert [n for n in suites(root)] == [h.name for h in report.hosts] + ["findings"]
    assert sum(count_attrs(suite)[1] for suite in root.findall("testsuite")) == failures


def test_every_suite_counts_its_own_testcases() -> None:
    for report in (demo_report(), mixed_report()):
        root = parse(report)
        totals = [0, 0, 0]
        for suite in root.findall("testsuite"):
            assert count_attrs(suite) == counted(suite)
            assert suite.get("skipped") == "0"
            totals = [a + b for a, b in zip(totals, counted(suite), strict=True)]
        assert count_attrs(root) == tuple(totals)


def test_host_suites_pairs_names_and_outcomes() -> None:
    report = mixed_report()
    by_suite = suites(parse(report))
    esx01 = by_suite["esx01"]
    assert count_attrs(esx01) == (16, 2, 0)  # 2 vmks x 2 peer hosts x 2 vmks x 2 families
    names = [c.get("name") for c in esx01.findall("testcase")]
    assert "esx01:vmk1->esx02:vmk1" in names
    assert "esx01:vmk2->esx03:vmk1 (ipv6)" in names
    assert {c.get("classname") for c in esx01.findall("testcase")} == {"vmotion.esx01"}

    case = next(c for c in esx01.findall("testcase") if c.get("name") == "esx01:vmk1->esx02:vmk1")
    failure = case.find("failure")
    assert failure is not None and case.find("error") is None
    pair = next(p for p in report.pairs if p.plan.key == ("esx01", "vmk1", "esx02", "vmk1", "ipv4"))
    assert failure.get("type") == "path-mtu"
    assert failure.get("message") == describe(pair)
    assert failure.text is not None and "3 packets transmitted, 0 packets received" in failure.text

    errored = by_suite["esx03"].find("testcase[@name='esx03:vmk1->esx01:vmk1']")
    assert errored is not None
    error = errored.find("error")
    assert error is not None and errored.find("failure") is None
    assert error.get("type") == "parse-error"
    assert error.text is not None and "channel closed" in error.text

    passing = esx01.find("testcase[@name='esx01:vmk2->esx02:vmk2']")
    assert passing is not None and list(passing) == []


def test_findings_suite_error_findings_fail_others_pass() -> None:
    findings = suites(parse(mixed_report()))["findings"]
    assert count_attrs(findings) == (3, 1, 0)
    cases = {c.get("name"): c for c in findings.findall("testcase")}
    assert set(cases) == {"[gateway] esx02", "[vmk_disabled] esx03:vmk2", "[rtt] cluster"}
    failure = cases["[gateway] esx02"].find("failure")
    assert failure is not None and failure.get("message") == "esx02: no gateway"
    assert cases["[gateway] esx02"].get("classname") == "findings.gateway"
    warning = cases["[vmk_disabled] esx03:vmk2"]
    assert warning.find("failure") is None
    out = warning.findtext("system-out") or ""
    assert out.startswith("warning: esx03:vmk2 is disabled\nNext steps:\n")
    assert "on esx03: esxcli network ip interface set -i vmk2 -e true" in out


def test_duplicate_finding_names_stay_distinct() -> None:
    findings = [make_finding("mtu_consistency", Severity.ERROR, f"problem {i}", host="esx01") for i in range(3)]
    root = parse(make_report(findings=findings))
    names = [c.get("name") for c in suites(root)["findings"].findall("testcase")]
    assert names == ["[mtu_consistency] esx01", "[mtu_consistency] esx01 #2", "[mtu_consistency] esx01 #3"]


def test_time_attributes() -> None:
    report = make_report(duration_s=12.34567)
    root = parse(report)
    assert root.get("time") == "12.346"
    by_suite = suites(root)
    assert {by_suite[h].get("time") for h in ("esx01", "esx02", "esx03")} == {"12.346"}
    assert by_suite["findings"].get("time") == "0.000"
    for bad in (float("nan"), float("inf"), -1.0):
        assert parse(make_report(duration_s=bad)).get("time") == "0.000"


def test_fqdn_host_classname_keeps_one_dot() -> None:
    hosts = [
        make_host("esx01.dc1.example.com", [make_vmk("vmk1", "198.19.1.11/24")]),
        make_host("esx02.dc1.example.com", [make_vmk("vmk1", "198.19.2.12/24")]),
    ]
    root = parse(make_report(hosts))
    case = root.find("testsuite/testcase")
    assert case is not None
    assert case.get("classname") == "vmotion.esx01_dc1_example_com"
    assert case.get("name") == "esx01.dc1.example.com:vmk1->esx02.dc1.example.com:vmk1"


def test_empty_report_and_host_without_pairs() -> None:
    root = parse(make_report(hosts=[make_host("esx01")], pairs=[]))
    assert count_attrs(root) == (0, 0, 0)
    assert count_attrs(suites(root)["esx01"]) == (0, 0, 0)
    props = {p.get("name"): p.get("value") for p in root.findall("testsuite/properties/property")}
    assert props["address"] == "esx01.lab.example" and props["status"] == "ok"


HOSTILE = "evil\x1b[2J\x1b]0;owned\x07 \x00nul \x0bvt \x7f \ufffe \ud800 </failure>]]> & \"q\" 'a' \u202e\r\nline2"


def test_hostile_host_text_is_printable_and_schema_valid() -> None:
    hosts = make_cluster(2)
    raw = {"reach": f"PING x\n{HOSTILE}\n3 packets transmitted, 0 packets received"}
    bad = make_pair(hosts[0], "vmk1", hosts[1], "vmk1", PairStatus.FAIL, Reason.UNREACHABLE, detail=HOSTILE, raw=raw)
    pairs = replace_pair(full_mesh(hosts), bad)
    findings = [make_finding("extra_services", Severity.ERROR, HOSTILE, host="esx01", vmk="vmk1\x1b[31m")]
    report = make_report(hosts, pairs, findings, started_at=HOSTILE)
    text = junit.render(report)
    schema().validate(text)
    for ch in "\x1b\x00\x0b\x7f\x07\ufffe\ud800\u202e\r":
        assert ch not in text
    root = ET.fromstring(text)
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and failure.text is not None
    message = failure.get("message", "")
    assert "\n" not in message and '</failure>]]> & "q"' in message
    assert "\\x00nul" in message
    body_lines = failure.text.splitlines()
    assert "3 packets transmitted, 0 packets received" in body_lines  # newlines of raw output kept
    assert any(line.endswith("line2") for line in body_lines)
    finding = root.find("testsuite[@name='findings']/testcase")
    assert finding is not None and "\\x1b" not in (finding.get("name") or "") and "vmk1" in (finding.get("name") or "")


@pytest.mark.parametrize("ch", ["\x01", "\x1f", "\ud83d", "\uffff", "\x85"])
def test_xml_text_never_yields_characters_xml_forbids(ch: str) -> None:
    out = junit.xml_text(f"a{ch}b", keep_newlines=True)
    assert out.startswith("a") and out.endswith("b") and ch not in out
    ET.fromstring(f"<x a='{out}'>{out}</x>")
