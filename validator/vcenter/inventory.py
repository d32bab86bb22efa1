"""vCenter's hosts as an :class:`~validator.inventory.Inventory`: the SSH mesh then runs as with a file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from validator.inventory import Inventory, InventoryHost
from validator.models import HostTarget
from validator.vcenter.mapping import VCenterHost


def inventory_from_vcenter(base: Inventory, hosts: Sequence[VCenterHost]) -> Inventory:
    """``base`` (its [ssh], [checks] and [vcenter] tables) with vCenter's hosts, each at its management
    address and in its cluster."""
    entries = tuple(
        InventoryHost(HostTarget(name=h.name, address=h.address, port=base.ssh.port), None, h.cluster)
        for h in hosts
    )
    return replace(base, hosts=entries)
