"""Run a whole validation: connect and describe every host, probe the full mesh, run the checks.

Every host is handled in parallel; a host that fails (down, auth, host key, timeout) marks its own
pairs ``error`` and never stops the rest. The run itself only raises on programming errors. Use
:func:`validator.validate` rather than this module: it checks options and builds the defaults.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

from checks import run_checks
from validator.classify import error_result
from validator.discovery import Discoverer, HostContext
from validator.errors import TransportError
from validator.inventory import InventoryHost
from validator.models import CheckSettings, HostInfo, PairPlan, PairResult, PairStatus, Reason
from validator.mtu_discovery import discover_max_mtu
from validator.options import RunOptions
from validator.planner import plan_mesh
from validator.probe import probe_host
from validator.progress import ProgressTracker
from validator.report import Report
from validator.transport import Connector, Executor


def run_validation(
    hosts: Sequence[InventoryHost],
    *,
    connector: Connector,
    discoverer: Discoverer,
    options: RunOptions,
    tracker: ProgressTracker,
    check_settings: CheckSettings,
) -> Report:
    """Validate the vMotion mesh of ``hosts``; the report carries every failure as a value."""
    started = datetime.now(UTC)
    clock = time.monotonic()
    executors: dict[str, Executor] = {}
    workers = max(1, min(len(hosts), options.max_parallel_hosts))
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            described = list(pool.map(lambda h: _describe(h, connector, discoverer, options, tracker), hosts))
        infos = [info for info, _ in described]
        executors = {info.name: ex for info, ex in described if ex is not None}
        plans = plan_mesh([_plannable(info) for info in infos], cross_cluster=options.cross_cluster)
        tracker.planned(len(plans), f"probing {len(plans)} pairs from {len(executors)} host(s)")
        pair_results = _probe_all(plans, infos, executors, options, tracker)
        if options.discover_mtu:
            pair_results = discover_max_mtu(executors, pair_results, options.probe, tracker.note)
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
    )


def _probe_all(
    plans: Sequence[PairPlan],
    infos: Sequence[HostInfo],
    executors: dict[str, Executor],
    options: RunOptions,
    tracker: ProgressTracker,
) -> list[PairResult]:
    """Every source host probes its own pairs in one session, all hosts at once; results in plan order."""
    by_source: dict[str, list[int]] = {}
    for index, plan in enumerate(plans):
        by_source.setdefault(plan.src_host, []).append(index)
    results: list[PairResult | None] = [None] * len(plans)
    errors = {info.name: info.error for info in infos}

    def probe_source(name: str) -> None:
        source_plans = [plans[i] for i in by_source[name]]
        executor = executors.get(name)
        if executor is None:
            message = f"source host {name} not reachable: {errors.get(name)}"
            host_results = [error_result(p, Reason.HOST_ERROR, message) for p in source_plans]
            news = f"{name}: {len(host_results)} pairs not probed (host not reachable)"
        else:
            host_results = probe_host(executor, source_plans, options.probe)
            failing = sum(1 for r in host_results if r.status is not PairStatus.PASS)
            news = f"{name}: {len(host_results)} pairs probed, {failing} not passing"
        for i, r in zip(by_source[name], host_results, strict=True):
            results[i] = r
        tracker.pairs_finished(
            len(host_results), sum(1 for r in host_results if r.status is not PairStatus.PASS), news
        )

    with ThreadPoolExecutor(max_workers=max(1, min(len(by_source), options.max_parallel_hosts))) as pool:
        list(pool.map(probe_source, by_source))
    return [r for r in results if r is not None]


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


def _plannable(info: HostInfo) -> HostInfo:
    """A host whose discovery failed is planned from the inventory's declared vmks, if any."""
    if info.ok or info.vmks or not info.expected_vmks:
        return info
    return replace(info, vmks=tuple(v.as_vmk(info.netstack) for v in info.expected_vmks))
