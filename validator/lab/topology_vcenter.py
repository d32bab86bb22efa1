"""The vCenter-only facts of a lab topology (clusters, VMs, port groups, host states): what the vCenter
simulator serves; the network builder never reads them. Documented in validator/lab/topology.py."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from validator.errors import LabError
from validator.lab.toml_table import TomlTable

VCENTER_HOST_KEYS = {
    "vcenter", "cluster", "maintenance", "lockdown", "connection_state", "tsm_ssh", "portgroups", "vms", "api",
}
LOCKDOWN_MODES = ("disabled", "normal", "strict")
CONNECTION_STATES = ("connected", "disconnected", "notResponding")
API_MODES = ("ok", "fault", "hang", "no-permission")  # how the simulator answers esxcli through the API
INVENTORY_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._()-]{0,63}")
VCENTER_NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,15}")
DEFAULT_VCENTER = "vc1"
PORTGROUP_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._()-]{0,63}")


@dataclass(frozen=True)
class VmSpec:
    """A VM as vCenter lists it on a host (vCenter-only)."""

    name: str
    networks: tuple[str, ...]


@dataclass(frozen=True)
class VCenterHostSpec:
    """Facts only vCenter knows about a host; the network builder ignores them."""

    cluster: str = "cluster1"
    vcenter: str = DEFAULT_VCENTER  # the simulated vCenter that has the host (one simulator each)
    maintenance: bool = False
    lockdown: str = "disabled"
    connection_state: str = "connected"
    tsm_ssh: bool = True  # TSM-SSH service running
    portgroups: tuple[str, ...] = ()
    vms: tuple[VmSpec, ...] = ()
    api: str = "ok"  # one of API_MODES


def parse_vcenter_host(t: TomlTable, default_cluster: str, sshd: bool) -> VCenterHostSpec:
    """The vCenter-only keys of one ``[[hosts]]`` table."""
    lockdown = t.text("lockdown", "disabled") or "disabled"
    if lockdown not in LOCKDOWN_MODES:
        raise t.error("lockdown", f"{lockdown!r} must be one of {', '.join(LOCKDOWN_MODES)}")
    state = t.text("connection_state", "connected") or "connected"
    if state not in CONNECTION_STATES:
        raise t.error("connection_state", f"{state!r} must be one of {', '.join(CONNECTION_STATES)}")
    api = t.text("api", "ok") or "ok"
    if api not in API_MODES:
        raise t.error("api", f"{api!r} must be one of {', '.join(API_MODES)}")
    portgroups = t.strings("portgroups") or []
    for pg in portgroups:
        if not PORTGROUP_RE.fullmatch(pg):
            raise t.error("portgroups", f"{pg!r} must match {PORTGROUP_RE.pattern}")
    unique_names(t.source, f"{t.where}.portgroups", portgroups)
    vms = tuple(_parse_vm(v, i, t.where) for i, v in enumerate(t.tables("vms")))
    return VCenterHostSpec(
        cluster=t.text("cluster", default_cluster, INVENTORY_NAME_RE) or default_cluster,
        vcenter=t.text("vcenter", DEFAULT_VCENTER, VCENTER_NAME_RE) or DEFAULT_VCENTER,
        maintenance=t.boolean("maintenance", False),
        lockdown=lockdown,
        connection_state=state,
        tsm_ssh=t.boolean("tsm_ssh", sshd),
        portgroups=tuple(portgroups),
        vms=vms,
        api=api,
    )


def _parse_vm(t: TomlTable, index: int, host_where: str) -> VmSpec:
    t.check_keys({"name", "networks"})
    name = t.required_text("name", INVENTORY_NAME_RE)
    t.where = f"{host_where}.vms[{index}] ({name})"
    networks = t.strings("networks") or []
    for net in networks:
        if not PORTGROUP_RE.fullmatch(net):
            raise t.error("networks", f"{net!r} must match {PORTGROUP_RE.pattern}")
    return VmSpec(name, tuple(networks))


def unique_names(source: str, where: str, names: Iterable[str]) -> None:
    """LabError naming the first name given twice."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise LabError(f"{source}: {where}: duplicate name {name!r}")
        seen.add(name)
