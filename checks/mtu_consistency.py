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
    at the smaller one, and a larger vmk MTU than the physical path drops full-size frames. Each vmk at fault
    is a warning of its own naming its host and vmk: with an expected MTU set, each vmk that differs from it;
    else each vmk outside the majority MTU (a tie goes to the larger MTU). Info: MTU 1500 or less everywhere
    (and no expected MTU): vMotion works but without jumbo frames.
    """
    by_mtu: dict[int, list[str]] = {}
    for host in hosts:
        for vmk in host.vmks:
            by_mtu.setdefault(vmk.mtu, []).append(where(host.name, vmk.name))
    if not by_mtu:
        return []
    findings = _mixed_mtus(by_mtu)
    if settings.expected_mtu is not None:
        findings.extend(_unexpected_mtus(hosts, settings.expected_mtu))
    else:
        findings.extend(_outside_majority(hosts, by_mtu))
        if max(by_mtu) <= 1500:
            findings.append(_no_jumbo(by_mtu))
    return findings


def _by_size(by_mtu: dict[int, list[str]]) -> list[tuple[int, list[str]]]:
    """MTUs from the fewest vmks to the most (the majority last; a tie goes to the larger MTU)."""
    return sorted(by_mtu.items(), key=lambda item: (len(item[1]), item[0]))


def _mixed_mtus(by_mtu: dict[int, list[str]]) -> list[Finding]:
    """The cluster summary of the MTUs in use, when there is more than one."""
    if len(by_mtu) < 2:
        return []
    detail = "; ".join(f"MTU {mtu} on {_names(members)}" for mtu, members in _by_size(by_mtu))
    return [Finding(check=NAME, severity=Severity.WARNING,
                    message=f"vMotion vmks use {len(by_mtu)} different MTUs: {detail}")]


def _outside_majority(hosts: Sequence[HostInfo], by_mtu: dict[int, list[str]]) -> list[Finding]:
    """One finding per vmk whose MTU is not the majority's."""
    if len(by_mtu) < 2:
        return []
    majority, members = _by_size(by_mtu)[-1]
    total = sum(len(m) for m in by_mtu.values())
    return [
        Finding(
            check=NAME,
            severity=Severity.WARNING,
            message=(f"{where(host.name, vmk.name)} has MTU {vmk.mtu} while {len(members)} of {total} "
                     f"vMotion vmks use MTU {majority}"),
            host=host.name,
            vmk=vmk.name,
        )
        for host in hosts
        for vmk in host.vmks
        if vmk.mtu != majority
    ]


def _unexpected_mtus(hosts: Sequence[HostInfo], expected: int) -> list[Finding]:
    return [
        Finding(
            check=NAME,
            severity=Severity.WARNING,
            message=f"{where(host.name, vmk.name)} has MTU {vmk.mtu}, expected {expected}",
            host=host.name,
            vmk=vmk.name,
        )
        for host in hosts
        for vmk in host.vmks
        if vmk.mtu != expected
    ]


def _no_jumbo(by_mtu: dict[int, list[str]]) -> Finding:
    count = sum(len(m) for m in by_mtu.values())
    mtus = "/".join(str(m) for m in sorted(by_mtu))
    return Finding(
        check=NAME,
        severity=Severity.INFO,
        message=(
            f"all {count} vMotion vmks use MTU {mtus}: no jumbo frames (MTU {JUMBO_MTU} end to end "
            "speeds up vMotion)"
        ),
    )
