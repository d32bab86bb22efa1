"""Lab topology: the TOML format, its parsing and validation (pure, no I/O besides reading the file).

A topology describes emulated ESXi hosts, the racks (L2 segments) they sit in and the faults to engineer.
Every address must lie in 198.18.0.0/15 (IPv4) or 2001:db8::/32 (IPv6); anything else is refused.

    [lab]
    prefix = "vmvlab"                  # names of namespaces/interfaces: [a-z][a-z0-9]{0,9} (default vmvlab)
    mgmt_subnet = "198.18.255.0/24"    # management network: root namespace <-> every vmk0 (required)
    mgmt_address = "198.18.255.1"      # root namespace address on it (default: first address)
    mgmt_mtu = 1500                    # MTU of the management network (default 1500)
    transit_subnet = "198.18.254.0/24" # router<->router links, one /30 per rack (default shown)
    transit_subnet6 = "2001:db8:fffe::/48"  # IPv6 router links, one /64 per rack (default shown)
    datacenter = "dc1"                 # vCenter-only: datacenter name (default dc1)
    cluster = "cluster1"               # vCenter-only: cluster of hosts without their own (default cluster1)
    vmkping_cpu_ms = 50                # every emulated vmkping burns this much CPU first (default 0)
    vmkping_delay_ms = 50              # ... and/or sleeps this long first (default 0): a slow, busy host

    [[racks]]                          # one L2 segment + one top-of-rack router per rack
    name = "r1"                        # [a-z0-9][a-z0-9-]{0,15}
    subnet = "198.19.1.0/24"           # vMotion segment, IPv4 (subnet and/or subnet6)
    gateway = "198.19.1.1"             # router address on the segment (default: first address)
    subnet6 = "2001:db8:1::/64"        # vMotion segment, IPv6 (optional)
    gateway6 = "2001:db8:1::1"         # router address on the IPv6 segment (default: first address)
    mtu = 9000                         # MTU of the segment (bridge and every port on it, default 1500)
    uplink_mtu = 9000                  # MTU of the rack router <-> core transit link (default: mtu)

    [[hosts]]
    name = "esx01"                     # [a-z0-9][a-z0-9-]{0,30}
    rack = "r1"
    mgmt_ip = "198.18.255.11"          # vmk0; sshd listens here
    gateway = "198.19.1.1"             # vmotion stack default gateway; omit => fault "no gateway"; another
                                       # unused host address of the rack's subnet => fault "gateway silent"
    gateway6 = "2001:db8:1::1"         # vmotion stack IPv6 default gateway (optional; same rules)
    sshd = true                        # false => fault "sshd stopped" (host built, sshd not started)
    ssh_port = 22                      # optional
    esxcli_variant = "gateway"         # "gateway" (ESXi 6.5+ output) or "legacy" (no Gateway column)

      [[hosts.vmks]]                   # vmk0 is implicit (mgmt_ip, default stack, tag Management)
      name = "vmk1"                    # vmk1 .. vmk99
      ip = "198.19.1.11/24"            # must be in the rack's subnet (ip and/or ip6)
      ip6 = "2001:db8:1::11/64"        # must be in the rack's subnet6
      mtu = 9000                       # default 1500
      enabled = true                   # false => fault "vmk administratively down"
      netstack = "vmotion"             # or "defaultTcpipStack" (with tag VMotion => fault "tag on default stack")
      tags = ["VMotion"]               # default ["VMotion"] on the vmotion stack, [] on the default stack
      gateway = "198.19.1.1"           # per-vmk IPv4 gateway override (optional; same rules as the host's)
      portgroup = "vMotion-A"          # optional

vCenter-only host keys (the vCenter simulator reads them; the network builder ignores them):

    [[hosts]]
    vcenter = "vc2"                    # the simulated vCenter that has it (default vc1; one simulator each)
    cluster = "c2"                     # default: [lab] cluster
    maintenance = true                 # in maintenance mode (default false)
    lockdown = "normal"                # "disabled" (default) | "normal" | "strict"
    connection_state = "connected"     # "connected" (default) | "disconnected" | "notResponding"
    tsm_ssh = false                    # TSM-SSH service running; default: follows sshd
    portgroups = ["App-A", "App-B"]    # extra VM port groups on the host (vmk port groups are implicit)
    api = "ok"                         # esxcli network diag ping through the vSphere API: "ok" (default,
                                       # a real ping in the lab host), "fault" (esxcli fault on every call),
                                       # "hang" (never answers), "no-permission" (NoPermission fault)

      [[hosts.vms]]                    # a VM registered on the host
      name = "app01"                   # unique across the topology
      networks = ["App-A"]             # port group names; may name one missing on other hosts

    [[faults.blackhole]]               # drop echo requests of one direction of one pair (all shared families)
    src = "esx01:vmk1"
    dst = "esx04:vmk2"

Faults that are not knobs of their own: a rack with ``uplink_mtu`` below its vmks' MTU (router hop MTU,
beyond the gateway), a rack with ``mtu`` below its vmks' MTU (a small hop between the vmks and their gateway),
a gateway (host or per-vmk) at an address of the rack's subnet that no router holds (the gateway does not
answer), a vmotion vmk with a second service tag (e.g. ``faultToleranceLogging``), a host with only ``ip6``
vmks.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
)
from pathlib import Path
from typing import Any

from validator.errors import LabError
from validator.lab.toml_table import TomlTable
from validator.lab.topology_vcenter import (
    INVENTORY_NAME_RE,
    PORTGROUP_RE,
    VCENTER_HOST_KEYS,
    VCenterHostSpec,
    parse_vcenter_host,
    unique_names,
)
from validator.models import DEFAULT_NETSTACK, VMOTION_NETSTACK, Family

MIN_MTU = 1280
MAX_MTU = 9000
MAX_HOSTS = 240
MAX_VMKPING_COST_MS = 10_000
DEFAULT_PREFIX = "vmvlab"
VARIANTS = ("gateway", "legacy")
NETSTACKS = (VMOTION_NETSTACK, DEFAULT_NETSTACK)
KNOWN_TAGS = (
    "Management",
    "VMotion",
    "faultToleranceLogging",
    "vSphereReplication",
    "vSphereReplicationNFC",
    "vSphereProvisioning",
    "VSAN",
    "VSANWitness",
    "vSphereBackupNFC",
    "PrecisionTimeProtocol",
    "NVMeTCP",
    "NVMeRDMA",
)
PREFIX_RE = re.compile(r"[a-z][a-z0-9]{0,9}")
RACK_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,15}")
HOST_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,30}")
VMK_RE = re.compile(r"vmk([1-9][0-9]?)")

_LAB_KEYS = {
    "prefix",
    "mgmt_subnet",
    "mgmt_address",
    "mgmt_mtu",
    "transit_subnet",
    "transit_subnet6",
    "datacenter",
    "cluster",
    "vmkping_cpu_ms",
    "vmkping_delay_ms",
}
_RACK_KEYS = {"name", "subnet", "gateway", "subnet6", "gateway6", "mtu", "uplink_mtu"}
_HOST_KEYS = {"name", "rack", "mgmt_ip", "gateway", "gateway6", "sshd", "ssh_port", "esxcli_variant", "vmks"}
_VMK_KEYS = {"name", "ip", "ip6", "mtu", "enabled", "netstack", "tags", "gateway", "portgroup"}
_TOP_KEYS = {"lab", "racks", "hosts", "faults"}


@dataclass(frozen=True)
class LabSpec:
    prefix: str
    mgmt_subnet: IPv4Network
    mgmt_address: IPv4Address
    mgmt_mtu: int
    transit_subnet: IPv4Network
    transit_subnet6: IPv6Network
    datacenter: str = "dc1"  # vCenter-only
    cluster: str = "cluster1"  # vCenter-only: default cluster
    vmkping_cpu_ms: int = 0  # CPU every emulated vmkping burns before it pings (a saturated host)
    vmkping_delay_ms: int = 0  # time every emulated vmkping sleeps before it pings (a slow host)


@dataclass(frozen=True)
class RackSpec:
    name: str
    index: int  # 0-based position in the file
    subnet: IPv4Network | None
    gateway: IPv4Address | None
    subnet6: IPv6Network | None
    gateway6: IPv6Address | None
    mtu: int
    uplink_mtu: int


@dataclass(frozen=True)
class VmkSpec:
    name: str
    netstack: str
    ip: IPv4Interface | None
    ip6: IPv6Interface | None
    mtu: int
    enabled: bool
    tags: tuple[str, ...]
    gateway: IPv4Address | None  # per-vmk IPv4 gateway override
    portgroup: str

    @property
    def number(self) -> int:
        return int(self.name[3:])

    @property
    def on_vmotion(self) -> bool:
        return self.netstack == VMOTION_NETSTACK

    def address(self, family: Family) -> IPv4Interface | IPv6Interface | None:
        return self.ip if family is Family.IPV4 else self.ip6


@dataclass(frozen=True)
class HostSpec:
    name: str
    index: int  # 1-based position in the file
    rack: str
    mgmt_ip: IPv4Interface
    gateway: IPv4Address | None
    gateway6: IPv6Address | None
    sshd: bool
    ssh_port: int
    esxcli_variant: str
    vmks: tuple[VmkSpec, ...]
    vcenter: VCenterHostSpec = field(default_factory=VCenterHostSpec)

    @property
    def vmotion_vmks(self) -> tuple[VmkSpec, ...]:
        return tuple(v for v in self.vmks if v.on_vmotion)

    @property
    def default_vmks(self) -> tuple[VmkSpec, ...]:
        return tuple(v for v in self.vmks if not v.on_vmotion)

    def vmk(self, name: str) -> VmkSpec:
        for vmk in self.vmks:
            if vmk.name == name:
                return vmk
        raise KeyError(name)

    def vmk_gateway(self, vmk: VmkSpec, family: Family) -> IPv4Address | IPv6Address | None:
        """The gateway traffic sourced from this vmotion vmk uses (override first), None when none."""
        if not vmk.on_vmotion or vmk.address(family) is None:
            return None
        if family is Family.IPV4:
            return vmk.gateway or self.gateway
        return self.gateway6


@dataclass(frozen=True)
class Blackhole:
    src_host: str
    src_vmk: str
    dst_host: str
    dst_vmk: str


@dataclass(frozen=True)
class Topology:
    lab: LabSpec
    racks: tuple[RackSpec, ...]
    hosts: tuple[HostSpec, ...]
    blackholes: tuple[Blackhole, ...]
    source: str = "<topology>"

    def rack(self, name: str) -> RackSpec:
        for rack in self.racks:
            if rack.name == name:
                return rack
        raise KeyError(name)

    def host(self, name: str) -> HostSpec:
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(name)

    def with_vmkping_cost(self, cpu_ms: int = 0, delay_ms: int = 0) -> Topology:
        """The same topology whose emulated vmkping burns ``cpu_ms`` of CPU and sleeps ``delay_ms`` first."""
        for name, value in (("vmkping_cpu_ms", cpu_ms), ("vmkping_delay_ms", delay_ms)):
            if not 0 <= value <= MAX_VMKPING_COST_MS:
                raise LabError(f"{name} {value} is outside 0..{MAX_VMKPING_COST_MS}")
        return replace(self, lab=replace(self.lab, vmkping_cpu_ms=cpu_ms, vmkping_delay_ms=delay_ms))

    def with_prefix(self, prefix: str) -> Topology:
        """The same topology under another name prefix."""
        if not PREFIX_RE.fullmatch(prefix):
            raise LabError(f"prefix {prefix!r} must match {PREFIX_RE.pattern}")
        return replace(self, lab=replace(self.lab, prefix=prefix))


def load_topology(path: Path) -> Topology:
    """Read and validate a topology file; LabError names the file and the key on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabError(f"{path}: cannot read the topology: {exc.strerror}") from exc
    return parse_topology_text(text, str(path))


def parse_topology_text(text: str, source: str = "<topology>") -> Topology:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LabError(f"{source}: not valid TOML: {exc}") from exc
    return parse_topology(data, source)


def parse_topology(data: Mapping[str, Any], source: str = "<topology>") -> Topology:
    """Validate parsed TOML data into a Topology (pure)."""
    root = TomlTable(data, "", source)
    root.check_keys(_TOP_KEYS)
    lab = _parse_lab(root.table("lab", required=True))
    racks = tuple(_parse_rack(t, i) for i, t in enumerate(root.tables("racks", required=True)))
    unique_names(source, "racks", [r.name for r in racks])
    hosts = tuple(_parse_host(t, i, lab, racks) for i, t in enumerate(root.tables("hosts", required=True)))
    if len(hosts) > MAX_HOSTS:
        raise LabError(f"{source}: hosts: at most {MAX_HOSTS} hosts")
    unique_names(source, "hosts", [h.name for h in hosts])
    faults = root.table("faults")
    blackholes: tuple[Blackhole, ...] = ()
    if faults is not None:
        faults.check_keys({"blackhole"})
        blackholes = tuple(_parse_blackhole(t, hosts) for t in faults.tables("blackhole"))
    topo = Topology(lab, racks, hosts, blackholes, source)
    _check_global(topo)
    return topo


def _parse_lab(t: TomlTable | None) -> LabSpec:
    assert t is not None
    t.check_keys(_LAB_KEYS)
    prefix = t.text("prefix", DEFAULT_PREFIX, PREFIX_RE) or DEFAULT_PREFIX
    mgmt = t.network4("mgmt_subnet", required=True)
    assert mgmt is not None
    if mgmt.prefixlen > 29:
        raise t.error("mgmt_subnet", f"{mgmt} is too small (at most /29)")
    address = t.address4("mgmt_address") or next(mgmt.hosts())
    if address not in mgmt or address in (mgmt.network_address, mgmt.broadcast_address):
        raise t.error("mgmt_address", f"{address} is not a host address of {mgmt}")
    transit = t.network4("transit_subnet") or IPv4Network("198.18.254.0/24")
    transit6 = t.network6("transit_subnet6") or IPv6Network("2001:db8:fffe::/48")
    if transit6.prefixlen > 56:
        raise t.error("transit_subnet6", f"{transit6} is too small (at most /56)")
    if transit.prefixlen > 28:
        raise t.error("transit_subnet", f"{transit} is too small (at most /28)")
    if transit.overlaps(mgmt):
        raise t.error("transit_subnet", f"{transit} overlaps mgmt_subnet {mgmt}")
    mtu = t.integer("mgmt_mtu", 1500, MIN_MTU, MAX_MTU)
    datacenter = t.text("datacenter", "dc1", INVENTORY_NAME_RE) or "dc1"
    cluster = t.text("cluster", "cluster1", INVENTORY_NAME_RE) or "cluster1"
    cpu_ms = t.integer("vmkping_cpu_ms", 0, 0, MAX_VMKPING_COST_MS)
    delay_ms = t.integer("vmkping_delay_ms", 0, 0, MAX_VMKPING_COST_MS)
    return LabSpec(prefix, mgmt, address, mtu, transit, transit6, datacenter, cluster, cpu_ms, delay_ms)


def _parse_rack(t: TomlTable, index: int) -> RackSpec:
    t.check_keys(_RACK_KEYS)
    name = t.required_text("name", RACK_RE)
    t.where = f"racks[{index}] ({name})"
    subnet = t.network4("subnet")
    subnet6 = t.network6("subnet6")
    if subnet is None and subnet6 is None:
        raise t.error(None, "needs subnet and/or subnet6")
    gateway = _rack_gateway(t, "gateway", subnet, t.address4("gateway"))
    gateway6 = _rack_gateway(t, "gateway6", subnet6, t.address6("gateway6"))
    if subnet is not None and subnet.prefixlen > 29:
        raise t.error("subnet", f"{subnet} is too small (at most /29)")
    if subnet6 is not None and subnet6.prefixlen > 120:
        raise t.error("subnet6", f"{subnet6} is too small (at most /120)")
    mtu = t.integer("mtu", 1500, MIN_MTU, MAX_MTU)
    uplink = t.integer("uplink_mtu", mtu, MIN_MTU, MAX_MTU)
    return RackSpec(name, index, subnet, gateway, subnet6, gateway6, mtu, uplink)


def _rack_gateway(t: TomlTable, key: str, net: Any, given: Any) -> Any:
    if net is None:
        if given is not None:
            raise t.error(key, "is set but the rack has no matching subnet")
        return None
    gateway = given if given is not None else next(net.hosts())
    if gateway not in net or gateway == net.network_address or (net.version == 4 and gateway == net.broadcast_address):
        raise t.error(key, f"{gateway} is not a host address of {net}")
    return gateway


def _parse_host(t: TomlTable, index: int, lab: LabSpec, racks: tuple[RackSpec, ...]) -> HostSpec:
    t.check_keys(_HOST_KEYS | VCENTER_HOST_KEYS)
    name = t.required_text("name", HOST_RE)
    t.where = f"hosts[{index}] ({name})"
    if name.endswith("-vmotion"):
        raise t.error("name", "must not end with '-vmotion' (reserved for the vmotion stack's namespace)")
    rack_name = t.required_text("rack")
    rack = next((r for r in racks if r.name == rack_name), None)
    if rack is None:
        raise t.error("rack", f"unknown rack {rack_name!r} (racks: {', '.join(r.name for r in racks)})")
    mgmt = t.address4("mgmt_ip")
    if mgmt is None:
        raise t.error("mgmt_ip", "is required")
    if mgmt not in lab.mgmt_subnet or mgmt in (lab.mgmt_subnet.network_address, lab.mgmt_subnet.broadcast_address):
        raise t.error("mgmt_ip", f"{mgmt} is not a host address of mgmt_subnet {lab.mgmt_subnet}")
    if mgmt == lab.mgmt_address:
        raise t.error("mgmt_ip", f"{mgmt} is the root namespace's mgmt_address")
    gateway = _host_gateway(t, "gateway", t.address4("gateway"), rack.subnet, rack.name)
    gateway6 = _host_gateway(t, "gateway6", t.address6("gateway6"), rack.subnet6, rack.name)
    variant = t.text("esxcli_variant", "gateway") or "gateway"
    if variant not in VARIANTS:
        raise t.error("esxcli_variant", f"{variant!r} must be one of {', '.join(VARIANTS)}")
    vmks = tuple(_parse_vmk(v, i, t.where, rack) for i, v in enumerate(t.tables("vmks")))
    unique_names(t.source, f"{t.where}.vmks", [v.name for v in vmks])
    sshd = t.boolean("sshd", True)
    return HostSpec(
        name=name,
        index=index + 1,
        rack=rack.name,
        mgmt_ip=IPv4Interface(f"{mgmt}/{lab.mgmt_subnet.prefixlen}"),
        gateway=gateway,
        gateway6=gateway6,
        sshd=sshd,
        ssh_port=t.integer("ssh_port", 22, 1, 65535),
        esxcli_variant=variant,
        vmks=vmks,
        vcenter=parse_vcenter_host(t, lab.cluster, sshd),
    )


def _host_gateway(t: TomlTable, key: str, gateway: Any, subnet: Any, rack: str) -> Any:
    """A host's (or vmk's) gateway: the rack's router, or any other host address of the rack's subnet (a
    gateway nobody answers at; that it is no vmk's address is checked across hosts)."""
    if gateway is None:
        return None
    if subnet is None:
        raise t.error(key, f"{gateway} given but rack {rack} has no {key.replace('gateway', 'subnet')}")
    if gateway not in subnet or gateway == subnet.network_address or (
        subnet.version == 4 and gateway == subnet.broadcast_address
    ):
        raise t.error(key, f"{gateway} is not a host address of rack {rack}'s subnet {subnet}")
    return gateway


def _parse_vmk(t: TomlTable, index: int, host_where: str, rack: RackSpec) -> VmkSpec:
    t.check_keys(_VMK_KEYS)
    name = t.required_text("name", VMK_RE)
    t.where = f"{host_where}.vmks[{index}] ({name})"
    netstack = t.text("netstack", VMOTION_NETSTACK) or VMOTION_NETSTACK
    if netstack not in NETSTACKS:
        raise t.error("netstack", f"{netstack!r} must be one of {', '.join(NETSTACKS)}")
    ip = t.interface4("ip")
    ip6 = t.interface6("ip6")
    if ip is None and ip6 is None:
        raise t.error(None, "needs ip and/or ip6")
    if ip is not None:
        _check_in_segment(t, "ip", ip, rack.subnet, gateway=rack.gateway, what=f"rack {rack.name}'s subnet")
    if ip6 is not None:
        _check_in_segment(t, "ip6", ip6, rack.subnet6, gateway=rack.gateway6, what=f"rack {rack.name}'s subnet6")
    tags = t.strings("tags")
    if tags is None:
        tags = ["VMotion"] if netstack == VMOTION_NETSTACK else []
    for tag in tags:
        if tag not in KNOWN_TAGS:
            raise t.error("tags", f"unknown tag {tag!r}; known: {', '.join(KNOWN_TAGS)}")
    if len(set(tags)) != len(tags):
        raise t.error("tags", "a tag is listed twice")
    gateway = t.address4("gateway")
    if gateway is not None:
        if netstack != VMOTION_NETSTACK or ip is None:
            raise t.error("gateway", "a per-vmk gateway needs a vmotion-stack vmk with an IPv4 ip")
        _host_gateway(t, "gateway", gateway, rack.subnet, rack.name)
    number = int(name[3:])
    default_pg = f"vMotion-{number}" if netstack == VMOTION_NETSTACK else f"Portgroup-{number}"
    portgroup = t.text("portgroup", default_pg, PORTGROUP_RE) or default_pg
    return VmkSpec(
        name=name,
        netstack=netstack,
        ip=ip,
        ip6=ip6,
        mtu=t.integer("mtu", 1500, MIN_MTU, MAX_MTU),
        enabled=t.boolean("enabled", True),
        tags=tuple(tags),
        gateway=gateway,
        portgroup=portgroup,
    )


def _check_in_segment(t: TomlTable, key: str, iface: Any, net: Any, *, gateway: Any, what: str) -> None:
    if net is None:
        raise t.error(key, f"{iface} given but the rack has no {key.replace('ip', 'subnet')}")
    if iface.network != net:
        raise t.error(key, f"{iface} is not in {what} {net} (same prefix length required)")
    if iface.ip == net.network_address or (net.version == 4 and iface.ip == net.broadcast_address):
        raise t.error(key, f"{iface.ip} is not a host address of {net}")
    if iface.ip == gateway:
        raise t.error(key, f"{iface.ip} is the rack's gateway")


def _parse_blackhole(t: TomlTable, hosts: tuple[HostSpec, ...]) -> Blackhole:
    t.check_keys({"src", "dst"})
    ends = []
    for key in ("src", "dst"):
        raw = t.required_text(key)
        host_name, _, vmk_name = raw.partition(":")
        host = next((h for h in hosts if h.name == host_name), None)
        if host is None or not vmk_name:
            raise t.error(key, f"{raw!r} must be HOST:VMK of a known host")
        try:
            vmk = host.vmk(vmk_name)
        except KeyError:
            raise t.error(key, f"host {host_name} has no {vmk_name!r}") from None
        if not vmk.on_vmotion:
            raise t.error(key, f"{raw} is not on the vmotion stack")
        ends.append((host, vmk))
    (src_host, src), (dst_host, dst) = ends
    if src_host.name == dst_host.name:
        raise t.error(None, "src and dst must be on different hosts")
    if not any(src.address(f) and dst.address(f) for f in Family):
        raise t.error(None, "src and dst share no address family")
    return Blackhole(src_host.name, src.name, dst_host.name, dst.name)


def _check_global(topo: Topology) -> None:
    """Checks across sections: disjoint subnets, unique addresses, distinct namespace names."""
    source = topo.source
    lab = topo.lab
    if len(topo.racks) * 4 > lab.transit_subnet.num_addresses:
        raise LabError(f"{source}: lab.transit_subnet: {lab.transit_subnet} has no room for {len(topo.racks)} /30s")
    if len(topo.racks) > 2 ** (64 - lab.transit_subnet6.prefixlen):
        raise LabError(f"{source}: lab.transit_subnet6: {lab.transit_subnet6} has no room for {len(topo.racks)} /64s")
    nets: list[tuple[str, IPv4Network | IPv6Network]] = [
        ("lab.mgmt_subnet", lab.mgmt_subnet),
        ("lab.transit_subnet", lab.transit_subnet),
        ("lab.transit_subnet6", lab.transit_subnet6),
    ]
    for rack in topo.racks:
        if rack.subnet is not None:
            nets.append((f"racks ({rack.name}).subnet", rack.subnet))
        if rack.subnet6 is not None:
            nets.append((f"racks ({rack.name}).subnet6", rack.subnet6))
    for i, (name_a, net_a) in enumerate(nets):
        for name_b, net_b in nets[i + 1 :]:
            if net_a.version == net_b.version and net_a.overlaps(net_b):
                raise LabError(f"{source}: {name_b} {net_b} overlaps {name_a} {net_a}")
    unique_names(source, "hosts.vms", [vm.name for host in topo.hosts for vm in host.vcenter.vms])
    seen: dict[str, str] = {}
    for host in topo.hosts:
        _claim(seen, source, str(host.mgmt_ip.ip), f"hosts ({host.name}).mgmt_ip")
        for vmk in host.vmks:
            for iface in (vmk.ip, vmk.ip6):
                if iface is not None:
                    _claim(seen, source, str(iface.ip), f"hosts ({host.name}).vmks ({vmk.name})")
    for host in topo.hosts:
        gateways = [("gateway", host.gateway), ("gateway6", host.gateway6)]
        gateways += [(f"vmks ({v.name}).gateway", v.gateway) for v in host.vmks]
        for key, gateway in gateways:
            if gateway is not None and str(gateway) in seen:
                raise LabError(f"{source}: hosts ({host.name}).{key}: {gateway} is the address of {seen[str(gateway)]}")


def _claim(seen: dict[str, str], source: str, address: str, where: str) -> None:
    if address in seen:
        raise LabError(f"{source}: {where}: address {address} is already used by {seen[address]}")
    seen[address] = where
