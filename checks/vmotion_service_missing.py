"""vmotion_service_missing: a vmk on the vmotion stack without the vMotion service selected."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check, vcenter_hosts, where
from validator.models import VMOTION_NETSTACK, Finding, HostInfo, PairResult, Severity

NAME = "vmotion_service_missing"


@check(NAME)
def vmotion_service_missing(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """A vmk on the vmotion stack carries vMotion only if vCenter has the vMotion service selected on it;
    without it the vmk answers pings but vMotion never uses it.

    One error per such vmk, by vCenter's stack and service selection (needs vCenter).
    """
    return [
        Finding(
            check=NAME, severity=Severity.ERROR, host=host.name, vmk=vmk.name,
            message=f"{where(host.name, vmk.name)} is on the vmotion stack but vCenter has no vMotion service "
                    f"selected on it ({', '.join(vmk.services) or 'no service'}): vMotion will not use it",
        )
        for host, facts in vcenter_hosts(hosts)
        for vmk in facts.vmks
        if vmk.netstack == VMOTION_NETSTACK and "vmotion" not in vmk.services
    ]
