"""Confirm failures: a pair that failed in a way one dropped packet or a busy host can cause is probed once
more before it is reported.

One more round, one session per source host, only for those pairs. A pair that passes the second time is
reported as passing, its detail saying what the first probe saw; one that fails again says it was
confirmed. Failures a second probe cannot change (no route, vmk down, a local MTU error) are not retried.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace

from validator.models import PairResult, PairStatus, Reason
from validator.options import ProbeOptions
from validator.planner import indexes_by_source
from validator.probe import probe_pairs
from validator.prober import Prober

RETRIED_REASONS = frozenset({Reason.UNREACHABLE, Reason.LOSS, Reason.ARP, Reason.PATH_MTU})


def to_confirm(results: Sequence[PairResult], prober: Prober) -> list[int]:
    """Indexes of the pairs worth a second probe."""
    return [
        i for i, r in enumerate(results)
        if r.status is PairStatus.FAIL and r.reason in RETRIED_REASONS and prober.can_probe(r.plan.src_host)
    ]


def merge_confirmation(first: PairResult, second: PairResult) -> PairResult:
    """The pair as reported after its second probe (pure)."""
    label = first.reason.value if first.reason else first.status.value
    seen = f"{label}: {first.detail}" if first.detail else label
    if second.status is PairStatus.PASS:
        note = f"passed when probed again; the first probe saw {seen}"
        return replace(second, detail=f"{second.detail}; {note}" if second.detail else note)
    if second.status is PairStatus.FAIL:
        return replace(second, detail=f"{second.detail or seen} (confirmed by a second probe)")
    return first  # the second probe could not run: the first measurement stands


def confirm_failures(
    results: Sequence[PairResult],
    indices: Sequence[int],
    *,
    prober: Prober,
    options: ProbeOptions,
    cancel: threading.Event,
    max_parallel_hosts: int,
) -> tuple[list[PairResult], int]:
    """Results with the pairs at ``indices`` probed once more; and how many passed the second time."""
    out = list(results)
    plans = [r.plan for r in out]
    seconds = probe_pairs(prober, plans, indexes_by_source(plans, indices), options,
                          max_parallel_hosts=max_parallel_hosts, cancel=cancel)
    for i, second in seconds.items():
        out[i] = merge_confirmation(out[i], second)
    recovered = sum(1 for i in indices if out[i].status is PairStatus.PASS)
    return out, recovered
