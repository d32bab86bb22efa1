"""host_maintenance: a host in maintenance mode."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check, vcenter_hosts
from validator.models import Finding, HostInfo, PairResult, Severity

NAME = "host_maintenance"


@check(NAME)
def host_maintenance(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """A host in maintenance mode takes no VMs: vMotion to it is refused until it exits.

    One warning per such host; its paths are still tested (needs vCenter).
    """
    return [
        Finding(
            check=NAME, severity=Severity.WARNING, host=host.name,
            message=f"{host.name} is in maintenance mode: vMotion to it is refused until it exits "
                    "(its network paths are tested anyway)",
        )
        for host, facts in vcenter_hosts(hosts)
        if facts.in_maintenance
    ]
