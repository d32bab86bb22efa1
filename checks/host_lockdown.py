"""host_lockdown: a host in lockdown mode refuses SSH to non-exception users."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check, vcenter_hosts
from validator.models import Finding, HostInfo, LockdownMode, PairResult, Severity

NAME = "host_lockdown"


@check(NAME)
def host_lockdown(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """Lockdown mode (normal or strict) refuses SSH logins unless the user is on the host's exception list,
    so the validation cannot log in there and its pairs come out ``error``.

    One warning per locked-down host (needs vCenter).
    """
    findings = []
    for host, facts in vcenter_hosts(hosts):
        if not facts.locked_down:
            continue
        mode = "strict" if facts.lockdown_mode is LockdownMode.STRICT else "normal"
        message = (
            f"{host.name} is in {mode} lockdown mode: SSH is refused unless the user is on its exception list"
        )
        findings.append(Finding(check=NAME, severity=Severity.WARNING, message=message, host=host.name))
    return findings
