"""duplicate_ip: one vMotion address on two vmks."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check, where
from validator.models import Finding, HostInfo, IPAddress, PairResult, Severity

NAME = "duplicate_ip"


@check(NAME)
def duplicate_ip(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """The same vMotion IP on two vmks makes ARP/ND answers race: vMotion streams go to the wrong host.

    Pings may even pass (the wrong host answers). One error per duplicated address (IPv6 link-local
    addresses excluded), naming every vmk holding it.
    """
    owners: dict[IPAddress, list[tuple[str, str]]] = {}
    for host in hosts:
        for vmk in host.vmks:
            for iface in vmk.addresses:
                if iface.ip.is_link_local and iface.version == 6:
                    continue
                holders = owners.setdefault(iface.ip, [])
                if (host.name, vmk.name) not in holders:
                    holders.append((host.name, vmk.name))
    findings = []
    for ip, holders in owners.items():
        if len(holders) < 2:
            continue
        hosts_involved = {h for h, _ in holders}
        names = ", ".join(where(h, v) for h, v in holders)
        findings.append(
            Finding(
                check=NAME,
                severity=Severity.ERROR,
                message=f"{ip} is configured on {len(holders)} vmks: {names}",
                host=holders[0][0] if len(hosts_involved) == 1 else None,
            )
        )
    return findings
