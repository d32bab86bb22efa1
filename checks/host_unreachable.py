"""host_unreachable: a host discovery could not read."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check
from validator.models import Finding, HostInfo, HostStatus, PairResult, Severity

NAME = "host_unreachable"

_HINTS = {
    HostStatus.UNREACHABLE: "is SSH (TSM-SSH) running and port 22 reachable from here?",
    HostStatus.AUTH_FAILED: "check the user and password/key; lockdown mode refuses SSH to non-exception users",
    HostStatus.HOST_KEY: "the host key is unknown or changed (reinstalled host?); verify it, then trust it",
}


@check(NAME)
def host_unreachable(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """A host that could not be read was not tested at all: none of its vMotion paths are proven.

    One error per host whose status is not ok, with the error text discovery recorded.
    """
    findings = []
    for host in hosts:
        if host.ok:
            continue
        message = f"{host.name} ({host.address}): {host.status.value}"
        if host.error:
            message += f": {host.error}"
        hint = _HINTS.get(host.status)
        if hint:
            message += f" - {hint}"
        findings.append(Finding(check=NAME, severity=Severity.ERROR, message=message, host=host.name))
    return findings
