"""``--discover-mtu``: bisect the largest MTU that passes with DF on every path-MTU pair.

Each bisection step is one round: one SSH session per source host running that host's pending
probes in parallel, so the cost is about log2(MTU range) rounds, not pairs x steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from validator.errors import CommandValueError, TransportError
from validator.esxi import batch, commands
from validator.models import PairResult, PingStats, Reason
from validator.options import ProbeOptions
from validator.planner import bisect_next
from validator.probe import read_outcome
from validator.transport import Executor, run_script

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
) -> list[PairResult]:
    """Fill ``max_mtu`` of every path-MTU pair whose source host is connected."""
    out = list(results)
    searches = [
        _Search(i, r, r.plan.family.header_bytes + SMALL_PAYLOAD, r.mtu_tested)
        for i, r in enumerate(results)
        if r.reason is Reason.PATH_MTU and r.mtu_tested is not None and r.plan.src_host in executors
    ]
    step = 0
    while pending := [s for s in searches if bisect_next(s.low_ok, s.high_bad) is not None]:
        step += 1
        progress(f"MTU discovery step {step}: {len(pending)} pair(s)")
        by_host: dict[str, list[_Search]] = {}
        for search in pending:
            by_host.setdefault(search.result.plan.src_host, []).append(search)
        with ThreadPoolExecutor(max_workers=max(1, len(by_host))) as pool:
            rounds = pool.map(lambda item: _probe_round(executors[item[0]], item[1], options), by_host.items())
            for host_searches, passed in zip(by_host.values(), rounds, strict=True):
                for search, ok in zip(host_searches, passed, strict=True):
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


def _probe_round(executor: Executor, searches: Sequence[_Search], options: ProbeOptions) -> list[bool | None]:
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
    if not jobs:
        return [None] * len(searches)
    script, nonce = batch.build_parallel(jobs, options.concurrency, isolate=False)
    try:
        result = run_script(executor, script, options.session_timeout(len(jobs), options.probe_seconds(2)))
    except TransportError:
        return [None] * len(searches)
    framed = batch.split_output(result.stdout, nonce)
    passed: list[bool | None] = []
    for n in range(len(searches)):
        out = framed.get(f"b{n}/mtu")
        outcome = read_outcome(out.stdout) if out is not None else None
        passed.append(outcome.received > 0 if isinstance(outcome, PingStats) else None)
    return passed
