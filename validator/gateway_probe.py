"""The gateway probe: each vmotion-stack vmk pings its own gateway once per run, small, then DF at its MTU.

The gateway of a vmk is its per-vmk override of the family, else the stack's default gateway of that family.
A disabled vmk, or one without a gateway of a family, is not probed: the ``vmk_disabled`` and ``gateway``
checks already report those. The gateway jobs ride in each host's first probe round (the mesh round), so
they cost no session and no round of their own; only a host without mesh pairs gets a round of its own, in
the session its discovery opened. The outcomes land on :attr:`HostInfo.gateway_probes`, where the
``gateway_unreachable`` and ``gateway_mtu`` checks read them; :func:`point_at_gateways` makes the routed
pairs that failed because of them say so.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from ipaddress import ip_interface

from validator.classify import ProbeFailure, local_error_reason
from validator.esxi import commands
from validator.models import (
    Family,
    GatewayProbe,
    HostInfo,
    IPAddress,
    PairResult,
    PairStatus,
    Reason,
    Vmk,
)
from validator.options import ProbeOptions
from validator.parallel import run_parallel
from validator.probe import MTU, REACH, WARM
from validator.prober import Job, JobCallback, Ping, Prober, SessionEnd, StepOutput

TAG_PREFIX = "gw"
_NO_ANSWER = {
    Reason.ARP: "'Host is down': the gateway does not answer ARP/ND on the vmk's segment",
    Reason.NO_ROUTE: "'Network is unreachable': the vmk has no route to its gateway (off-link?)",
    Reason.VMK_DOWN: "'Network is down': the vmk is administratively down",
}


@dataclass(frozen=True)
class GatewayTarget:
    """One vmk's gateway in one family, and the size of the DF probe (the vmk's MTU)."""

    vmk: str
    family: Family
    gateway: IPAddress
    mtu: int


def vmk_gateway(host: HostInfo, vmk: Vmk, family: Family) -> IPAddress | None:
    """The gateway traffic from ``vmk`` in ``family`` leaves by: its override, else the stack's; None: none."""
    if vmk.gateway is not None and Family.of(vmk.gateway) is family:
        return vmk.gateway
    return host.gateway if family is Family.IPV4 else host.gateway6


def gateway_targets(host: HostInfo) -> list[GatewayTarget]:
    """What one host's gateway probe pings: every enabled vmk of the probed stack, per family with a gateway."""
    if not host.ok:
        return []
    targets: list[GatewayTarget] = []
    for vmk in host.vmks:
        if not vmk.enabled:
            continue
        for family in Family:
            gateway = vmk_gateway(host, vmk, family)
            if vmk.address(family) is not None and gateway is not None:
                targets.append(GatewayTarget(vmk.name, family, gateway, vmk.mtu))
    return targets


def gateway_pings(target: GatewayTarget, options: ProbeOptions) -> dict[str, Ping]:
    """The steps of one gateway job: warm-up, small packets, DF at the vmk's MTU (as a pair's)."""
    dst = str(target.gateway)
    steps: dict[str, Ping] = {}
    if options.warmup:
        steps[WARM] = Ping(dst, target.vmk, target.family, 1, options.interval, options.timeout)
    steps[REACH] = Ping(dst, target.vmk, target.family, options.count, options.interval, options.timeout)
    size = commands.payload_for_mtu(target.mtu, target.family)
    steps[MTU] = Ping(dst, target.vmk, target.family, options.count, options.interval, options.timeout,
                      size=size, df=True)
    return steps


def gateway_result(target: GatewayTarget, outputs: Mapping[str, StepOutput]) -> GatewayProbe:
    """The verdict on one gateway from its job's step outputs (pure)."""
    probe = GatewayProbe(target.vmk, target.family, target.gateway, target.mtu, reachable=None)
    reach = outputs.get(REACH)
    if reach is None:
        first = next(iter(outputs.values()), None)
        message = first.outcome.message if first is not None and isinstance(first.outcome, ProbeFailure) else ""
        return replace(probe, detail=message or "no output from the probe")
    small = reach.outcome
    if isinstance(small, ProbeFailure):
        return replace(probe, detail=small.message)
    if small.received == 0:
        reason = local_error_reason(small)
        detail = _NO_ANSWER.get(reason, "") if reason is not None else ""
        return replace(probe, reachable=False,
                       detail=detail or f"{small.transmitted} sent, 0 replies from the gateway")
    df = outputs.get(MTU)
    if df is None or isinstance(df.outcome, ProbeFailure):
        failed = df.outcome.message if df is not None and isinstance(df.outcome, ProbeFailure) else None
        return replace(probe, reachable=True, detail=failed)
    if df.outcome.received > 0:
        return replace(probe, reachable=True, mtu_ok=True)
    if local_error_reason(df.outcome) is Reason.LOCAL_MTU:
        detail = f"DF {target.mtu} refused by the source: 'Message too long' (the vmk or its switch MTU)"
    else:
        detail = f"DF packets of {target.mtu} bytes lost while small packets reach the gateway"
    return replace(probe, reachable=True, mtu_ok=False, detail=detail)


class GatewayRound:
    """The run's prober, with each host's gateway jobs folded into that host's first round.

    Until :meth:`finish`, the first :meth:`run` on a host also carries its gateway jobs (their outcomes are
    kept here, the caller's jobs are handed to the caller as usual). :meth:`finish` gives the hosts whose
    jobs never rode along (no pairs from them) a round of their own; later rounds run unchanged.
    """

    def __init__(self, prober: Prober, hosts: Iterable[HostInfo], options: ProbeOptions) -> None:
        self._prober = prober
        self._options = options
        self.via = prober.via
        self._lock = threading.Lock()
        self._folding = True
        self._pending: dict[str, list[GatewayTarget]] = {}
        for host in hosts:
            targets = gateway_targets(host)
            if targets and prober.can_probe(host.name):
                self._pending[host.name] = targets
        self._found: dict[str, dict[int, GatewayProbe]] = {}
        self._order: dict[str, list[GatewayTarget]] = {name: list(t) for name, t in self._pending.items()}

    def can_probe(self, host: str) -> bool:
        return self._prober.can_probe(host)

    def run(
        self,
        host: str,
        jobs: Mapping[str, Job],
        *,
        concurrency: int,
        on_job: JobCallback,
        gate: str | None = None,
        cancel: threading.Event | None = None,
    ) -> SessionEnd:
        with self._lock:
            targets = self._pending.pop(host, None) if self._folding else None
        if not targets:
            return self._prober.run(host, jobs, concurrency=concurrency, on_job=on_job, gate=gate, cancel=cancel)
        mine = self._jobs(targets, taken=jobs)

        def route(tag: str, outputs: Mapping[str, StepOutput]) -> None:
            if tag in mine:
                self._record(host, mine[tag][0], outputs)
            else:
                on_job(tag, outputs)

        merged: dict[str, Job] = {**jobs, **{tag: job for tag, (_, job) in mine.items()}}
        return self._prober.run(host, merged, concurrency=concurrency, on_job=route, gate=gate, cancel=cancel)

    def close(self) -> None:
        self._prober.close()

    def finish(self, *, max_parallel_hosts: int, cancel: threading.Event) -> None:
        """Probe the gateways no round carried yet (one round per such host, all at once); stop folding."""
        with self._lock:
            self._folding = False
            left, self._pending = self._pending, {}
        if not left or cancel.is_set():
            return

        def round_on(host: str) -> None:
            mine = self._jobs(left[host], taken={})
            self._prober.run(host, {tag: job for tag, (_, job) in mine.items()},
                             concurrency=self._options.concurrency, gate=REACH, cancel=cancel,
                             on_job=lambda tag, outputs: self._record(host, mine[tag][0], outputs))

        run_parallel(list(left), round_on, max(1, min(len(left), max_parallel_hosts)), cancel)

    def attach(self, hosts: Sequence[HostInfo]) -> list[HostInfo]:
        """``hosts`` with the gateway probes that ran, in vmk then family order."""
        with self._lock:
            found = {name: dict(by_index) for name, by_index in self._found.items()}
        return [
            replace(h, gateway_probes=tuple(found[h.name][i] for i in sorted(found[h.name])))
            if h.name in found else h
            for h in hosts
        ]

    def _jobs(self, targets: Sequence[GatewayTarget], taken: Mapping[str, Job]) -> dict[str, tuple[int, Job]]:
        out: dict[str, tuple[int, Job]] = {}
        for i, target in enumerate(targets):
            tag = f"{TAG_PREFIX}{i}"
            while tag in taken:
                tag = "_" + tag
            out[tag] = (i, gateway_pings(target, self._options))
        return out

    def _record(self, host: str, index: int, outputs: Mapping[str, StepOutput]) -> None:
        result = gateway_result(self._order[host][index], outputs)
        with self._lock:
            self._found.setdefault(host, {})[index] = result


def point_at_gateways(pairs: Sequence[PairResult], hosts: Sequence[HostInfo]) -> list[PairResult]:
    """Routed failing pairs whose source (or destination) cannot use its gateway say so first (pure)."""
    by_name = {h.name: h for h in hosts}
    out: list[PairResult] = []
    for pair in pairs:
        note = _gateway_note(pair, by_name) if pair.status is PairStatus.FAIL and _routed(pair) else None
        out.append(pair if note is None else replace(pair, detail=f"{note}; {pair.detail}" if pair.detail else note))
    return out


def _routed(pair: PairResult) -> bool:
    """Routed by the reply TTL when one came back, else by the source vmk's subnet."""
    if pair.routed is not None:
        return pair.routed
    plan = pair.plan
    if plan.src_prefix is None:
        return False
    try:
        return plan.dst_ip not in ip_interface(f"{plan.src_ip}/{plan.src_prefix}").network
    except ValueError:
        return False


def _gateway_note(pair: PairResult, hosts: Mapping[str, HostInfo]) -> str | None:
    plan = pair.plan
    src, dst = hosts.get(plan.src_host), hosts.get(plan.dst_host)
    if src is not None and src.ok:
        vmk = next((v for v in src.vmks if v.name == plan.src_vmk), None)
        if vmk is not None and vmk.enabled and vmk_gateway(src, vmk, plan.family) is None:
            return (f"the source has no {plan.family.label} gateway on the {src.netstack} stack: "
                    "fix that first")
        probe = src.gateway_probe(plan.src_vmk, plan.family)
        if probe is not None and probe.reachable is False:
            return f"the source's gateway {probe.gateway} does not answer: fix that first"
        if probe is not None and probe.mtu_ok is False and pair.reason is Reason.PATH_MTU:
            return (f"DF packets of {probe.mtu} bytes do not reach the source's gateway {probe.gateway} either: "
                    "fix the MTU between the source vmk and its gateway first")
    if dst is not None and dst.ok and pair.reason is Reason.UNREACHABLE:
        vmk = next((v for v in dst.vmks if v.name == plan.dst_vmk), None)
        if vmk is not None and vmk.enabled and vmk_gateway(dst, vmk, plan.family) is None:
            return (f"the destination has no {plan.family.label} gateway on the {dst.netstack} stack, so replies "
                    "have no way back: fix that first")
        probe = dst.gateway_probe(plan.dst_vmk, plan.family)
        if probe is not None and probe.reachable is False:
            return (f"the destination's gateway {probe.gateway} does not answer, so replies have no way back: "
                    "fix that first")
    return None
