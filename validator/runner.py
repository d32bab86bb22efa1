"""Run a whole validation: connect and describe every host, probe the full mesh, run the checks.

Every host is handled in parallel; a host that fails (down, auth, host key, silence) marks its own
pairs ``error`` and never stops the rest. Each pair's result is counted the moment it is read. Ctrl-C
(``KeyboardInterrupt`` in the calling thread) or the ``cancel`` event stops every session within about a
second; the report then holds what was measured, the rest ``not-probed``, and ``interrupted`` is set.
Use :func:`validator.validate` rather than this module: it checks options and builds the defaults.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from checks import run_checks
from validator.classify import error_result
from validator.confirm import confirm_failures, to_confirm
from validator.discovery import Discoverer, HostContext
from validator.errors import TransportError
from validator.gateway_probe import GatewayRound, point_at_gateways
from validator.inventory import InventoryHost
from validator.models import CheckSettings, HostInfo, HostStatus, PairPlan, PairResult, Reason
from validator.mtu_discovery import discover_max_mtu
from validator.options import RunOptions
from validator.pacing import Pacing
from validator.parallel import run_parallel
from validator.planner import indexes_by_source, plan_run
from validator.probe import NOT_PROBED_DETAIL, PassingRaw, probe_pairs
from validator.prober import VIA_SSH, Job, JobCallback, Prober, SessionEnd
from validator.progress import ProgressTracker
from validator.report import Report
from validator.ssh_prober import SshProber
from validator.transport import Connector, Executor

NOT_DISCOVERED = "not discovered: the run was interrupted"


def run_validation(
    hosts: Sequence[InventoryHost],
    *,
    connector: Connector | None,
    discoverer: Discoverer,
    options: RunOptions,
    tracker: ProgressTracker,
    check_settings: CheckSettings,
    prober: Prober | None = None,
    cancel: threading.Event | None = None,
) -> Report:
    """Validate the vMotion mesh of ``hosts``; the report carries every failure as a value.

    With a ``connector`` each host gets an SSH session for its discovery, kept for probing; without one no
    connection is opened (the discoverer and ``prober`` work without SSH). ``prober`` defaults to the SSH
    batch over those sessions.
    """
    started = datetime.now(UTC)
    clock = time.monotonic()
    cancel = cancel or threading.Event()
    executors: dict[str, Executor] = {}
    workers = max(1, min(len(hosts), options.max_parallel_hosts))
    active: Prober | None = None
    pacing = Pacing()
    try:
        described = run_parallel(hosts, lambda h: _describe(h, connector, discoverer, options, tracker),
                                 workers, cancel)
        infos = [d[0] if d is not None else _undiscovered(h, options) for h, d in zip(hosts, described, strict=True)]
        executors = {d[0].name: d[1] for d in described if d is not None and d[1] is not None}
        active = prober if prober is not None else SshProber(executors, options.probe.netstack,
                                                             reconnect=_reconnect(hosts, connector))
        usable = _Usable(active, {info.name for info in infos if info.ok}, pacing)
        plans = plan_run([_plannable(info) for info in infos], cross_cluster=options.cross_cluster,
                         migration=options.migration)
        if cancel.is_set():
            pair_results = [error_result(p, Reason.NOT_PROBED, NOT_PROBED_DETAIL) for p in plans]
        else:
            sources = len({p.src_host for p in plans if usable.can_probe(p.src_host)})
            tracker.planned(len(plans), f"probing {len(plans)} pairs from {sources} host(s) over {active.via}")
            gateways = GatewayRound(usable, infos, options.probe)  # rides in each host's mesh round
            pair_results = _probe_all(plans, infos, gateways, options, tracker=tracker, cancel=cancel)
            gateways.finish(max_parallel_hosts=options.max_parallel_hosts, cancel=cancel)
            infos = gateways.attach(infos)
        retry = to_confirm(pair_results, usable) if options.confirm_failures and not cancel.is_set() else []
        if retry:
            tracker.note(f"probing {len(retry)} failing pair(s) again to confirm them")
            pair_results, recovered = confirm_failures(
                pair_results, retry, prober=usable, options=options.probe, cancel=cancel,
                max_parallel_hosts=options.max_parallel_hosts,
            )
            tracker.note(f"{recovered} of them passed when probed again")
        if options.discover_mtu and not cancel.is_set():
            pair_results = discover_max_mtu(usable, pair_results, options.probe, tracker.note, cancel,
                                            max_parallel_hosts=options.max_parallel_hosts)
    finally:
        if active is not None:
            active.close()
        for executor in executors.values():
            executor.close()
    pair_results = point_at_gateways(pair_results, infos)
    if options.migration is not None:
        check_settings = replace(check_settings, migration=options.migration)
    findings = run_checks(infos, pair_results, options.checks, settings=check_settings)
    return Report(
        started_at=started.isoformat(timespec="seconds"),
        duration_s=round(time.monotonic() - clock, 3),
        netstack=options.probe.netstack,
        hosts=tuple(infos),
        pairs=tuple(pair_results),
        findings=tuple(findings),
        interrupted=cancel.is_set(),
        probe=active.via if active is not None else VIA_SSH,
        pacing=pacing.summary(),
    )


def _reconnect(hosts: Sequence[InventoryHost], connector: Connector | None) -> Callable[[str], Executor] | None:
    """A fresh session to a host by name (after its connection dropped), or None without SSH."""
    if connector is None:
        return None
    targets = {host.target.name: host.target for host in hosts}
    return lambda name: connector.connect(targets[name])


class _Usable:
    """The run's prober, limited to the hosts whose discovery succeeded, each host paced (validator.pacing)."""

    def __init__(self, prober: Prober, described: set[str], pacing: Pacing) -> None:
        self._prober = prober
        self._described = described
        self._pacing = pacing
        self.via = prober.via

    def can_probe(self, host: str) -> bool:
        return host in self._described and self._prober.can_probe(host)

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
        window = self._pacing.window(host, concurrency)
        end = self._prober.run(host, jobs, concurrency=window, on_job=on_job, gate=gate, cancel=cancel)
        self._pacing.record(host, window, end.windows, len(end.timed_out))
        return end

    def close(self) -> None:
        self._prober.close()


def _probe_all(
    plans: Sequence[PairPlan],
    infos: Sequence[HostInfo],
    prober: Prober,
    options: RunOptions,
    *,
    tracker: ProgressTracker,
    cancel: threading.Event,
) -> list[PairResult]:
    """Every source host probes its own pairs in one round, all hosts at once; results in plan order."""
    by_source = indexes_by_source(plans)
    statuses = {info.name: info.status for info in infos}
    probed: dict[str, list[int]] = {}
    results: dict[int, PairResult] = {}
    for name, indices in by_source.items():
        if prober.can_probe(name):
            probed[name] = indices
            continue
        detail = f"not probed: source host {name} {statuses.get(name, HostStatus.ERROR).value} (see its error)"
        for i in indices:
            result = results[i] = error_result(plans[i], Reason.HOST_ERROR, detail)
            tracker.pair_done(result)
        tracker.note(f"{name}: {len(indices)} pairs not probed (host not reachable)")
    results.update(probe_pairs(prober, plans, probed, options.probe, max_parallel_hosts=options.max_parallel_hosts,
                               cancel=cancel, tracker=tracker, passing_raw=PassingRaw()))
    return [results.get(i) or error_result(p, Reason.NOT_PROBED, NOT_PROBED_DETAIL) for i, p in enumerate(plans)]


def _describe(
    host: InventoryHost,
    connector: Connector | None,
    discoverer: Discoverer,
    options: RunOptions,
    tracker: ProgressTracker,
) -> tuple[HostInfo, Executor | None]:
    """Connect, then ask the discoverer; the session stays open for probing when the host is usable."""
    target = host.target
    executor: Executor | None = None
    connect_error: TransportError | None = None
    try:
        executor = connector.connect(target) if connector is not None else None
    except TransportError as exc:
        connect_error = exc
    context = HostContext(host=host, netstack=options.probe.netstack, executor=executor, connect_error=connect_error)
    info = replace(discoverer.discover(context), expected_vmks=host.expected_vmks, cluster=host.cluster)
    if info.ok:
        gateway = f"gateway {info.gateway}" if info.gateway else "NO gateway"
        tracker.host_discovered(f"{target.name}: {len(info.vmks)} vmk(s) on the {info.netstack} stack, {gateway}")
        return info, executor
    tracker.host_discovered(f"{target.name}: {info.error}" if connect_error else
                            f"{target.name}: discovery failed: {info.error}")
    if executor is not None:
        executor.close()
    return info, None


def _undiscovered(host: InventoryHost, options: RunOptions) -> HostInfo:
    """A host the run was interrupted before describing."""
    return HostInfo(name=host.target.name, address=host.target.address, status=HostStatus.ERROR,
                    error=NOT_DISCOVERED, netstack=options.probe.netstack, expected_vmks=host.expected_vmks,
                    cluster=host.cluster)


def _plannable(info: HostInfo) -> HostInfo:
    """A host whose discovery failed is planned from the inventory's declared vmks, if any."""
    if info.ok or info.vmks or not info.expected_vmks:
        return info
    return replace(info, vmks=tuple(v.as_vmk(info.netstack) for v in info.expected_vmks))
