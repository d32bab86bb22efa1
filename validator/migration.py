"""Plan a migration between two scopes: only the pairs moving VMs between them uses (pure).

Every vMotion vmk of each source host is paired with every vMotion vmk of each target host (same address
family), and the reverse unless one-way; each side's hosts are also meshed inside their own clusters unless
between-only. The plan of N source and M target hosts is N x M each way, where the full mesh of the same hosts
is (N + M)^2.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from validator.models import Family, HostInfo, MigrationPlan, PairPlan
from validator.planner import pair_plan


@dataclass(frozen=True)
class PlanSize:
    """How many pairs a migration plan probes, and how many the full mesh of the same hosts would."""

    between: int
    within: int
    full_mesh: int

    @property
    def total(self) -> int:
        return self.between + self.within


def host_pairs(hosts: Sequence[HostInfo], migration: MigrationPlan) -> list[tuple[HostInfo, HostInfo, bool]]:
    """The directed host pairs of the plan, each once: (source, destination, between the two sides).

    Between-side pairs come first (source -> target, then target -> source), then each side's cluster mesh.
    A host in both scopes counts as a source; hosts in neither are left out.
    """
    by_name = {h.name: h for h in hosts}
    source = [by_name[n] for n in dict.fromkeys(migration.source_hosts) if n in by_name]
    in_source = {h.name for h in source}
    target = [by_name[n] for n in dict.fromkeys(migration.target_hosts) if n in by_name and n not in in_source]
    seen: set[tuple[str, str]] = set()
    out: list[tuple[HostInfo, HostInfo, bool]] = []

    def add(src: HostInfo, dst: HostInfo, between: bool) -> None:
        key = (src.name, dst.name)
        if src.name != dst.name and key not in seen:
            seen.add(key)
            out.append((src, dst, between))

    for src in source:
        for dst in target:
            add(src, dst, True)
    if migration.both_ways:
        for src in target:
            for dst in source:
                add(src, dst, True)
    if migration.within:
        for side in (source, target):
            for src in side:
                for dst in side:
                    if src.cluster == dst.cluster:
                        add(src, dst, False)
    return out


def plan_migration(hosts: Sequence[HostInfo], migration: MigrationPlan) -> list[PairPlan]:
    """The probes of the migration plan: per host pair, every vmk pair in each shared family."""
    plans: list[PairPlan] = []
    for src, dst, _between in host_pairs(hosts, migration):
        for src_vmk in src.vmks:
            for dst_vmk in dst.vmks:
                for family in Family:
                    plan = pair_plan(src.name, src_vmk, dst.name, dst_vmk, family)
                    if plan is not None:
                        plans.append(plan)
    return plans


def plan_size(hosts: Sequence[HostInfo], migration: MigrationPlan) -> PlanSize:
    """Pair counts of the plan and of the full mesh of the hosts of both scopes, without building either
    (per family: sums of vmk counts, so 2 x 500 hosts count as fast as they are listed)."""
    by_name = {h.name: h for h in hosts}
    source = [by_name[n] for n in dict.fromkeys(migration.source_hosts) if n in by_name]
    names = {h.name for h in source}
    target = [by_name[n] for n in dict.fromkeys(migration.target_hosts) if n in by_name and n not in names]
    between = _shared(_totals(source), _totals(target)) * (2 if migration.both_ways else 1)
    within = 0
    if migration.within:
        for side in (source, target):
            clusters: dict[str | None, list[HostInfo]] = {}
            for host in side:
                clusters.setdefault(host.cluster, []).append(host)
            within += sum(full_mesh_size(members) for members in clusters.values())
    return PlanSize(between, within, full_mesh_size([*source, *target]))


def _totals(hosts: Sequence[HostInfo]) -> tuple[int, ...]:
    counts = [_family_counts(h) for h in hosts]
    return tuple(sum(c[i] for c in counts) for i in range(len(Family)))


def full_mesh_size(hosts: Iterable[HostInfo]) -> int:
    """Pairs of the full mesh across every host (``--cross-cluster``): sum over families of n^2 - sum n_h^2."""
    per_host = [_family_counts(h) for h in hosts]
    total = 0
    for index in range(len(Family)):
        column = [c[index] for c in per_host]
        total += sum(column) ** 2 - sum(n * n for n in column)
    return total


def _family_counts(host: HostInfo) -> tuple[int, ...]:
    return tuple(sum(1 for v in host.vmks if v.address(f) is not None) for f in Family)


def _shared(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    return sum(x * y for x, y in zip(a, b, strict=True))


def describe_plan(migration: MigrationPlan, size: PlanSize) -> str:
    """One line saying what is probed: ``plan: 32 pairs between vc1/DC0/A (4 hosts) and ... = 56 pairs``."""
    arrow = "<->" if migration.both_ways else "->"
    within = f" + {size.within} within their clusters" if migration.within else ""
    return (
        f"plan: {migration.source} ({len(migration.source_hosts)} host(s)) {arrow} {migration.target} "
        f"({len(migration.target_hosts)} host(s)): {size.between} pairs between{within} = {size.total} pairs "
        f"(the full mesh of these hosts: {size.full_mesh})"
    )
