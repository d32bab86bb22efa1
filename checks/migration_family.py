"""migration_family: source and target hosts of a migration must share an address family on their vMotion vmks."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check, families
from checks._migration import named, sides
from validator.models import CheckSettings, Family, Finding, HostInfo, PairResult, Severity

NAME = "migration_family"
DEFAULT_SETTINGS = CheckSettings()


def _families(host: HostInfo) -> set[Family]:
    return {f for vmk in host.vmks for f in families(vmk)}


def _label(found: set[Family]) -> str:
    return "/".join(sorted(f.value for f in found)) or "none"


@check(NAME)
def migration_family(
    hosts: Sequence[HostInfo], pairs: Sequence[PairResult], settings: CheckSettings = DEFAULT_SETTINGS
) -> list[Finding]:
    """vMotion between two hosts needs an address family (IPv4 or IPv6) both have on their vMotion vmks.

    With a migration plan (``--from``/``--to``), one error per host of either side naming the hosts of the other
    side it shares no family with: no pair between them can even be planned.
    """
    found = sides(hosts, settings)
    if found is None:
        return []
    _plan, source, target = found
    findings = []
    for mine, other in ((source, target), (target, source)):
        for host in mine.hosts:
            own = _families(host)
            if not own:
                continue  # no vMotion vmk at all: no_vmotion_vmks and migration_vmotion say so
            apart = [o for o in other.hosts if _families(o) and not own & _families(o)]
            if apart:
                others = named([f"{o.name} ({_label(_families(o))})" for o in apart])
                findings.append(Finding(
                    check=NAME, severity=Severity.ERROR, host=host.name,
                    message=f"{host.name} ({_label(own)}) shares no address family with {len(apart)} host(s) of "
                            f"{other.scope}: {others}: no vMotion between them",
                ))
    return findings
