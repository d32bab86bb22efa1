"""A connector that does not try SSH where vCenter says it cannot work (TSM-SSH stopped).

The host's pairs then come out ``error`` at once instead of waiting for a connect timeout.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from validator.errors import ConnectError
from validator.models import HostTarget
from validator.transport import Connector, Executor
from validator.vcenter.mapping import VCenterHost


class GuardedConnector:
    """Refuses hosts whose TSM-SSH vCenter reports stopped (unless started for this run), else delegates."""

    def __init__(self, inner: Connector, hosts: Sequence[VCenterHost], started: Collection[str] = ()) -> None:
        self._inner = inner
        self._stopped = {h.name for h in hosts if h.facts.ssh_running is False and h.name not in started}

    def connect(self, target: HostTarget) -> Executor:
        if target.name in self._stopped:
            raise ConnectError(
                f"SSH not tried: vCenter reports TSM-SSH stopped on {target.name} (start it, or use --enable-ssh)",
                target.name,
            )
        return self._inner.connect(target)
