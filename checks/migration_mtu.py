"""migration_mtu: the vMotion vmks on both sides of a migration should use the same MTU."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check, families, where
from checks._migration import named, sides
from validator.models import CheckSettings, Finding, HostInfo, PairResult, Severity, Vmk

NAME = "migration_mtu"
DEFAULT_SETTINGS = CheckSettings()


@check(NAME)
def migration_mtu(
    hosts: Sequence[HostInfo], pairs: Sequence[PairResult], settings: CheckSettings = DEFAULT_SETTINGS
) -> list[Finding]:
    """A vMotion vmk whose MTU is below the MTU of the other side's vmks limits every migration through it.

    With a migration plan (``--from``/``--to``), one warning per vmk of either side with an MTU below the largest
    MTU of the vmks it is paired with on the other side: their pairs are probed at the smaller MTU and pass if the
    path carries it, so this is a configuration mismatch (set both sides alike), not a path fault.
    """
    found = sides(hosts, settings)
    if found is None:
        return []
    _plan, source, target = found
    findings = []
    for mine, other in ((source, target), (target, source)):
        peers = [(o, v) for o in other.hosts for v in o.vmks]
        for host in mine.hosts:
            for vmk in host.vmks:
                larger = _larger_peers(vmk, peers)
                if not larger:
                    continue
                top = max(v.mtu for _, v in larger)
                names = named([where(o.name, v.name) for o, v in larger if v.mtu == top])
                findings.append(Finding(
                    check=NAME, severity=Severity.WARNING, host=host.name, vmk=vmk.name,
                    message=f"{where(host.name, vmk.name)} has MTU {vmk.mtu}, below the MTU {top} of {other.scope}'s "
                            f"vMotion vmks ({names}): migrations between them run at MTU {vmk.mtu} (a configuration "
                            "mismatch, not a path fault)",
                ))
    return findings


def _larger_peers(vmk: Vmk, peers: Sequence[tuple[HostInfo, Vmk]]) -> list[tuple[HostInfo, Vmk]]:
    """The other side's vmks sharing a family with ``vmk`` and with a larger MTU."""
    own = families(vmk)
    return [(o, v) for o, v in peers if own & families(v) and v.mtu > vmk.mtu]
