"""What the lab engineered, derived from the topology alone (pure: no measurement).

For every directed pair of vmotion-stack vmks on different hosts that share an address family: whether the
network delivers echo requests and replies, the largest packet that passes with DF, whether it is routed, and
the verdict a correct validator must reach (DF test at the smaller of the two vmk MTUs).

``measurable`` is False for pairs touching a host whose sshd is stopped: a validator that learns vmks by
logging in cannot plan them (those from such a host are still listed as error/host-error). A validator that
probes through vCenter needs no sshd (``truth_pairs(topo, ssh=False)``): its pairs are judged by the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from validator.lab.topology import HostSpec, Topology, VmkSpec
from validator.models import Family, PairStatus, Reason

SCHEMA = "vmotion-validator/lab-ground-truth/v1"


@dataclass(frozen=True)
class TruthPair:
    src_host: str
    src_vmk: str
    src_ip: str
    dst_host: str
    dst_vmk: str
    dst_ip: str
    family: Family
    reachable: bool
    max_mtu: int | None
    routed: bool
    expected_status: PairStatus
    expected_reason: Reason | None
    measurable: bool = True  # False when either host's sshd is stopped: its vmks cannot be discovered

    def to_json(self) -> dict[str, Any]:
        return {
            "src_host": self.src_host,
            "src_vmk": self.src_vmk,
            "src_ip": self.src_ip,
            "dst_host": self.dst_host,
            "dst_vmk": self.dst_vmk,
            "dst_ip": self.dst_ip,
            "family": self.family.value,
            "reachable": self.reachable,
            "max_mtu": self.max_mtu,
            "routed": self.routed,
            "expected_status": self.expected_status.value,
            "expected_reason": self.expected_reason.value if self.expected_reason else None,
            "measurable": self.measurable,
        }


@dataclass(frozen=True)
class ExpectedFinding:
    host: str
    vmk: str | None
    kind: str

    def to_json(self) -> dict[str, Any]:
        return {"host": self.host, "vmk": self.vmk, "kind": self.kind}


def ground_truth(topo: Topology) -> dict[str, Any]:
    """The JSON document written to STATE/ground_truth.json."""
    return {
        "schema": SCHEMA,
        "topology": topo.source,
        "pairs": [p.to_json() for p in truth_pairs(topo)],
        "findings_expected": [f.to_json() for f in expected_findings(topo)],
    }


def truth_pairs(topo: Topology, *, ssh: bool = True) -> list[TruthPair]:
    """Every directed vmotion vmk pair across hosts, one entry per shared family, in topology order
    (``ssh``: as a validator probing over SSH sees them, else as one probing through vCenter)."""
    pairs: list[TruthPair] = []
    for src_host in topo.hosts:
        for src in src_host.vmotion_vmks:
            for dst_host in topo.hosts:
                if dst_host.name == src_host.name:
                    continue
                for dst in dst_host.vmotion_vmks:
                    for family in Family:
                        if src.address(family) is not None and dst.address(family) is not None:
                            pairs.append(judge(topo, src_host, src, dst_host, dst, family=family, ssh=ssh))
    return pairs


def path_mtus(topo: Topology, src_host: HostSpec, dst_host: HostSpec) -> list[int]:
    """MTU of every link between two hosts' vmotion vmks (segment, uplinks, segment)."""
    src_rack = topo.rack(src_host.rack)
    if src_host.rack == dst_host.rack:
        return [src_rack.mtu]
    dst_rack = topo.rack(dst_host.rack)
    return [src_rack.mtu, src_rack.uplink_mtu, dst_rack.uplink_mtu, dst_rack.mtu]


def is_blackholed(topo: Topology, src_host: str, src_vmk: str, dst_host: str, dst_vmk: str) -> bool:
    return any(
        (b.src_host, b.src_vmk, b.dst_host, b.dst_vmk) == (src_host, src_vmk, dst_host, dst_vmk)
        for b in topo.blackholes
    )


def judge(
    topo: Topology, src_host: HostSpec, src: VmkSpec, dst_host: HostSpec, dst: VmkSpec, *, family: Family,
    ssh: bool = True,
) -> TruthPair:
    """The engineered truth for one directed pair in one family (``ssh``: probed over SSH)."""
    src_ip = src.address(family)
    dst_ip = dst.address(family)
    assert src_ip is not None and dst_ip is not None
    routed = src_host.rack != dst_host.rack
    reason = _blocking_reason(topo, src_host, src, dst_host, dst, family=family, routed=routed)
    reachable = reason is None
    max_mtu = min(src.mtu, dst.mtu, *path_mtus(topo, src_host, dst_host)) if reachable else None
    if max_mtu is not None and max_mtu < min(src.mtu, dst.mtu):
        reason = Reason.PATH_MTU
    status = PairStatus.PASS if reason is None else PairStatus.FAIL
    if ssh and not src_host.sshd:
        status, reason = PairStatus.ERROR, Reason.HOST_ERROR
    return TruthPair(
        src_host=src_host.name,
        src_vmk=src.name,
        src_ip=str(src_ip.ip),
        dst_host=dst_host.name,
        dst_vmk=dst.name,
        dst_ip=str(dst_ip.ip),
        family=family,
        reachable=reachable,
        max_mtu=max_mtu,
        routed=routed,
        expected_status=status,
        expected_reason=reason,
        measurable=(src_host.sshd and dst_host.sshd) or not ssh,
    )


def _blocking_reason(
    topo: Topology,
    src_host: HostSpec,
    src: VmkSpec,
    dst_host: HostSpec,
    dst: VmkSpec,
    *,
    family: Family,
    routed: bool,
) -> Reason | None:
    """Why echo requests or replies cannot make the trip, None when they can."""
    if not src.enabled:
        return Reason.VMK_DOWN
    if routed and src_host.vmk_gateway(src, family) is None:
        return Reason.NO_ROUTE
    if routed and not gateway_answers(topo, src_host, src, family):
        return Reason.ARP  # the next hop does not answer ARP/ND: 'Host is down'
    if not dst.enabled:
        return Reason.UNREACHABLE if routed else Reason.ARP
    if routed and not gateway_answers(topo, dst_host, dst, family):
        return Reason.UNREACHABLE  # the reply has no way back
    if is_blackholed(topo, src_host.name, src.name, dst_host.name, dst.name):
        return Reason.UNREACHABLE
    return None


def gateway_answers(topo: Topology, host: HostSpec, vmk: VmkSpec, family: Family) -> bool:
    """Whether the gateway this vmk uses in ``family`` is the rack router's address (False: none, or nobody's)."""
    gateway = host.vmk_gateway(vmk, family)
    rack = topo.rack(host.rack)
    return gateway is not None and gateway == (rack.gateway if family is Family.IPV4 else rack.gateway6)


def gateway_findings(topo: Topology, host: HostSpec) -> list[ExpectedFinding]:
    """What the gateway probe must find on one host: per enabled vmotion vmk and family with a gateway, a
    gateway nobody answers at, or a segment (the hop between the vmk and its gateway) below the vmk's MTU."""
    found: list[ExpectedFinding] = []
    rack = topo.rack(host.rack)
    for vmk in host.vmotion_vmks:
        kinds = []
        for family in Family:
            if not vmk.enabled or host.vmk_gateway(vmk, family) is None:
                continue
            if not gateway_answers(topo, host, vmk, family):
                kinds.append("gateway-unreachable")
            elif vmk.mtu > rack.mtu:
                kinds.append("gateway-mtu")
        found += [ExpectedFinding(host.name, vmk.name, kind) for kind in dict.fromkeys(kinds)]
    return found


def expected_findings(topo: Topology) -> list[ExpectedFinding]:
    """Configuration findings a validator should report (nothing but sshd-stopped for an unreachable host)."""
    found: list[ExpectedFinding] = []
    for host in topo.hosts:
        if not host.sshd:
            found.append(ExpectedFinding(host.name, None, "sshd-stopped"))
            continue
        vmotion = host.vmotion_vmks
        if (any(v.ip for v in vmotion) and host.gateway is None) or (
            any(v.ip6 for v in vmotion) and host.gateway6 is None
        ):
            found.append(ExpectedFinding(host.name, None, "no-gateway"))
        found += gateway_findings(topo, host)
        for vmk in host.vmks:
            if not vmk.enabled:
                found.append(ExpectedFinding(host.name, vmk.name, "vmk-disabled"))
            if not vmk.on_vmotion and "VMotion" in vmk.tags:
                found.append(ExpectedFinding(host.name, vmk.name, "vmk-tag-on-default-stack"))
            if vmk.on_vmotion and set(vmk.tags) - {"VMotion"}:
                found.append(ExpectedFinding(host.name, vmk.name, "extra-service-on-vmotion-vmk"))
    return found
