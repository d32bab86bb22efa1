"""The gateway probe: what it pings, how it reads the answers, the findings, the pair notes, the run."""

from __future__ import annotations

import json
from dataclasses import replace
from ipaddress import ip_address
from pathlib import Path

import pytest

from checks import run_checks
from tests.factories import make_host, make_pair, make_report, make_vmk
from tests.fakes import FakeConnector, FakeHost, fake_env_ok, inventory_of, ping_output
from validator import validate
from validator.gateway_probe import (
    GatewayTarget,
    gateway_pings,
    gateway_result,
    gateway_targets,
    point_at_gateways,
)
from validator.inventory import InventoryHost
from validator.models import Family, GatewayProbe, HostInfo, HostStatus, HostTarget, PairStatus, Reason, Severity
from validator.options import ProbeOptions, RunOptions
from validator.prober import StepOutput
from validator.report import Report, check_schema, report_from_json

GW = ip_address("198.19.1.1")


def probe(vmk: str = "vmk1", reachable: bool | None = True, mtu_ok: bool | None = True,
          family: Family = Family.IPV4, gateway: str = "198.19.1.1") -> GatewayProbe:
    return GatewayProbe(vmk, family, ip_address(gateway), 9000, reachable, mtu_ok)


def test_targets_are_each_enabled_vmk_and_family_with_a_gateway_override_first() -> None:
    host = make_host("esx01", [
        make_vmk("vmk1", "198.19.1.11/24", ipv6="2001:db8:1::11/64"),
        make_vmk("vmk2", "198.19.1.12/24", gateway="198.19.1.254", mtu=1500),
        make_vmk("vmk3", "198.19.1.13/24", enabled=False),
    ], gateway="198.19.1.1")  # no IPv6 gateway: vmk1's IPv6 address is not probed
    assert gateway_targets(host) == [
        GatewayTarget("vmk1", Family.IPV4, GW, 9000),
        GatewayTarget("vmk2", Family.IPV4, ip_address("198.19.1.254"), 1500),
    ]
    assert gateway_targets(make_host("esx02", gateway=None)) == []  # the gateway check reports this
    assert gateway_targets(make_host("esx03", status=HostStatus.UNREACHABLE)) == []


def test_the_df_step_fills_the_vmks_mtu() -> None:
    steps = gateway_pings(GatewayTarget("vmk1", Family.IPV6, ip_address("2001:db8:1::1"), 9000), ProbeOptions())
    assert list(steps) == ["warm", "reach", "mtu"]
    assert steps["mtu"].df and steps["mtu"].size == 9000 - 48 and steps["mtu"].dst == "2001:db8:1::1"
    assert not steps["reach"].df and steps["reach"].size is None


def outputs(small: str, df: str | None = None) -> dict[str, StepOutput]:
    found = {"reach": StepOutput(small)}
    if df is not None:
        found["mtu"] = StepOutput(df)
    return found


TARGET = GatewayTarget("vmk1", Family.IPV4, GW, 9000)


def test_reading_the_answers() -> None:
    ok = gateway_result(TARGET, outputs(ping_output("198.19.1.1", 56, 3), ping_output("198.19.1.1", 8972, 3)))
    assert (ok.reachable, ok.mtu_ok, ok.detail) == (True, True, None)
    small_only = gateway_result(TARGET, outputs(ping_output("198.19.1.1", 56, 3), ping_output("198.19.1.1", 8972, 0)))
    assert (small_only.reachable, small_only.mtu_ok) == (True, False)
    assert "8972" not in (small_only.detail or "") and "9000" in (small_only.detail or "")
    refused = gateway_result(TARGET, outputs(ping_output("198.19.1.1", 56, 3),
                                             ping_output("198.19.1.1", 8972, 0, error="Message too long")))
    assert refused.mtu_ok is False and "Message too long" in (refused.detail or "")
    down = gateway_result(TARGET, outputs(ping_output("198.19.1.1", 56, 0, error="Host is down")))
    assert (down.reachable, down.mtu_ok) == (False, None) and "ARP" in (down.detail or "")
    silent = gateway_result(TARGET, outputs(ping_output("198.19.1.1", 56, 0)))
    assert silent.reachable is False and "0 replies" in (silent.detail or "")
    garbage = gateway_result(TARGET, outputs("not vmkping output\n"))
    assert garbage.reachable is None and garbage.detail


def with_probes(host_name: str = "esx01", *probes: GatewayProbe) -> list[HostInfo]:
    a = replace(make_host(host_name, [make_vmk("vmk1", "198.19.1.11/24")]), gateway_probes=probes)
    b = make_host("esx02", [make_vmk("vmk1", "198.19.2.11/24")], gateway="198.19.2.1")
    return [a, b]


def test_gateway_unreachable_is_an_error_unless_routed_pairs_pass() -> None:
    a, b = with_probes("esx01", probe(reachable=False, mtu_ok=None))
    failing = [make_pair(a, "vmk1", b, "vmk1", PairStatus.FAIL, Reason.ARP, routed=True)]
    [finding] = run_checks([a, b], failing, ["gateway_unreachable", "gateway_mtu"])
    assert (finding.check, finding.severity, finding.host, finding.vmk) == (
        "gateway_unreachable", Severity.ERROR, "esx01", "vmk1")
    assert "198.19.1.1 does not answer" in finding.message
    passing = [make_pair(a, "vmk1", b, "vmk1")]
    [filtered] = run_checks([a, b], passing, ["gateway_unreachable"])
    assert filtered.severity is Severity.WARNING and "filter" in filtered.message


def test_gateway_mtu_only_when_small_packets_pass_and_df_does_not() -> None:
    a, b = with_probes("esx01", probe("vmk1", True, False))
    [finding] = run_checks([a, b], [], ["gateway_unreachable", "gateway_mtu"])
    assert (finding.check, finding.host, finding.vmk) == ("gateway_mtu", "esx01", "vmk1")
    assert "9000" in finding.message
    for healthy in (probe("vmk1", True, True), probe("vmk1", None, None), probe("vmk1", True, None)):
        hosts = with_probes("esx01", healthy)
        assert run_checks(hosts, [], ["gateway_unreachable", "gateway_mtu"]) == []


def test_routed_failures_point_at_the_sources_gateway() -> None:
    a, b = with_probes("esx01", probe(reachable=False, mtu_ok=None))
    routed = make_pair(a, "vmk1", b, "vmk1", PairStatus.FAIL, Reason.ARP, detail="'Host is down': ...")
    back = make_pair(b, "vmk1", a, "vmk1", PairStatus.FAIL, Reason.UNREACHABLE)
    passing = make_pair(b, "vmk1", a, "vmk1")
    out = point_at_gateways([routed, back, passing], [a, b])
    assert out[0].detail == "the source's gateway 198.19.1.1 does not answer: fix that first; 'Host is down': ..."
    assert out[1].detail is not None and out[1].detail.startswith("the destination's gateway 198.19.1.1")
    assert out[2] == passing


def test_on_link_failures_and_path_mtu_beyond_the_gateway_are_left_alone() -> None:
    a = replace(make_host("esx01", [make_vmk("vmk1", "198.19.1.11/24")]), gateway_probes=(probe(),))
    c = make_host("esx03", [make_vmk("vmk1", "198.19.1.13/24")])
    b = make_host("esx02", [make_vmk("vmk1", "198.19.2.11/24")], gateway="198.19.2.1")
    on_link = make_pair(a, "vmk1", c, "vmk1", PairStatus.FAIL, Reason.ARP)
    beyond = make_pair(a, "vmk1", b, "vmk1", PairStatus.FAIL, Reason.PATH_MTU)
    assert point_at_gateways([on_link, beyond], [a, b, c]) == [on_link, beyond]
    small_hop = replace(a, gateway_probes=(probe(mtu_ok=False),))
    [noted] = point_at_gateways([beyond], [small_hop, b])
    assert noted.detail is not None and noted.detail.startswith("DF packets of 9000 bytes do not reach")


def test_no_gateway_says_so_on_its_routed_pairs() -> None:
    a = make_host("esx01", [make_vmk("vmk1", "198.19.1.11/24")], gateway=None)
    b = make_host("esx02", [make_vmk("vmk1", "198.19.2.11/24")], gateway="198.19.2.1")
    [noted] = point_at_gateways([make_pair(a, "vmk1", b, "vmk1", PairStatus.FAIL, Reason.NO_ROUTE)], [a, b])
    assert noted.detail is not None and noted.detail.startswith("the source has no IPv4 gateway on the vmotion")
    [back] = point_at_gateways([make_pair(b, "vmk1", a, "vmk1", PairStatus.FAIL, Reason.UNREACHABLE)], [a, b])
    assert back.detail is not None and back.detail.startswith("the destination has no IPv4 gateway")


def test_report_json_keeps_the_probes_and_old_reports_load() -> None:
    a, b = with_probes("esx01", probe("vmk1", True, False), probe("vmk1", False, None, Family.IPV6, "2001:db8:1::1"))
    report = make_report([a, b], [])
    data = report.to_dict()
    check_schema(data)
    assert Report.from_dict(data).hosts == report.hosts
    old = make_report([replace(a, gateway_probes=()), b], []).to_dict()
    assert "gateway_probes" not in old["hosts"][0]
    assert report_from_json(json.dumps(old)).hosts[0].gateway_probes == ()


needs_fakes = pytest.mark.skipif(not fake_env_ok(), reason="the lab's esxcli emulation is missing")


@needs_fakes
def test_the_probe_rides_in_the_mesh_round(tmp_path: Path) -> None:
    """Each host's gateway jobs run inside its mesh session: no session is added for them."""
    a = FakeHost("esx-a", "198.18.255.11", tmp_path)
    a.add_vmk("vmk1", "vmotion", "198.19.1.11", 24)
    a.add_vmk("vmk2", "vmotion", "198.19.1.12", 24)
    a.write_stacks("198.19.1.1")
    b = FakeHost("esx-b", "198.18.255.12", tmp_path)
    b.add_vmk("vmk1", "vmotion", "198.19.2.11", 24)
    b.write_stacks("198.19.2.1")
    for src in ("vmk1", "vmk2"):
        a.answer(src, "198.19.2.11", "any", ping_output("198.19.2.11", 56, 3, ttl=61))
        b.answer("vmk1", f"198.19.1.1{src[-1]}", "any", ping_output("198.19.1.11", 56, 3, ttl=61))
    a.answer("vmk1", "198.19.1.1", "any", ping_output("198.19.1.1", 56, 3))
    a.answer("vmk2", "198.19.1.1", "small", ping_output("198.19.1.1", 56, 3))
    a.answer("vmk2", "198.19.1.1", "df", ping_output("198.19.1.1", 8972, 0))
    b.answer("vmk1", "198.19.2.1", "any", ping_output("198.19.2.1", 56, 0, error="Host is down"))
    inventory = [InventoryHost(HostTarget(h.name, h.address)) for h in (a, b)]
    report = validate(inventory_of(inventory), connector=FakeConnector([a, b]),
                      options=RunOptions(ProbeOptions(interval=0.2, count=2), confirm_failures=False))
    hosts = {h.name: h for h in report.hosts}
    assert [(g.vmk, g.reachable, g.mtu_ok) for g in hosts["esx-a"].gateway_probes] == [
        ("vmk1", True, True), ("vmk2", True, False)]
    assert [(g.vmk, g.reachable) for g in hosts["esx-b"].gateway_probes] == [("vmk1", False)]
    found = {(f.check, f.host, f.vmk) for f in report.findings if f.check.startswith("gateway_")}
    # esx-b's routed pairs pass although its gateway does not answer ping: a warning, not an error
    assert found == {("gateway_mtu", "esx-a", "vmk2"), ("gateway_unreachable", "esx-b", "vmk1")}
    assert [h.sessions for h in (a, b)] == [3, 3]  # discovery (2) and the mesh (1), as without the probe
