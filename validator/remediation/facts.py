"""Lookups over one run's results that the steps are made from: hosts, vmks, subnets, gateways."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network

from checks._base import all_vmks
from validator.models import Family, Finding, HostInfo, IPAddress, PairResult, Vmk

Network = IPv4Network | IPv6Network


class Facts:
    """Lookups over one run's results."""

    def __init__(self, hosts: Sequence[HostInfo], pairs: Sequence[PairResult], findings: Sequence[Finding]) -> None:
        self.hosts = {h.name: h for h in hosts}
        self.pairs = {p.plan.key: p for p in pairs}
        self.findings = findings
        self.flagged = {(f.check, f.host, f.vmk) for f in findings if f.host}
        self._vmks: dict[tuple[str, str], Vmk] = {}
        for h in hosts:
            for v in reversed(all_vmks(h)):  # the probed stack's vmk wins a name both stacks list
                self._vmks[(h.name, v.name)] = v
    def host(self, name: str) -> HostInfo | None:
        return self.hosts.get(name)

    def vmk(self, host: str, name: str | None) -> Vmk | None:
        return None if name is None else self._vmks.get((host, name))

    def network(self, host: str, vmk: str, family: Family) -> Network | None:
        found = self.vmk(host, vmk)
        iface = found.address(family) if found is not None else None
        return iface.network if iface is not None else None

    def stack_vmks(self) -> Iterable[tuple[HostInfo, Vmk]]:
        return ((h, v) for h in self.hosts.values() if h.ok for v in h.vmks)

    def intended_mtu(self) -> int | None:
        """The MTU most vMotion vmks use (a strict majority), None when there is none."""
        counts = Counter(v.mtu for _, v in self.stack_vmks())
        if not counts:
            return None
        (mtu, n), *rest = counts.most_common()
        return mtu if not rest or n > rest[0][1] else None


def stack_gateway(host: HostInfo, family: Family) -> IPAddress | None:
    return host.gateway if family is Family.IPV4 else host.gateway6


def overrides(vmk: Vmk, family: Family) -> bool:
    return vmk.gateway is not None and Family.of(vmk.gateway) is family


def gateway_of(host: HostInfo, vmk: Vmk, family: Family) -> IPAddress | None:
    """The gateway traffic from ``vmk`` uses: its override, else the stack's."""
    return vmk.gateway if overrides(vmk, family) else stack_gateway(host, family)


def on_link(gateway: IPAddress, vmks: Iterable[Vmk]) -> bool:
    if gateway.is_link_local:
        return True
    return any(a.version == gateway.version and gateway in a.network for v in vmks for a in v.addresses)


def label(family: Family) -> str:
    return "IPv4" if family is Family.IPV4 else "IPv6"


def where(host: str, vmk: str | None) -> str:
    return f"{host}:{vmk}" if vmk else host


def names(items: Iterable[str]) -> str:
    return ", ".join(sorted(set(items)))


@dataclass(frozen=True)
class PeerGateway:
    gateway: IPAddress
    peers: tuple[str, ...]
    network: Network


def peer_gateway(
    facts: Facts, host: HostInfo, family: Family, vmks: Sequence[Vmk] | None = None
) -> PeerGateway | None:
    """The one gateway the other hosts on the same subnet as ``vmks`` (default: the host's) use, if they agree."""
    own = vmks if vmks is not None else host.vmks
    nets = {iface.network for v in own if (iface := v.address(family)) is not None}
    found: dict[tuple[IPAddress, Network], set[str]] = {}
    for other, vmk in facts.stack_vmks():
        iface = vmk.address(family)
        if other.name == host.name or iface is None or iface.network not in nets:
            continue
        gateway = gateway_of(other, vmk, family)
        if gateway is not None and gateway in iface.network:
            found.setdefault((gateway, iface.network), set()).add(other.name)
    if len({gw for gw, _ in found}) != 1:
        return None
    (gateway, net), peers = next(iter(found.items()))
    return PeerGateway(gateway, tuple(sorted(peers)), net)
