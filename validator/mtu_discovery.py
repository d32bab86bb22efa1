"""``--discover-mtu``: bisect the largest MTU that passes with DF on every path-MTU pair.

Each bisection step is one round: one SSH session per source host running that host's pending
probes in parallel, so the cost is about log2(MTU range) rounds, not pairs x steps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from validator.classify import read_outcome
from validator.errors import CommandValueError
from validator.esxi import commands
from validator.esxi.stream import JobOutput
from validator.models import PairResult, PingStats, Reason
from validator.options import ProbeOptions
from validator.parallel import run_parallel
from validator.planner import bisect_next
from validator.probe import SILENCE_FACTOR, SILENCE_FLOOR
from validator.session import run_jobs
from validator.transport import Executor

SMALL_PAYLOAD = 56  # the reachability probe's payload: known to pass for a reachable pair


@dataclass
class _Search:
    index: int
    result: PairResult
    low_ok: int
    high_bad: int


def discover_max_mtu(
    executors: Mapping[str, Executor],
    results: Sequence[PairResult],
    options: ProbeOptions,
    progress: Callable[[str], None] = lambda _m: None,  # a step's one-line news
    cancel: threading.Event | None = None,
) -> list[PairResult]:
    """Fill ``max_mtu`` of every path-MTU pair whose source host is connected (what is known when
    ``cancel`` is set)."""
    cancel = cancel or threading.Event()
    out = list(results)
    searches = [
        _Search(i, r, r.plan.family.header_bytes + SMALL_PAYLOAD, r.mtu_tested)
        for i, r in enumerate(results)
        if r.reason is Reason.PATH_MTU and r.mtu_tested is not None and r.plan.src_host in executors
    ]
    step = 0
    while not cancel.is_set() and (pending := [s for s in searches if bisect_next(s.low_ok, s.high_bad) is not None]):
        step += 1
        progress(f"MTU discovery step {step}: {len(pending)} pair(s)")
        by_host: dict[str, list[_Search]] = {}
        for search in pending:
            by_host.setdefault(search.result.plan.src_host, []).append(search)
        rounds = run_parallel(list(by_host.items()),
                              lambda item: _probe_round(executors[item[0]], item[1], options, cancel),
                              len(by_host), cancel)
        for host_searches, passed in zip(by_host.values(), rounds, strict=True):
            for search, ok in zip(host_searches, passed or [None] * len(host_searches), strict=True):
                mid = bisect_next(search.low_ok, search.high_bad)
                assert mid is not None
                if ok is None:  # the host failed mid-search: stop with what is known
                    search.high_bad = search.low_ok + 1
                elif ok:
                    search.low_ok = mid
                else:
                    search.high_bad = mid
    for search in searches:
        r = search.result
        detail = f"{r.detail}; largest MTU passing with DF: {search.low_ok}"
        out[search.index] = replace(r, max_mtu=search.low_ok, detail=detail)
    return out


def _probe_round(
    executor: Executor, searches: Sequence[_Search], options: ProbeOptions, cancel: threading.Event
) -> list[bool | None]:
    jobs: dict[str, dict[str, str]] = {}
    for n, search in enumerate(searches):
        plan = search.result.plan
        mid = bisect_next(search.low_ok, search.high_bad)
        assert mid is not None
        try:
            jobs[f"b{n}"] = {
                "mtu": commands.vmkping(
                    plan.dst_ip, netstack=options.netstack, vmk=plan.src_vmk, count=2, interval=options.interval,
                    timeout=options.timeout, size=commands.payload_for_mtu(mid, plan.family), df=True,
                )
            }
        except CommandValueError:  # below the smallest MTU worth testing: the search ends here
            continue
    passed: list[bool | None] = [None] * len(searches)
    if not jobs:
        return passed

    def on_job(job: JobOutput) -> None:
        out = job.frames.get(f"{job.tag}/mtu")
        outcome = read_outcome(out.stdout) if out is not None else None
        passed[int(job.tag[1:])] = outcome.received > 0 if isinstance(outcome, PingStats) else None

    silence = max(SILENCE_FLOOR, SILENCE_FACTOR * options.probe_seconds(2))
    run_jobs(executor, jobs, host=searches[0].result.plan.src_host, concurrency=options.concurrency,
             silence=silence, on_job=on_job, cancel=cancel)
    return passed
