"""Scopes, and planning a migration between them (pure)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.factories import make_host, make_vmk
from validator.migration import full_mesh_size, plan_migration, plan_size
from validator.models import HostInfo, MigrationPlan, PairPlan
from validator.planner import plan_mesh, plan_run
from validator.scope import Placement, check_vcenters, parse_scope, resolve_scope


def _host(name: str, cluster: str, n: int, vmks: int = 1, ipv6: bool = False) -> HostInfo:
    net = 1 if cluster.endswith("A") else 2
    made = [make_vmk(f"vmk{i}", f"198.19.{net}.{n * 10 + i}/24", ipv6=f"2001:db8:{net}::{n * 10 + i}/64" if ipv6
                     else None) for i in range(1, vmks + 1)]
    return replace(make_host(name, made), cluster=cluster)


SOURCE = [_host(f"vc1/a{i}", "vc1/DC0/A", i) for i in range(1, 4)]  # 3 hosts
TARGET = [_host(f"vc2/b{i}", "vc2/DC0/B", i) for i in range(1, 3)]  # 2 hosts
HOSTS = [*SOURCE, *TARGET, _host("vc1/other", "vc1/DC0/C", 9)]


def _migration(**changes: object) -> MigrationPlan:
    plan = MigrationPlan("vc1/DC0/A", "vc2/DC0/B", tuple(h.name for h in SOURCE), tuple(h.name for h in TARGET))
    return replace(plan, **changes)  # type: ignore[arg-type]


def _host_pairs(plans: list[PairPlan]) -> set[tuple[str, str]]:
    return {(p.src_host, p.dst_host) for p in plans}


def test_a_migration_plans_both_ways_and_each_side_within_its_cluster() -> None:
    plans = plan_migration(HOSTS, _migration())
    between = {(s.name, t.name) for s in SOURCE for t in TARGET}
    back = {(t, s) for s, t in between}
    within = {(a.name, b.name) for side in (SOURCE, TARGET) for a in side for b in side if a is not b}
    assert _host_pairs(plans) == between | back | within
    assert len(plans) == len(between | back | within)  # one vmk each, IPv4 only: one probe per host pair
    assert all("other" not in p.src_host and "other" not in p.dst_host for p in plans)


def test_one_way_and_between_only_shrink_the_plan() -> None:
    plans = plan_migration(HOSTS, _migration(both_ways=False, within=False))
    assert _host_pairs(plans) == {(s.name, t.name) for s in SOURCE for t in TARGET}
    assert len(plan_migration(HOSTS, _migration(within=False))) == 2 * 3 * 2


def test_plan_size_counts_what_plan_migration_builds_and_the_full_mesh() -> None:
    hosts = [_host(f"s{i}", "A", i, vmks=2, ipv6=True) for i in range(1, 5)]
    hosts += [_host(f"t{i}", "B", i, vmks=2) for i in range(1, 4)]
    migration = MigrationPlan("x/A", "x/B", tuple(h.name for h in hosts[:4]), tuple(h.name for h in hosts[4:]))
    size = plan_size(hosts, migration)
    assert size.total == len(plan_migration(hosts, migration))
    assert size.between == 2 * 4 * 3 * (2 * 2)  # both ways, 2 x 2 vmks, IPv4 only in common
    assert size.full_mesh == len(plan_mesh(hosts, cross_cluster=True)) == full_mesh_size(hosts)


def test_plan_run_keeps_the_mesh_without_a_migration() -> None:
    assert plan_run(HOSTS) == plan_mesh(HOSTS)
    assert plan_run(HOSTS, cross_cluster=True) == plan_mesh(HOSTS, cross_cluster=True)
    assert plan_run(HOSTS, migration=_migration()) == plan_migration(HOSTS, _migration())


PLACES = [
    Placement("vc1/esx01", "vc1", "DC0", "A", "esx01"),
    Placement("vc1/esx02", "vc1", "DC0", "A", "esx02"),
    Placement("vc1/esx03", "vc1", "DC9", "Z", "esx03"),
    Placement("vc2/esx01", "vc2", "DC0", "B", "esx01"),
    Placement("127.0.0.1:8443/esx01", "127.0.0.1:8443", "DC0", "B", "esx01"),
]


@pytest.mark.parametrize(("text", "expected"), [
    ("vc1", ("vc1/esx01", "vc1/esx02", "vc1/esx03")),
    ("vc1/DC0", ("vc1/esx01", "vc1/esx02")),
    ("vc1/DC0/A", ("vc1/esx01", "vc1/esx02")),
    ("vc1/DC0/A/esx02", ("vc1/esx02",)),
    ("vc1/*/*/esx03,esx01", ("vc1/esx01", "vc1/esx03")),
    ("vc2/DC0/B", ("vc2/esx01",)),
    ("127.0.0.1:8443/DC0", ("127.0.0.1:8443/esx01",)),
])
def test_scopes_name_the_hosts_of_their_vcenter_only(text: str, expected: tuple[str, ...]) -> None:
    assert resolve_scope(parse_scope(text), PLACES) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("vc1/DC7", "no datacenter 'DC7' in vc1 (known: DC0, DC9)"),
    ("vc1/DC0/B", "no cluster 'B' in vc1/DC0 (known: A)"),
    ("vc1/DC0/A/esx09", "no host 'esx09'"),
])
def test_a_scope_naming_what_its_vcenter_lacks_says_what_is_there(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve_scope(parse_scope(text), PLACES)


@pytest.mark.parametrize("text", ["", "vc1/a/b/c/d", "v c/DC0", "vc1//A", "vc1/DC0/A/,", "vc1/DC0/A/*"])
def test_malformed_scopes_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="scope"):
        parse_scope(text)


def test_a_slash_inside_a_name_is_written_percent_2f() -> None:
    scope = parse_scope("vc1/DC0/Prod%2FA")
    assert scope.cluster == "Prod/A"


def test_a_scope_of_a_vcenter_not_in_the_run_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no vCenter 'vc3' in this run \(--vcenter given: vc1, vc2\)"):
        check_vcenters([parse_scope("vc1/DC0"), parse_scope("vc3/DC0")], ["vc1", "vc2"])
