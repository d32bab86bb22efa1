"""tsm_ssh_stopped: the SSH service (TSM-SSH) of a host is stopped."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check, vcenter_hosts
from validator.models import Finding, HostInfo, PairResult, Severity

NAME = "tsm_ssh_stopped"


@check(NAME)
def tsm_ssh_stopped(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """With TSM-SSH stopped the host cannot be probed: SSH is not tried and its pairs are ``error``.

    One error per host vCenter reports with TSM-SSH stopped; start it, or run with ``--enable-ssh`` (needs
    vCenter).
    """
    return [
        Finding(
            check=NAME, severity=Severity.ERROR, host=host.name,
            message=f"{host.name}: the SSH service (TSM-SSH) is stopped: its paths cannot be probed; start it "
                    "or run with --enable-ssh (started for the run, stopped afterwards)",
        )
        for host, facts in vcenter_hosts(hosts)
        if facts.ssh_running is False
    ]
