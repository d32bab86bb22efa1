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
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from checks import run_checks
from validator.classify import error_result
from validator.confirm import confirm_failures, to_confirm
from validator.discovery import Discoverer, HostContext
from validator.errors import TransportError
from validator.inventory import InventoryHost
from validator.models import CheckSettings, HostInfo, HostStatus, PairPlan, PairResult, Reason
from validator.mtu_discovery import discover_max_mtu
from validator.options import RunOptions
from validator.parallel import run_parallel
from validator.planner import indexes_by_source, plan_mesh
from validator.probe import NOT_PROBED_DETAIL, probe_host
from validator.progress import ProgressTracker
from validator.report import Report
from validator.transport import Connector, Executor

NOT_DISCOVERED = "not discovered: the run was interrupted"


def run_validation(
    hosts: Sequence[InventoryHost],
    *,
    connector: Connector,
    discoverer: Discoverer,
    options: RunOptions,
    tracker: ProgressTracker,
    check_settings: CheckSettings,
    cancel: threading.Event | None = None,
) -> Report:
    """Validate the vMotion mesh of ``hosts``; the report carries every failure as a value."""
    started = datetime.now(UTC)
    clock = time.monotonic()
    cancel = cancel or threading.Event()
    executors: dict[str, Executor] = {}
    workers = max(1, min(len(hosts), options.max_parallel_hosts))
    try:
        described = run_parallel(hosts, lambda h: _describe(h, connector, discoverer, options, tracker),
                                 workers, cancel)
        infos = [d[0] if d is not None else _undiscovered(h, options) for h, d in zip(hosts, described, strict=True)]
        executors = {d[0].name: d[1] for d in described if d is not None and d[1] is not None}
        plans = plan_mesh([_plannable(info) for info in infos], cross_cluster=options.cross_cluster)
        if cancel.is_set():
            pair_results = [error_result(p, Reason.NOT_PROBED, NOT_PROBED_DETAIL) for p in plans]
        else:
            tracker.planned(len(plans), f"probing {len(plans)} pairs from {len(executors)} host(s)")
            pair_results = _probe_all(plans, infos, executors, options, tracker=tracker, cancel=cancel)
        retry = to_confirm(pair_results, executors) if options.confirm_failures and not cancel.is_set() else []
        if retry:
            tracker.note(f"probing {len(retry)} failing pair(s) again to confirm them")
            pair_results, recovered = confirm_failures(
                pair_results, retry, executors=executors, options=options.probe, cancel=cancel,
                max_parallel_hosts=options.max_parallel_hosts,
            )
            tracker.note(f"{recovered} of them passed when probed again")
        if options.discover_mtu and not cancel.is_set():
            pair_results = discover_max_mtu(executors, pair_results, options.probe, tracker.note, cancel)
    finally:
        for executor in executors.values():
            executor.close()
    findings = run_checks(infos, pair_results, options.checks, settings=check_settings)
    return Report(
        started_at=started.isoformat(timespec="seconds"),
        duration_s=round(time.monotonic() - clock, 3),
        netstack=options.probe.netstack,
        hosts=tuple(infos),
        pairs=tuple(pair_results),
        findings=tuple(findings),
        interrupted=cancel.is_set(),
    )


def _probe_all(
    plans: Sequence[PairPlan],
    infos: Sequence[HostInfo],
    executors: dict[str, Executor],
    options: RunOptions,
    *,
    tracker: ProgressTracker,
    cancel: threading.Event,
) -> list[PairResult]:
    """Every source host probes its own pairs in one session, all hosts at once; results in plan order."""
    by_source = indexes_by_source(plans)
    results: list[PairResult | None] = [None] * len(plans)
    statuses = {info.name: info.status for info in infos}

    def probe_source(name: str) -> None:
        indices = by_source[name]
        executor = executors.get(name)
        if executor is None:
            detail = f"not probed: source host {name} {statuses.get(name, HostStatus.ERROR).value} (see its error)"
            for i in indices:
                result = results[i] = error_result(plans[i], Reason.HOST_ERROR, detail)
                tracker.pair_done(result)
            tracker.note(f"{name}: {len(indices)} pairs not probed (host not reachable)")
            return
        host_results = probe_host(executor, [plans[i] for i in indices], options.probe,
                                  on_result=tracker.pair_done, cancel=cancel)
        for i, result in zip(indices, host_results, strict=True):
            results[i] = result
        failing = sum(1 for r in host_results if r.status.value != "pass")
        tracker.note(f"{name}: {len(host_results)} pairs probed, {failing} not passing")

    run_parallel(list(by_source), probe_source, max(1, min(len(by_source), options.max_parallel_hosts)), cancel)
    return [r if r is not None else error_result(p, Reason.NOT_PROBED, NOT_PROBED_DETAIL)
            for p, r in zip(plans, results, strict=True)]


def _describe(
    host: InventoryHost, connector: Connector, discoverer: Discoverer, options: RunOptions, tracker: ProgressTracker
) -> tuple[HostInfo, Executor | None]:
    """Connect, then ask the discoverer; the session stays open for probing when the host is usable."""
    target = host.target
    executor: Executor | None = None
    connect_error: TransportError | None = None
    try:
        executor = connector.connect(target)
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
