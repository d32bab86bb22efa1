"""Ground truth and network plan are pure functions of the topology (no root needed)."""

from __future__ import annotations

import json
from ipaddress import ip_address, ip_network
from pathlib import Path

import pytest

from validator.lab.groundtruth import expected_findings, ground_truth, truth_pairs
from validator.lab.netbuild import Names, plan_network
from validator.lab.topology import Topology, load_topology

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "lab"


@pytest.fixture(scope="module")
def demo() -> Topology:
    return load_topology(SAMPLES / "demo.toml")


@pytest.fixture(scope="module")
def alt() -> Topology:
    return load_topology(SAMPLES / "alt.toml")


def truth(topo: Topology) -> dict[tuple[str, str, str, str, str], dict[str, object]]:
    return {(p["src_host"], p["src_vmk"], p["dst_host"], p["dst_vmk"], p["family"]): p
            for p in ground_truth(topo)["pairs"]}


def verdict(pair: dict[str, object]) -> tuple[object, object]:
    return pair["expected_status"], pair["expected_reason"]


def test_pairs_cover_the_mesh(demo: Topology) -> None:
    pairs = truth_pairs(demo)
    vmks = [(h.name, v) for h in demo.hosts for v in h.vmotion_vmks]
    v4 = [(h, v) for h, v in vmks if v.ip]
    v6 = [(h, v) for h, v in vmks if v.ip6]
    expected = sum(1 for a, _ in v4 for b, _ in v4 if a != b) + sum(1 for a, _ in v6 for b, _ in v6 if a != b)
    assert len(pairs) == expected
    assert len({(p.src_host, p.src_vmk, p.dst_host, p.dst_vmk, p.family) for p in pairs}) == len(pairs)
    assert all(p.src_host != p.dst_host for p in pairs)
    assert not any(p.src_vmk == "vmk2" and p.src_host == "esx03" for p in pairs)  # default-stack vmk: no pairs


def test_pure_and_serialisable(demo: Topology) -> None:
    first = json.dumps(ground_truth(demo), sort_keys=True)
    assert first == json.dumps(ground_truth(demo), sort_keys=True)
    keys = set(json.loads(first)["pairs"][0])
    assert keys >= {"src_host", "src_vmk", "src_ip", "dst_host", "dst_vmk", "dst_ip", "family", "reachable",
                    "max_mtu", "routed", "expected_status", "expected_reason"}


def test_demo_fault_verdicts(demo: Topology) -> None:
    t = truth(demo)
    ok = t["esx01", "vmk2", "esx02", "vmk1", "ipv4"]
    assert verdict(ok) == ("pass", None) and ok["routed"] is False and ok["max_mtu"] == 9000
    routed = t["esx01", "vmk2", "esx04", "vmk2", "ipv4"]
    assert verdict(routed) == ("pass", None) and routed["routed"] is True
    # no gateway: off-link from it fails locally, to it the replies have no way back, on-link is fine
    assert verdict(t["esx06", "vmk1", "esx01", "vmk1", "ipv4"]) == ("fail", "no-route")
    assert verdict(t["esx01", "vmk1", "esx06", "vmk1", "ipv4"]) == ("fail", "unreachable")
    assert verdict(t["esx06", "vmk1", "esx04", "vmk1", "ipv4"]) == ("pass", None)
    # vmk down
    assert verdict(t["esx05", "vmk2", "esx04", "vmk1", "ipv4"]) == ("fail", "vmk-down")
    assert verdict(t["esx04", "vmk1", "esx05", "vmk2", "ipv4"]) == ("fail", "arp")
    assert verdict(t["esx01", "vmk1", "esx05", "vmk2", "ipv4"]) == ("fail", "unreachable")
    # router hop MTU 1500 in front of r3
    hop = t["esx01", "vmk1", "esx07", "vmk1", "ipv4"]
    assert verdict(hop) == ("fail", "path-mtu") and hop["max_mtu"] == 1500 and hop["reachable"] is True
    assert verdict(t["esx07", "vmk1", "esx08", "vmk2", "ipv4"]) == ("pass", None)  # same rack: no hop
    # blackhole: one direction only, every shared family
    assert verdict(t["esx01", "vmk1", "esx04", "vmk1", "ipv4"]) == ("fail", "unreachable")
    assert verdict(t["esx01", "vmk1", "esx04", "vmk1", "ipv6"]) == ("fail", "unreachable")
    assert verdict(t["esx04", "vmk1", "esx01", "vmk1", "ipv4"]) == ("pass", None)
    assert verdict(t["esx01", "vmk2", "esx04", "vmk1", "ipv4"]) == ("pass", None)
    # sshd stopped: the source cannot be asked
    stopped = t["esx08", "vmk1", "esx07", "vmk1", "ipv4"]
    assert verdict(stopped) == ("error", "host-error") and stopped["measurable"] is False
    assert t["esx07", "vmk1", "esx08", "vmk1", "ipv4"]["measurable"] is False
    # IPv6
    v6 = t["esx04", "vmk2", "esx01", "vmk2", "ipv6"]
    assert verdict(v6) == ("pass", None) and v6["routed"] is True
    assert v6["dst_ip"] == "2001:db8:1::21"


def test_unreachable_pairs_have_no_mtu(demo: Topology) -> None:
    for pair in ground_truth(demo)["pairs"]:
        assert (pair["max_mtu"] is None) == (not pair["reachable"])


def test_alt_on_link_path_mtu_and_v6_only(alt: Topology) -> None:
    t = truth(alt)
    assert verdict(t["bravo-h3", "vmk2", "bravo-h1", "vmk1", "ipv4"]) == ("fail", "no-route")  # no gateway
    assert verdict(t["bravo-h4", "vmk1", "bravo-h3", "vmk2", "ipv4"]) == ("error", "host-error")
    hop = t["bravo-h1", "vmk1", "bravo-h5", "vmk1", "ipv6"]
    assert verdict(hop) == ("fail", "path-mtu") and hop["max_mtu"] == 1500
    assert verdict(t["bravo-h6", "vmk1", "bravo-h2", "vmk1", "ipv6"]) == ("fail", "path-mtu")
    assert verdict(t["bravo-h2", "vmk1", "bravo-h1", "vmk1", "ipv6"]) == ("pass", None)
    assert verdict(t["bravo-h3", "vmk1", "bravo-h4", "vmk1", "ipv4"]) == ("fail", "unreachable")  # on-link hole
    assert verdict(t["bravo-h5", "vmk1", "bravo-h1", "vmk1", "ipv6"]) == ("fail", "unreachable")
    assert not any(k[4] == "ipv4" and "bravo-h6" in (k[0], k[2]) for k in t)


def test_expected_findings(demo: Topology, alt: Topology) -> None:
    kinds = {(f.host, f.vmk, f.kind) for f in expected_findings(demo)}
    assert kinds == {
        ("esx02", "vmk2", "extra-service-on-vmotion-vmk"),
        ("esx03", "vmk2", "vmk-tag-on-default-stack"),
        ("esx05", "vmk2", "vmk-disabled"),
        ("esx06", None, "no-gateway"),
        ("esx08", None, "sshd-stopped"),
    }
    assert {f.kind for f in expected_findings(alt)} == {k for _, _, k in kinds}


def test_plan_stays_in_the_lab(demo: Topology) -> None:
    names = Names(demo.lab.prefix)
    plan = plan_network(demo, names)
    allowed = [ip_network("198.18.0.0/15"), ip_network("2001:db8::/32")]
    for _, lines in plan.create + plan.configure + plan.rules6 + plan.tc:
        for line in lines:
            for word in line.split():
                try:
                    addr = ip_address(word.split("/")[0])
                except ValueError:
                    continue
                if word in ("default", "::/0"):
                    continue
                assert any(addr in net for net in allowed), line
    assert all(names.owns_netns(ns) for ns in plan.namespaces)
    assert all(names.owns_root_link(link) for link in plan.root_links)
    forwarding = {ns for ns, items in plan.ns_sysctls.items() if ("net/ipv4/ip_forward", "1") in items}
    assert forwarding == {ns for ns in plan.namespaces if "_tor_" in ns or ns.endswith("_core")}
    root = next(lines for ns, lines in plan.configure if ns is None)
    assert [line for line in root if line.startswith("addr")] == ["addr add 198.18.255.1/24 dev vmvlab-mgmt"]


def test_plan_faults(demo: Topology) -> None:
    names = Names(demo.lab.prefix)
    plan = plan_network(demo, names)
    by_ns = {ns: lines for ns, lines in plan.configure}
    no_gw = by_ns[names.vmotion_ns("esx06")]
    assert not [line for line in no_gw if "via" in line]
    down = by_ns[names.vmotion_ns("esx05")]
    assert "link set vmk2 up" not in down and "link set vmk1 up" in down
    tc = dict(plan.tc)[names.tor_ns("r2")]
    assert any("u32 match ip src 198.19.1.11/32 match ip dst 198.19.2.14/32" in line for line in tc)
    assert any("ip6 src 2001:db8:1::11/128 match ip6 dst 2001:db8:2::14/128" in line for line in tc)
    assert all("dev p4-vmk1 " in line for line in tc)
    tor3 = dict(plan.create)[names.tor_ns("r3")]
    assert "link add up0 mtu 1500 type veth peer name r2 netns vmvlab_core mtu 1500" in tor3
    default_stack = dict(plan.create)[names.tor_ns("r1")]
    assert any("peer name vmk2 netns vmvlab-esx03 " in line for line in default_stack)


def test_gateway_probe_expectations() -> None:
    gateways = load_topology(SAMPLES / "gateways.toml")
    kinds = {(f.host, f.vmk, f.kind) for f in expected_findings(gateways)}
    assert kinds == {("gw-a2", "vmk2", "gateway-unreachable"), ("gw-b1", "vmk1", "gateway-mtu")}
    t = truth(gateways)
    # a gateway nobody answers at: routed from it, the next hop does not answer ARP; to it, no way back
    assert verdict(t["gw-a2", "vmk2", "gw-c1", "vmk1", "ipv4"]) == ("fail", "arp")
    assert verdict(t["gw-c1", "vmk1", "gw-a2", "vmk2", "ipv4"]) == ("fail", "unreachable")
    assert verdict(t["gw-a2", "vmk2", "gw-a1", "vmk1", "ipv4"]) == ("pass", None)  # on-link: no gateway
    # a small segment under a jumbo vmk: every path from it; a small uplink beyond the gateway: cross-rack only
    assert verdict(t["gw-b1", "vmk1", "gw-a1", "vmk1", "ipv4"]) == ("fail", "path-mtu")
    assert verdict(t["gw-c1", "vmk1", "gw-c2", "vmk1", "ipv4"]) == ("pass", None)
    assert verdict(t["gw-c1", "vmk1", "gw-a1", "vmk1", "ipv6"]) == ("fail", "path-mtu")
    assert {f.kind for f in expected_findings(load_topology(SAMPLES / "demo.toml"))}.isdisjoint(
        {"gateway-unreachable", "gateway-mtu"})
