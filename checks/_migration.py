"""The two sides of the run's migration plan, for the migration checks (empty without a plan)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from validator.models import CheckSettings, HostInfo, MigrationPlan

MAX_NAMED = 8  # hosts or vmks named in one finding before "+N more"


@dataclass(frozen=True)
class Side:
    """One side of the migration: its scope as written and its hosts found in the run."""

    scope: str
    hosts: tuple[HostInfo, ...]


def sides(hosts: Sequence[HostInfo], settings: CheckSettings) -> tuple[MigrationPlan, Side, Side] | None:
    """(plan, source side, target side), or None when the run has no migration plan."""
    plan = settings.migration
    if plan is None:
        return None
    by_name = {h.name: h for h in hosts}
    source = tuple(by_name[n] for n in plan.source_hosts if n in by_name)
    names = {h.name for h in source}
    target = tuple(by_name[n] for n in plan.target_hosts if n in by_name and n not in names)
    return plan, Side(plan.source, source), Side(plan.target, target)


def directions(plan: MigrationPlan, source: Side, target: Side) -> list[tuple[Side, Side]]:
    """(from, to) sides the VMs move in: source -> target, and back unless the plan is one-way."""
    return [(source, target), (target, source)] if plan.both_ways else [(source, target)]


def named(items: Sequence[str]) -> str:
    """``a, b, c +N more``."""
    shown = ", ".join(items[:MAX_NAMED])
    extra = len(items) - MAX_NAMED
    return f"{shown} +{extra} more" if extra > 0 else shown
