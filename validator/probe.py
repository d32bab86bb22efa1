"""Probe all pairs of one source host in a single SSH session, reading each pair's outcome as it comes.

Per pair, in order: an ARP/ND warm-up (one packet, result ignored), a reachability probe, and a DF
probe at the pair's MTU. Pairs run in parallel on the host, at most ``concurrency`` at a time. A session
that is cut off (silence, a broken connection, Ctrl-C) keeps every pair it finished; only the others are
marked, with the reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from validator.classify import classify_pair, error_result, read_outcome
from validator.errors import CommandValueError
from validator.esxi import commands
from validator.esxi.stream import JobOutput
from validator.models import PairPlan, PairResult, Reason
from validator.options import ProbeOptions
from validator.session import EndKind, SessionEnd, run_jobs
from validator.transport import Executor

WARM, REACH, MTU = "warm", "reach", "mtu"
SILENCE_FLOOR = 60.0  # seconds without a finished pair before a session is judged stuck, at least
SILENCE_FACTOR = 4  # ... or this many times the slowest single pair
NOT_PROBED_DETAIL = "not probed: the run was interrupted before this pair's outcome came back"

PairCallback = Callable[[PairResult], None]


def pair_commands(plan: PairPlan, options: ProbeOptions) -> dict[str, str]:
    """The vmkping commands for one pair, step name -> command."""
    steps: dict[str, str] = {}
    netstack, vmk = options.netstack, plan.src_vmk
    if options.warmup:
        steps[WARM] = commands.vmkping(plan.dst_ip, netstack=netstack, vmk=vmk, count=1, timeout=options.timeout)
    steps[REACH] = commands.vmkping(
        plan.dst_ip, netstack=netstack, vmk=vmk, count=options.count, interval=options.interval,
        timeout=options.timeout,
    )
    size = commands.payload_for_mtu(options.mtu_for(plan), plan.family)
    steps[MTU] = commands.vmkping(
        plan.dst_ip, netstack=netstack, vmk=vmk, count=options.count, interval=options.interval,
        timeout=options.timeout, size=size, df=True,
    )
    return steps


def pair_seconds(options: ProbeOptions) -> float:
    """Upper bound of one pair's chain of probes."""
    steps = [options.probe_seconds(1)] if options.warmup else []
    return sum(steps) + 2 * options.probe_seconds()


def silence_seconds(options: ProbeOptions) -> float:
    """How long a session may go without a finished pair before it is stopped."""
    return max(SILENCE_FLOOR, SILENCE_FACTOR * pair_seconds(options))


def probe_host(
    executor: Executor,
    plans: Sequence[PairPlan],
    options: ProbeOptions,
    *,
    on_result: PairCallback | None = None,
    cancel: threading.Event | None = None,
) -> list[PairResult]:
    """Probe every pair whose source is this host; failures become error results, never exceptions.

    ``on_result`` gets each pair's result as soon as it is known; ``cancel`` stops the session (the pairs
    without an outcome are then ``not-probed``).
    """
    if not plans:
        return []
    results: list[PairResult | None] = [None] * len(plans)

    def settle(index: int, result: PairResult) -> None:
        results[index] = result
        if on_result is not None:
            on_result(result)

    jobs: dict[str, dict[str, str]] = {}
    for i, plan in enumerate(plans):
        try:
            jobs[f"p{i}"] = pair_commands(plan, options)
        except CommandValueError as exc:
            settle(i, error_result(plan, Reason.PARSE_ERROR, f"refused to build the probe: {exc}"))

    def on_job(job: JobOutput) -> None:
        index = int(job.tag[1:])
        settle(index, pair_result(plans[index], job, options))

    end = SessionEnd(EndKind.DONE)
    if jobs:
        end = run_jobs(
            executor, jobs, host=plans[0].src_host, concurrency=options.concurrency,
            silence=silence_seconds(options), on_job=on_job, gates={REACH}, cancel=cancel,
        )
    for i, plan in enumerate(plans):
        if results[i] is None:
            settle(i, unfinished_result(plan, end))
    return [r for r in results if r is not None]


def pair_result(plan: PairPlan, job: JobOutput, options: ProbeOptions) -> PairResult:
    """The verdict from one finished job's framed outputs."""
    outputs = {name.split("/", 1)[-1]: out for name, out in job.frames.items()}
    raw = {step: out.stdout for step, out in outputs.items()}
    reach_out = outputs.get(REACH)
    if reach_out is None:
        return error_result(plan, Reason.PARSE_ERROR, "no output from the reachability probe", raw)
    reach = read_outcome(reach_out.stdout)
    mtu_out = outputs.get(MTU)
    mtu_probe = read_outcome(mtu_out.stdout) if mtu_out is not None else None
    return classify_pair(plan, reach, mtu_probe, options.mtu_for(plan), raw)


def unfinished_result(plan: PairPlan, end: SessionEnd) -> PairResult:
    """A pair whose outcome never came back, and why."""
    if end.kind is EndKind.INTERRUPTED:
        return error_result(plan, Reason.NOT_PROBED, NOT_PROBED_DETAIL)
    raw = {"session": end.noise} if end.noise else None
    if end.kind is EndKind.ENDED:
        return error_result(plan, Reason.PARSE_ERROR, f"no output from the probe: {end.message}", raw)
    return error_result(plan, Reason.HOST_ERROR, end.message, raw)
