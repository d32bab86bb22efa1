"""Several vCenters in one run, and migration plans between scopes.

Every vCenter is logged in to and read in its own thread (one PropertyCollector retrieval each, all at once);
the sessions stay open for the run (TSM-SSH started for it, the vSphere API probe path) and are closed at the
end. With more than one vCenter every host is named ``LABEL/NAME`` and every cluster ``LABEL/DATACENTER/NAME``
(LABEL as given to ``--vcenter``), so two vCenters' ``esx01`` stay apart in every report, and in ``diff``.
A vCenter that cannot be read (login refused, unreachable) leaves the others' hosts validated: the report then
carries a ``vcenter_unavailable`` error finding naming it, and the run is incomplete.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from typing import Any

from validator.api import validate
from validator.errors import UsageError, VCenterError
from validator.inventory import Inventory
from validator.migration import describe_plan, plan_size
from validator.models import Finding, MigrationPlan, Severity
from validator.options import RunOptions
from validator.prober import VIA_API, Prober
from validator.progress import ProgressCallback
from validator.report import Report
from validator.scope import Placement, Scope, check_vcenters, resolve_scope
from validator.ssh_settings import resolve_password
from validator.transport import SshConnector
from validator.vcenter.api_prober import api_prober
from validator.vcenter.connect import connect, disconnect, map_error
from validator.vcenter.discoverer import VCenterDiscoverer, VCenterOnlyDiscoverer, host_info_from_vcenter
from validator.vcenter.guard import GuardedConnector
from validator.vcenter.inventory import inventory_from_vcenter
from validator.vcenter.mapping import VCenterHost
from validator.vcenter.retrieve import retrieve_hosts
from validator.vcenter.routing_prober import RoutingProber
from validator.vcenter.run import preflight_notes
from validator.vcenter.ssh_service import ssh_enabled
from validator.vcenter.targets import VCenterTarget

UNAVAILABLE_CHECK = "vcenter_unavailable"

Notify = Callable[[str], None]
ProberFactory = Callable[[VCenterTarget, Any, Sequence[VCenterHost], str], Prober]
"""(the vCenter as the run reads it, its logged-in service instance, its hosts as the run names them, its
password for logging in again) -> the prober of that vCenter's hosts."""


@dataclass(frozen=True)
class MigrationRequest:
    """``--from SCOPE --to SCOPE`` as given, resolved to hosts once every vCenter is read."""

    source: Scope
    target: Scope
    both_ways: bool = True
    within: bool = True


@dataclass(frozen=True)
class VCenterRead:
    """One vCenter's retrieval: its hosts as it names them, or why it could not be read."""

    target: VCenterTarget
    hosts: tuple[VCenterHost, ...] = ()
    error: str | None = None
    seconds: float = 0.0
    session: Any = None  # the logged-in service instance (None when the login failed)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Member:
    """A host of the run: where it sits, and its vCenter record under its run name."""

    placement: Placement
    host: VCenterHost
    vcenter: str  # label


@dataclass(frozen=True)
class MultiOutcome:
    """The report, the vCenters that could not be read, and the migration plan when one was asked for."""

    report: Report
    reads: tuple[VCenterRead, ...]
    plan: MigrationPlan | None = None

    @property
    def failed(self) -> tuple[VCenterRead, ...]:
        return tuple(r for r in self.reads if not r.ok)

    @property
    def complete(self) -> bool:
        return not self.failed


def read_one(target: VCenterTarget, password: str) -> VCenterRead:
    """Log in and retrieve every host in the target's scope; a failure is the read's ``error``, never raised."""
    clock = time.perf_counter()
    session = None
    try:
        session = connect(target.settings, password)
        hosts = retrieve_hosts(session, target.settings)
    except Exception as exc:
        error = map_error(exc, target.settings, password)
        if session is not None:
            disconnect(session)
        return VCenterRead(target, error=str(error), seconds=time.perf_counter() - clock)
    return VCenterRead(target, tuple(hosts), seconds=time.perf_counter() - clock, session=session)


def read_vcenters(
    targets: Sequence[VCenterTarget], passwords: Mapping[str, str], stack: ExitStack
) -> list[VCenterRead]:
    """Every target read at once, in the targets' order; each open session is closed when ``stack`` unwinds."""
    with ThreadPoolExecutor(max_workers=max(1, len(targets)), thread_name_prefix="vcenter") as pool:
        futures = [pool.submit(read_one, t, passwords[t.label]) for t in targets]
        reads = [f.result() for f in futures]
    for read in reads:
        if read.session is not None:
            stack.callback(disconnect, read.session)
    return reads


def qualified(host: VCenterHost, label: str) -> VCenterHost:
    """``host`` named ``LABEL/NAME``, its cluster ``LABEL/DATACENTER/CLUSTER``."""
    cluster = f"{label}/{host.facts.datacenter or '-'}/{host.cluster}" if host.cluster else None
    return replace(host, name=f"{label}/{host.name}", cluster=cluster)


def members_of(reads: Sequence[VCenterRead], qualify: bool) -> list[Member]:
    """Every host read, placed (vCenter, datacenter, cluster, own name) under its run name."""
    out = []
    for read in reads:
        label = read.target.label
        for host in read.hosts:
            run_host = qualified(host, label) if qualify else host
            place = Placement(name=run_host.name, vcenter=label, datacenter=host.facts.datacenter,
                              cluster=host.cluster, host=host.name)
            out.append(Member(place, run_host, label))
    return out


def resolve_migration(
    request: MigrationRequest, members: Sequence[Member], failed: Sequence[str]
) -> MigrationPlan:
    """The request's scopes as host lists; a scope of a vCenter that could not be read is empty.

    :class:`UsageError` when a scope names a datacenter, cluster or host its vCenter does not have.
    """
    placements = [m.placement for m in members]

    def hosts(scope: Scope) -> tuple[str, ...]:
        if scope.vcenter in failed:
            return ()
        try:
            return resolve_scope(scope, placements)
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    return MigrationPlan(
        source=request.source.text, target=request.target.text,
        source_hosts=hosts(request.source), target_hosts=hosts(request.target),
        both_ways=request.both_ways, within=request.within,
    )


def unavailable_findings(reads: Sequence[VCenterRead]) -> list[Finding]:
    """One error per vCenter that could not be read: its hosts are not in the report."""
    return [
        Finding(check=UNAVAILABLE_CHECK, severity=Severity.ERROR,
                message=f"vCenter {r.target.label} could not be read, its hosts were not validated: {r.error}")
        for r in reads if not r.ok
    ]


def validate_vcenters(
    inventory: Inventory,
    targets: Sequence[VCenterTarget],
    passwords: Mapping[str, str],
    *,
    options: RunOptions | None = None,
    migration: MigrationRequest | None = None,
    ssh_password: str | None = None,
    enable_ssh: bool = False,
    prober_factory: ProberFactory | None = None,
    progress: ProgressCallback | None = None,
    notify: Notify = print,
) -> MultiOutcome:
    """Read every vCenter at once, then validate their hosts (or a migration plan between two scopes) as one run.

    ``passwords`` maps each target's label to its password. ``prober_factory`` builds each vCenter's prober for
    the run; without it ``options.via`` chooses: over SSH, or through the vSphere API (each vCenter's hosts
    probed through that vCenter's own session, logged in again with its own password; no SSH connection is
    opened and no SSH password is needed). :class:`VCenterError` only when no vCenter could be read at all;
    :class:`UsageError` for a scope naming a vCenter, cluster or host not there.
    """
    labels = [t.label for t in targets]
    through_api = (options or RunOptions()).via == VIA_API
    if through_api and enable_ssh:
        raise UsageError("--enable-ssh has no use with --via api: no SSH connection is opened")
    if migration is not None:
        try:
            check_vcenters((migration.source, migration.target), labels)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    with ExitStack() as stack:
        reads = read_vcenters(targets, passwords, stack)
        for read in reads:
            where = f"vCenter {read.target.label} ({read.target.settings.endpoint})"
            notify(f"{where}: {len(read.hosts)} host(s) in scope, read in {read.seconds:.2f}s" if read.ok else
                   f"{where}: NOT READ: {read.error}")
        failed = [r for r in reads if not r.ok]
        if len(failed) == len(reads):
            raise VCenterError("no vCenter could be read: " + "; ".join(str(r.error) for r in failed))
        members = members_of(reads, qualify=len(targets) > 1)
        plan = None
        if migration is not None:
            plan = resolve_migration(migration, members, [r.target.label for r in failed])
            chosen = set(plan.source_hosts) | set(plan.target_hosts)
            members = [m for m in members if m.host.name in chosen]
            infos = [host_info_from_vcenter(m.host, (options or RunOptions()).probe.netstack) for m in members]
            notify(describe_plan(plan, plan_size(infos, plan)))
        hosts = [m.host for m in members]
        for note in preflight_notes(hosts, ssh=not through_api):
            notify(note)
        run_inventory = inventory_from_vcenter(inventory, hosts)
        started: set[str] = set()
        if enable_ssh:
            for read in reads:
                if read.ok:
                    own = [m.host for m in members if m.vcenter == read.target.label]
                    started |= stack.enter_context(ssh_enabled(read.session, own, notify))
        hosts = [_ssh_started(h) if h.name in started else h for h in hosts]
        run_options = replace(options or RunOptions(), migration=plan)
        factory = prober_factory or (api_prober_factory(run_options.probe.netstack) if through_api else None)
        prober = _prober(reads, members, factory, passwords)
        connector = None
        if run_options.via == "ssh":
            secret = ssh_password if ssh_password is not None else resolve_password(run_inventory.ssh)
            connector = GuardedConnector(SshConnector(run_inventory.ssh, secret), hosts)
        discoverer = VCenterOnlyDiscoverer(hosts) if through_api else VCenterDiscoverer(hosts)
        report = validate(run_inventory, options=run_options, connector=connector,
                          discoverer=discoverer, prober=prober, progress=progress)
    if failed:
        report = replace(report, findings=(*report.findings, *unavailable_findings(reads)))
    return MultiOutcome(report, tuple(reads), plan)


def api_prober_factory(netstack: str) -> ProberFactory:
    """Each vCenter's hosts probed through the vSphere API on that vCenter's session (its settings, its password)."""

    def make(target: VCenterTarget, session: Any, hosts: Sequence[VCenterHost], password: str) -> Prober:
        return api_prober(session, target.settings, password, hosts, netstack)

    return make


def _prober(reads: Sequence[VCenterRead], members: Sequence[Member], factory: ProberFactory | None,
            passwords: Mapping[str, str]) -> Prober | None:
    """Each vCenter's own prober, routed by source host; None for the SSH path."""
    if factory is None:
        return None
    routes: dict[str, Prober] = {}
    probers = []
    for read in reads:
        if read.ok:
            own = [m.host for m in members if m.vcenter == read.target.label]
            prober = factory(read.target, read.session, own, passwords[read.target.label])
            probers.append(prober)
            routes.update((h.name, prober) for h in own)
    return RoutingProber(routes, probers)


def _ssh_started(host: VCenterHost) -> VCenterHost:
    return replace(host, facts=replace(host.facts, ssh_running=True))
