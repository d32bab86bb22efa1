"""gateway: can the vmotion stack route, and are its gateways on-link?"""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check, families, where
from validator.models import Family, Finding, HostInfo, IPAddress, PairResult, Severity, Vmk

NAME = "gateway"


def _on_link(gateway: IPAddress, vmks: Sequence[Vmk]) -> bool:
    """Whether ``gateway`` is inside the subnet of one of ``vmks`` (an IPv6 link-local one always is)."""
    if gateway.is_link_local:
        return True
    return any(iface.version == gateway.version and gateway in iface.network for v in vmks for iface in v.addresses)


def _overrides(vmk: Vmk, family: Family) -> bool:
    return vmk.gateway is not None and Family.of(vmk.gateway) is family


@check(NAME)
def gateway(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """Routed (L3) vMotion needs a gateway on the vMotion TCP/IP stack, reachable on a vmk's subnet.

    Error: a host with vMotion vmks of an address family but neither a stack default gateway nor a per-vmk
    gateway override of that family: traffic to another subnet has no route. Warning: a gateway outside
    the subnet of every vmk that uses it (the stack default is used by the vmks without an override; an
    override only by its own vmk): the gateway cannot be reached on-link and routed pairs fail.
    """
    findings: list[Finding] = []

    def add(severity: Severity, message: str, host: str, vmk: str | None = None) -> None:
        findings.append(Finding(check=NAME, severity=severity, message=message, host=host, vmk=vmk))

    for host in hosts:
        if not host.ok or not host.vmks:
            continue
        present = set().union(*(families(v) for v in host.vmks))
        for family in sorted(present):
            label = "IPv4" if family is Family.IPV4 else "IPv6"
            stack_gw = host.gateway if family is Family.IPV4 else host.gateway6
            overriding = [v for v in host.vmks if _overrides(v, family)]
            if stack_gw is None and not overriding:
                add(
                    Severity.ERROR,
                    f"{host.name}: no {label} default gateway on the {host.netstack} stack and no per-vmk "
                    "gateway override: routed vMotion to other subnets is impossible",
                    host.name,
                )
                continue
            users = [v for v in host.vmks if v.address(family) is not None and not _overrides(v, family)]
            if stack_gw is not None and users and not _on_link(stack_gw, users):
                names = ", ".join(v.name for v in users)
                add(
                    Severity.WARNING,
                    f"{host.name}: {label} default gateway {stack_gw} of the {host.netstack} stack is outside "
                    f"the subnet of every vmk using it ({names}): it cannot be reached on-link",
                    host.name,
                )
            for vmk in overriding:
                assert vmk.gateway is not None
                if not _on_link(vmk.gateway, [vmk]):
                    subnets = ", ".join(str(a.network) for a in vmk.addresses if a.version == vmk.gateway.version)
                    add(
                        Severity.WARNING,
                        f"{where(host.name, vmk.name)}: gateway override {vmk.gateway} is outside the vmk's "
                        f"subnet ({subnets or 'no address'}): it cannot be reached on-link",
                        host.name,
                        vmk.name,
                    )
    return findings
