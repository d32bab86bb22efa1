"""``--discover-mtu``: bisect the largest MTU that passes with DF on every path-MTU pair.

Each bisection step is one probe round (:func:`validator.probe.probe_rounds`): one round per source host
running that host's pending probes in parallel, so the cost is about log2(MTU range) rounds, not
pairs x steps. A probe that did not run (its session failed, the run was interrupted, its output could not
be read) ends that pair's search as *unfinished*: no maximum is claimed, and the detail gives the bounds
measured so far.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from validator.errors import CommandValueError
from validator.esxi import commands
from validator.models import PairResult, PingStats, Reason
from validator.options import ProbeOptions
from validator.planner import bisect_next, indexes_by_source
from validator.probe import MTU, probe_rounds
from validator.prober import Job, Ping, Prober, StepOutput

SMALL_PAYLOAD = 56  # the reachability probe's payload: known to pass for a reachable pair
SEARCH_COUNT = 2  # DF packets per bisection step


@dataclass
class _Search:
    index: int
    result: PairResult
    low_ok: int
    high_bad: int
    unfinished: str | None = None  # why the search stopped before it converged

    @property
    def done(self) -> bool:
        return self.unfinished is not None or bisect_next(self.low_ok, self.high_bad) is None


def discover_max_mtu(
    prober: Prober,
    results: Sequence[PairResult],
    options: ProbeOptions,
    progress: Callable[[str], None] = lambda _m: None,  # a step's one-line news
    cancel: threading.Event | None = None,
    *,
    max_parallel_hosts: int = 64,
) -> list[PairResult]:
    """Fill ``max_mtu`` of every path-MTU pair whose source host can be probed (what is known when
    ``cancel`` is set: an unfinished search claims no maximum)."""
    cancel = cancel or threading.Event()
    out = list(results)
    searches = [
        _Search(i, r, r.plan.family.header_bytes + SMALL_PAYLOAD, r.mtu_tested)
        for i, r in enumerate(results)
        if r.reason is Reason.PATH_MTU and r.mtu_tested is not None and prober.can_probe(r.plan.src_host)
    ]
    step = 0
    while not cancel.is_set() and (pending := [s for s in searches if not s.done]):
        step += 1
        progress(f"MTU discovery step {step}: {len(pending)} pair(s)")
        by_host = indexes_by_source([s.result.plan for s in pending])

        def round_on(host: str, indexes: Sequence[int], pending: list[_Search] = pending) -> None:
            _bisect_round(prober, host, [pending[i] for i in indexes], options, cancel)

        probe_rounds(by_host, round_on, max_parallel_hosts=max_parallel_hosts, cancel=cancel)
    for search in searches:
        if search.unfinished is None and not search.done:
            search.unfinished = "the run was interrupted"
        out[search.index] = _searched(search)
    return out


def _searched(search: _Search) -> PairResult:
    """The pair with what its search found."""
    r = search.result
    if search.unfinished is None:
        return replace(r, max_mtu=search.low_ok, detail=f"{r.detail}; largest MTU passing with DF: {search.low_ok}")
    detail = (f"{r.detail}; MTU discovery did not finish ({search.unfinished}): DF passed at {search.low_ok}, "
              f"failed at {search.high_bad}")
    return replace(r, detail=detail)


def _step_ping(search: _Search) -> Ping | None:
    """The DF ping of a search's next step, or None when the step is below what can be tested."""
    plan = search.result.plan
    mid = bisect_next(search.low_ok, search.high_bad)
    assert mid is not None
    try:
        size = commands.payload_for_mtu(mid, plan.family)
    except CommandValueError:
        return None
    return Ping(str(plan.dst_ip), plan.src_vmk, plan.family, SEARCH_COUNT, 0.0, 0.0, size=size, df=True)


def _bisect_round(
    prober: Prober, host: str, searches: Sequence[_Search], options: ProbeOptions, cancel: threading.Event
) -> None:
    """One bisection step for a host's pending searches; each search moves or records why it stopped."""
    jobs: dict[str, Job] = {}
    for n, search in enumerate(searches):
        ping = _step_ping(search)
        if ping is None:  # below the smallest MTU worth testing: the search ends at what it knows
            search.high_bad = search.low_ok + 1
            continue
        jobs[f"b{n}"] = {MTU: replace(ping, interval=options.interval, timeout=options.timeout)}
    if not jobs:
        return
    answered: set[int] = set()

    def on_job(tag: str, outputs: Mapping[str, StepOutput]) -> None:
        n = int(tag[1:])
        answered.add(n)
        search = searches[n]
        out = outputs.get(MTU)
        outcome = out.outcome if out is not None else None
        if not isinstance(outcome, PingStats):
            search.unfinished = f"the probe at the next step gave no statistics: {getattr(outcome, 'message', '?')}"
            return
        mid = bisect_next(search.low_ok, search.high_bad)
        assert mid is not None
        if outcome.received > 0:
            search.low_ok = mid
        else:
            search.high_bad = mid

    end = prober.run(host, jobs, concurrency=options.concurrency, on_job=on_job, cancel=cancel)
    for tag in jobs:
        n = int(tag[1:])
        if n not in answered:
            searches[n].unfinished = end.message or end.kind.value
