"""vm_networks: every network of every VM must exist on every other host of its cluster."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check, vcenter_hosts
from validator.models import Finding, HostInfo, PairResult, Severity, VCenterFacts

NAME = "vm_networks"


@check(NAME)
def vm_networks(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """A VM can only be vMotioned to a host that has each of its networks (port groups).

    For each VM on a host, every network it uses is looked up on every other connected host of the same
    cluster. One error per VM with a network missing somewhere, listing which network is missing where
    (needs vCenter; hosts without a cluster form none).
    """
    by_cluster: dict[str, list[tuple[HostInfo, VCenterFacts]]] = {}
    for host, facts in vcenter_hosts(hosts):
        if host.cluster is not None and facts.connected:
            by_cluster.setdefault(host.cluster, []).append((host, facts))
    findings = []
    for members in by_cluster.values():
        for host, facts in members:
            for vm in facts.vms:
                gaps = []
                for network in vm.networks:
                    lacking = [o.name for o, of in members if o is not host and network not in of.portgroups]
                    if lacking:
                        gaps.append(f"{network!r} missing on {', '.join(sorted(lacking))}")
                if gaps:
                    message = (
                        f"VM {vm.name} on {host.name} (cluster {host.cluster}): {'; '.join(gaps)}: "
                        "it cannot be vMotioned there"
                    )
                    findings.append(Finding(check=NAME, severity=Severity.ERROR, message=message, host=host.name))
    return findings
