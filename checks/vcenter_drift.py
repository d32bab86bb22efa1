"""vcenter_drift: a vmk whose stack, addresses, MTU or enabled state differ between vCenter and the host."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import all_vmks, check, vcenter_hosts, where
from validator.models import Finding, HostInfo, IPInterface, PairResult, Severity, VCenterVmk, Vmk

NAME = "vcenter_drift"


@check(NAME)
def vcenter_drift(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """vCenter's view of a host's vmks versus the host's own (esxcli over SSH).

    A vmk only one side lists, or listed on another stack, is an error; other addresses (link-local
    ignored), another MTU, or disabled on the host while vCenter has it configured, a warning. Only hosts
    both views exist for (reachable over SSH, known to vCenter) are compared; addresses only on the probed
    stack, the one whose IPv4 addresses the host's discovery reads.
    """
    findings: list[Finding] = []
    for host, facts in vcenter_hosts(hosts):
        if not host.ok or not facts.connected:
            continue
        found = {vmk.name: vmk for vmk in all_vmks(host)}
        for seen in facts.vmks:
            findings.extend(_compare(host, seen, found.pop(seen.name, None)))
        for vmk in found.values():
            findings.append(_finding(host, vmk.name, Severity.ERROR,
                                     f"on the host ({vmk.netstack} stack) but not in vCenter"))
    return findings


def _compare(host: HostInfo, seen: VCenterVmk, vmk: Vmk | None) -> list[Finding]:
    if vmk is None:
        return [_finding(host, seen.name, Severity.ERROR, f"in vCenter ({seen.netstack} stack) but not on the host")]
    if vmk.netstack != seen.netstack:
        return [_finding(host, seen.name, Severity.ERROR,
                         f"stack: vCenter {seen.netstack}, host {vmk.netstack}")]
    differences = []
    want, have = _routable(seen.addresses), _routable(vmk.addresses)
    if vmk.netstack == host.netstack and want != have:
        differences.append(f"addresses: vCenter {', '.join(sorted(want)) or 'none'}, "
                           f"host {', '.join(sorted(have)) or 'none'}")
    if seen.mtu != vmk.mtu:
        differences.append(f"MTU: vCenter {seen.mtu}, host {vmk.mtu}")
    if not vmk.enabled:
        differences.append("enabled: vCenter has it configured, the host reports it disabled")
    return [_finding(host, seen.name, Severity.WARNING, "; ".join(differences))] if differences else []


def _routable(addresses: Sequence[IPInterface]) -> set[str]:
    return {str(a) for a in addresses if not a.ip.is_link_local}


def _finding(host: HostInfo, vmk: str, severity: Severity, text: str) -> Finding:
    return Finding(check=NAME, severity=severity, message=f"{where(host.name, vmk)}: vCenter/host drift: {text}",
                   host=host.name, vmk=vmk)
