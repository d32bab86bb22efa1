"""Next steps: from a run's hosts, pairs and findings, what to change or check, where, and with which command.

Pure: reads the measured facts, returns :class:`NextStep` values; nothing is run. Each step names what it
fixes (finding checks, pair reasons), the host and vmk, the esxcli command(s) to run on the host and the
PowerCLI equivalent where vCenter holds the setting, filled in with discovered values (validated and quoted
by :mod:`validator.esxi.changes`). A change is proposed only when the facts justify its values: a gateway is
the one the host's subnet peers use, an MTU the one the inventory expects or most vMotion vmks have.
Otherwise the step says what to decide or check, without a command. Causes on the network (path MTU, lost
echoes, no return route) say what to check between which addresses. One fix that clears forty pairs is
one step listing the forty pairs.
"""

from __future__ import annotations

import re
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from ipaddress import IPv4Interface, IPv4Network, IPv6Network, ip_network
from typing import TYPE_CHECKING, Any

from checks._base import all_vmks, service_tags
from validator.errors import CommandValueError
from validator.esxi import changes
from validator.esxi.commands import payload_for_mtu
from validator.models import (
    VMOTION_NETSTACK,
    Family,
    Finding,
    HostInfo,
    HostStatus,
    IPAddress,
    PairResult,
    PairStatus,
    Reason,
    Severity,
    Vmk,
)

if TYPE_CHECKING:
    from validator.report import Report

__all__ = ["GATEWAY_MTU", "GATEWAY_UNREACHABLE", "NextStep", "Owner", "PairKey", "for_report", "next_steps"]

PairKey = tuple[str, str, str, str, str]  # PairPlan.key: src host, src vmk, dst host, dst vmk, family
Network = IPv4Network | IPv6Network

GATEWAY_UNREACHABLE = "gateway_unreachable"  # the source vmk gets no answer from its stack gateway
GATEWAY_MTU = "gateway_mtu"  # DF at the vmk's MTU to its gateway is lost

_SAMPLES = 3  # address pairs named in a network step


class Owner(StrEnum):
    """Who applies a step: on the host (esxcli), in vCenter (PowerCLI), on the network, or on the run."""

    HOST = "host"
    VCENTER = "vcenter"
    NETWORK = "network"
    RUN = "run"


@dataclass(frozen=True, slots=True)
class NextStep:
    """One thing to do; ``pairs`` and ``findings`` (indexes into the report's findings) are what it clears."""

    action: str
    summary: str
    owner: Owner
    host: str | None = None
    vmk: str | None = None
    esxcli: tuple[str, ...] = ()  # to run on ``host``, in order
    powercli: tuple[str, ...] = ()  # the same change made through vCenter
    checks: tuple[str, ...] = ()  # what to verify or decide, in words
    fixes: tuple[str, ...] = ()  # finding checks and pair reasons it addresses
    pairs: tuple[PairKey, ...] = ()
    findings: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "summary": self.summary,
            "owner": self.owner.value,
            "host": self.host,
            "vmk": self.vmk,
            "esxcli": list(self.esxcli),
            "powercli": list(self.powercli),
            "checks": list(self.checks),
            "fixes": list(self.fixes),
            "pair_count": len(self.pairs),
            "pairs": [list(key) for key in self.pairs],
            "findings": list(self.findings),
        }


_last: tuple[weakref.ref[Report], tuple[NextStep, ...]] | None = None


def for_report(report: Report) -> tuple[NextStep, ...]:
    """The next steps of a report (the last report's are kept: writing every format computes them once)."""
    global _last  # noqa: PLW0603 - a one-entry cache
    if _last is not None and _last[0]() is report:
        return _last[1]
    steps = next_steps(report.hosts, report.pairs, report.findings)
    _last = (weakref.ref(report), steps)
    return steps


def next_steps(
    hosts: Sequence[HostInfo], pairs: Sequence[PairResult], findings: Sequence[Finding]
) -> tuple[NextStep, ...]:
    """Every next step for the failing pairs and the findings, biggest first; each of them is in one at least."""
    facts = _Facts(hosts, pairs, findings)
    plan = _Plan()
    for index, finding in enumerate(findings):
        for key, make in _finding_steps(facts, finding):
            plan.add(key, make, finding.check, finding=index)
    for pair in pairs:
        if pair.status is PairStatus.PASS:
            continue
        label = pair.reason.value if pair.reason else pair.status.value
        for key, make in _pair_steps(facts, pair):
            if key == _DEFERRED:
                plan.path_mtu.append(pair)
            else:
                plan.add(key, make, label, pair=pair.plan.key)
    for key, make in _path_mtu_steps(facts, plan):
        for pair in plan.path_mtu_groups.pop(key, []):
            plan.add(key, make, Reason.PATH_MTU.value, pair=pair.plan.key)
    return plan.steps()


# --- facts


class _Facts:
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


def _stack_gateway(host: HostInfo, family: Family) -> IPAddress | None:
    return host.gateway if family is Family.IPV4 else host.gateway6


def _overrides(vmk: Vmk, family: Family) -> bool:
    return vmk.gateway is not None and Family.of(vmk.gateway) is family


def _gateway_of(host: HostInfo, vmk: Vmk, family: Family) -> IPAddress | None:
    """The gateway traffic from ``vmk`` uses: its override, else the stack's."""
    return vmk.gateway if _overrides(vmk, family) else _stack_gateway(host, family)


def _on_link(gateway: IPAddress, vmks: Iterable[Vmk]) -> bool:
    if gateway.is_link_local:
        return True
    return any(a.version == gateway.version and gateway in a.network for v in vmks for a in v.addresses)


def _label(family: Family) -> str:
    return "IPv4" if family is Family.IPV4 else "IPv6"


def _where(host: str, vmk: str | None) -> str:
    return f"{host}:{vmk}" if vmk else host


def _names(items: Iterable[str]) -> str:
    return ", ".join(sorted(set(items)))


@dataclass(frozen=True)
class _PeerGateway:
    gateway: IPAddress
    peers: tuple[str, ...]
    network: Network


def _peer_gateway(
    facts: _Facts, host: HostInfo, family: Family, vmks: Sequence[Vmk] | None = None
) -> _PeerGateway | None:
    """The one gateway the other hosts on the same subnet as ``vmks`` (default: the host's) use, if they agree."""
    own = vmks if vmks is not None else host.vmks
    nets = {iface.network for v in own if (iface := v.address(family)) is not None}
    found: dict[tuple[IPAddress, Network], set[str]] = {}
    for other, vmk in facts.stack_vmks():
        iface = vmk.address(family)
        if other.name == host.name or iface is None or iface.network not in nets:
            continue
        gateway = _gateway_of(other, vmk, family)
        if gateway is not None and gateway in iface.network:
            found.setdefault((gateway, iface.network), set()).add(other.name)
    if len({gw for gw, _ in found}) != 1:
        return None
    (gateway, net), peers = next(iter(found.items()))
    return _PeerGateway(gateway, tuple(sorted(peers)), net)


# --- the plan: steps by key, each with what it clears


Maker = Callable[[], NextStep]
StepKey = tuple[object, ...]
Steps = list[tuple[StepKey, Maker]]


@dataclass
class _Entry:
    step: NextStep
    fixes: dict[str, None] = field(default_factory=dict)
    pairs: list[PairKey] = field(default_factory=list)
    findings: list[int] = field(default_factory=list)


class _Plan:
    def __init__(self) -> None:
        self.entries: dict[StepKey, _Entry] = {}
        self.path_mtu: list[PairResult] = []  # path-mtu pairs no host fix explains: grouped at the end
        self.path_mtu_groups: dict[StepKey, list[PairResult]] = {}

    def add(self, key: StepKey, make: Maker, fixes: str, *, pair: PairKey | None = None,
            finding: int | None = None) -> None:
        entry = self.entries.get(key)
        if entry is None:
            try:
                step = make()
            except CommandValueError as exc:  # a discovered value no command may carry: say so, run nothing
                step = NextStep(action="manual", owner=Owner.RUN,
                                summary=f"a value found on the host cannot be placed in a command ({exc}): "
                                        "check this by hand")
            entry = self.entries[key] = _Entry(step)
        entry.fixes.setdefault(fixes)
        if pair is not None:
            entry.pairs.append(pair)
        if finding is not None and finding not in entry.findings:
            entry.findings.append(finding)

    def steps(self) -> tuple[NextStep, ...]:
        done = [replace(e.step, fixes=tuple(e.fixes), pairs=tuple(e.pairs), findings=tuple(e.findings))
                for e in self.entries.values()]
        done.sort(key=lambda s: (-len(s.pairs), -len(s.findings), s.host or "", s.vmk or "", s.summary))
        return tuple(done)


_DEFERRED: StepKey = ("deferred",)


# --- steps on a host


def _add_gateway(facts: _Facts, host: HostInfo, family: Family) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        peer = _peer_gateway(facts, host, family)
        stack = host.netstack
        if peer is not None:
            return NextStep(
                action="add-gateway", owner=Owner.HOST, host=host.name,
                summary=f"{host.name}: add the {_label(family)} default gateway {peer.gateway} to the {stack} stack "
                        f"(the gateway {_names(peer.peers)} use on {peer.network})",
                esxcli=(changes.route_add(stack, family, peer.gateway),),
                powercli=(changes.ps_stack_gateway(host.name, stack, family, peer.gateway),),
                checks=(f"then `esxcli network ip route {family.value} list -N {stack}` shows the default route",),
            )
        nets = _names(str(i.network) for v in host.vmks if (i := v.address(family)) is not None)
        return NextStep(
            action="add-gateway", owner=Owner.HOST, host=host.name,
            summary=f"{host.name}: add an {_label(family)} default gateway to the {stack} stack: the router's "
                    f"address on {nets or 'the vmks subnet'} (no peer on that subnet shows which it is)",
            checks=(f"esxcli network ip route {family.value} add -N {stack} -n "
                    f"{'default' if family is Family.IPV4 else '::/0'} -g <router address>",),
        )

    return ("add-gateway", host.name, family), make


def _replace_gateway(facts: _Facts, host: HostInfo, family: Family) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        old = _stack_gateway(host, family)
        users = [v for v in host.vmks if v.address(family) is not None and not _overrides(v, family)]
        peer = _peer_gateway(facts, host, family, users)
        stack = host.netstack
        if old is not None and peer is not None and peer.gateway != old:
            return NextStep(
                action="replace-gateway", owner=Owner.HOST, host=host.name,
                summary=f"{host.name}: replace the {_label(family)} default gateway {old} of the {stack} stack "
                        f"(not on any of its vmks' subnets) by {peer.gateway}, the gateway {_names(peer.peers)} use "
                        f"on {peer.network}",
                esxcli=(changes.route_remove(stack, family, old), changes.route_add(stack, family, peer.gateway)),
                powercli=(changes.ps_stack_gateway(host.name, stack, family, peer.gateway),),
            )
        return NextStep(
            action="replace-gateway", owner=Owner.HOST, host=host.name,
            summary=f"{host.name}: the {_label(family)} default gateway {old} of the {stack} stack is not on the "
                    "subnet of any vmk using it: set the router's address on their subnet",
        )

    return ("replace-gateway", host.name, family), make


def _vmk_gateway(facts: _Facts, host: HostInfo, vmk: Vmk) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        iface = vmk.address(Family.IPV4)
        peer = _peer_gateway(facts, host, Family.IPV4, [vmk])
        if isinstance(iface, IPv4Interface) and peer is not None and peer.gateway != vmk.gateway:
            assert peer.gateway.version == 4
            return NextStep(
                action="set-vmk-gateway", owner=Owner.HOST, host=host.name, vmk=vmk.name,
                summary=f"{_where(host.name, vmk.name)}: set its gateway override to {peer.gateway} (the gateway "
                        f"{_names(peer.peers)} use on {peer.network}) instead of {vmk.gateway}",
                esxcli=(changes.ipv4_set(vmk.name, iface, str(peer.gateway)),),
            )
        return NextStep(
            action="set-vmk-gateway", owner=Owner.HOST, host=host.name, vmk=vmk.name,
            summary=f"{_where(host.name, vmk.name)}: its gateway override {vmk.gateway} is not on its subnet: set the "
                    "router's address on that subnet (or remove the override)",
        )

    return ("set-vmk-gateway", host.name, vmk.name), make


def _enable_vmk(host: str, vmk: str) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        return NextStep(
            action="enable-vmk", owner=Owner.HOST, host=host, vmk=vmk,
            summary=f"{_where(host, vmk)}: enable the vmk (it is administratively down)",
            esxcli=(changes.interface_enable(vmk),),
        )

    return ("enable-vmk", host, vmk), make


def _remove_tag(host: HostInfo, vmk: Vmk, tag: str, why: str) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        ps = changes.ps_service_off(host.name, vmk.name, tag)
        return NextStep(
            action="remove-tag", owner=Owner.HOST, host=host.name, vmk=vmk.name,
            summary=f"{_where(host.name, vmk.name)}: remove the {tag} tag: {why}",
            esxcli=(changes.tag_remove(vmk.name, tag),),
            powercli=(ps,) if ps else (),
        )

    return ("remove-tag", host.name, vmk.name, tag.casefold()), make


def _set_mtu(host: str, vmk: Vmk, mtu: int, why: str) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        switch = f"port group {vmk.portgroup!r}" if vmk.portgroup else "the vmk's port group"
        payload = payload_for_mtu(mtu, Family.IPV4)
        return NextStep(
            action="set-mtu", owner=Owner.HOST, host=host, vmk=vmk.name,
            summary=f"{_where(host, vmk.name)}: set the MTU to {mtu} (now {vmk.mtu}): {why}",
            esxcli=(changes.interface_mtu(vmk.name, mtu),),
            powercli=(changes.ps_vmk_mtu(host, vmk.name, mtu),),
            checks=(
                f"the switch carrying {switch} must allow {mtu} too: a standard vSwitch with `esxcli network "
                f"vswitch standard set -v <vSwitch> -m {mtu}` (`esxcli network vswitch standard portgroup list` "
                "names it), a distributed switch in vCenter",
                f"then `vmkping ++netstack=vmotion -I {vmk.name} -d -s {payload} <peer>` passes"
                if mtu > vmk.mtu else "then the pairs of this vmk run at that MTU",
            ),
        )

    return ("set-mtu", host, vmk.name, mtu), make


def _host_access(host: HostInfo) -> tuple[StepKey, Maker]:
    facts = host.vcenter
    if facts is not None and facts.ssh_running is False:
        return _start_ssh(host.name)

    def make() -> NextStep:
        error = host.error or ""
        if host.status is HostStatus.AUTH_FAILED:
            return NextStep(action="fix-login", owner=Owner.RUN, host=host.name,
                            summary=f"{host.name}: the SSH login was refused: check the user and its password or "
                                    "key; in lockdown mode only users on the exception list may log in")
        if host.status is HostStatus.HOST_KEY:
            return NextStep(action="verify-host-key", owner=Owner.RUN, host=host.name,
                            summary=f"{host.name}: its SSH host key is unknown or changed: compare the fingerprint "
                                    "with the host's console, then add it to the known_hosts file")
        if host.status is HostStatus.UNREACHABLE:
            refused = "refused" in error.casefold()
            return NextStep(
                action="reach-ssh", owner=Owner.NETWORK, host=host.name,
                summary=f"{host.name}: SSH to {host.address} could not connect: "
                        + ("start TSM-SSH on the host, run with --enable-ssh, or probe with no SSH (--via api)"
                           if refused
                           else "check that TSM-SSH runs and that port 22 is reachable from here (firewalls, routes)"),
                powercli=(changes.ps_start_ssh(host.name),) if refused else (),
            )
        return NextStep(action="rerun-host", owner=Owner.RUN, host=host.name,
                        summary=f"{host.name}: discovery failed ({host.status.value}): fix what its error says "
                                "(report.json keeps the output), then run again")

    return ("host-access", host.name), make


def _start_ssh(host: str) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        return NextStep(
            action="start-ssh", owner=Owner.VCENTER, host=host,
            summary=f"{host}: TSM-SSH is stopped: probe with no SSH (--via api), run with --enable-ssh (started "
                    "for the run, stopped afterwards), or start it",
            powercli=(changes.ps_start_ssh(host),),
        )

    return ("host-access", host), make


def _no_stack(host: str, netstack: str) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        return NextStep(
            action="create-vmk", owner=Owner.HOST, host=host,
            summary=f"{host}: create a VMkernel adapter on the {netstack} stack (an existing vmk cannot be moved "
                    "there), with the address and port group the host's vMotion network uses",
            checks=(f"esxcli network ip interface add -i <vmkN> -p <port group> -N {netstack}",
                    "esxcli network ip interface ipv4 set -i <vmkN> -t static -I <address> -N <netmask>"),
        )

    return ("create-vmk", host), make


def _manual(key: StepKey, summary: str, owner: Owner, host: str | None = None, vmk: str | None = None, *,
            checks: tuple[str, ...] = (), powercli: tuple[str, ...] = ()) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        return NextStep(action=str(key[0]), summary=summary, owner=owner, host=host, vmk=vmk, checks=checks,
                        powercli=powercli)

    return key, make


# --- findings


_EXPECTED_MTU = re.compile(r"expected (\d{3,5})\b")


def _finding_steps(facts: _Facts, f: Finding) -> Steps:
    host = facts.host(f.host) if f.host else None
    vmk = facts.vmk(f.host, f.vmk) if f.host else None
    handler = _FINDING_HANDLERS.get(f.check)
    steps = handler(facts, f, host, vmk) if handler is not None else []
    return steps or [
        _manual(("finding", f.check, f.host, f.vmk, f.message),
                f"{_where(f.host, f.vmk) + ': ' if f.host else ''}[{f.check}] {f.message}", Owner.RUN, f.host, f.vmk)
    ]


FindingHandler = Callable[[_Facts, Finding, HostInfo | None, Vmk | None], Steps]


def _on_host_unreachable(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    return [_host_access(host)] if host is not None else []


def _on_no_vmotion_vmks(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    return [_no_stack(host.name, host.netstack)] if host is not None else []


def _on_tag_on_default(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if host is None or vmk is None:
        return []
    tag = next((t for t in service_tags(host, vmk) if t.casefold() == "vmotion"), "VMotion")
    used = _names(v.name for v in all_vmks(host) if v.netstack == VMOTION_NETSTACK)
    return [_remove_tag(host, vmk, tag, f"on the {vmk.netstack} stack it carries no vMotion while the vmotion stack "
                                       f"has vmks ({used})")]


def _on_extra_services(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if host is None or vmk is None:
        return []
    extra = [t for t in service_tags(host, vmk) if t.casefold() != "vmotion"]
    return [_remove_tag(host, vmk, tag, "only vMotion is supported on the vmotion stack; carry that service on a vmk "
                                        "of another stack") for tag in extra]


def _on_vmk_disabled(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    return [_enable_vmk(host.name, vmk.name)] if host is not None and vmk is not None else []


def _on_gateway(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if host is None:
        return []
    if vmk is not None:
        return [_vmk_gateway(facts, host, vmk)]
    family = Family.IPV6 if "IPv6" in f.message else Family.IPV4
    if _stack_gateway(host, family) is None:
        return [_add_gateway(facts, host, family)]
    return [_replace_gateway(facts, host, family)]


def _on_duplicate_ip(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    address = f.message.split(" ", 1)[0]
    return [_manual(("duplicate-ip", address),
                    f"{address} is on more than one vmk: give each vmk its own address (which one keeps it is "
                    "the network plan's call)", Owner.HOST, f.host)]


def _on_mtu(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if f.severity is Severity.INFO:
        return [_manual(("jumbo",), "jumbo frames are optional: before raising the vmks and switches to MTU 9000, "
                                    "make sure every switch port and router on the vMotion paths carries it",
                        Owner.NETWORK)]
    expected = _EXPECTED_MTU.search(f.message)
    intended = int(expected.group(1)) if expected else facts.intended_mtu()
    why = "the MTU the inventory expects" if expected else "the MTU most vMotion vmks use"
    if host is not None and vmk is not None:
        if intended is None or intended == vmk.mtu:
            return []
        return [_set_mtu(host.name, vmk, intended, why)]
    if intended is None:
        return [_manual(("mtu-plan",), "choose one MTU for every vMotion vmk (no MTU is used by most of them), "
                                       "then set the vmks and their switches to it", Owner.HOST)]
    return [_set_mtu(h.name, v, intended, why) for h, v in facts.stack_vmks() if v.mtu != intended]


def _on_rtt(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    src = _where(f.host, f.vmk) if f.host else "the cluster"
    return [_manual(("latency", f.host),
                    f"{src}: paths from it are slower than vMotion supports (see the rtt findings): check the links, "
                    "queues and any WAN hop between those vmks", Owner.NETWORK, f.host)]


def _on_drift(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    return [_manual(("drift", f.host, f.vmk),
                    f"{_where(f.host or '?', f.vmk)}: the inventory and the host disagree: correct whichever is wrong "
                    "(the inventory's vmks entry, or the vmk)", Owner.RUN, f.host, f.vmk)]


def _on_not_connected(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if f.host is None:
        return []
    return [_manual(("reconnect", f.host), f"{f.host}: reconnect it to vCenter (check its management network and "
                                           "its management agents)", Owner.VCENTER, f.host,
                    powercli=(changes.ps_set_connected(f.host),))]


def _on_maintenance(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if f.host is None:
        return []
    return [_manual(("exit-maintenance", f.host), f"{f.host}: take it out of maintenance mode once its maintenance "
                                                  "is done (vMotion to it is refused until then)", Owner.VCENTER,
                    f.host, powercli=(changes.ps_set_connected(f.host),))]


def _on_lockdown(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if f.host is None:
        return []
    return [_manual(("lockdown", f.host), f"{f.host}: add the validator's SSH user to the host's lockdown exception "
                                          "users, or leave lockdown mode for the change window", Owner.VCENTER,
                    f.host, powercli=(changes.ps_lockdown_off(f.host),))]


def _on_ssh_stopped(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    return [_start_ssh(f.host)] if f.host is not None else []


def _on_service_missing(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if f.host is None or f.vmk is None:
        return []
    name, vmk_name = f.host, f.vmk

    def make() -> NextStep:
        return NextStep(action="add-vmotion-service", owner=Owner.VCENTER, host=name, vmk=vmk_name,
                        summary=f"{_where(name, vmk_name)}: select the vMotion service on it",
                        esxcli=(changes.tag_add(vmk_name, "VMotion"),),
                        powercli=(changes.ps_enable_vmotion_service(name, vmk_name),))

    return [(("add-vmotion-service", name, vmk_name), make)]


def _on_vm_networks(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    return [_manual(("vm-networks", f.host), f"{f.host or 'cluster'}: create the missing port groups on the hosts "
                                             "the vm_networks findings name, or keep those VMs off them",
                    Owner.VCENTER, f.host)]


def _on_vcenter_drift(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if f.host is None:
        return []
    return [_manual(("vcenter-refresh", f.host), f"{f.host}: vCenter's view of its vmks differs from the host's: "
                                                 "refresh its networking in vCenter; if that does not clear it, the "
                                                 "host was changed outside vCenter: correct it in vCenter",
                    Owner.VCENTER, f.host, powercli=(changes.ps_refresh_network(f.host),))]


def _probe_family(host: HostInfo, vmk: Vmk, f: Finding) -> Family:
    if host.gateway6 is not None and str(host.gateway6) in f.message:
        return Family.IPV6
    return Family.IPV4 if vmk.address(Family.IPV4) is not None else Family.IPV6


def _on_gateway_unreachable(facts: _Facts, f: Finding, host: HostInfo | None,
                            vmk: Vmk | None) -> Steps:
    if host is None or vmk is None:
        return []
    return [_gateway_reach(facts, host, vmk, _probe_family(host, vmk, f))]


def _gateway_reach(facts: _Facts, host: HostInfo, vmk: Vmk, family: Family) -> tuple[StepKey, Maker]:
    gateway = _gateway_of(host, vmk, family)
    peer = _peer_gateway(facts, host, family, [vmk])
    if gateway is not None and peer is not None and peer.gateway != gateway:
        if _overrides(vmk, family):
            return _vmk_gateway(facts, host, vmk)
        return _replace_gateway(facts, host, family)
    iface = vmk.address(family)
    pg = f" and the VLAN of port group {vmk.portgroup!r}" if vmk.portgroup else ""
    return _manual(
        ("gateway-reach", host.name, vmk.name, family),
        f"{_where(host.name, vmk.name)} ({iface.ip if iface else '?'}) gets no answer from its gateway {gateway}: "
        f"check the router interface {gateway}{pg} on the host's uplinks and the physical switch ports",
        Owner.NETWORK, host.name, vmk.name,
        checks=(f"vmkping ++netstack={host.netstack} -I {vmk.name} {gateway}",),
    )


def _on_gateway_mtu(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if host is None or vmk is None:
        return []
    return [_gateway_mtu(host, vmk, _probe_family(host, vmk, f))]


def _gateway_mtu(host: HostInfo, vmk: Vmk, family: Family) -> tuple[StepKey, Maker]:
    gateway = _gateway_of(host, vmk, family)
    iface = vmk.address(family)
    switch = f"port group {vmk.portgroup!r}" if vmk.portgroup else "the vmk's port group"
    return _manual(
        ("gateway-mtu", host.name, vmk.name, family),
        f"{_where(host.name, vmk.name)} ({iface.ip if iface else '?'}) cannot reach its gateway {gateway} with DF at "
        f"MTU {vmk.mtu}: a hop between them carries less: the switch carrying {switch}, the physical switch ports "
        f"and the router interface {gateway} must each allow {vmk.mtu}",
        Owner.NETWORK, host.name, vmk.name,
        checks=("esxcli network vswitch standard list (and dvs vmware list) shows the switches' MTU",
                f"vmkping ++netstack={host.netstack} -I {vmk.name} -d -s {payload_for_mtu(vmk.mtu, family)} {gateway}"),
    )


def _on_migration_mtu(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if f.host is None:
        return []
    summary = (f"{f.message}: give the vMotion vmks (and their switches) of both sides the same MTU, whichever the "
               "migration network is built for")
    return [_manual(("migration-mtu", f.host, f.vmk), summary,
                    Owner.VCENTER, f.host, f.vmk,
                    checks=("esxcli network ip interface list shows each vmk's MTU on both sides",))]


def _on_migration_family(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    return [_manual(("migration-family", f.host), f"{f.message}: give the vMotion vmks of one side an address of a "
                                                  "family the other side uses (IPv4 or IPv6)",
                    Owner.VCENTER, f.host)]


def _on_migration_networks(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    return [_manual(("migration-networks", f.host), f"{f.message}: create those port groups on the target host, or "
                                                    "map the VMs to networks it has when migrating",
                    Owner.VCENTER, f.host)]


def _on_migration_vmotion(facts: _Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if host is not None:
        return [_no_stack(host.name, host.netstack)]
    return [_manual(("migration-vmotion", f.host), f"{f.message}: add a vMotion vmk on the vmotion stack to its hosts",
                    Owner.VCENTER, f.host)]


_FINDING_HANDLERS: dict[str, FindingHandler] = {
    "migration_mtu": _on_migration_mtu,
    "migration_family": _on_migration_family,
    "migration_networks": _on_migration_networks,
    "migration_vmotion": _on_migration_vmotion,
    "host_unreachable": _on_host_unreachable,
    "no_vmotion_vmks": _on_no_vmotion_vmks,
    "vmotion_tag_on_default": _on_tag_on_default,
    "extra_services": _on_extra_services,
    "vmk_disabled": _on_vmk_disabled,
    "gateway": _on_gateway,
    "duplicate_ip": _on_duplicate_ip,
    "mtu_consistency": _on_mtu,
    "rtt": _on_rtt,
    "drift": _on_drift,
    "host_not_connected": _on_not_connected,
    "host_maintenance": _on_maintenance,
    "host_lockdown": _on_lockdown,
    "tsm_ssh_stopped": _on_ssh_stopped,
    "vmotion_service_missing": _on_service_missing,
    "vm_networks": _on_vm_networks,
    "vcenter_drift": _on_vcenter_drift,
    GATEWAY_UNREACHABLE: _on_gateway_unreachable,
    GATEWAY_MTU: _on_gateway_mtu,
}


# --- failing pairs


def _routed(facts: _Facts, pair: PairResult) -> bool:
    p = pair.plan
    net = facts.network(p.src_host, p.src_vmk, p.family)
    return bool(pair.routed) or (net is not None and p.dst_ip not in net)


def _missing_gateway(host: HostInfo, vmk: Vmk | None, family: Family) -> bool:
    return _stack_gateway(host, family) is None and not (vmk is not None and _overrides(vmk, family))


def _gateway_fault(facts: _Facts, host: HostInfo | None, vmk: Vmk | None,
                   family: Family) -> tuple[StepKey, Maker] | None:
    """The step for a host whose routing of ``vmk``'s traffic is broken by its own gateway setting, if it is."""
    if host is None or not host.ok:
        return None
    if _missing_gateway(host, vmk, family):
        return _add_gateway(facts, host, family)
    if vmk is None:
        return None
    gateway = _gateway_of(host, vmk, family)
    if gateway is not None and not _on_link(gateway, [vmk]):
        return _vmk_gateway(facts, host, vmk) if _overrides(vmk, family) else _replace_gateway(facts, host, family)
    return None


def _pair_steps(facts: _Facts, pair: PairResult) -> Steps:
    p = pair.plan
    src, dst = facts.host(p.src_host), facts.host(p.dst_host)
    src_vmk, dst_vmk = facts.vmk(p.src_host, p.src_vmk), facts.vmk(p.dst_host, p.dst_vmk)
    reason = pair.reason
    if reason is Reason.HOST_ERROR and src is not None and not src.ok:
        return [_host_access(src)]
    if reason is Reason.HOST_ERROR:
        return [_manual(("rerun-host", p.src_host), f"{p.src_host}: the probe commands failed there (report.json keeps "
                                                    "their output): fix what it shows, then run again", Owner.RUN,
                        p.src_host)]
    if reason is Reason.NOT_PROBED:
        return [_manual(("rerun",), "the run was stopped before these pairs were probed: run the validation again",
                        Owner.RUN)]
    if reason is Reason.PARSE_ERROR:
        return [_manual(("parse", p.src_host), f"{p.src_host}: its vmkping output could not be read (report.json keeps "
                                               "it): run again; if it persists, report that output", Owner.RUN,
                        p.src_host)]
    if reason is Reason.UNKNOWN_VMK:
        return [_manual(("unknown-vmk", p.src_host, p.src_vmk),
                        f"{_where(p.src_host, p.src_vmk)} was not on the stack when it was probed (changed during the "
                        "run?): run again", Owner.RUN, p.src_host, p.src_vmk)]
    if reason is Reason.NETSTACK_MISSING:
        return [_no_stack(p.src_host, src.netstack if src is not None else VMOTION_NETSTACK)]
    if reason is Reason.VMK_DOWN:
        return [_enable_vmk(p.src_host, p.src_vmk)]
    if reason is Reason.LOCAL_MTU:
        return [_local_mtu(facts, pair, src_vmk)]
    if reason is Reason.NO_ROUTE:
        fault = _gateway_fault(facts, src, src_vmk, p.family)
        if fault is not None:
            return [fault]
        return [_manual(("routes", p.src_host, p.family),
                        f"{p.src_host}: its {src.netstack if src else ''} stack has no route to some peers: check its "
                        f"routes (`esxcli network ip route {p.family.value} list -N "
                        f"{src.netstack if src else VMOTION_NETSTACK}`)", Owner.HOST, p.src_host)]
    if reason in (Reason.ARP, Reason.UNREACHABLE) and dst_vmk is not None and not dst_vmk.enabled:
        return [_enable_vmk(p.dst_host, p.dst_vmk)]
    if reason is Reason.ARP:
        return [_lost(facts, pair, "arp")]
    routed = _routed(facts, pair)
    if reason in (Reason.UNREACHABLE, Reason.LOSS, Reason.PATH_MTU) and routed and src_vmk is not None:
        if (GATEWAY_UNREACHABLE, p.src_host, p.src_vmk) in facts.flagged and reason is not Reason.PATH_MTU:
            return [_gateway_reach(facts, src, src_vmk, p.family)] if src is not None else []
        if (GATEWAY_MTU, p.src_host, p.src_vmk) in facts.flagged and reason is Reason.PATH_MTU and src is not None:
            return [_gateway_mtu(src, src_vmk, p.family)]
    if reason is Reason.UNREACHABLE and routed:
        fault = _gateway_fault(facts, dst, dst_vmk, p.family)  # no route back
        if fault is not None:
            return [fault]
    if reason is Reason.PATH_MTU:
        return [(_DEFERRED, _never)]  # grouped by subnets once every pair is seen
    if reason in (Reason.UNREACHABLE, Reason.LOSS):
        return [_lost(facts, pair, reason.value)]
    return [_manual(("pair", reason.value if reason else pair.status.value),
                    "these pairs did not pass: see their detail in the report", Owner.RUN)]


def _never() -> NextStep:
    raise AssertionError("a deferred step is never made")


def _local_mtu(facts: _Facts, pair: PairResult, vmk: Vmk | None) -> tuple[StepKey, Maker]:
    p = pair.plan
    tested = pair.mtu_tested or p.mtu
    intended = facts.intended_mtu()
    if vmk is not None and intended == tested and vmk.mtu < tested:
        return _set_mtu(p.src_host, vmk, tested, "the MTU most vMotion vmks use")
    return _manual(("local-mtu", p.src_host, p.src_vmk, tested),
                   f"{_where(p.src_host, p.src_vmk)}: the DF test size {tested} is above the vmk's MTU"
                   f"{f' {vmk.mtu}' if vmk else ''}: test at the vmks' MTU (without --mtu), or raise the vmk's MTU if "
                   f"{tested} is the intended one", Owner.RUN, p.src_host, p.src_vmk)


def _subnet(facts: _Facts, host: str, vmk: str, address: IPAddress, family: Family) -> Network:
    """The vmk's subnet; for a host that could not be read, the subnet of a discovered vmk holding the address."""
    net = facts.network(host, vmk, family)
    if net is not None:
        return net
    known = (i.network for _, v in facts.stack_vmks() if (i := v.address(family)) is not None)
    return next((n for n in known if address in n), ip_network(address))


def _lost(facts: _Facts, pair: PairResult, what: str) -> tuple[StepKey, Maker]:
    """Echoes lost between two subnets: a step per (source subnet, destination subnet, kind)."""
    p = pair.plan
    src_net = _subnet(facts, p.src_host, p.src_vmk, p.src_ip, p.family)
    dst_net = _subnet(facts, p.dst_host, p.dst_vmk, p.dst_ip, p.family)
    reverse = facts.pairs.get((p.dst_host, p.dst_vmk, p.src_host, p.src_vmk, p.family.value))
    one_way = reverse is not None and reverse.status is PairStatus.PASS
    key: StepKey = ("lost", what, src_net, dst_net, one_way)

    def make() -> NextStep:
        src_end = f"{p.src_ip} ({_where(p.src_host, p.src_vmk)})"
        dst_end = f"{p.dst_ip} ({_where(p.dst_host, p.dst_vmk)})"
        between = f"{src_end} and {dst_end}"
        if what == "arp":
            summary = (f"peers on {src_net} do not answer ARP/neighbour discovery, e.g. between {between}: check the "
                       "VLAN of both port groups and the physical switch ports of that segment")
        elif what == Reason.LOSS.value:
            summary = (f"replies are partly lost from {src_net} to {dst_net}, e.g. between {between}: check errors and "
                       "drops on the links and switch ports of that path")
        elif one_way:
            summary = (f"echoes from {src_net} to {dst_net} get no reply while the reverse direction passes, e.g. "
                       f"from {src_end} to {dst_end}: check filters (ACLs, firewalls) on that path for this direction")
        else:
            summary = (f"no reply from {dst_net} to {src_net}, e.g. between {between}: check that the peers are up "
                       f"and the return route from {dst_net}'s router to {src_net}, and filters on the path")
        return NextStep(action="check-path", owner=Owner.NETWORK, summary=summary)

    return key, make


def _path_mtu_steps(facts: _Facts, plan: _Plan) -> list[tuple[StepKey, Maker]]:
    """Path-MTU pairs by where the small hop must be: a subnet every failing path touches, else two subnets."""
    edges: dict[frozenset[str], list[PairResult]] = {}
    for pair in plan.path_mtu:
        p = pair.plan
        a = str(_subnet(facts, p.src_host, p.src_vmk, p.src_ip, p.family))
        b = str(_subnet(facts, p.dst_host, p.dst_vmk, p.dst_ip, p.family))
        edges.setdefault(frozenset((a, b)), []).append(pair)
    degree = Counter(net for edge in edges if len(edge) == 2 for net in edge)
    made: list[tuple[StepKey, Maker]] = []
    while edges:
        hub, count = degree.most_common(1)[0] if degree else ("", 0)
        if count >= 2:
            taken = [e for e in edges if hub in e and len(e) == 2]
            key: StepKey = ("path-mtu", "into", hub)
            pairs = [pair for e in taken for pair in edges.pop(e)]
            degree.subtract(net for e in taken for net in e)
            others = sorted({n for e in taken for n in e if n != hub})
            made.append((key, _path_mtu_maker(f"every routed path between {hub} and {' and '.join(others)}", pairs,
                                              f"the hop in front of {hub} (its router's uplink and the switch ports "
                                              "toward it, which all these paths share)")))
        else:
            edge = next(iter(edges))
            pairs = edges.pop(edge)
            if len(edge) == 2:
                degree.subtract(edge)
            nets = sorted(edge)
            key = ("path-mtu", *nets)
            where = (f"the segment {nets[0]} (the vSwitch uplinks and physical switch ports)" if len(nets) == 1
                     else f"the hops between {nets[0]} and {nets[1]}")
            made.append((key, _path_mtu_maker(f"paths {'on' if len(nets) == 1 else 'between'} {' and '.join(nets)}",
                                              pairs, where)))
        degree = +degree  # drop the subnets no edge touches any more
        plan.path_mtu_groups[key] = pairs
    return made


def _path_mtu_maker(paths: str, pairs: Sequence[PairResult], where: str) -> Maker:
    def make() -> NextStep:
        tested = max((p.mtu_tested or p.plan.mtu for p in pairs), default=0)
        measured = sorted({p.max_mtu for p in pairs if p.max_mtu is not None})
        largest = f" (the largest that passed: {'/'.join(map(str, measured))})" if measured else ""
        samples = ", ".join(f"{p.plan.src_ip} -> {p.plan.dst_ip}" for p in pairs[:_SAMPLES])
        checks = [f"seen between {samples}" + (f" and {len(pairs) - _SAMPLES} more" if len(pairs) > _SAMPLES else "")]
        if measured:
            checks.append(f"if that hop cannot carry {tested}, these vmks' MTU must not exceed {measured[0]}")
        return NextStep(
            action="check-path-mtu", owner=Owner.NETWORK,
            summary=f"DF packets of MTU {tested} are lost on {paths}{largest}: raise the MTU of {where} to at least "
                    f"{tested}",
            checks=tuple(checks),
        )

    return make
