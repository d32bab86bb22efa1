"""Pure mapping of one PropertyCollector result into :class:`VCenterHost` records.

Input is a list of :class:`RawObject` (type, id, properties by path) built from the ``ObjectContent`` of the
retrieval: HostSystem objects with their properties, and the ComputeResource, VirtualMachine and Network
objects reached from them. Values are read by attribute only, with vim25's field names: the small records of
:mod:`validator.vcenter.vim_records` (``HostVirtualNic`` ..., what the retrieval's SOAP reading builds; a
reference is a ``ManagedObjectReference``) or pyVmomi's data objects (``vim.host.VirtualNic`` ..., what the
pyVmomi reading and the unit tests build). Nothing here talks to vCenter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Interface, ip_address
from typing import Any

from validator.models import (
    DEFAULT_NETSTACK,
    ConnectionState,
    IPAddress,
    IPInterface,
    LockdownMode,
    VCenterFacts,
    VCenterStack,
    VCenterVm,
    VCenterVmk,
)
from validator.vcenter.vim_records import ManagedObjectReference

HOST_PROPERTIES = (
    "name",
    "parent",
    "runtime.connectionState",
    "runtime.inMaintenanceMode",
    "config.lockdownMode",
    "config.network.vnic",
    "config.network.netStackInstance",
    "config.network.portgroup",
    "config.virtualNicManagerInfo.netConfig",
    "config.service",
    "configManager.serviceSystem",
    "network",
    "vm",
)
CLUSTER_PROPERTIES = ("name", "parent")
FOLDER_PROPERTIES = ("parent",)
DATACENTER_PROPERTIES = ("name",)
MAX_FOLDER_DEPTH = 64
VM_PROPERTIES = ("name", "network")
NETWORK_PROPERTIES = ("name",)

# vCenter service (nicType) -> the tag name esxcli prints for it
SERVICE_TAGS: Mapping[str, str] = {
    "vmotion": "VMotion",
    "management": "Management",
    "faultToleranceLogging": "faultToleranceLogging",
    "vsan": "VSAN",
    "vsanWitness": "VSANWitness",
    "vSphereReplication": "vSphereReplication",
    "vSphereReplicationNFC": "vSphereReplicationNFC",
    "vSphereProvisioning": "vSphereProvisioning",
    "vSphereBackupNFC": "vSphereBackupNFC",
    "ptp": "PrecisionTimeProtocol",
    "nvmeTcp": "NVMeTCP",
    "nvmeRdma": "NVMeRDMA",
}


def service_tag(service: str) -> str:
    """The esxcli tag name of a vCenter service name (unknown names unchanged)."""
    return SERVICE_TAGS.get(service, service)


@dataclass(frozen=True)
class RawObject:
    """One managed object of the result: its type, its id, and the properties collected (path -> value)."""

    type: str
    id: str
    props: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VCenterHost:
    """A host in vCenter's inventory: where to reach it and what vCenter knows about it."""

    name: str
    moid: str
    address: str  # management address (the management vmk's IPv4, else the host name)
    cluster: str | None
    facts: VCenterFacts
    service_system: str | None = None  # id of its HostServiceSystem


def moref_id(value: Any) -> str | None:
    """The id of a managed object reference (pyVmomi object or plain string)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, ManagedObjectReference):
        return value.value
    moid = getattr(value, "_moId", None)
    return str(moid) if moid is not None else None


def hosts_from_objects(objects: Sequence[RawObject], datacenter: str | None = None) -> list[VCenterHost]:
    """Every HostSystem of the result as a :class:`VCenterHost`, sorted by name."""
    by_id = {o.id: o for o in objects}
    hosts = [host_from_object(o, by_id, datacenter) for o in objects if o.type == "HostSystem"]
    return sorted(hosts, key=lambda h: h.name)


def host_from_object(host: RawObject, by_id: Mapping[str, RawObject], datacenter: str | None = None) -> VCenterHost:
    """One host, with its cluster, networks and VMs looked up among the other objects."""
    props = host.props
    networks = {nid: _name(by_id.get(nid)) for nid in (moref_id(n) for n in props.get("network") or ()) if nid}
    vnics = list(props.get("config.network.vnic") or ())
    services = selected_services(props.get("config.virtualNicManagerInfo.netConfig") or ())
    vmks = tuple(vmk_from_vnic(v, services.get(v.device, ()), networks) for v in vnics)
    portgroups = [pg.spec.name for pg in props.get("config.network.portgroup") or () if pg.spec is not None]
    portgroups += [n for n in networks.values() if n]
    parent = by_id.get(moref_id(props.get("parent")) or "")
    cluster = _name(parent) if parent is not None and parent.type == "ClusterComputeResource" else None
    name = str(props.get("name") or host.id)
    facts = VCenterFacts(
        connection_state=connection_state(props.get("runtime.connectionState")),
        in_maintenance=bool(props.get("runtime.inMaintenanceMode")),
        lockdown_mode=lockdown_mode(props.get("config.lockdownMode")),
        ssh_running=ssh_running(props.get("config.service")),
        datacenter=datacenter or datacenter_of(parent, by_id),
        vmks=vmks,
        netstacks=tuple(stack_from_instance(s) for s in props.get("config.network.netStackInstance") or ()),
        portgroups=tuple(sorted(set(portgroups))),
        vms=tuple(sorted((vm_of(by_id.get(moref_id(v) or ""), networks, by_id) for v in props.get("vm") or ()),
                         key=lambda vm: vm.name)),
    )
    return VCenterHost(
        name=name,
        moid=host.id,
        address=management_address(vmks) or name,
        cluster=cluster,
        facts=facts,
        service_system=moref_id(props.get("configManager.serviceSystem")),
    )


def datacenter_of(obj: RawObject | None, by_id: Mapping[str, RawObject]) -> str | None:
    """The name of the datacenter above ``obj`` (its cluster), following ``parent`` through host folders."""
    for _ in range(MAX_FOLDER_DEPTH):
        if obj is None:
            return None
        if obj.type == "Datacenter":
            return _name(obj)
        obj = by_id.get(moref_id(obj.props.get("parent")) or "")
    return None


def connection_state(value: Any) -> ConnectionState:
    """The host's connection state; an unknown value counts as disconnected."""
    try:
        return ConnectionState(str(value or "connected"))
    except ValueError:
        return ConnectionState.DISCONNECTED


def lockdown_mode(value: Any) -> LockdownMode:
    """The host's lockdown mode; an unknown value counts as normal lockdown."""
    try:
        return LockdownMode(str(value or "lockdownDisabled"))
    except ValueError:
        return LockdownMode.NORMAL


def selected_services(net_configs: Iterable[Any]) -> dict[str, tuple[str, ...]]:
    """device -> the services selected on it, from ``config.virtualNicManagerInfo.netConfig``."""
    found: dict[str, list[str]] = {}
    for config in net_configs:
        by_key = {c.key: c.device for c in config.candidateVnic or ()}
        for key in config.selectedVnic or ():
            device = by_key.get(key) or _device_of_key(key)
            if device:
                found.setdefault(device, []).append(str(config.nicType))
    return {device: tuple(dict.fromkeys(services)) for device, services in found.items()}


def _device_of_key(key: str) -> str | None:
    """``vmotion.key-vim.host.VirtualNic-vmk1`` -> ``vmk1``."""
    _, sep, device = key.rpartition("VirtualNic-")
    return device if sep and device else None


def vmk_from_vnic(vnic: Any, services: Sequence[str], networks: Mapping[str, str | None]) -> VCenterVmk:
    """A ``vim.host.VirtualNic`` as a :class:`VCenterVmk`."""
    spec = vnic.spec
    portgroup = vnic.portgroup or None
    dv_port = getattr(spec, "distributedVirtualPort", None)
    if not portgroup and dv_port is not None and dv_port.portgroupKey:
        portgroup = networks.get(dv_port.portgroupKey) or dv_port.portgroupKey
    gateway = None
    route_spec = getattr(spec, "ipRouteSpec", None)
    if route_spec is not None and route_spec.ipRouteConfig is not None:
        gateway = _address(route_spec.ipRouteConfig.defaultGateway)
    return VCenterVmk(
        name=str(vnic.device),
        netstack=str(spec.netStackInstanceKey or DEFAULT_NETSTACK),
        mtu=int(spec.mtu or 1500),
        addresses=addresses_of(spec.ip),
        gateway=gateway,
        services=tuple(services),
        portgroup=portgroup,
        mac=spec.mac or None,
    )


def addresses_of(ip_config: Any) -> tuple[IPInterface, ...]:
    """IPv4 then IPv6 addresses of a ``vim.host.IpConfig`` (none when DHCP has not answered)."""
    if ip_config is None:
        return ()
    found: list[IPInterface] = []
    if ip_config.ipAddress and ip_config.subnetMask:
        prefix = _prefix_of_mask(str(ip_config.subnetMask))
        # parsed once: IPv4Interface would parse a string address twice (itself, then its network)
        found.append(IPv4Interface((int(IPv4Address(str(ip_config.ipAddress))), prefix)))
    v6 = ip_config.ipV6Config
    for entry in (v6.ipV6Address or ()) if v6 is not None else ():
        found.append(IPv6Interface(f"{entry.ipAddress}/{entry.prefixLength}"))
    return tuple(found)


@lru_cache(maxsize=64)
def _prefix_of_mask(mask: str) -> int:
    """``255.255.255.0`` -> 24 (a host has a handful of masks; ``ValueError`` for one that is not)."""
    return IPv4Network(f"0.0.0.0/{mask}").prefixlen


def stack_from_instance(instance: Any) -> VCenterStack:
    """A ``vim.host.NetStackInstance`` with its default gateways."""
    route = instance.ipRouteConfig
    return VCenterStack(
        key=str(instance.key),
        gateway=_address(route.defaultGateway) if route is not None else None,
        gateway6=_address(route.ipV6DefaultGateway) if route is not None else None,
    )


def ssh_running(service_info: Any) -> bool | None:
    """Whether TSM-SSH runs, from ``config.service`` (None when the host does not list it)."""
    if service_info is None:
        return None
    for service in service_info.service or ():
        if service.key == "TSM-SSH":
            return bool(service.running)
    return None


def management_address(vmks: Sequence[VCenterVmk]) -> str | None:
    """The first IPv4 (else any) address of the vmk selected for management."""
    for vmk in vmks:
        if "management" in vmk.services and vmk.addresses:
            v4: list[IPInterface] = [a for a in vmk.addresses if a.version == 4]
            return str((v4 or list(vmk.addresses))[0].ip)
    return None


def vm_of(vm: RawObject | None, networks: Mapping[str, str | None], by_id: Mapping[str, RawObject]) -> VCenterVm:
    """A VM and the names of its networks."""
    if vm is None:
        return VCenterVm(name="?")
    names = []
    for ref in vm.props.get("network") or ():
        nid = moref_id(ref) or ""
        names.append(networks.get(nid) or _name(by_id.get(nid)) or nid)
    return VCenterVm(name=str(vm.props.get("name") or vm.id), networks=tuple(sorted(set(names))))


def _name(obj: RawObject | None) -> str | None:
    if obj is None:
        return None
    value = obj.props.get("name")
    return str(value) if value else None


def _address(value: Any) -> IPAddress | None:
    return _parsed_address(str(value)) if value else None


@lru_cache(maxsize=1024)
def _parsed_address(value: str) -> IPAddress | None:
    """An address (unspecified or malformed: None); gateways repeat across hosts, hence the cache."""
    try:
        address = ip_address(value)
    except ValueError:
        return None
    return None if address.is_unspecified else address
