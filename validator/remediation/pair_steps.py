"""The steps for a failing pair, by its reason; path-MTU pairs grouped by the subnet every failing path touches."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from ipaddress import ip_network

from validator.models import VMOTION_NETSTACK, Family, HostInfo, IPAddress, PairResult, PairStatus, Reason, Vmk
from validator.remediation.facts import Facts, Network, gateway_of, on_link, overrides, stack_gateway, where
from validator.remediation.host_steps import (
    add_gateway,
    enable_vmk,
    gateway_mtu,
    gateway_reach,
    host_access,
    manual,
    no_stack,
    replace_gateway,
    set_mtu,
    vmk_gateway,
)
from validator.remediation.plan import DEFERRED, Maker, Plan, StepKey, Steps
from validator.remediation.step import GATEWAY_MTU, GATEWAY_UNREACHABLE, NextStep, Owner

_SAMPLES = 3  # address pairs named in a network step


def _routed(facts: Facts, pair: PairResult) -> bool:
    p = pair.plan
    net = facts.network(p.src_host, p.src_vmk, p.family)
    return bool(pair.routed) or (net is not None and p.dst_ip not in net)


def _missing_gateway(host: HostInfo, vmk: Vmk | None, family: Family) -> bool:
    return stack_gateway(host, family) is None and not (vmk is not None and overrides(vmk, family))


def _gateway_fault(facts: Facts, host: HostInfo | None, vmk: Vmk | None,
                   family: Family) -> tuple[StepKey, Maker] | None:
    """The step for a host whose routing of ``vmk``'s traffic is broken by its own gateway setting, if it is."""
    if host is None or not host.ok:
        return None
    if _missing_gateway(host, vmk, family):
        return add_gateway(facts, host, family)
    if vmk is None:
        return None
    gateway = gateway_of(host, vmk, family)
    if gateway is not None and not on_link(gateway, [vmk]):
        return vmk_gateway(facts, host, vmk) if overrides(vmk, family) else replace_gateway(facts, host, family)
    return None


def pair_steps(facts: Facts, pair: PairResult) -> Steps:
    p = pair.plan
    src, dst = facts.host(p.src_host), facts.host(p.dst_host)
    src_vmk, dst_vmk = facts.vmk(p.src_host, p.src_vmk), facts.vmk(p.dst_host, p.dst_vmk)
    reason = pair.reason
    if reason is Reason.HOST_ERROR and src is not None and not src.ok:
        return [host_access(src)]
    if reason is Reason.HOST_ERROR:
        return [manual(("rerun-host", p.src_host), f"{p.src_host}: the probe commands failed there (report.json keeps "
                                                    "their output): fix what it shows, then run again", Owner.RUN,
                        p.src_host)]
    if reason is Reason.NOT_PROBED:
        return [manual(("rerun",), "the run was stopped before these pairs were probed: run the validation again",
                        Owner.RUN)]
    if reason is Reason.PARSE_ERROR:
        return [manual(("parse", p.src_host), f"{p.src_host}: its vmkping output could not be read (report.json keeps "
                                               "it): run again; if it persists, report that output", Owner.RUN,
                        p.src_host)]
    if reason is Reason.UNKNOWN_VMK:
        return [manual(("unknown-vmk", p.src_host, p.src_vmk),
                        f"{where(p.src_host, p.src_vmk)} was not on the stack when it was probed (changed during the "
                        "run?): run again", Owner.RUN, p.src_host, p.src_vmk)]
    if reason is Reason.NETSTACK_MISSING:
        return [no_stack(p.src_host, src.netstack if src is not None else VMOTION_NETSTACK)]
    if reason is Reason.VMK_DOWN:
        return [enable_vmk(p.src_host, p.src_vmk)]
    if reason is Reason.LOCAL_MTU:
        return [_local_mtu(facts, pair, src_vmk)]
    if reason is Reason.NO_ROUTE:
        fault = _gateway_fault(facts, src, src_vmk, p.family)
        if fault is not None:
            return [fault]
        return [manual(("routes", p.src_host, p.family),
                        f"{p.src_host}: its {src.netstack if src else ''} stack has no route to some peers: check its "
                        f"routes (`esxcli network ip route {p.family.value} list -N "
                        f"{src.netstack if src else VMOTION_NETSTACK}`)", Owner.HOST, p.src_host)]
    if reason in (Reason.ARP, Reason.UNREACHABLE) and dst_vmk is not None and not dst_vmk.enabled:
        return [enable_vmk(p.dst_host, p.dst_vmk)]
    if reason is Reason.ARP:
        return [_lost(facts, pair, "arp")]
    routed = _routed(facts, pair)
    if reason in (Reason.UNREACHABLE, Reason.LOSS, Reason.PATH_MTU) and routed and src_vmk is not None:
        if (GATEWAY_UNREACHABLE, p.src_host, p.src_vmk) in facts.flagged and reason is not Reason.PATH_MTU:
            return [gateway_reach(facts, src, src_vmk, p.family)] if src is not None else []
        if (GATEWAY_MTU, p.src_host, p.src_vmk) in facts.flagged and reason is Reason.PATH_MTU and src is not None:
            return [gateway_mtu(src, src_vmk, p.family)]
    if reason is Reason.UNREACHABLE and routed:
        fault = _gateway_fault(facts, dst, dst_vmk, p.family)  # no route back
        if fault is not None:
            return [fault]
    if reason is Reason.PATH_MTU:
        return [(DEFERRED, _never)]  # grouped by subnets once every pair is seen
    if reason in (Reason.UNREACHABLE, Reason.LOSS):
        return [_lost(facts, pair, reason.value)]
    return [manual(("pair", reason.value if reason else pair.status.value),
                    "these pairs did not pass: see their detail in the report", Owner.RUN)]


def _never() -> NextStep:
    raise AssertionError("a deferred step is never made")


def _local_mtu(facts: Facts, pair: PairResult, vmk: Vmk | None) -> tuple[StepKey, Maker]:
    p = pair.plan
    tested = pair.mtu_tested or p.mtu
    intended = facts.intended_mtu()
    if vmk is not None and intended == tested and vmk.mtu < tested:
        return set_mtu(p.src_host, vmk, tested, "the MTU most vMotion vmks use")
    return manual(("local-mtu", p.src_host, p.src_vmk, tested),
                   f"{where(p.src_host, p.src_vmk)}: the DF test size {tested} is above the vmk's MTU"
                   f"{f' {vmk.mtu}' if vmk else ''}: test at the vmks' MTU (without --mtu), or raise the vmk's MTU if "
                   f"{tested} is the intended one", Owner.RUN, p.src_host, p.src_vmk)


def _subnet(facts: Facts, host: str, vmk: str, address: IPAddress, family: Family) -> Network:
    """The vmk's subnet; for a host that could not be read, the subnet of a discovered vmk holding the address."""
    net = facts.network(host, vmk, family)
    if net is not None:
        return net
    known = (i.network for _, v in facts.stack_vmks() if (i := v.address(family)) is not None)
    return next((n for n in known if address in n), ip_network(address))


def _lost(facts: Facts, pair: PairResult, what: str) -> tuple[StepKey, Maker]:
    """Echoes lost between two subnets: a step per (source subnet, destination subnet, kind)."""
    p = pair.plan
    src_net = _subnet(facts, p.src_host, p.src_vmk, p.src_ip, p.family)
    dst_net = _subnet(facts, p.dst_host, p.dst_vmk, p.dst_ip, p.family)
    reverse = facts.pairs.get((p.dst_host, p.dst_vmk, p.src_host, p.src_vmk, p.family.value))
    one_way = reverse is not None and reverse.status is PairStatus.PASS
    key: StepKey = ("lost", what, src_net, dst_net, one_way)

    def make() -> NextStep:
        src_end = f"{p.src_ip} ({where(p.src_host, p.src_vmk)})"
        dst_end = f"{p.dst_ip} ({where(p.dst_host, p.dst_vmk)})"
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


def path_mtu_steps(facts: Facts, plan: Plan) -> list[tuple[StepKey, Maker]]:
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
