"""Next steps: from a run's hosts, pairs and findings, what to change or check, where, and with which command.

Pure: reads the measured facts, returns :class:`NextStep` values; nothing is run. Each step names what it
fixes (finding checks, pair reasons), the host and vmk, the esxcli command(s) to run on the host and the
PowerCLI equivalent where vCenter holds the setting, filled in with discovered values (validated and quoted
by :mod:`validator.esxi.changes`). A change is proposed only when the facts justify its values: a gateway is
the one the host's subnet peers use, an MTU the one the inventory expects or most vMotion vmks have.
Otherwise the step says what to decide or check, without a command. Causes on the network (path MTU, lost
echoes, no return route) say what to check between which addresses. One fix that clears forty pairs is
one step listing the forty pairs.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

from validator.models import Finding, HostInfo, PairResult, PairStatus, Reason
from validator.remediation.facts import Facts
from validator.remediation.finding_steps import finding_steps
from validator.remediation.pair_steps import pair_steps, path_mtu_steps
from validator.remediation.plan import DEFERRED, Plan
from validator.remediation.step import GATEWAY_MTU, GATEWAY_UNREACHABLE, NextStep, Owner, PairKey

if TYPE_CHECKING:
    from validator.report import Report

__all__ = ["GATEWAY_MTU", "GATEWAY_UNREACHABLE", "NextStep", "Owner", "PairKey", "for_report", "next_steps"]

_last: tuple[weakref.ref[Report], tuple[NextStep, ...]] | None = None


def for_report(report: Report) -> tuple[NextStep, ...]:
    """The next steps of a report (the last report's are kept: writing every format computes them once)."""
    global _last  # noqa: PLW0603 - a one-entry cache
    if _last is not None and _last[0]() is report:
        return _last[1]
    steps = next_steps(report.hosts, report.pairs, report.findings)
    _last = (weakref.ref(report), steps)
    return steps


def next_steps(
    hosts: Sequence[HostInfo], pairs: Sequence[PairResult], findings: Sequence[Finding]
) -> tuple[NextStep, ...]:
    """Every next step for the failing pairs and the findings, biggest first; each of them is in one at least."""
    facts = Facts(hosts, pairs, findings)
    plan = Plan()
    for index, finding in enumerate(findings):
        for key, make in finding_steps(facts, finding):
            plan.add(key, make, finding.check, finding=index)
    for pair in pairs:
        if pair.status is PairStatus.PASS:
            continue
        label = pair.reason.value if pair.reason else pair.status.value
        for key, make in pair_steps(facts, pair):
            if key == DEFERRED:
                plan.path_mtu.append(pair)
            else:
                plan.add(key, make, label, pair=pair.plan.key)
    for key, make in path_mtu_steps(facts, plan):
        for pair in plan.path_mtu_groups.pop(key, []):
            plan.add(key, make, Reason.PATH_MTU.value, pair=pair.plan.key)
    return plan.steps()
