"""The discovery seam: what the runner asks a source of host facts ("describe this host").

A :class:`Discoverer` turns one host of the inventory, and the SSH session the runner opened to it (or
why none could be opened), into a :class:`~validator.models.HostInfo`. It never raises for a host's
own failure: an unreachable or broken host comes back as a HostInfo whose status says so. The
esxcli-over-SSH discoverer (:mod:`validator.esxcli_discovery`) is the default; other sources (vCenter)
implement the same protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from validator.errors import TransportError
from validator.inventory import InventoryHost
from validator.models import HostInfo
from validator.transport import Executor


@dataclass(frozen=True)
class HostContext:
    """One host to describe: its inventory entry, the stack to look at, and its SSH session if any."""

    host: InventoryHost
    netstack: str
    executor: Executor | None = None
    connect_error: TransportError | None = None  # why there is no executor


class Discoverer(Protocol):
    """Describes hosts; one discoverer serves a whole run and may be called from several threads."""

    def discover(self, context: HostContext) -> HostInfo: ...
