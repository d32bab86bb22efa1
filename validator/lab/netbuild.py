"""The lab network: names, a pure plan of ``ip``/``tc`` batches and sysctls, and the code that applies it.

Layout (every name carries the lab prefix P):

    root namespace   P-mgmt bridge (mgmt_address) + one veth P-mN per host  ->  vmk0 in P-H
    P-H              host H's default TCP/IP stack: vmk0, vmks left on the default stack, sshd
    P-H-vmotion      host H's vmotion TCP/IP stack: vmk1, vmk2, ... (source-routed per vmk)
    P_tor_R          rack R's router: bridge br0 (the rack's L2 segment, gateway address), ports pH-vmkN,
                     uplink up0 to the core
    P_core           core router: rN links to every rack router

Cross-rack traffic crosses three routers (TTL 64 -> 61). Forwarding is on in router namespaces only.
"""

from __future__ import annotations

import ctypes
import os
import re
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

from validator.errors import LabError
from validator.lab.topology import HostSpec, RackSpec, Topology, VmkSpec
from validator.models import Family

NETNS_DIR = Path("/run/netns")
CLONE_NEWNET = 0x40000000
NEIGH_RETRANS_MS = 100
UNREACHABLE_PREF_OFFSET = 1000
_TOKEN = re.compile(r"[A-Za-z0-9_.:/-]+")

Batch = tuple[str | None, list[str]]  # (namespace or None for the root namespace, command lines)
Sysctls = list[tuple[str, str]]  # (path under /proc/sys, value)


@dataclass(frozen=True)
class Names:
    """Every namespace and root-namespace interface name of a lab, derived from its prefix."""

    prefix: str

    def host_ns(self, host: str) -> str:
        return f"{self.prefix}-{host}"

    def vmotion_ns(self, host: str) -> str:
        return f"{self.prefix}-{host}-vmotion"

    def tor_ns(self, rack: str) -> str:
        return f"{self.prefix}_tor_{rack}"

    @property
    def core_ns(self) -> str:
        return f"{self.prefix}_core"

    @property
    def mgmt_bridge(self) -> str:
        return f"{self.prefix}-mgmt"

    def mgmt_port(self, host: HostSpec) -> str:
        return f"{self.prefix}-m{host.index}"

    def vmk_ns(self, host: HostSpec, vmk: VmkSpec) -> str:
        return self.vmotion_ns(host.name) if vmk.on_vmotion else self.host_ns(host.name)

    def owns_netns(self, name: str) -> bool:
        return name.startswith((f"{self.prefix}-", f"{self.prefix}_"))

    def owns_root_link(self, name: str) -> bool:
        return re.fullmatch(rf"{re.escape(self.prefix)}-(mgmt|m[0-9]+)", name) is not None


def port_name(host: HostSpec, vmk: VmkSpec) -> str:
    """The bridge port (in the rack router namespace) facing one vmk."""
    return f"p{host.index}-{vmk.name}"


def vmk_mac(host: HostSpec, number: int) -> str:
    """A stable VMware-style MAC per (host, vmk)."""
    return f"00:50:56:{(host.index >> 8) & 0xFF:02x}:{host.index & 0xFF:02x}:{number:02x}"


def transit4(topo: Topology, rack: RackSpec) -> tuple[IPv4Address, IPv4Address]:
    """(rack router, core) addresses of a rack's /30 uplink."""
    base = topo.lab.transit_subnet.network_address + 4 * rack.index
    return base + 1, base + 2


def transit6(topo: Topology, rack: RackSpec) -> tuple[IPv6Address, IPv6Address]:
    """(rack router, core) addresses of a rack's /64 uplink."""
    base = topo.lab.transit_subnet6.network_address + (rack.index << 64)
    return base + 1, base + 2


@dataclass
class NetPlan:
    """Everything to create, in order; pure data."""

    namespaces: list[str]
    root_links: list[str]
    ns_sysctls: dict[str, Sysctls] = field(default_factory=dict)  # before any interface exists
    create: list[Batch] = field(default_factory=list)
    iface_sysctls: dict[str | None, Sysctls] = field(default_factory=dict)  # after interfaces exist
    configure: list[Batch] = field(default_factory=list)
    rules6: list[Batch] = field(default_factory=list)  # `ip -6` only: ip rule cannot infer the family
    tc: list[Batch] = field(default_factory=list)
    neighbours: int = 0  # neighbour entries the lab may hold at once, per address family (all namespaces)


def plan_network(topo: Topology, names: Names) -> NetPlan:
    """The complete, ordered recipe for a topology's network (pure)."""
    hosts, racks = topo.hosts, topo.racks
    routers = [names.tor_ns(r.name) for r in racks] + [names.core_ns]
    host_nss = [n for h in hosts for n in (names.host_ns(h.name), names.vmotion_ns(h.name))]
    plan = NetPlan(
        namespaces=host_nss + routers,
        root_links=[names.mgmt_bridge] + [names.mgmt_port(h) for h in hosts],
    )
    for ns in routers:
        plan.ns_sysctls[ns] = _common_sysctls() + _forwarding(True)
    for host in hosts:
        plan.ns_sysctls[names.host_ns(host.name)] = _common_sysctls() + _forwarding(False)
        plan.ns_sysctls[names.vmotion_ns(host.name)] = _common_sysctls() + _forwarding(False) + _vmotion_sysctls()
    plan.create.append((None, _root_create(topo, names)))
    plan.create.extend((names.tor_ns(r.name), _tor_create(topo, names, r)) for r in racks)
    plan.iface_sysctls[None] = [(f"net/ipv6/conf/{link}/disable_ipv6", "1") for link in plan.root_links]
    for host in hosts:
        plan.iface_sysctls[names.host_ns(host.name)] = _neigh_sysctls(["vmk0"] + [v.name for v in host.default_vmks])
        plan.iface_sysctls[names.vmotion_ns(host.name)] = _neigh_sysctls([v.name for v in host.vmotion_vmks])
    for rack in racks:
        plan.iface_sysctls[names.tor_ns(rack.name)] = _neigh_sysctls(["br0", "up0"])
    plan.configure.append((None, _root_configure(topo, names)))
    plan.configure.extend((names.tor_ns(r.name), _tor_configure(topo, r)) for r in racks)
    plan.configure.append((names.core_ns, _core_configure(topo)))
    for host in hosts:
        plan.configure.append((names.host_ns(host.name), _host_default_configure(host)))
        routes, rules6 = _host_vmotion_configure(host)
        plan.configure.append((names.vmotion_ns(host.name), routes))
        plan.rules6.append((names.vmotion_ns(host.name), rules6))
    plan.tc = _blackhole_batches(topo, names)
    plan.neighbours = neighbour_entries(topo)
    for _, lines in plan.create + plan.configure + plan.rules6 + plan.tc:
        for line in lines:
            _check_line(line)
    return plan


def neighbour_entries(topo: Topology) -> int:
    """How many neighbour (ARP/ND) entries the lab's namespaces may hold at once, at most: on each rack segment
    every vmk and the gateway may learn every other, on the management segment each host the validator's address
    and the validator every host, on each uplink the two routers each other."""
    rack_segments = [sum(len(h.vmks) for h in _rack_hosts(topo, rack)) + 1 for rack in topo.racks]
    return sum(n * (n - 1) for n in rack_segments) + 2 * len(topo.hosts) + 2 * len(topo.racks)


def neighbour_room(needed: int, current: Mapping[str, int]) -> Sysctls:
    """The kernel's neighbour-table limits to raise (never lower) so that ``needed`` entries fit, with room to
    spare: the table is one for every namespace of the machine, and past ``gc_thresh3`` (1024 by default) the
    kernel refuses new entries ("neighbor table overflow"): pings fail as if the peer were down."""
    wanted = {"gc_thresh2": needed, "gc_thresh3": 2 * needed}
    return [(f"net/{proto}/neigh/default/{name}", str(value))
            for proto in ("ipv4", "ipv6") for name, value in wanted.items()
            if current.get(f"net/{proto}/neigh/default/{name}", 0) < value]


def _common_sysctls() -> Sysctls:
    items: Sysctls = []
    for scope in ("all", "default"):
        items += [
            (f"net/ipv6/conf/{scope}/accept_dad", "0"),
            (f"net/ipv6/conf/{scope}/accept_ra", "0"),
            (f"net/ipv6/conf/{scope}/router_solicitations", "0"),
            (f"net/ipv6/conf/{scope}/keep_addr_on_down", "1"),
            (f"net/ipv4/conf/{scope}/rp_filter", "0"),
        ]
    # ICMP datagram ("ping") sockets: the kernel hands each ping only its own replies. With raw sockets
    # every parallel ping in a namespace receives every reply, and a burst of jumbo replies can fill a
    # socket's buffer before its filter is installed, losing packets that the network delivered.
    items.append(("net/ipv4/ping_group_range", "0 2147483647"))
    return items


def _forwarding(on: bool) -> Sysctls:
    value = "1" if on else "0"
    return [
        ("net/ipv4/ip_forward", value),
        ("net/ipv6/conf/all/forwarding", value),
        ("net/ipv6/conf/default/forwarding", value),
    ]


def _vmotion_sysctls() -> Sysctls:
    items: Sysctls = [("net/ipv6/route/mtu_expires", "0")]  # a Packet Too Big never sticks (as for IPv4)
    for scope in ("all", "default"):
        items += [(f"net/ipv4/conf/{scope}/arp_ignore", "1"), (f"net/ipv4/conf/{scope}/arp_announce", "2")]
    return items


def _neigh_sysctls(links: Iterable[str]) -> Sysctls:
    return [
        (f"net/{proto}/neigh/{link}/retrans_time_ms", str(NEIGH_RETRANS_MS))
        for link in links
        for proto in ("ipv4", "ipv6")
    ]


def _root_create(topo: Topology, names: Names) -> list[str]:
    mtu = topo.lab.mgmt_mtu
    lines = [f"link add {names.mgmt_bridge} mtu {mtu} type bridge mcast_snooping 0"]
    for host in topo.hosts:
        lines.append(
            f"link add {names.mgmt_port(host)} mtu {mtu} master {names.mgmt_bridge} type veth "
            f"peer name vmk0 netns {names.host_ns(host.name)} mtu {mtu} address {vmk_mac(host, 0)}"
        )
    return lines


def _root_configure(topo: Topology, names: Names) -> list[str]:
    lines = [f"link set {names.mgmt_bridge} up"]
    lines += [f"link set {names.mgmt_port(h)} up" for h in topo.hosts]
    lines.append(f"addr add {topo.lab.mgmt_address}/{topo.lab.mgmt_subnet.prefixlen} dev {names.mgmt_bridge}")
    return lines


def _rack_hosts(topo: Topology, rack: RackSpec) -> list[HostSpec]:
    return [h for h in topo.hosts if h.rack == rack.name]


def _tor_create(topo: Topology, names: Names, rack: RackSpec) -> list[str]:
    lines = [f"link add br0 mtu {rack.mtu} type bridge mcast_snooping 0"]
    for host in _rack_hosts(topo, rack):
        for vmk in host.vmks:
            lines.append(
                f"link add {port_name(host, vmk)} mtu {rack.mtu} master br0 type veth "
                f"peer name {vmk.name} netns {names.vmk_ns(host, vmk)} mtu {vmk.mtu} "
                f"address {vmk_mac(host, vmk.number)}"
            )
    lines.append(
        f"link add up0 mtu {rack.uplink_mtu} type veth peer name r{rack.index} netns {names.core_ns} "
        f"mtu {rack.uplink_mtu}"
    )
    return lines


def _has_v6(topo: Topology) -> bool:
    return any(r.subnet6 is not None for r in topo.racks)


def _tor_configure(topo: Topology, rack: RackSpec) -> list[str]:
    lines = ["link set lo up", f"link set br0 mtu {rack.mtu}", "link set br0 up"]
    lines += [f"link set {port_name(h, v)} up" for h in _rack_hosts(topo, rack) for v in h.vmks]
    lines.append("link set up0 up")
    if rack.subnet is not None:
        lines.append(f"addr add {rack.gateway}/{rack.subnet.prefixlen} dev br0")
    if rack.subnet6 is not None:
        lines.append(f"addr add {rack.gateway6}/{rack.subnet6.prefixlen} dev br0 nodad")
    tor4, core4 = transit4(topo, rack)
    lines += [f"addr add {tor4}/30 dev up0", f"route add default via {core4} dev up0"]
    if _has_v6(topo):
        tor6, core6 = transit6(topo, rack)
        lines += [f"addr add {tor6}/64 dev up0 nodad", f"route add ::/0 via {core6} dev up0"]
    return lines


def _core_configure(topo: Topology) -> list[str]:
    lines = ["link set lo up"]
    for rack in topo.racks:
        link = f"r{rack.index}"
        tor4, core4 = transit4(topo, rack)
        lines += [f"link set {link} up", f"addr add {core4}/30 dev {link}"]
        if rack.subnet is not None:
            lines.append(f"route add {rack.subnet} via {tor4} dev {link}")
        if _has_v6(topo):
            tor6, core6 = transit6(topo, rack)
            lines.append(f"addr add {core6}/64 dev {link} nodad")
            if rack.subnet6 is not None:
                lines.append(f"route add {rack.subnet6} via {tor6} dev {link}")
    return lines


def _addresses(vmk: VmkSpec) -> list[str]:
    lines = []
    if vmk.ip is not None:
        lines.append(f"addr add {vmk.ip} dev {vmk.name}")
    if vmk.ip6 is not None:
        lines.append(f"addr add {vmk.ip6} dev {vmk.name} nodad")
    if vmk.enabled:
        lines.append(f"link set {vmk.name} up")
    return lines


def _host_default_configure(host: HostSpec) -> list[str]:
    lines = ["link set lo up", f"addr add {host.mgmt_ip} dev vmk0", "link set vmk0 up"]
    for vmk in host.default_vmks:
        lines += _addresses(vmk)
    return lines


def _host_vmotion_configure(host: HostSpec) -> tuple[list[str], list[str]]:
    """Addresses, then per vmk: main-table default (metric = vmk number) and a source-rule table.

    The main-table defaults serve pings bound to a device (SO_BINDTODEVICE, no source address yet); the
    rules make every packet carrying a vmk's address leave by that vmk, through its own gateway only.

    Returns (lines, IPv6 rule lines for `ip -6`)."""
    lines = ["link set lo up"]
    rules6: list[str] = []
    for vmk in host.vmotion_vmks:
        lines += _addresses(vmk)
    for vmk in host.vmotion_vmks:
        table, pref, metric = 100 + vmk.number, 1000 + vmk.number, vmk.number
        for family in Family:
            iface = vmk.address(family)
            if iface is None:
                continue
            default = "default" if family is Family.IPV4 else "::/0"
            gateway = host.vmk_gateway(vmk, family)
            lock = f" mtu lock {vmk.mtu}" if family is Family.IPV4 else ""
            if vmk.enabled:
                src = f" src {iface.ip}" if family is Family.IPV4 else ""  # v6: no carrier yet => tentative
                lines.append(f"route add {iface.network} dev {vmk.name}{src} table {table}")
                if gateway is not None:
                    lines.append(f"route add {default} via {gateway} dev {vmk.name} metric {metric}{lock}")
                    lines.append(f"route add {default} via {gateway} dev {vmk.name} table {table}{lock}")
            # traffic from the vmk's address uses its table or nothing ("Network is unreachable")
            rules = [
                f"rule add from {iface.ip} lookup {table} pref {pref}",
                f"rule add from {iface.ip} unreachable pref {pref + UNREACHABLE_PREF_OFFSET}",
            ]
            (lines if family is Family.IPV4 else rules6).extend(rules)
    return lines, rules6


def _blackhole_batches(topo: Topology, names: Names) -> list[Batch]:
    """Drop echo requests src->dst (only) on egress of the bridge port facing the dst vmk."""
    per_ns: dict[str, list[str]] = {}
    ready: set[str] = set()
    for prio, hole in enumerate(topo.blackholes, start=1):
        src_host, dst_host = topo.host(hole.src_host), topo.host(hole.dst_host)
        src, dst = src_host.vmk(hole.src_vmk), dst_host.vmk(hole.dst_vmk)
        ns = names.tor_ns(dst_host.rack)
        port = port_name(dst_host, dst)
        lines = per_ns.setdefault(ns, [])
        if port not in ready:
            ready.add(port)
            lines += [
                f"qdisc add dev {port} root handle 1: htb",
                f"class add dev {port} parent 1: classid 1:1 htb rate 8kbit quantum 1514",
                f"qdisc add dev {port} parent 1:1 handle 10: pfifo limit 0",
            ]
        lines += _blackhole_filters(port, prio * 10, src, dst)
    return [(ns, lines) for ns, lines in per_ns.items()]


def _blackhole_filters(port: str, prio: int, src: VmkSpec, dst: VmkSpec) -> list[str]:
    lines = []
    if src.ip is not None and dst.ip is not None:
        lines.append(
            f"filter add dev {port} parent 1: protocol ip prio {prio} u32 match ip src {src.ip.ip}/32 "
            f"match ip dst {dst.ip.ip}/32 match ip protocol 1 0xff match u16 0 0x1fff at 6 "
            "match u8 8 0xff at 20 flowid 1:1"
        )
    if src.ip6 is not None and dst.ip6 is not None:
        match = f"match ip6 src {src.ip6.ip}/128 match ip6 dst {dst.ip6.ip}/128"
        lines.append(
            f"filter add dev {port} parent 1: protocol ipv6 prio {prio + 1} u32 {match} "
            "match ip6 protocol 58 0xff match u8 128 0xff at 40 flowid 1:1"
        )
        lines.append(  # first fragment of a fragmented echo request
            f"filter add dev {port} parent 1: protocol ipv6 prio {prio + 2} u32 {match} "
            "match ip6 protocol 44 0xff match u8 58 0xff at 40 match u16 0 0xfff8 at 42 "
            "match u8 128 0xff at 48 flowid 1:1"
        )
    return lines


def _check_line(line: str) -> None:
    """Every token placed in an ip/tc batch must be a plain name, number or address."""
    for token in line.split(" "):
        if not _TOKEN.fullmatch(token):
            raise LabError(f"refusing to run a lab command with token {token!r}: {line!r}")


# ---------------------------------------------------------------- applying (I/O) ----


Log = Callable[[str], None]


def apply_plan(plan: NetPlan, log: Log) -> None:
    """Create the namespaces, then links, then addresses/routes, then traffic control."""
    room = neighbour_room(plan.neighbours, read_sysctls(
        [f"net/{proto}/neigh/default/{name}" for proto in ("ipv4", "ipv6") for name in ("gc_thresh2", "gc_thresh3")]))
    if room:
        write_sysctls(None, room)
        log(f"kernel neighbour tables raised for {plan.neighbours} entries: "
            + ", ".join(f"{key.replace('/', '.')}={value}" for key, value in room))
    run_batches([(None, [f"netns add {ns}" for ns in plan.namespaces])])
    for ns, items in plan.ns_sysctls.items():
        write_sysctls(ns, items)
    run_batches(plan.create)
    for maybe_ns, items in plan.iface_sysctls.items():
        write_sysctls(maybe_ns, items)
    run_batches(plan.configure)
    run_batches(plan.rules6, options=["-6"])
    run_batches(plan.tc, tool="tc")
    log(f"network: {len(plan.namespaces)} namespaces, {sum(len(b) for _, b in plan.configure)} settings")


def run_batches(
    batches: Sequence[Batch], tool: str = "ip", force: bool = False, limit: int = 8, options: Sequence[str] = ()
) -> None:
    """Run one ``ip -batch -`` (or tc) process per namespace, up to ``limit`` at a time."""
    pending = [b for b in batches if b[1]]
    errors: list[str] = []
    while pending:
        wave, pending = pending[:limit], pending[limit:]
        procs = []
        for ns, lines in wave:
            argv = [tool, *options] + (["-n", ns] if ns else []) + (["-force"] if force else []) + ["-batch", "-"]
            proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            procs.append((ns, proc, "\n".join(lines) + "\n"))
        for ns, proc, text in procs:
            _, err = proc.communicate(text)
            if proc.returncode != 0 and not force:
                errors.append(f"{tool} in {ns or 'the root namespace'}: {err.strip()}")
    if errors:
        raise LabError("building the lab network failed: " + "; ".join(errors))


_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise LabError(f"setns failed: {os.strerror(err)}")


@contextmanager
def in_netns(name: str | None) -> Iterator[None]:
    """Run the block (this thread) inside a named network namespace; None = stay."""
    if name is None:
        yield
        return
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        target = os.open(NETNS_DIR / name, os.O_RDONLY)
        try:
            _setns(target)
            try:
                yield
            finally:
                _setns(home)
        finally:
            os.close(target)
    finally:
        os.close(home)


def read_sysctls(keys: Iterable[str]) -> dict[str, int]:
    """Integer sysctls of the root namespace (those that cannot be read are left out)."""
    found = {}
    for key in keys:
        try:
            found[key] = int(Path("/proc/sys", key).read_text(encoding="ascii").split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return found


def write_sysctls(ns: str | None, items: Sysctls) -> None:
    with in_netns(ns):
        for key, value in items:
            try:
                Path("/proc/sys", key).write_text(value, encoding="ascii")
            except OSError as exc:
                raise LabError(f"sysctl {key.replace('/', '.')}={value} in {ns or 'root'}: {exc.strerror}") from exc
