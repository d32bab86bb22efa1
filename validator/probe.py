"""Probe all pairs of one source host in a single SSH session, and read the outcomes.

Per pair, in order: an ARP/ND warm-up (one packet, result ignored), a reachability probe, and a DF
probe at the pair's MTU. Pairs run in parallel on the host, at most ``concurrency`` at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

from validator.classify import ProbeFailure, ProbeOutcome, classify_pair, error_result
from validator.errors import CommandValueError, ParseError, TransportError
from validator.esxi import batch, commands, parsers
from validator.models import PairPlan, PairResult, Reason
from validator.options import ProbeOptions
from validator.transport import Executor, run_script

WARM, REACH, MTU = "warm", "reach", "mtu"


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


def probe_host(executor: Executor, plans: Sequence[PairPlan], options: ProbeOptions) -> list[PairResult]:
    """Probe every pair whose source is this host; failures become error results, never exceptions."""
    if not plans:
        return []
    jobs: dict[str, dict[str, str]] = {}
    refused: dict[int, PairResult] = {}
    for i, plan in enumerate(plans):
        try:
            jobs[f"p{i}"] = pair_commands(plan, options)
        except CommandValueError as exc:
            refused[i] = error_result(plan, Reason.PARSE_ERROR, f"refused to build the probe: {exc}")
    if not jobs:
        return [refused[i] for i in range(len(plans))]
    # the DF probe is pointless when nothing came back: the reach step gates it
    script, nonce = batch.build_parallel(jobs, options.concurrency, isolate=False, gates={REACH})
    per_job = sum(options.probe_seconds(1 if step == WARM else None) for step in next(iter(jobs.values())))
    try:
        result = run_script(executor, script, options.session_timeout(len(jobs), per_job))
    except TransportError as exc:
        return [error_result(plan, Reason.HOST_ERROR, str(exc)) for plan in plans]
    framed = batch.split_output(result.stdout, nonce)
    results = []
    for i, plan in enumerate(plans):
        if i in refused:
            results.append(refused[i])
            continue
        tag = f"p{i}"
        outputs = {step: framed.get(f"{tag}/{step}") for step in jobs[tag]}
        raw = {step: out.stdout for step, out in outputs.items() if out is not None}
        reach_out = outputs[REACH]
        if reach_out is None:
            missing = result.stdout[-2000:] + result.stderr[-2000:]
            results.append(error_result(plan, Reason.PARSE_ERROR, "no output from the probe", {"session": missing}))
            continue
        reach = read_outcome(reach_out.stdout)
        mtu_out = outputs[MTU]
        mtu_probe = read_outcome(mtu_out.stdout) if mtu_out is not None else None
        results.append(classify_pair(plan, reach, mtu_probe, options.mtu_for(plan), raw))
    return results


def read_outcome(text: str) -> ProbeOutcome:
    """Parse one vmkping output into statistics or a probe failure holding the raw text."""
    try:
        return parsers.parse_vmkping(text)
    except parsers.UnknownInterfaceError as exc:
        return ProbeFailure(Reason.UNKNOWN_VMK, str(exc), text)
    except ParseError as exc:
        return ProbeFailure(Reason.PARSE_ERROR, f"cannot parse vmkping output: {exc}", text)
