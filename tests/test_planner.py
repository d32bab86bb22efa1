"""Full-mesh planning: multi-NIC, same family only, never to the same host."""

from __future__ import annotations

from ipaddress import ip_interface

from validator.models import Family, HostInfo, Vmk
from validator.planner import bisect_next, plan_mesh


def vmk(name: str, *addrs: str, mtu: int = 9000) -> Vmk:
    return Vmk(name=name, netstack="vmotion", mtu=mtu, addresses=tuple(ip_interface(a) for a in addrs))


def test_multi_nic_full_mesh_counts() -> None:
    hosts = [
        HostInfo("a", "198.18.255.1", vmks=(vmk("vmk1", "198.19.1.1/24"), vmk("vmk2", "198.19.1.2/24"))),
        HostInfo("b", "198.18.255.2", vmks=(vmk("vmk1", "198.19.2.1/24"), vmk("vmk2", "198.19.2.2/24"))),
        HostInfo("c", "198.18.255.3", vmks=(vmk("vmk1", "198.19.3.1/24", mtu=1500),)),
    ]
    plans = plan_mesh(hosts)
    # a<->b: 2x2 each way = 8; a<->c: 2x1 each way = 4; b<->c: 4  -> 16
    assert len(plans) == 16
    assert all(p.src_host != p.dst_host for p in plans)
    assert len({p.key for p in plans}) == 16
    to_c = [p for p in plans if p.dst_host == "c"]
    assert {p.mtu for p in to_c} == {1500}


def test_same_family_only_and_dual_stack() -> None:
    hosts = [
        HostInfo("a", "x", vmks=(vmk("vmk1", "198.19.1.1/24", "2001:db8:1::1/64"),)),
        HostInfo("b", "y", vmks=(vmk("vmk1", "2001:db8:2::1/64"),)),
        HostInfo("c", "z", vmks=(vmk("vmk1", "198.19.3.1/24", "fe80::1/64"),)),
    ]
    plans = plan_mesh(hosts)
    fams = {(p.src_host, p.dst_host): p.family for p in plans}
    assert fams[("a", "b")] is Family.IPV6
    assert fams[("a", "c")] is Family.IPV4
    assert ("b", "c") not in fams  # no shared family (link-local does not count)
    assert len(plans) == 4


def test_bisect_next() -> None:
    assert bisect_next(1500, 9000) == 5250
    assert bisect_next(1500, 1501) is None


def test_mesh_stays_within_each_cluster_unless_asked() -> None:
    from dataclasses import replace

    from tests.factories import make_cluster

    a, b, c, d = make_cluster(4)
    hosts = [replace(a, cluster="A"), replace(b, cluster="A"), replace(c, cluster="B"), replace(d, cluster="B")]
    within = {(p.src_host, p.dst_host) for p in plan_mesh(hosts)}
    assert within == {("esx01", "esx02"), ("esx02", "esx01"), ("esx03", "esx04"), ("esx04", "esx03")}
    assert len(plan_mesh(hosts, cross_cluster=True)) == 12
    assert len(plan_mesh([a, b, c, d])) == 12  # no clusters: one group
