"""The gateway probe on real lab networks: a gateway nobody answers at, a small hop before the gateway and one
beyond it (samples/lab/gateways.toml), matched against the lab's ground truth."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.integration.conftest import SAMPLES, Lab, running
from validator import validate
from validator.inventory import load_inventory
from validator.lab.compare import compare_with_ground_truth, load_ground_truth
from validator.models import Family, PairStatus, Reason, Severity
from validator.report import Report

pytestmark = pytest.mark.lab

KIND_TO_CHECK = {"gateway-unreachable": "gateway_unreachable", "gateway-mtu": "gateway_mtu"}


@pytest.fixture(scope="module")
def gateways_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    yield from running(SAMPLES / "gateways.toml", tmp_path_factory)


@pytest.fixture(scope="module")
def gateways_report(gateways_lab: Lab) -> Report:
    return validate(load_inventory(gateways_lab.inventory), password=gateways_lab.password)


def test_verdicts_match_the_ground_truth(gateways_lab: Lab, gateways_report: Report) -> None:
    truth = load_ground_truth(gateways_lab.ground_truth)
    assert [str(m) for m in compare_with_ground_truth(gateways_report, truth)] == []


def test_the_gateway_findings_are_the_engineered_ones(gateways_lab: Lab, gateways_report: Report) -> None:
    expected = json.loads(gateways_lab.ground_truth.read_text())["findings_expected"]
    wanted = {(KIND_TO_CHECK[f["kind"]], f["host"], f["vmk"]) for f in expected if f["kind"] in KIND_TO_CHECK}
    found = {(f.check, f.host, f.vmk) for f in gateways_report.findings if f.check in KIND_TO_CHECK.values()}
    assert found == wanted == {("gateway_unreachable", "gw-a2", "vmk2"), ("gateway_mtu", "gw-b1", "vmk1")}
    assert all(f.severity is Severity.ERROR for f in gateways_report.findings if f.check in KIND_TO_CHECK.values())
    # the small uplink beyond rack r3's gateway is not a gateway finding: DF at 9000 reaches the gateway
    hosts = {h.name: h for h in gateways_report.hosts}
    c1 = hosts["gw-c1"].gateway_probes
    assert [(g.family, g.reachable, g.mtu_ok) for g in c1] == [(Family.IPV4, True, True), (Family.IPV6, True, True)]
    assert [(g.vmk, g.mtu, g.mtu_ok) for g in hosts["gw-b1"].gateway_probes] == [("vmk1", 9000, False),
                                                                                ("vmk2", 1500, True)]


def test_failing_routed_pairs_point_at_their_gateway(gateways_report: Report) -> None:
    routed_from = [p for p in gateways_report.pairs
                   if (p.plan.src_host, p.plan.src_vmk) == ("gw-a2", "vmk2") and p.status is PairStatus.FAIL]
    assert len(routed_from) == 4 and {p.reason for p in routed_from} == {Reason.ARP}
    assert all((p.detail or "").startswith("the source's gateway 198.19.80.254 does not answer: fix that first")
               for p in routed_from)
    towards = [p for p in gateways_report.pairs if (p.plan.dst_host, p.plan.dst_vmk) == ("gw-a2", "vmk2")
               and p.status is PairStatus.FAIL]
    assert len(towards) == 4
    assert all((p.detail or "").startswith("the destination's gateway 198.19.80.254 does not answer") for p in towards)
    small_hop = [p for p in gateways_report.pairs if (p.plan.src_host, p.plan.src_vmk) == ("gw-b1", "vmk1")
                 and p.reason is Reason.PATH_MTU and p.routed]
    assert small_hop and all("do not reach the source's gateway 198.19.81.1 either" in (p.detail or "")
                             for p in small_hop)
    beyond = [p for p in gateways_report.pairs if p.plan.src_host == "gw-c1" and p.reason is Reason.PATH_MTU]
    assert beyond and not any("gateway" in (p.detail or "") for p in beyond)
