"""The two vCenter runs the CLI offers: ``discover`` (vCenter only, no SSH) and ``validate --vcenter``.

Both log in, retrieve every host in scope in one PropertyCollector retrieval, and log out at the end.
``validate`` then runs the mesh either over SSH against each host's management address, with TSM-SSH started
for the run where asked (and always stopped again), or, with ``via="api"``, through vCenter alone: each probe
is ``esxcli network diag ping`` relayed by vCenter, no SSH connection is opened and TSM-SSH is never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from typing import Any

from checks import run_checks
from validator.api import validate
from validator.errors import UsageError
from validator.inventory import Inventory
from validator.models import VMOTION_NETSTACK, CheckSettings, Finding, HostInfo
from validator.options import RunOptions
from validator.prober import VIA_API
from validator.progress import ProgressCallback
from validator.report import Report, finding_to_dict, host_to_dict
from validator.ssh_settings import resolve_password
from validator.transport import SshConnector
from validator.vcenter.api_prober import api_prober
from validator.vcenter.connect import vcenter_session
from validator.vcenter.discoverer import VCenterDiscoverer, VCenterOnlyDiscoverer, host_info_from_vcenter
from validator.vcenter.guard import GuardedConnector
from validator.vcenter.inventory import inventory_from_vcenter
from validator.vcenter.mapping import VCenterHost
from validator.vcenter.retrieve import retrieve_hosts
from validator.vcenter.settings import VCenterSettings
from validator.vcenter.ssh_service import ssh_enabled

DISCOVERY_SCHEMA = "vmotion-validator/discovery/v1"

Notify = Callable[[str], None]


@dataclass(frozen=True)
class Discovery:
    """vCenter's hosts (every vmk of every stack) and the configuration findings on them."""

    endpoint: str
    netstack: str
    hosts: tuple[HostInfo, ...]
    findings: tuple[Finding, ...]

    def to_dict(self) -> dict[str, Any]:
        """``discovery.json``: ``hosts`` and ``findings`` entries in the report.json v1 shape."""
        return {
            "schema": DISCOVERY_SCHEMA,
            "vcenter": self.endpoint,
            "netstack": self.netstack,
            "hosts": [host_to_dict(h) for h in self.hosts],
            "findings": [finding_to_dict(f) for f in self.findings],
        }


def discover_vcenter(
    settings: VCenterSettings,
    password: str,
    *,
    netstack: str = VMOTION_NETSTACK,
    checks: Sequence[str] | None = None,
    check_settings: CheckSettings | None = None,
) -> Discovery:
    """Describe every host in scope from vCenter alone, and run the checks on them (no host is touched)."""
    with vcenter_session(settings, password) as service_instance:
        hosts = retrieve_hosts(service_instance, settings)
    infos = tuple(host_info_from_vcenter(h, netstack) for h in hosts)
    findings = run_checks(infos, [], checks, settings=check_settings)
    return Discovery(settings.endpoint, netstack, infos, tuple(findings))


def preflight_notes(hosts: Sequence[VCenterHost], *, ssh: bool = True) -> list[str]:
    """What vCenter already says will stop SSH (when probing over it) or vMotion, said before any host is tried."""
    notes = []
    for host in hosts:
        facts = host.facts
        if not facts.connected:
            notes.append(f"{host.name}: vCenter reports it {facts.connection_state.value}")
        if ssh and facts.locked_down:
            notes.append(f"{host.name}: in {facts.lockdown_mode.value}: SSH will fail unless the user is an exception")
        if facts.in_maintenance:
            notes.append(f"{host.name}: in maintenance mode")
    return notes


def validate_vcenter(
    inventory: Inventory,
    settings: VCenterSettings,
    vc_password: str,
    *,
    options: RunOptions | None = None,
    ssh_password: str | None = None,
    enable_ssh: bool = False,
    progress: ProgressCallback | None = None,
    notify: Notify = print,
) -> Report:
    """Validate the mesh of vCenter's hosts, vCenter's facts attached to each host.

    Over SSH (``options.via == "ssh"``), with ``enable_ssh`` TSM-SSH is started where it is stopped and stopped
    again when the run ends, however it ends; without it those hosts are not tried (their pairs are ``error``).
    Through the API (``options.via == "api"``) the hosts are described by vCenter alone and probed through it.
    """
    if (options or RunOptions()).via == VIA_API:
        if enable_ssh:
            raise UsageError("--enable-ssh has no use with --via api: no SSH connection is opened")
        return _validate_through_api(inventory, settings, vc_password, options=options or RunOptions(),
                                     progress=progress, notify=notify)
    with vcenter_session(settings, vc_password) as service_instance, ExitStack() as stack:
        hosts = retrieve_hosts(service_instance, settings)
        notify(f"vCenter {settings.endpoint}: {len(hosts)} host(s) in scope")
        for note in preflight_notes(hosts):
            notify(note)
        run_inventory = inventory_from_vcenter(inventory, hosts)
        secret = ssh_password if ssh_password is not None else resolve_password(run_inventory.ssh)
        started: frozenset[str] = frozenset()
        if enable_ssh:
            started = stack.enter_context(ssh_enabled(service_instance, hosts, notify))
        hosts = [_ssh_started(h) if h.name in started else h for h in hosts]
        connector = GuardedConnector(SshConnector(run_inventory.ssh, secret), hosts)
        return validate(
            run_inventory, options=options, connector=connector, discoverer=VCenterDiscoverer(hosts),
            progress=progress,
        )


def _validate_through_api(
    inventory: Inventory,
    settings: VCenterSettings,
    vc_password: str,
    *,
    options: RunOptions,
    progress: ProgressCallback | None,
    notify: Notify,
) -> Report:
    """The mesh probed through vCenter: hosts described by vCenter, pings by esxcli through it, no SSH."""
    with vcenter_session(settings, vc_password) as service_instance:
        hosts = retrieve_hosts(service_instance, settings)
        notify(f"vCenter {settings.endpoint}: {len(hosts)} host(s) in scope, probed through the vSphere API")
        for note in preflight_notes(hosts, ssh=False):
            notify(note)
        prober = api_prober(service_instance, settings, vc_password, hosts, options.probe.netstack)
        return validate(inventory_from_vcenter(inventory, hosts), options=options,
                        discoverer=VCenterOnlyDiscoverer(hosts), prober=prober, progress=progress)


def _ssh_started(host: VCenterHost) -> VCenterHost:
    return replace(host, facts=replace(host.facts, ssh_running=True))
