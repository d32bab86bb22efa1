"""Steps on one host or vmk: gateways, tags, MTU, enabling a vmk, SSH access, a missing stack; and a step in
words only (:func:`manual`)."""

from __future__ import annotations

from ipaddress import IPv4Interface

from validator.esxi import changes
from validator.esxi.commands import payload_for_mtu
from validator.models import Family, HostInfo, HostStatus, Vmk
from validator.remediation.facts import Facts, gateway_of, label, names, overrides, peer_gateway, stack_gateway, where
from validator.remediation.plan import Maker, StepKey
from validator.remediation.step import NextStep, Owner


def add_gateway(facts: Facts, host: HostInfo, family: Family) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        peer = peer_gateway(facts, host, family)
        stack = host.netstack
        if peer is not None:
            return NextStep(
                action="add-gateway", owner=Owner.HOST, host=host.name,
                summary=f"{host.name}: add the {label(family)} default gateway {peer.gateway} to the {stack} stack "
                        f"(the gateway {names(peer.peers)} use on {peer.network})",
                esxcli=(changes.route_add(stack, family, peer.gateway),),
                powercli=(changes.ps_stack_gateway(host.name, stack, family, peer.gateway),),
                checks=(f"then `esxcli network ip route {family.value} list -N {stack}` shows the default route",),
            )
        nets = names(str(i.network) for v in host.vmks if (i := v.address(family)) is not None)
        return NextStep(
            action="add-gateway", owner=Owner.HOST, host=host.name,
            summary=f"{host.name}: add an {label(family)} default gateway to the {stack} stack: the router's "
                    f"address on {nets or 'the vmks subnet'} (no peer on that subnet shows which it is)",
            checks=(f"esxcli network ip route {family.value} add -N {stack} -n "
                    f"{'default' if family is Family.IPV4 else '::/0'} -g <router address>",),
        )

    return ("add-gateway", host.name, family), make


def replace_gateway(facts: Facts, host: HostInfo, family: Family) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        old = stack_gateway(host, family)
        users = [v for v in host.vmks if v.address(family) is not None and not overrides(v, family)]
        peer = peer_gateway(facts, host, family, users)
        stack = host.netstack
        if old is not None and peer is not None and peer.gateway != old:
            return NextStep(
                action="replace-gateway", owner=Owner.HOST, host=host.name,
                summary=f"{host.name}: replace the {label(family)} default gateway {old} of the {stack} stack "
                        f"(not on any of its vmks' subnets) by {peer.gateway}, the gateway {names(peer.peers)} use "
                        f"on {peer.network}",
                esxcli=(changes.route_remove(stack, family, old), changes.route_add(stack, family, peer.gateway)),
                powercli=(changes.ps_stack_gateway(host.name, stack, family, peer.gateway),),
            )
        return NextStep(
            action="replace-gateway", owner=Owner.HOST, host=host.name,
            summary=f"{host.name}: the {label(family)} default gateway {old} of the {stack} stack is not on the "
                    "subnet of any vmk using it: set the router's address on their subnet",
        )

    return ("replace-gateway", host.name, family), make


def vmk_gateway(facts: Facts, host: HostInfo, vmk: Vmk) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        iface = vmk.address(Family.IPV4)
        peer = peer_gateway(facts, host, Family.IPV4, [vmk])
        if isinstance(iface, IPv4Interface) and peer is not None and peer.gateway != vmk.gateway:
            assert peer.gateway.version == 4
            return NextStep(
                action="set-vmk-gateway", owner=Owner.HOST, host=host.name, vmk=vmk.name,
                summary=f"{where(host.name, vmk.name)}: set its gateway override to {peer.gateway} (the gateway "
                        f"{names(peer.peers)} use on {peer.network}) instead of {vmk.gateway}",
                esxcli=(changes.ipv4_set(vmk.name, iface, str(peer.gateway)),),
            )
        return NextStep(
            action="set-vmk-gateway", owner=Owner.HOST, host=host.name, vmk=vmk.name,
            summary=f"{where(host.name, vmk.name)}: its gateway override {vmk.gateway} is not on its subnet: set the "
                    "router's address on that subnet (or remove the override)",
        )

    return ("set-vmk-gateway", host.name, vmk.name), make


def enable_vmk(host: str, vmk: str) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        return NextStep(
            action="enable-vmk", owner=Owner.HOST, host=host, vmk=vmk,
            summary=f"{where(host, vmk)}: enable the vmk (it is administratively down)",
            esxcli=(changes.interface_enable(vmk),),
        )

    return ("enable-vmk", host, vmk), make


def remove_tag(host: HostInfo, vmk: Vmk, tag: str, why: str) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        ps = changes.ps_service_off(host.name, vmk.name, tag)
        return NextStep(
            action="remove-tag", owner=Owner.HOST, host=host.name, vmk=vmk.name,
            summary=f"{where(host.name, vmk.name)}: remove the {tag} tag: {why}",
            esxcli=(changes.tag_remove(vmk.name, tag),),
            powercli=(ps,) if ps else (),
        )

    return ("remove-tag", host.name, vmk.name, tag.casefold()), make


def set_mtu(host: str, vmk: Vmk, mtu: int, why: str) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        switch = f"port group {vmk.portgroup!r}" if vmk.portgroup else "the vmk's port group"
        payload = payload_for_mtu(mtu, Family.IPV4)
        return NextStep(
            action="set-mtu", owner=Owner.HOST, host=host, vmk=vmk.name,
            summary=f"{where(host, vmk.name)}: set the MTU to {mtu} (now {vmk.mtu}): {why}",
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


def host_access(host: HostInfo) -> tuple[StepKey, Maker]:
    facts = host.vcenter
    if facts is not None and facts.ssh_running is False:
        return start_ssh(host.name)

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


def start_ssh(host: str) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        return NextStep(
            action="start-ssh", owner=Owner.VCENTER, host=host,
            summary=f"{host}: TSM-SSH is stopped: probe with no SSH (--via api), run with --enable-ssh (started "
                    "for the run, stopped afterwards), or start it",
            powercli=(changes.ps_start_ssh(host),),
        )

    return ("host-access", host), make


def no_stack(host: str, netstack: str) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        return NextStep(
            action="create-vmk", owner=Owner.HOST, host=host,
            summary=f"{host}: create a VMkernel adapter on the {netstack} stack (an existing vmk cannot be moved "
                    "there), with the address and port group the host's vMotion network uses",
            checks=(f"esxcli network ip interface add -i <vmkN> -p <port group> -N {netstack}",
                    "esxcli network ip interface ipv4 set -i <vmkN> -t static -I <address> -N <netmask>"),
        )

    return ("create-vmk", host), make


def manual(key: StepKey, summary: str, owner: Owner, host: str | None = None, vmk: str | None = None, *,
            checks: tuple[str, ...] = (), powercli: tuple[str, ...] = ()) -> tuple[StepKey, Maker]:
    def make() -> NextStep:
        return NextStep(action=str(key[0]), summary=summary, owner=owner, host=host, vmk=vmk, checks=checks,
                        powercli=powercli)

    return key, make


def gateway_reach(facts: Facts, host: HostInfo, vmk: Vmk, family: Family) -> tuple[StepKey, Maker]:
    gateway = gateway_of(host, vmk, family)
    peer = peer_gateway(facts, host, family, [vmk])
    if gateway is not None and peer is not None and peer.gateway != gateway:
        if overrides(vmk, family):
            return vmk_gateway(facts, host, vmk)
        return replace_gateway(facts, host, family)
    iface = vmk.address(family)
    pg = f" and the VLAN of port group {vmk.portgroup!r}" if vmk.portgroup else ""
    return manual(
        ("gateway-reach", host.name, vmk.name, family),
        f"{where(host.name, vmk.name)} ({iface.ip if iface else '?'}) gets no answer from its gateway {gateway}: "
        f"check the router interface {gateway}{pg} on the host's uplinks and the physical switch ports",
        Owner.NETWORK, host.name, vmk.name,
        checks=(f"vmkping ++netstack={host.netstack} -I {vmk.name} {gateway}",),
    )


def gateway_mtu(host: HostInfo, vmk: Vmk, family: Family) -> tuple[StepKey, Maker]:
    gateway = gateway_of(host, vmk, family)
    iface = vmk.address(family)
    switch = f"port group {vmk.portgroup!r}" if vmk.portgroup else "the vmk's port group"
    return manual(
        ("gateway-mtu", host.name, vmk.name, family),
        f"{where(host.name, vmk.name)} ({iface.ip if iface else '?'}) cannot reach its gateway {gateway} with DF at "
        f"MTU {vmk.mtu}: a hop between them carries less: the switch carrying {switch}, the physical switch ports "
        f"and the router interface {gateway} must each allow {vmk.mtu}",
        Owner.NETWORK, host.name, vmk.name,
        checks=("esxcli network vswitch standard list (and dvs vmware list) shows the switches' MTU",
                f"vmkping ++netstack={host.netstack} -I {vmk.name} -d -s {payload_for_mtu(vmk.mtu, family)} {gateway}"),
    )
