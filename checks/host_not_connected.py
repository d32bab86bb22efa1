"""host_not_connected: vCenter reports a host disconnected or not responding."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check, vcenter_hosts
from validator.models import Finding, HostInfo, PairResult, Severity

NAME = "host_not_connected"


@check(NAME)
def host_not_connected(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """vCenter cannot vMotion to or from a host it is not connected to, and its facts about it may be stale.

    One error per host whose vCenter connection state is not ``connected`` (needs vCenter).
    """
    return [
        Finding(
            check=NAME, severity=Severity.ERROR, host=host.name,
            message=f"{host.name}: vCenter reports it {facts.connection_state.value}: no vMotion to or from it, "
                    "and vCenter's view of its network may be stale",
        )
        for host, facts in vcenter_hosts(hosts)
        if not facts.connected
    ]
