"""Plan the full mesh: every vMotion vmk to every vMotion vmk on every other host (pure); or a migration's pairs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from validator.models import Family, HostInfo, MigrationPlan, PairPlan, Vmk


def plan_run(
    hosts: Sequence[HostInfo], *, cross_cluster: bool = False, migration: MigrationPlan | None = None
) -> list[PairPlan]:
    """The run's pairs: a migration's (:func:`validator.migration.plan_migration`) when one is given, else the
    mesh (:func:`plan_mesh`)."""
    if migration is not None:
        from validator.migration import plan_migration

        return plan_migration(hosts, migration)
    return plan_mesh(hosts, cross_cluster=cross_cluster)


def plan_mesh(hosts: Sequence[HostInfo], *, cross_cluster: bool = False) -> list[PairPlan]:
    """Directed pairs, same address family only, one per family the two vmks share.

    Pairs stay within each cluster (vMotion's usual domain) unless ``cross_cluster``; hosts without a
    cluster form one group. Hosts are taken in the given order; a host whose vmks are unknown contributes
    nothing.
    """
    plans: list[PairPlan] = []
    for src in hosts:
        for dst in hosts:
            if src.name == dst.name or (not cross_cluster and src.cluster != dst.cluster):
                continue
            for src_vmk in src.vmks:
                for dst_vmk in dst.vmks:
                    plans.extend(_pair_plans(src, src_vmk, dst, dst_vmk))
    return plans


def _pair_plans(src: HostInfo, src_vmk: Vmk, dst: HostInfo, dst_vmk: Vmk) -> list[PairPlan]:
    plans = (pair_plan(src.name, src_vmk, dst.name, dst_vmk, family) for family in Family)
    return [plan for plan in plans if plan is not None]


def pair_plan(src_host: str, src_vmk: Vmk, dst_host: str, dst_vmk: Vmk, family: Family) -> PairPlan | None:
    """The probe from one vmk to another in one family; None when either has no address of it."""
    src_addr = src_vmk.address(family)
    dst_addr = dst_vmk.address(family)
    if src_addr is None or dst_addr is None:
        return None
    return PairPlan(
        src_host=src_host,
        src_vmk=src_vmk.name,
        src_ip=src_addr.ip,
        dst_host=dst_host,
        dst_vmk=dst_vmk.name,
        dst_ip=dst_addr.ip,
        family=family,
        mtu=min(src_vmk.mtu, dst_vmk.mtu),
        src_prefix=src_addr.network.prefixlen,
    )


def indexes_by_source(plans: Sequence[PairPlan], indexes: Iterable[int] | None = None) -> dict[str, list[int]]:
    """The plans' indexes (all, or only ``indexes``) grouped by source host, in order: one session each."""
    grouped: dict[str, list[int]] = {}
    for index in range(len(plans)) if indexes is None else indexes:
        grouped.setdefault(plans[index].src_host, []).append(index)
    return grouped


def bisect_next(low_ok: int, high_bad: int) -> int | None:
    """Next MTU to try when ``low_ok`` passed and ``high_bad`` failed; None when they are adjacent."""
    if high_bad - low_ok <= 1:
        return None
    return (low_ok + high_bad) // 2
