"""mtu_consistency: one MTU across the cluster's vMotion vmks, and jumbo frames."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check, where
from validator.models import CheckSettings, Finding, HostInfo, PairResult, Severity

NAME = "mtu_consistency"
JUMBO_MTU = 9000
_MAX_NAMED = 10  # vmks named per MTU before "+N more"


def _names(members: list[str]) -> str:
    shown = ", ".join(members[:_MAX_NAMED])
    extra = len(members) - _MAX_NAMED
    return f"{shown} +{extra} more" if extra > 0 else shown


DEFAULT_SETTINGS = CheckSettings()


@check(NAME)
def mtu_consistency(
    hosts: Sequence[HostInfo], pairs: Sequence[PairResult], settings: CheckSettings = DEFAULT_SETTINGS
) -> list[Finding]:
    """vMotion vmks should share one MTU, and it should be jumbo (9000) or ``[checks] expected_mtu``.

    Warning: different MTUs across the cluster (each MTU with the vmks using it): pairs between them run
    at the smaller one, and a larger vmk MTU than the physical path drops full-size frames. With an expected
    MTU set, a warning per vmk that differs from it. Info: MTU 1500 or less everywhere (and no expected MTU):
    vMotion works but without jumbo frames.
    """
    by_mtu: dict[int, list[str]] = {}
    for host in hosts:
        for vmk in host.vmks:
            by_mtu.setdefault(vmk.mtu, []).append(where(host.name, vmk.name))
    if not by_mtu:
        return []
    findings = []
    if len(by_mtu) > 1:
        groups = sorted(by_mtu.items(), key=lambda item: (len(item[1]), item[0]))
        detail = "; ".join(f"MTU {mtu} on {_names(members)}" for mtu, members in groups)
        findings.append(
            Finding(
                check=NAME,
                severity=Severity.WARNING,
                message=f"vMotion vmks use {len(by_mtu)} different MTUs: {detail}",
            )
        )
    if settings.expected_mtu is not None:
        for host in hosts:
            findings.extend(
                Finding(
                    check=NAME,
                    severity=Severity.WARNING,
                    message=f"{where(host.name, vmk.name)} has MTU {vmk.mtu}, expected {settings.expected_mtu}",
                    host=host.name,
                    vmk=vmk.name,
                )
                for vmk in host.vmks
                if vmk.mtu != settings.expected_mtu
            )
    elif max(by_mtu) <= 1500:
        count = sum(len(m) for m in by_mtu.values())
        mtus = "/".join(str(m) for m in sorted(by_mtu))
        findings.append(
            Finding(
                check=NAME,
                severity=Severity.INFO,
                message=(
                    f"all {count} vMotion vmks use MTU {mtus}: no jumbo frames (MTU {JUMBO_MTU} end to end "
                    "speeds up vMotion)"
                ),
            )
        )
    return findings
