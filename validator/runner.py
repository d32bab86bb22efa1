"""Run a whole validation: connect and discover every host, probe the full mesh, run the checks.

Every host is handled in parallel; a host that fails (down, auth, host key, timeout) marks its own
pairs ``error`` and never stops the rest. The run itself only raises on programming errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from checks import run_checks
from validator.classify import error_result
from validator.discovery import discover_host, failed_host
from validator.errors import TransportError
from validator.inventory import InventoryHost
from validator.models import HostInfo, PairResult, PairStatus, Reason, Report
from validator.mtu_discovery import discover_max_mtu
from validator.planner import plan_mesh
from validator.probe import ProbeOptions, probe_host
from validator.transport import Connector, Executor

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunOptions:
    probe: ProbeOptions = field(default_factory=ProbeOptions)
    discover_mtu: bool = False
    checks: tuple[str, ...] | None = None  # None: every registered check
    max_parallel_hosts: int = 64


def run_validation(
    hosts: Sequence[InventoryHost],
    connector: Connector,
    options: RunOptions | None = None,
    progress: Progress = lambda _m: None,
) -> Report:
    """Validate the vMotion mesh of ``hosts``; the report carries every failure as a value."""
    options = options or RunOptions()
    started = datetime.now(UTC)
    clock = time.monotonic()
    workers = max(1, min(len(hosts), options.max_parallel_hosts))
    executors: dict[str, Executor] = {}
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            discovered = list(pool.map(lambda h: _connect_and_discover(h, connector, options, progress), hosts))
        infos = [info for info, _ in discovered]
        executors = {info.name: ex for info, ex in discovered if ex is not None}
        plans = plan_mesh([_with_expected_vmks(info, h) for info, h in zip(infos, hosts, strict=True)])
        progress(f"probing {len(plans)} pairs from {len(executors)} host(s)")
        by_source: dict[str, list[int]] = {}
        for index, plan in enumerate(plans):
            by_source.setdefault(plan.src_host, []).append(index)
        results: list[PairResult | None] = [None] * len(plans)
        info_by_name = {info.name: info for info in infos}

        def probe_source(name: str) -> None:
            source_plans = [plans[i] for i in by_source[name]]
            executor = executors.get(name)
            if executor is None:
                message = f"source host {name} not reachable: {info_by_name[name].error}"
                host_results = [error_result(p, Reason.HOST_ERROR, message) for p in source_plans]
            else:
                host_results = probe_host(executor, source_plans, options.probe)
                failing = sum(1 for r in host_results if r.status is not PairStatus.PASS)
                progress(f"{name}: {len(host_results)} pairs probed, {failing} not passing")
            for i, r in zip(by_source[name], host_results, strict=True):
                results[i] = r

        with ThreadPoolExecutor(max_workers=max(1, min(len(by_source), options.max_parallel_hosts))) as pool:
            list(pool.map(probe_source, by_source))
        pair_results = [r for r in results if r is not None]
        if options.discover_mtu:
            pair_results = discover_max_mtu(executors, pair_results, options.probe, progress)
    finally:
        for executor in executors.values():
            executor.close()
    findings = run_checks(infos, pair_results, options.checks)
    return Report(
        started_at=started.isoformat(timespec="seconds"),
        duration_s=round(time.monotonic() - clock, 3),
        netstack=options.probe.netstack,
        hosts=tuple(infos),
        pairs=tuple(pair_results),
        findings=tuple(findings),
    )


def _connect_and_discover(
    host: InventoryHost, connector: Connector, options: RunOptions, progress: Progress
) -> tuple[HostInfo, Executor | None]:
    target = host.target
    try:
        executor = connector.connect(target)
    except TransportError as exc:
        progress(f"{target.name}: {exc}")
        return failed_host(target, exc, options.probe.netstack), None
    info = discover_host(executor, target, options.probe.netstack)
    if info.ok:
        gateway = f"gateway {info.gateway}" if info.gateway else "NO gateway"
        progress(f"{target.name}: {len(info.vmks)} vmk(s) on the {info.netstack} stack, {gateway}")
        return info, executor
    progress(f"{target.name}: discovery failed: {info.error}")
    executor.close()
    return info, None


def _with_expected_vmks(info: HostInfo, host: InventoryHost) -> HostInfo:
    """A host whose discovery failed is planned from the inventory's expected vmks, if any."""
    if info.ok or info.vmks or not host.expected_vmks:
        return info
    return replace(info, vmks=host.expected_vmks)
