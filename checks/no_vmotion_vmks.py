"""no_vmotion_vmks: a reachable host with nothing to probe on the stack."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check
from validator.models import Finding, HostInfo, PairResult, Severity

NAME = "no_vmotion_vmks"


@check(NAME)
def no_vmotion_vmks(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """A host without a vmk on the vMotion TCP/IP stack cannot send or receive routed vMotion.

    The stack only exists once a VMkernel adapter has been created on it; an existing vmk cannot be
    moved to it, a new one must be created. One error per reachable host missing the stack or its vmks.
    """
    findings = []
    for host in hosts:
        if not host.ok:
            continue
        if not host.netstack_present:
            message = (
                f"{host.name}: TCP/IP stack {host.netstack!r} does not exist; create a VMkernel adapter "
                f"on the {host.netstack} stack"
            )
        elif not host.vmks:
            message = (
                f"{host.name}: no VMkernel adapter on the {host.netstack} stack; the host cannot take part "
                "in (routed) vMotion"
            )
        else:
            continue
        findings.append(Finding(check=NAME, severity=Severity.ERROR, message=message, host=host.name))
    return findings
