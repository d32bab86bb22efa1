"""Typed values that flow inventory -> discovery -> planner -> runner -> checks -> reports.

Every failure below the run level is a value (a host status, a pair status with a reason),
never an exception that stops the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface

IPAddress = IPv4Address | IPv6Address
IPInterface = IPv4Interface | IPv6Interface

REPORT_SCHEMA = "vmotion-validator/report/v1"
VMOTION_NETSTACK = "vmotion"
DEFAULT_NETSTACK = "defaultTcpipStack"


class HostStatus(StrEnum):
    OK = "ok"
    UNREACHABLE = "unreachable"
    AUTH_FAILED = "auth-failed"
    HOST_KEY = "host-key"
    ERROR = "error"


class PairStatus(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    ERROR = "error"


class Reason(StrEnum):
    """Why a pair did not pass."""

    LOCAL_MTU = "local-mtu"  # sendto() failed (Message too long): packet above the source vmk MTU
    PATH_MTU = "path-mtu"  # small packets pass, the DF packet at full MTU is lost: a hop's MTU
    NO_ROUTE = "no-route"  # sendto() failed (Network is unreachable): gateway missing or wrong
    ARP = "arp"  # sendto() failed (Host is down): on-link peer does not answer ARP
    LOSS = "loss"  # some replies lost
    UNREACHABLE = "unreachable"  # every reply lost
    UNKNOWN_VMK = "unknown-vmk"  # vmkping rejected the source interface
    VMK_DOWN = "vmk-down"  # sendto() failed (Network is down): source vmk disabled
    NETSTACK_MISSING = "netstack-missing"  # *** vmkernel stack not configured ***: no such stack on the source
    HOST_ERROR = "host-error"  # the source host could not be reached or the command failed
    PARSE_ERROR = "parse-error"  # the output could not be parsed (raw output kept)
    NOT_PROBED = "not-probed"  # the run was interrupted before the pair's outcome came back


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class ConnectionState(StrEnum):
    """A host's connection to vCenter (vim.HostSystem.ConnectionState)."""

    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    NOT_RESPONDING = "notResponding"


class LockdownMode(StrEnum):
    """A host's lockdown mode (vim.host.HostAccessManager.LockdownMode)."""

    DISABLED = "lockdownDisabled"
    NORMAL = "lockdownNormal"
    STRICT = "lockdownStrict"


class Family(StrEnum):
    IPV4 = "ipv4"
    IPV6 = "ipv6"

    @property
    def label(self) -> str:
        """``IPv4`` or ``IPv6``, as messages write it."""
        return "IPv4" if self is Family.IPV4 else "IPv6"

    @property
    def header_bytes(self) -> int:
        """IP + ICMP header bytes: payload = MTU - header_bytes."""
        return 28 if self is Family.IPV4 else 48

    @classmethod
    def of(cls, address: IPAddress | IPInterface) -> Family:
        return cls.IPV4 if address.version == 4 else cls.IPV6


@dataclass(frozen=True, slots=True)
class Vmk:
    """A VMkernel adapter as discovered on a host."""

    name: str
    netstack: str
    mtu: int
    enabled: bool = True
    addresses: tuple[IPInterface, ...] = ()
    gateway: IPAddress | None = None  # per-vmk gateway override (ESXi 6.5+), None when not set
    tags: tuple[str, ...] = ()
    portgroup: str | None = None
    mac: str | None = None

    @property
    def ip(self) -> IPAddress | None:
        """The primary address (IPv4 first), as shown in reports."""
        iface = self.primary
        return iface.ip if iface is not None else None

    @property
    def prefix(self) -> int | None:
        iface = self.primary
        return iface.network.prefixlen if iface is not None else None

    @property
    def primary(self) -> IPInterface | None:
        v4: list[IPInterface] = [a for a in self.addresses if a.version == 4]
        candidates = v4 or list(self.addresses)
        return candidates[0] if candidates else None

    def address(self, family: Family) -> IPInterface | None:
        """First address of one family (link-local IPv6 excluded)."""
        for iface in self.addresses:
            if Family.of(iface) is family and not iface.ip.is_link_local:
                return iface
        return None


@dataclass(frozen=True, slots=True)
class ExpectedVmk:
    """A vMotion vmk as the inventory declares it; ``mtu`` None when not declared."""

    name: str
    addresses: tuple[IPInterface, ...] = ()
    mtu: int | None = None

    def as_vmk(self, netstack: str = VMOTION_NETSTACK) -> Vmk:
        """The declared vmk as a found one would look (planning a host that could not be discovered)."""
        return Vmk(name=self.name, netstack=netstack, mtu=self.mtu or 1500, addresses=self.addresses,
                   tags=("VMotion",))


@dataclass(frozen=True, slots=True)
class HostTarget:
    """One host of the inventory: where to connect."""

    name: str
    address: str
    port: int = 22


@dataclass(frozen=True, slots=True)
class VCenterVmk:
    """A vmk as vCenter describes it; ``services`` are the vCenter service (nicType) names selected on it."""

    name: str
    netstack: str
    mtu: int
    addresses: tuple[IPInterface, ...] = ()
    gateway: IPAddress | None = None  # per-vmk gateway override
    services: tuple[str, ...] = ()  # e.g. ("vmotion",), ("management", "vsan")
    portgroup: str | None = None
    mac: str | None = None


@dataclass(frozen=True, slots=True)
class VCenterStack:
    """A TCP/IP stack instance of a host as vCenter describes it."""

    key: str
    gateway: IPAddress | None = None
    gateway6: IPAddress | None = None


@dataclass(frozen=True, slots=True)
class VCenterVm:
    """A virtual machine registered on a host, and the names of its networks."""

    name: str
    networks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VCenterFacts:
    """What vCenter knows about one host (vCenter has no enabled flag per vmk: every vmk it lists is configured)."""

    connection_state: ConnectionState = ConnectionState.CONNECTED
    in_maintenance: bool = False
    lockdown_mode: LockdownMode = LockdownMode.DISABLED
    ssh_running: bool | None = None  # the TSM-SSH service; None when vCenter did not say
    datacenter: str | None = None
    vmks: tuple[VCenterVmk, ...] = ()
    netstacks: tuple[VCenterStack, ...] = ()
    portgroups: tuple[str, ...] = ()  # every network the host can attach a VM to
    vms: tuple[VCenterVm, ...] = ()

    @property
    def connected(self) -> bool:
        return self.connection_state is ConnectionState.CONNECTED

    @property
    def locked_down(self) -> bool:
        return self.lockdown_mode is not LockdownMode.DISABLED

    def vmk(self, name: str) -> VCenterVmk | None:
        return next((v for v in self.vmks if v.name == name), None)

    def stack(self, key: str) -> VCenterStack | None:
        return next((s for s in self.netstacks if s.key == key), None)


@dataclass(frozen=True, slots=True)
class GatewayProbe:
    """One vmotion-stack vmk's ping to its own gateway: small packets, then DF at the vmk's MTU.

    ``reachable`` None: the probe ran but gave no verdict (``detail`` says why); ``mtu_ok`` None: the DF
    probe did not run (nothing came back to the small one).
    """

    vmk: str
    family: Family
    gateway: IPAddress
    mtu: int  # the packet size of the DF probe: the vmk's MTU
    reachable: bool | None
    mtu_ok: bool | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class HostInfo:
    """What discovery learned about one host; status says whether it could."""

    name: str
    address: str
    status: HostStatus = HostStatus.OK
    error: str | None = None
    netstack: str = VMOTION_NETSTACK
    netstack_present: bool = True
    gateway: IPAddress | None = None  # default IPv4 gateway of the probed stack
    gateway6: IPAddress | None = None  # default IPv6 gateway of the probed stack
    vmks: tuple[Vmk, ...] = ()  # vmks on the probed stack
    other_vmks: tuple[Vmk, ...] = ()  # vmks on every other stack (for configuration checks)
    netstacks: tuple[str, ...] = ()
    expected_vmks: tuple[ExpectedVmk, ...] | None = None  # what the inventory declares (None: nothing)
    cluster: str | None = None  # the mesh is planned within each cluster
    vcenter: VCenterFacts | None = None  # vCenter's view of the host, when vCenter is the source
    gateway_probes: tuple[GatewayProbe, ...] = ()  # each vmk's ping to its own gateway (empty: not probed)
    raw: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status is HostStatus.OK

    def gateway_probe(self, vmk: str, family: Family) -> GatewayProbe | None:
        """The gateway probe of one vmk in one family, None when it was not probed."""
        return next((g for g in self.gateway_probes if g.vmk == vmk and g.family is family), None)


@dataclass(frozen=True, slots=True)
class PingStats:
    """A parsed vmkping run."""

    target: str
    payload: int
    transmitted: int
    received: int
    loss_pct: float
    errors: tuple[str, ...] = ()  # reasons of 'sendto() failed (...)' lines, in order
    ttls: tuple[int, ...] = ()  # TTL (hop limit) of each reply
    rtt_min_ms: float | None = None
    rtt_avg_ms: float | None = None
    rtt_max_ms: float | None = None

    @property
    def ttl(self) -> int | None:
        return self.ttls[0] if self.ttls else None


@dataclass(frozen=True, slots=True)
class PairPlan:
    """One directed vmk -> vmk probe of the full mesh."""

    src_host: str
    src_vmk: str
    src_ip: IPAddress
    dst_host: str
    dst_vmk: str
    dst_ip: IPAddress
    family: Family
    mtu: int  # the smaller of the two vmks' MTUs: the DF test size
    src_prefix: int | None = None  # prefix length of the source vmk's address (routed-by-subnet evidence)

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.src_host, self.src_vmk, self.dst_host, self.dst_vmk, self.family.value)


@dataclass(frozen=True, slots=True)
class PairResult:
    """The verdict on one directed pair."""

    plan: PairPlan
    status: PairStatus
    reason: Reason | None = None
    detail: str | None = None
    reachable: bool | None = None
    loss_pct: float | None = None
    rtt_min_ms: float | None = None
    rtt_avg_ms: float | None = None
    rtt_max_ms: float | None = None
    ttl: int | None = None
    routed: bool | None = None
    routed_by: str | None = None  # evidence for ``routed``: "ttl" (reply TTL) or "subnet" (vmk prefixes)
    mtu_tested: int | None = None
    mtu_ok: bool | None = None
    max_mtu: int | None = None
    raw: dict[str, str] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Finding:
    """A configuration observation made by a check."""

    check: str
    severity: Severity
    message: str
    host: str | None = None
    vmk: str | None = None


@dataclass(frozen=True, slots=True)
class MigrationPlan:
    """A migration the run is planned for: the hosts of each side (by their names in the run) and how they
    are paired. ``source``/``target`` are the scopes as written (``vc01/DC1/Old-A``)."""

    source: str
    target: str
    source_hosts: tuple[str, ...]
    target_hosts: tuple[str, ...]
    both_ways: bool = True  # target -> source pairs too (False: ``--one-way``)
    within: bool = True  # each side also meshed inside its own clusters (False: ``--between-only``)

    def side_of(self, host: str) -> str | None:
        """``"source"``, ``"target"`` or None (a host in neither scope)."""
        if host in self.source_hosts:
            return "source"
        return "target" if host in self.target_hosts else None


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """Thresholds the checks judge by (an inventory's optional ``[checks]`` table)."""

    max_rtt_ms: float = 150.0  # vMotion (long-distance included) supports up to 150 ms round trip
    expected_mtu: int | None = None  # every vMotion vmk should have this MTU (None: only consistency)
    migration: MigrationPlan | None = None  # the run's migration plan (set by the run, not the inventory)
