"""Next steps computed from hosts, pairs and findings: what they propose, when they propose no command."""

from __future__ import annotations

import json

import pytest

from checks import BUILTIN_CHECKS, run_checks
from tests.factories import make_cluster, make_finding, make_host, make_pair, make_report, make_vmk
from validator.models import HostInfo, PairResult, PairStatus, Reason, Severity
from validator.remediation import (
    GATEWAY_MTU,
    GATEWAY_UNREACHABLE,
    NextStep,
    Owner,
    next_steps,
)
from validator.remediation.finding_steps import FINDING_HANDLERS
from validator.report import Report, check_schema, report_from_json


def steps_for(hosts: list[HostInfo], pairs: list[PairResult], checks: bool = True) -> tuple[Report, tuple[NextStep, ...]]:
    findings = run_checks(hosts, pairs) if checks else []
    report = make_report(hosts, pairs, findings)
    return report, next_steps(report.hosts, report.pairs, report.findings)


def only(steps: tuple[NextStep, ...], action: str) -> NextStep:
    found = [s for s in steps if s.action == action]
    assert len(found) == 1, [s.summary for s in steps]
    return found[0]


def r2_hosts(gateway_on_b: str | None) -> list[HostInfo]:
    """esx01 and esx02 on 198.19.1.0/24 (esx02's gateway as given), esx03 on 198.19.3.0/24."""
    return [
        make_host("esx01", [make_vmk("vmk1", "198.19.1.11/24")], gateway="198.19.1.1"),
        make_host("esx02", [make_vmk("vmk1", "198.19.1.12/24")], gateway=gateway_on_b),
        make_host("esx03", [make_vmk("vmk1", "198.19.3.13/24")], gateway="198.19.3.1"),
    ]


def test_a_missing_gateway_gets_the_one_its_subnet_peers_use_and_clears_both_directions() -> None:
    hosts = r2_hosts(None)
    a, b, c = hosts
    pairs = [
        make_pair(a, "vmk1", b, "vmk1"), make_pair(b, "vmk1", a, "vmk1"),
        make_pair(b, "vmk1", c, "vmk1", PairStatus.FAIL, Reason.NO_ROUTE),
        make_pair(c, "vmk1", b, "vmk1", PairStatus.FAIL, Reason.UNREACHABLE, routed=True),
        make_pair(a, "vmk1", c, "vmk1"), make_pair(c, "vmk1", a, "vmk1"),
    ]
    report, steps = steps_for(hosts, pairs)
    step = only(steps, "add-gateway")
    assert (step.host, step.owner) == ("esx02", Owner.HOST)
    assert step.esxcli == ("esxcli network ip route ipv4 add -N vmotion -n default -g 198.19.1.1",)
    assert step.powercli == ("Get-VMHostNetworkStack -VMHost (Get-VMHost -Name 'esx02') -Id 'vmotion' | "
                             "Set-VMHostNetworkStack -VMKernelGateway '198.19.1.1'",)
    assert set(step.pairs) == {pairs[2].plan.key, pairs[3].plan.key}
    assert [report.findings[i].check for i in step.findings] == ["gateway"]
    assert set(step.fixes) == {"gateway", "no-route", "unreachable"}
    assert "esx01 use on 198.19.1.0/24" in step.summary


def test_no_gateway_is_proposed_without_a_peer_that_shows_it() -> None:
    hosts = [make_host("esx02", [make_vmk("vmk1", "198.19.1.12/24")], gateway=None),
             make_host("esx03", [make_vmk("vmk1", "198.19.3.13/24")], gateway="198.19.3.1")]
    pairs = [make_pair(hosts[0], "vmk1", hosts[1], "vmk1", PairStatus.FAIL, Reason.NO_ROUTE)]
    _, steps = steps_for(hosts, pairs)
    step = only(steps, "add-gateway")
    assert step.esxcli == () and step.powercli == ()
    assert "<router address>" in step.checks[0] and "198.19.1.0/24" in step.summary


def test_tag_faults_give_the_tag_remove_commands() -> None:
    esx03 = make_host("esx03", [make_vmk("vmk1", "198.19.1.13/24")], other_vmks=[
        make_vmk("vmk2", "198.19.1.23/24", netstack="defaultTcpipStack", tags=("VMotion",))])
    esx02 = make_host("esx02", [make_vmk("vmk2", "198.19.1.22/24", tags=("VMotion", "faultToleranceLogging"))])
    _, steps = steps_for([esx03, esx02], [])
    removes = {(s.host, s.vmk): s for s in steps if s.action == "remove-tag"}
    assert removes[("esx03", "vmk2")].esxcli == ("esxcli network ip interface tag remove -i vmk2 -t VMotion",)
    assert removes[("esx02", "vmk2")].esxcli == (
        "esxcli network ip interface tag remove -i vmk2 -t faultToleranceLogging",)
    assert removes[("esx02", "vmk2")].powercli[0].endswith(
        "Set-VMHostNetworkAdapter -FaultToleranceLoggingEnabled $false -Confirm:$false")


def test_an_mtu_change_needs_a_majority_or_the_expected_mtu() -> None:
    hosts = make_cluster(4)
    low = make_host("esx04", [make_vmk("vmk1", "198.19.4.11/24", mtu=1500)], gateway="198.19.4.1")
    hosts[3] = low
    _, steps = steps_for(hosts, [])
    step = only(steps, "set-mtu")
    assert (step.host, step.esxcli) == ("esx04", ("esxcli network ip interface set -i vmk1 -m 9000",))
    tie = make_cluster(2) + [make_host(f"esx0{i}", [make_vmk("vmk1", f"198.19.{i}.11/24", mtu=1500)],
                                       gateway=f"198.19.{i}.1") for i in (3, 4)]
    _, steps = steps_for(tie, [])
    assert not [s for s in steps if s.action == "set-mtu"]
    assert only(steps, "mtu-plan").esxcli == ()
    _, steps = steps_for(make_cluster(3, mtu=1500), [])
    jumbo = only(steps, "jumbo")
    assert jumbo.esxcli == () and jumbo.owner is Owner.NETWORK
    expected = make_finding("mtu_consistency", Severity.WARNING, "esx01:vmk1 has MTU 1500, expected 9000",
                            host="esx01", vmk="vmk1")
    flat = make_cluster(3, mtu=1500)
    steps = next_steps(flat, [], [expected])
    assert only(steps, "set-mtu").esxcli == ("esxcli network ip interface set -i vmk1 -m 9000",)


def test_path_mtu_pairs_are_grouped_at_the_subnet_every_failing_path_touches() -> None:
    hosts = make_cluster(3)
    a, b, c = hosts
    bad = [make_pair(x, "vmk1", y, "vmk1", PairStatus.FAIL, Reason.PATH_MTU)
           for x, y in ((a, c), (c, a), (b, c), (c, b))]
    pairs = [make_pair(a, "vmk1", b, "vmk1"), make_pair(b, "vmk1", a, "vmk1"), *bad]
    _, steps = steps_for(hosts, pairs, checks=False)
    step = only(steps, "check-path-mtu")
    assert len(step.pairs) == 4 and step.owner is Owner.NETWORK and step.esxcli == ()
    assert "in front of 198.19.3.0/24" in step.summary and "largest that passed: 1500" in step.summary


def test_one_way_loss_says_the_reverse_passes() -> None:
    hosts = make_cluster(2)
    a, b = hosts
    pairs = [make_pair(a, "vmk1", b, "vmk1", PairStatus.FAIL, Reason.UNREACHABLE), make_pair(b, "vmk1", a, "vmk1")]
    _, steps = steps_for(hosts, pairs, checks=False)
    step = only(steps, "check-path")
    assert "reverse direction passes" in step.summary and "198.19.1.11" in step.summary
    assert "198.19.2.11" in step.summary


@pytest.mark.parametrize("reason", [r for r in Reason])
def test_every_reason_gets_a_step(reason: Reason) -> None:
    hosts = make_cluster(2)
    status = PairStatus.ERROR if reason in (Reason.HOST_ERROR, Reason.PARSE_ERROR) else PairStatus.FAIL
    pair = make_pair(hosts[0], "vmk1", hosts[1], "vmk1", status, reason)
    steps = next_steps(hosts, [pair], [])
    assert [s for s in steps if pair.plan.key in s.pairs], reason


def test_every_check_has_its_own_next_step() -> None:
    assert set(BUILTIN_CHECKS) | {GATEWAY_UNREACHABLE, GATEWAY_MTU} <= set(FINDING_HANDLERS)
    unknown = make_finding("third_party", Severity.ERROR, "something broke", host="esx01")
    steps = next_steps(make_cluster(1), [], [unknown])
    assert steps[0].findings == (0,) and "something broke" in steps[0].summary


def test_gateway_probe_findings_point_routed_pairs_at_the_gateway() -> None:
    hosts = make_cluster(2)
    a, b = hosts
    pairs = [make_pair(a, "vmk1", b, "vmk1", PairStatus.FAIL, Reason.UNREACHABLE, routed=True)]
    finding = make_finding(GATEWAY_UNREACHABLE, Severity.ERROR, "esx01:vmk1: gateway 198.19.1.1 does not answer",
                           host="esx01", vmk="vmk1")
    steps = next_steps(hosts, pairs, [finding])
    step = only(steps, "gateway-reach")
    assert step.pairs == (pairs[0].plan.key,) and step.findings == (0,)
    assert "198.19.1.1" in step.summary and step.owner is Owner.NETWORK


def test_values_no_command_may_carry_give_a_step_without_commands() -> None:
    host = make_host("esx'01", [make_vmk("vmk1", "198.19.1.11/24", tags=("VMotion", "bad;tag"))])
    steps = next_steps([host], [], run_checks([host], []))
    step = next(s for s in steps if 0 in s.findings)
    assert step.esxcli == () and "cannot be placed in a command" in step.summary
    good = make_host("esx'01", [make_vmk("vmk1", "198.19.1.11/24", tags=("VMotion", "faultToleranceLogging"))])
    step = only(next_steps([good], [], run_checks([good], [])), "remove-tag")
    assert "Get-VMHost -Name 'esx''01'" in step.powercli[0]


def test_report_json_carries_the_steps_and_an_older_report_gets_them() -> None:
    hosts = r2_hosts(None)
    pairs = [make_pair(hosts[1], "vmk1", hosts[2], "vmk1", PairStatus.FAIL, Reason.NO_ROUTE)]
    report = make_report(hosts, pairs, run_checks(hosts, pairs))
    data = report.to_dict()
    check_schema(data)
    assert data["remediation"][0]["action"] == "add-gateway"
    assert data["remediation"][0]["pairs"] == [list(pairs[0].plan.key)]
    del data["remediation"]
    old = report_from_json(json.dumps(data))
    assert old.to_dict()["remediation"] == report.to_dict()["remediation"]
