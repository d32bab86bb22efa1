"""extra_services: another service enabled on a vmotion-stack vmk."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import all_vmks, check, is_tag, service_tags, where
from validator.models import VMOTION_NETSTACK, Finding, HostInfo, PairResult, Severity

NAME = "extra_services"


@check(NAME)
def extra_services(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """A vmk on the vmotion stack may carry vMotion only.

    vSphere greys out every other service (FT logging, vSAN, Management, replication...) on that stack; a
    vmk showing one was configured behind its back or the inventory is stale, and that traffic is not
    where the admin thinks it is. One error per vmk, naming the extra tags (vCenter's service selection when
    vCenter is the source).
    """
    findings = []
    for host in hosts:
        for vmk in all_vmks(host):
            if vmk.netstack != VMOTION_NETSTACK:
                continue
            extra = [t for t in service_tags(host, vmk) if not is_tag(t, "VMotion")]
            if not extra:
                continue
            message = (
                f"{where(host.name, vmk.name)} on the vmotion stack also carries {', '.join(extra)}: only "
                "vMotion is supported there; move these services to a vmk on another stack"
            )
            findings.append(Finding(check=NAME, severity=Severity.ERROR, message=message, host=host.name, vmk=vmk.name))
    return findings
