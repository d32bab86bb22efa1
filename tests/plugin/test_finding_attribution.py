"""A vmk outside the cluster's majority MTU is named by host and vmk in report.json, JUnit and the pytest plugin."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from checks import run_checks
from reports import junit
from tests.factories import full_mesh, make_cluster, make_host, make_report, make_vmk
from validator.models import Family
from validator.report import Report

INNER = ("-p", "no:hypothesispytest")


def odd_mtu_report() -> Report:
    """Three hosts at MTU 9000 and esx03's vmk1 at 1500; the findings are the built-in checks' own."""
    hosts = make_cluster(3)
    hosts[2] = make_host("esx03", [make_vmk("vmk1", "198.19.1.13/24", mtu=1500)])
    pairs = full_mesh(hosts, [Family.IPV4])
    return make_report(hosts, pairs, run_checks(hosts, pairs, ["mtu_consistency"]))


def test_report_json_names_the_vmk() -> None:
    findings = odd_mtu_report().to_dict()["findings"]
    assert [(f["host"], f["vmk"]) for f in findings] == [(None, None), ("esx03", "vmk1")]


def test_junit_has_a_testcase_for_the_vmk() -> None:
    root = ET.fromstring(junit.render(odd_mtu_report()))
    suite = next(s for s in root.iter("testsuite") if s.get("name") == "findings")
    names = [c.get("name") for c in suite.iter("testcase")]
    assert names == ["[mtu_consistency] cluster", "[mtu_consistency] esx03:vmk1"]


def test_pytest_plugin_records_the_vmk(pytester: pytest.Pytester) -> None:
    path = pytester.path / "report.json"
    path.write_text(json.dumps(odd_mtu_report().to_dict()), encoding="utf-8")
    xml_path = pytester.path / "inner.xml"
    pytester.inline_run(*INNER, "--vmotion-report", str(path), "-k", "mtu_consistency", f"--junitxml={xml_path}")
    case = next(c for c in ET.parse(xml_path).iter("testcase") if c.get("name") == "mtu_consistency")
    properties = [(p.get("name"), p.get("value")) for p in case.iter("property")]
    assert ("warning", "esx03:vmk1 has MTU 1500 while 2 of 3 vMotion vmks use MTU 9000") in properties
