"""drift: the vMotion vmks the inventory declares, compared with the vmks found on the host."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import all_vmks, check, where
from validator.models import ExpectedVmk, Finding, HostInfo, PairResult, Severity, Vmk

NAME = "drift"


@check(NAME)
def drift(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """Declared versus found: each vmk the inventory lists (``vmks``) must exist on the probed stack with
    the declared addresses, prefixes and MTU.

    Error: a declared vmk missing, or found on another stack. Warning: found with another address, prefix
    or MTU; a vmk on the probed stack that the inventory does not declare. Only hosts with declared vmks
    that could be discovered are compared.
    """
    findings: list[Finding] = []
    for host in hosts:
        if host.expected_vmks is None or not host.ok:
            continue
        found = {vmk.name: vmk for vmk in all_vmks(host)}
        declared = {vmk.name for vmk in host.expected_vmks}
        for expected in host.expected_vmks:
            findings.extend(_compare(host, expected, found.get(expected.name)))
        findings.extend(
            _finding(host, vmk, Severity.WARNING, f"found on the {vmk.netstack} stack but not declared")
            for vmk in host.vmks
            if vmk.name not in declared
        )
    return findings


def _compare(host: HostInfo, expected: ExpectedVmk, vmk: Vmk | None) -> list[Finding]:
    if vmk is None:
        return [_finding(host, expected, Severity.ERROR, f"declared in the inventory but missing on {host.name}")]
    if vmk.netstack != host.netstack:
        return [
            _finding(
                host, vmk, Severity.ERROR,
                f"declared on the {host.netstack} stack but found on {vmk.netstack}",
            )
        ]
    differences = []
    want = {str(a) for a in expected.addresses}
    have = {str(a) for a in vmk.addresses if not a.ip.is_link_local}
    if want and want != have:
        missing = ", ".join(sorted(want - have)) or "-"
        extra = ", ".join(sorted(have - want)) or "-"
        differences.append(f"addresses: declared {', '.join(sorted(want))}, found {', '.join(sorted(have)) or 'none'}"
                           f" (missing {missing}; not declared {extra})")
    if expected.mtu is not None and expected.mtu != vmk.mtu:
        differences.append(f"MTU: declared {expected.mtu}, found {vmk.mtu}")
    return [_finding(host, vmk, Severity.WARNING, "; ".join(differences))] if differences else []


def _finding(host: HostInfo, vmk: Vmk | ExpectedVmk, severity: Severity, text: str) -> Finding:
    return Finding(check=NAME, severity=severity, message=f"{where(host.name, vmk.name)}: {text}", host=host.name,
                   vmk=vmk.name)
