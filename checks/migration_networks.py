"""migration_networks: the networks of the VMs on one side of a migration must exist on the other side."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check
from checks._migration import directions, named, sides
from validator.models import CheckSettings, Finding, HostInfo, PairResult, Severity

NAME = "migration_networks"
DEFAULT_SETTINGS = CheckSettings()


@check(NAME)
def migration_networks(
    hosts: Sequence[HostInfo], pairs: Sequence[PairResult], settings: CheckSettings = DEFAULT_SETTINGS
) -> list[Finding]:
    """A VM can only move to a host that has each of its networks (port groups, matched by name).

    With a migration plan (``--from``/``--to``), the networks of every VM on the source scope's hosts are looked up
    on each connected host of the target scope (and the other way round unless one-way). One error per receiving
    host lacking a network, naming the networks and the VMs that use them (needs vCenter).
    """
    found = sides(hosts, settings)
    if found is None:
        return []
    plan, source, target = found
    findings = []
    for giving, receiving in directions(plan, source, target):
        used: dict[str, list[str]] = {}  # network -> "vm (host)"
        for host in giving.hosts:
            for vm in host.vcenter.vms if host.vcenter is not None else ():
                for network in vm.networks:
                    used.setdefault(network, []).append(f"{vm.name} ({host.name})")
        receivers = [h for h in receiving.hosts if h.vcenter is not None and h.vcenter.connected]
        for host in receivers:
            assert host.vcenter is not None
            missing = sorted(n for n in used if n not in host.vcenter.portgroups)
            if not missing:
                continue
            nowhere = [n for n in missing if all(n not in r.vcenter.portgroups for r in receivers if r.vcenter)]
            vms = named(sorted({vm for n in missing for vm in used[n]}))
            note = f" ({', '.join(map(repr, nowhere))} on no host of {receiving.scope})" if nowhere else ""
            findings.append(Finding(
                check=NAME, severity=Severity.ERROR, host=host.name,
                message=f"{host.name} lacks network(s) {', '.join(map(repr, missing))}{note} used by VM(s) of "
                        f"{giving.scope}: {vms}: they cannot be migrated to it",
            ))
    return findings
