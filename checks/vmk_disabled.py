"""vmk_disabled: an administratively down vMotion vmk."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check, where
from validator.models import Finding, HostInfo, PairResult, Severity

NAME = "vmk_disabled"


@check(NAME)
def vmk_disabled(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """A disabled vmk on the stack carries no vMotion: multi-NIC vMotion loses a path silently.

    One warning per disabled vmk (its pairs fail with vmk-down).
    """
    findings = []
    for host in hosts:
        for vmk in host.vmks:
            if vmk.enabled:
                continue
            message = f"{where(host.name, vmk.name)} on the {vmk.netstack} stack is disabled"
            findings.append(
                Finding(check=NAME, severity=Severity.WARNING, message=message, host=host.name, vmk=vmk.name)
            )
    return findings
