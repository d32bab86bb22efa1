"""migration_vmotion: every host on both sides of a migration needs a vmk with the vMotion service."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import all_vmks, check, service_tags
from checks._migration import sides
from validator.models import CheckSettings, Finding, HostInfo, PairResult, Severity

NAME = "migration_vmotion"
DEFAULT_SETTINGS = CheckSettings()


def has_vmotion(host: HostInfo) -> bool:
    """Whether any vmk of the host carries the vMotion service (vCenter's selection when it knows it)."""
    if host.vcenter is not None:
        return any("vmotion" in v.services for v in host.vcenter.vmks)
    return any(t.casefold() == "vmotion" for v in all_vmks(host) for t in service_tags(host, v))


@check(NAME)
def migration_vmotion(
    hosts: Sequence[HostInfo], pairs: Sequence[PairResult], settings: CheckSettings = DEFAULT_SETTINGS
) -> list[Finding]:
    """A host sends and receives vMotion only through a vmk with the vMotion service selected.

    With a migration plan (``--from``/``--to``), one error per host of either side without any such vmk (by
    vCenter's service selection, else esxcli's tags), and one per side where no host has one.
    """
    found = sides(hosts, settings)
    if found is None:
        return []
    _plan, source, target = found
    findings: list[Finding] = []
    for side, other in ((source, target), (target, source)):
        lacking = [h for h in side.hosts if (h.ok or h.vcenter is not None) and not has_vmotion(h)]
        findings.extend(
            Finding(check=NAME, severity=Severity.ERROR, host=h.name,
                    message=f"{h.name} ({side.scope}) has no vmk with the vMotion service: it cannot take part in "
                            f"a migration with {other.scope}")
            for h in lacking
        )
        if side.hosts and len(lacking) == len(side.hosts):
            findings.append(Finding(
                check=NAME, severity=Severity.ERROR,
                message=f"no host of {side.scope} has a vMotion vmk: nothing can migrate to or from it",
            ))
    return findings
