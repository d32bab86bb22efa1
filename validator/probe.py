"""Probe pairs through a :class:`~validator.prober.Prober`, reading each pair's outcome as it comes.

Per pair, in order: an ARP/ND warm-up (one packet, result ignored), a reachability probe, and a DF
probe at the pair's MTU (skipped when nothing came back to the reachability probe). A source host's
pairs run as one round on that host, at most ``concurrency`` at a time; every host's round runs at once
(:func:`probe_rounds`), so the mesh costs one round per source, not one per pair. A round that is cut off
(silence, a broken connection) or whose host stopped some probes at their deadline keeps every pair it
finished; the pairs without an outcome run once more on a fresh session at a lower concurrency, and only
what has no outcome then is reported ``error``, saying so (Ctrl-C retries nothing). The mesh, the
confirmation round and the MTU search all go through :func:`probe_rounds`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence

from validator.classify import classify_pair, error_result
from validator.esxi import commands
from validator.limits import PASSING_RAW_BUDGET
from validator.models import PairPlan, PairResult, PairStatus, Reason
from validator.options import ProbeOptions
from validator.pacing import retry_window
from validator.parallel import run_parallel
from validator.prober import EndKind, Job, Ping, Prober, SessionEnd, StepOutput
from validator.progress import ProgressTracker

WARM, REACH, MTU = "warm", "reach", "mtu"
NOT_PROBED_DETAIL = "not probed: the run was interrupted before this pair's outcome came back"

PairCallback = Callable[[PairResult], None]
HostRound = Callable[[str, Sequence[int]], None]


def pair_pings(plan: PairPlan, options: ProbeOptions) -> dict[str, Ping]:
    """The pings of one pair, step name -> ping, in the order they run."""
    dst = str(plan.dst_ip)
    steps: dict[str, Ping] = {}
    if options.warmup:
        steps[WARM] = Ping(dst, plan.src_vmk, plan.family, 1, options.interval, options.timeout)
    steps[REACH] = Ping(dst, plan.src_vmk, plan.family, options.count, options.interval, options.timeout)
    size = commands.payload_for_mtu(options.mtu_for(plan), plan.family)
    steps[MTU] = Ping(dst, plan.src_vmk, plan.family, options.count, options.interval, options.timeout,
                      size=size, df=True)
    return steps


def probe_host(
    prober: Prober,
    plans: Sequence[PairPlan],
    options: ProbeOptions,
    *,
    on_result: PairCallback | None = None,
    cancel: threading.Event | None = None,
) -> list[PairResult]:
    """Probe every pair whose source is one host; failures become error results, never exceptions.

    ``on_result`` gets each pair's result as soon as it is known; ``cancel`` stops the round (the pairs
    without an outcome are then ``not-probed``).
    """
    if not plans:
        return []
    results: list[PairResult | None] = [None] * len(plans)

    def settle(index: int, result: PairResult) -> None:
        results[index] = result
        if on_result is not None:
            on_result(result)

    def on_job(tag: str, outputs: Mapping[str, StepOutput]) -> None:
        index = int(tag[1:])
        settle(index, pair_result(plans[index], outputs, options))

    jobs: dict[str, Job] = {f"p{i}": pair_pings(plan, options) for i, plan in enumerate(plans)}
    host = plans[0].src_host
    end = prober.run(host, jobs, concurrency=options.concurrency, on_job=on_job, gate=REACH, cancel=cancel)
    first = {f"p{i}": unfinished_result(plan, end, f"p{i}") for i, plan in enumerate(plans) if results[i] is None}
    if first and end.kind is not EndKind.INTERRUPTED and not (cancel is not None and cancel.is_set()):
        again = {tag: jobs[tag] for tag in first}
        end = prober.run(host, again, concurrency=retry_window(options.concurrency), on_job=on_job, gate=REACH,
                         cancel=cancel)
        for i, plan in enumerate(plans):
            if results[i] is None:
                settle(i, retried_result(plan, first[f"p{i}"], unfinished_result(plan, end, f"p{i}")))
    for i, plan in enumerate(plans):
        if results[i] is None:
            settle(i, unfinished_result(plan, end, f"p{i}"))
    return [r for r in results if r is not None]


def probe_rounds(
    by_source: Mapping[str, Sequence[int]],
    round_on: HostRound,
    *,
    max_parallel_hosts: int,
    cancel: threading.Event,
) -> None:
    """Run ``round_on(host, indexes)`` for every source host, as many hosts at once as allowed."""
    if by_source:
        run_parallel(list(by_source), lambda host: round_on(host, by_source[host]),
                     max(1, min(len(by_source), max_parallel_hosts)), cancel)


class PassingRaw:
    """Keeps the raw output of passing pairs while all of it together stays within ``budget`` characters; once a
    run goes past, it clears what it kept and keeps none (the reports show passing pairs' raw output only then,
    and a large mesh does not hold megabytes of it). Pairs that did not pass keep theirs always."""

    def __init__(self, budget: int = PASSING_RAW_BUDGET) -> None:
        self._left = budget
        self._kept: list[dict[str, str]] | None = []
        self._lock = threading.Lock()

    def note(self, result: PairResult) -> None:
        if result.status is not PairStatus.PASS or not result.raw:
            return
        with self._lock:
            if self._kept is not None:
                self._left -= sum(len(text) for text in result.raw.values())
                if self._left >= 0:
                    self._kept.append(result.raw)
                    return
                for raw in self._kept:
                    raw.clear()
                self._kept = None
        result.raw.clear()


def probe_pairs(
    prober: Prober,
    plans: Sequence[PairPlan],
    indexes_by_host: Mapping[str, Sequence[int]],
    options: ProbeOptions,
    *,
    max_parallel_hosts: int,
    cancel: threading.Event,
    tracker: ProgressTracker | None = None,
    passing_raw: PassingRaw | None = None,
) -> dict[int, PairResult]:
    """The chosen pairs probed, one round per source host, all hosts at once: plan index -> result."""
    results: dict[int, PairResult] = {}

    def on_result(result: PairResult) -> None:
        if passing_raw is not None:
            passing_raw.note(result)
        if tracker is not None:
            tracker.pair_done(result)

    def round_on(host: str, indexes: Sequence[int]) -> None:
        host_results = probe_host(prober, [plans[i] for i in indexes], options, on_result=on_result, cancel=cancel)
        results.update(zip(indexes, host_results, strict=True))
        if tracker is not None:
            failing = sum(1 for r in host_results if r.status.value != "pass")
            tracker.note(f"{host}: {len(host_results)} pairs probed, {failing} not passing")

    probe_rounds(indexes_by_host, round_on, max_parallel_hosts=max_parallel_hosts, cancel=cancel)
    return results


def pair_result(plan: PairPlan, outputs: Mapping[str, StepOutput], options: ProbeOptions) -> PairResult:
    """The verdict from one finished job's step outputs."""
    raw = {step: out.raw for step, out in outputs.items()}
    reach = outputs.get(REACH)
    if reach is None:
        first = next(iter(outputs.values()), None)
        if first is not None and not first.raw:  # refused before it was sent: say why
            return classify_pair(plan, first.outcome, None, options.mtu_for(plan), raw)
        return error_result(plan, Reason.PARSE_ERROR, "no output from the reachability probe", raw)
    mtu = outputs.get(MTU)
    return classify_pair(plan, reach.outcome, mtu.outcome if mtu is not None else None, options.mtu_for(plan), raw)


def unfinished_result(plan: PairPlan, end: SessionEnd, tag: str = "") -> PairResult:
    """A pair whose outcome never came back, and why (``tag``: its job, maybe stopped at its deadline)."""
    if end.kind is EndKind.INTERRUPTED:
        return error_result(plan, Reason.NOT_PROBED, NOT_PROBED_DETAIL)
    raw = {"session": end.noise} if end.noise else None
    if tag in end.timed_out:
        return error_result(plan, Reason.HOST_ERROR, f"timed out: the probe ran past its deadline on "
                            f"{plan.src_host} and was stopped there", raw)
    if end.kind is EndKind.ENDED:
        return error_result(plan, Reason.PARSE_ERROR, f"no output from the probe: {end.message}", raw)
    return error_result(plan, Reason.HOST_ERROR, end.message, raw)


def retried_result(plan: PairPlan, first: PairResult, second: PairResult) -> PairResult:
    """A pair without an outcome on its first session nor on its retry; interrupted, it says only that."""
    if second.reason is Reason.NOT_PROBED:
        return second
    detail = f"{second.detail} (retried once on a fresh session; the first time: {first.detail})"
    if second.detail == first.detail:
        detail = f"{second.detail} (also when retried once on a fresh session)"
    return error_result(plan, second.reason or Reason.HOST_ERROR, detail, second.raw or first.raw)
