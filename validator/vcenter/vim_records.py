"""The part of vim25's data objects that :mod:`validator.vcenter.mapping` reads, as small named tuples
(immutable, and cheap to build: 500 hosts make some 30,000 of them).

The retrieval's answer is read at the SOAP level (:mod:`validator.vcenter.collector_soap`) into these records
instead of pyVmomi's data objects. Each record is named after its WSDL type and keeps the WSDL's field names
and nesting, but only the fields the mapping reads; so the mapping reads either kind the same way (pyVmomi's
objects are still what its unit tests build, and what the pyVmomi retrieval kept for comparison returns).
Absent fields are None (or empty tuples for arrays), as pyVmomi leaves them.
"""

from __future__ import annotations

from typing import NamedTuple


class ManagedObjectReference(NamedTuple):
    """A managed object reference: its type and id (``value``), as vCenter gave them."""

    type: str
    value: str


class HostIpConfigIpV6Address(NamedTuple):
    ipAddress: str | None = None
    prefixLength: int | None = None


class HostIpConfigIpV6AddressConfiguration(NamedTuple):
    ipV6Address: tuple[HostIpConfigIpV6Address, ...] = ()


class HostIpConfig(NamedTuple):
    ipAddress: str | None = None
    subnetMask: str | None = None
    ipV6Config: HostIpConfigIpV6AddressConfiguration | None = None


class DistributedVirtualSwitchPortConnection(NamedTuple):
    portgroupKey: str | None = None


class HostIpRouteConfig(NamedTuple):
    defaultGateway: str | None = None
    ipV6DefaultGateway: str | None = None


class HostVirtualNicIpRouteSpec(NamedTuple):
    ipRouteConfig: HostIpRouteConfig | None = None


class HostVirtualNicSpec(NamedTuple):
    ip: HostIpConfig | None = None
    mac: str | None = None
    mtu: int | None = None
    netStackInstanceKey: str | None = None
    distributedVirtualPort: DistributedVirtualSwitchPortConnection | None = None
    ipRouteSpec: HostVirtualNicIpRouteSpec | None = None


class HostVirtualNic(NamedTuple):
    """A VMkernel NIC (``config.network.vnic``; in ``candidateVnic`` only ``device`` and ``key`` are read)."""

    device: str | None = None
    key: str | None = None
    portgroup: str | None = None
    spec: HostVirtualNicSpec | None = None


class HostNetStackInstance(NamedTuple):
    key: str | None = None
    ipRouteConfig: HostIpRouteConfig | None = None


class HostPortGroupSpec(NamedTuple):
    name: str | None = None


class HostPortGroup(NamedTuple):
    spec: HostPortGroupSpec | None = None


class VirtualNicManagerNetConfig(NamedTuple):
    """The VMkernel NICs selected for one service (``nicType``), and the candidates' keys and devices."""

    nicType: str | None = None
    candidateVnic: tuple[HostVirtualNic, ...] = ()
    selectedVnic: tuple[str, ...] = ()


class HostService(NamedTuple):
    key: str | None = None
    running: bool | None = None


class HostServiceInfo(NamedTuple):
    service: tuple[HostService, ...] = ()
