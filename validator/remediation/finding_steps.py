"""The steps for each finding, by its check (:data:`FINDING_HANDLERS`); a check without one gets a step in words."""

from __future__ import annotations

import re
from collections.abc import Callable

from checks._base import all_vmks, service_tags
from validator.esxi import changes
from validator.models import VMOTION_NETSTACK, Family, Finding, HostInfo, Severity, Vmk
from validator.remediation.facts import Facts, names, stack_gateway, where
from validator.remediation.host_steps import (
    add_gateway,
    enable_vmk,
    gateway_mtu,
    gateway_reach,
    host_access,
    manual,
    no_stack,
    remove_tag,
    replace_gateway,
    set_mtu,
    start_ssh,
    vmk_gateway,
)
from validator.remediation.plan import Steps
from validator.remediation.step import GATEWAY_MTU, GATEWAY_UNREACHABLE, NextStep, Owner

_EXPECTED_MTU = re.compile(r"expected (\d{3,5})\b")


def finding_steps(facts: Facts, f: Finding) -> Steps:
    host = facts.host(f.host) if f.host else None
    vmk = facts.vmk(f.host, f.vmk) if f.host else None
    handler = FINDING_HANDLERS.get(f.check)
    steps = handler(facts, f, host, vmk) if handler is not None else []
    return steps or [
        manual(("finding", f.check, f.host, f.vmk, f.message),
                f"{where(f.host, f.vmk) + ': ' if f.host else ''}[{f.check}] {f.message}", Owner.RUN, f.host, f.vmk)
    ]


FindingHandler = Callable[[Facts, Finding, HostInfo | None, Vmk | None], Steps]


def _on_host_unreachable(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    return [host_access(host)] if host is not None else []


def _on_no_vmotion_vmks(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    return [no_stack(host.name, host.netstack)] if host is not None else []


def _on_tag_on_default(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if host is None or vmk is None:
        return []
    tag = next((t for t in service_tags(host, vmk) if t.casefold() == "vmotion"), "VMotion")
    used = names(v.name for v in all_vmks(host) if v.netstack == VMOTION_NETSTACK)
    return [remove_tag(host, vmk, tag, f"on the {vmk.netstack} stack it carries no vMotion while the vmotion stack "
                                       f"has vmks ({used})")]


def _on_extra_services(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if host is None or vmk is None:
        return []
    extra = [t for t in service_tags(host, vmk) if t.casefold() != "vmotion"]
    return [remove_tag(host, vmk, tag, "only vMotion is supported on the vmotion stack; carry that service on a vmk "
                                        "of another stack") for tag in extra]


def _on_vmk_disabled(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    return [enable_vmk(host.name, vmk.name)] if host is not None and vmk is not None else []


def _on_gateway(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if host is None:
        return []
    if vmk is not None:
        return [vmk_gateway(facts, host, vmk)]
    family = Family.IPV6 if "IPv6" in f.message else Family.IPV4
    if stack_gateway(host, family) is None:
        return [add_gateway(facts, host, family)]
    return [replace_gateway(facts, host, family)]


def _on_duplicate_ip(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    address = f.message.split(" ", 1)[0]
    return [manual(("duplicate-ip", address),
                    f"{address} is on more than one vmk: give each vmk its own address (which one keeps it is "
                    "the network plan's call)", Owner.HOST, f.host)]


def _on_mtu(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if f.severity is Severity.INFO:
        return [manual(("jumbo",), "jumbo frames are optional: before raising the vmks and switches to MTU 9000, "
                                    "make sure every switch port and router on the vMotion paths carries it",
                        Owner.NETWORK)]
    expected = _EXPECTED_MTU.search(f.message)
    intended = int(expected.group(1)) if expected else facts.intended_mtu()
    why = "the MTU the inventory expects" if expected else "the MTU most vMotion vmks use"
    if host is not None and vmk is not None:
        if intended is None or intended == vmk.mtu:
            return []
        return [set_mtu(host.name, vmk, intended, why)]
    if intended is None:
        return [manual(("mtu-plan",), "choose one MTU for every vMotion vmk (no MTU is used by most of them), "
                                       "then set the vmks and their switches to it", Owner.HOST)]
    return [set_mtu(h.name, v, intended, why) for h, v in facts.stack_vmks() if v.mtu != intended]


def _on_rtt(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    src = where(f.host, f.vmk) if f.host else "the cluster"
    return [manual(("latency", f.host),
                    f"{src}: paths from it are slower than vMotion supports (see the rtt findings): check the links, "
                    "queues and any WAN hop between those vmks", Owner.NETWORK, f.host)]


def _on_drift(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    return [manual(("drift", f.host, f.vmk),
                    f"{where(f.host or '?', f.vmk)}: the inventory and the host disagree: correct whichever is wrong "
                    "(the inventory's vmks entry, or the vmk)", Owner.RUN, f.host, f.vmk)]


def _on_not_connected(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if f.host is None:
        return []
    return [manual(("reconnect", f.host), f"{f.host}: reconnect it to vCenter (check its management network and "
                                           "its management agents)", Owner.VCENTER, f.host,
                    powercli=(changes.ps_set_connected(f.host),))]


def _on_maintenance(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if f.host is None:
        return []
    return [manual(("exit-maintenance", f.host), f"{f.host}: take it out of maintenance mode once its maintenance "
                                                  "is done (vMotion to it is refused until then)", Owner.VCENTER,
                    f.host, powercli=(changes.ps_set_connected(f.host),))]


def _on_lockdown(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if f.host is None:
        return []
    return [manual(("lockdown", f.host), f"{f.host}: add the validator's SSH user to the host's lockdown exception "
                                          "users, or leave lockdown mode for the change window", Owner.VCENTER,
                    f.host, powercli=(changes.ps_lockdown_off(f.host),))]


def _on_ssh_stopped(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    return [start_ssh(f.host)] if f.host is not None else []


def _on_service_missing(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if f.host is None or f.vmk is None:
        return []
    name, vmk_name = f.host, f.vmk

    def make() -> NextStep:
        return NextStep(action="add-vmotion-service", owner=Owner.VCENTER, host=name, vmk=vmk_name,
                        summary=f"{where(name, vmk_name)}: select the vMotion service on it",
                        esxcli=(changes.tag_add(vmk_name, "VMotion"),),
                        powercli=(changes.ps_enable_vmotion_service(name, vmk_name),))

    return [(("add-vmotion-service", name, vmk_name), make)]


def _on_vm_networks(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    return [manual(("vm-networks", f.host), f"{f.host or 'cluster'}: create the missing port groups on the hosts "
                                             "the vm_networks findings name, or keep those VMs off them",
                    Owner.VCENTER, f.host)]


def _on_vcenter_drift(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if f.host is None:
        return []
    return [manual(("vcenter-refresh", f.host), f"{f.host}: vCenter's view of its vmks differs from the host's: "
                                                 "refresh its networking in vCenter; if that does not clear it, the "
                                                 "host was changed outside vCenter: correct it in vCenter",
                    Owner.VCENTER, f.host, powercli=(changes.ps_refresh_network(f.host),))]


def _probe_family(host: HostInfo, vmk: Vmk, f: Finding) -> Family:
    if host.gateway6 is not None and str(host.gateway6) in f.message:
        return Family.IPV6
    return Family.IPV4 if vmk.address(Family.IPV4) is not None else Family.IPV6


def _on_gateway_unreachable(facts: Facts, f: Finding, host: HostInfo | None,
                            vmk: Vmk | None) -> Steps:
    if host is None or vmk is None:
        return []
    return [gateway_reach(facts, host, vmk, _probe_family(host, vmk, f))]


def _on_gateway_mtu(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if host is None or vmk is None:
        return []
    return [gateway_mtu(host, vmk, _probe_family(host, vmk, f))]


def _on_migration_mtu(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if f.host is None:
        return []
    summary = (f"{f.message}: give the vMotion vmks (and their switches) of both sides the same MTU, whichever the "
               "migration network is built for")
    return [manual(("migration-mtu", f.host, f.vmk), summary,
                    Owner.VCENTER, f.host, f.vmk,
                    checks=("esxcli network ip interface list shows each vmk's MTU on both sides",))]


def _on_migration_family(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    return [manual(("migration-family", f.host), f"{f.message}: give the vMotion vmks of one side an address of a "
                                                  "family the other side uses (IPv4 or IPv6)",
                    Owner.VCENTER, f.host)]


def _on_migration_networks(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    return [manual(("migration-networks", f.host), f"{f.message}: create those port groups on the target host, or "
                                                    "map the VMs to networks it has when migrating",
                    Owner.VCENTER, f.host)]


def _on_migration_vmotion(facts: Facts, f: Finding, host: HostInfo | None, vmk: Vmk | None) -> Steps:
    if host is not None:
        return [no_stack(host.name, host.netstack)]
    return [manual(("migration-vmotion", f.host), f"{f.message}: add a vMotion vmk on the vmotion stack to its hosts",
                    Owner.VCENTER, f.host)]


FINDING_HANDLERS: dict[str, FindingHandler] = {
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
