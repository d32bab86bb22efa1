"""The part of vim25's data objects that :mod:`validator.vcenter.mapping` reads, as small frozen records.

The retrieval's answer is read at the SOAP level (:mod:`validator.vcenter.collector_soap`) into these records
instead of pyVmomi's data objects. Each record is named after its WSDL type and keeps the WSDL's field names
and nesting, but only the fields the mapping reads; so the mapping reads either kind the same way (pyVmomi's
objects are still what its unit tests build, and what the pyVmomi retrieval kept for comparison returns).
Absent fields are None (or empty tuples for arrays), as pyVmomi leaves them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ManagedObjectReference:
    """A managed object reference: its type and id (``value``), as vCenter gave them."""

    type: str
    value: str


@dataclass(frozen=True, slots=True)
class HostIpConfigIpV6Address:
    ipAddress: str | None = None
    prefixLength: int | None = None


@dataclass(frozen=True, slots=True)
class HostIpConfigIpV6AddressConfiguration:
    ipV6Address: tuple[HostIpConfigIpV6Address, ...] = ()


@dataclass(frozen=True, slots=True)
class HostIpConfig:
    ipAddress: str | None = None
    subnetMask: str | None = None
    ipV6Config: HostIpConfigIpV6AddressConfiguration | None = None


@dataclass(frozen=True, slots=True)
class DistributedVirtualSwitchPortConnection:
    portgroupKey: str | None = None


@dataclass(frozen=True, slots=True)
class HostIpRouteConfig:
    defaultGateway: str | None = None
    ipV6DefaultGateway: str | None = None


@dataclass(frozen=True, slots=True)
class HostVirtualNicIpRouteSpec:
    ipRouteConfig: HostIpRouteConfig | None = None


@dataclass(frozen=True, slots=True)
class HostVirtualNicSpec:
    ip: HostIpConfig | None = None
    mac: str | None = None
    mtu: int | None = None
    netStackInstanceKey: str | None = None
    distributedVirtualPort: DistributedVirtualSwitchPortConnection | None = None
    ipRouteSpec: HostVirtualNicIpRouteSpec | None = None


@dataclass(frozen=True, slots=True)
class HostVirtualNic:
    """A VMkernel NIC (``config.network.vnic``; in ``candidateVnic`` only ``device`` and ``key`` are read)."""

    device: str | None = None
    key: str | None = None
    portgroup: str | None = None
    spec: HostVirtualNicSpec | None = None


@dataclass(frozen=True, slots=True)
class HostNetStackInstance:
    key: str | None = None
    ipRouteConfig: HostIpRouteConfig | None = None


@dataclass(frozen=True, slots=True)
class HostPortGroupSpec:
    name: str | None = None


@dataclass(frozen=True, slots=True)
class HostPortGroup:
    spec: HostPortGroupSpec | None = None


@dataclass(frozen=True, slots=True)
class VirtualNicManagerNetConfig:
    """The VMkernel NICs selected for one service (``nicType``), and the candidates' keys and devices."""

    nicType: str | None = None
    candidateVnic: tuple[HostVirtualNic, ...] = ()
    selectedVnic: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HostService:
    key: str | None = None
    running: bool | None = None


@dataclass(frozen=True, slots=True)
class HostServiceInfo:
    service: tuple[HostService, ...] = ()
