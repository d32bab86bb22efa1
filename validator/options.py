"""How a run probes and judges, and the one place where every option is checked against the limits.

:func:`checked_options` runs before any host is touched; it turns a bad value or an unknown check name
into :class:`~validator.errors.UsageError` with one line naming the option.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from validator import limits
from validator.errors import UsageError
from validator.models import VMOTION_NETSTACK, CheckSettings, MigrationPlan, PairPlan

PROBE_PATHS = ("ssh", "api")  # validator.prober.VIA_SSH, VIA_API
# Parallel probes per source host when none is asked for. Through the API every probe is a call that vCenter
# relays to the host's hostd, which runs esxcli calls from a small pool of workers shared with everything
# else managing the host: fewer at once than over SSH, where each probe is only a process on the host.
DEFAULT_CONCURRENCY = {"ssh": 32, "api": 16}


@dataclass(frozen=True)
class ProbeOptions:
    """How hard to probe; defaults suit a LAN or a lab (RTT well under a second)."""

    netstack: str = VMOTION_NETSTACK
    count: int = 3
    interval: float = 0.2
    timeout: float = 1.0
    concurrency: int = 32
    mtu: int | None = None  # test this MTU instead of the smaller of the two vmks' MTUs
    warmup: bool = True

    def mtu_for(self, plan: PairPlan) -> int:
        return self.mtu if self.mtu is not None else plan.mtu

    def probe_seconds(self, count: int | None = None) -> float:
        """Upper bound of one vmkping run (``-W`` goes out in whole seconds, rounded up)."""
        n = self.count if count is None else count
        return (n - 1) * self.interval + max(1, math.ceil(self.timeout)) + 1.0


@dataclass(frozen=True)
class RunOptions:
    """Everything a run may be told besides the inventory."""

    probe: ProbeOptions = field(default_factory=ProbeOptions)
    discover_mtu: bool = False
    checks: tuple[str, ...] | None = None  # None: every registered check
    check_settings: CheckSettings | None = None  # None: the inventory's [checks] table, else defaults
    cross_cluster: bool = False  # plan pairs across clusters too (default: within each cluster)
    confirm_failures: bool = True  # probe once more the pairs whose failure a lost packet can explain
    max_parallel_hosts: int = 64
    via: str = "ssh"  # probe path: "ssh" (vmkping over SSH) or "api" (esxcli network diag ping via vCenter)
    migration: MigrationPlan | None = None  # plan only a migration's pairs (validator.scope), not the mesh


def checked_options(options: RunOptions) -> RunOptions:
    """``options`` if every value is within its limit and every check name is known, else UsageError."""
    probe = options.probe
    try:
        netstack = limits.check_netstack(probe.netstack)
        limits.COUNT.check(probe.count)
        limits.INTERVAL.check(probe.interval)
        limits.TIMEOUT.check(probe.timeout)
        limits.CONCURRENCY.check(probe.concurrency)
        if probe.mtu is not None:
            limits.MTU.check(probe.mtu)
        limits.PARALLEL_HOSTS.check(options.max_parallel_hosts)
        if options.via not in PROBE_PATHS:
            raise ValueError(f"probe path {options.via!r}: want one of {', '.join(PROBE_PATHS)}")
        if options.check_settings is not None:
            checked_settings(options.check_settings)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if options.checks is not None:
        from checks import require_checks

        require_checks(options.checks)
    return replace(options, probe=replace(probe, netstack=netstack))


def checked_settings(settings: CheckSettings) -> CheckSettings:
    """``settings`` if every threshold is within its limit, else ``ValueError`` naming it."""
    limits.RTT_MS.check(settings.max_rtt_ms)
    if settings.expected_mtu is not None:
        limits.MTU.check(settings.expected_mtu, "expected_mtu")
    return settings
