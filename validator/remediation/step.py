"""What a next step is (:class:`NextStep`), who applies it (:class:`Owner`), and how it names the pairs it clears."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

PairKey = tuple[str, str, str, str, str]  # PairPlan.key: src host, src vmk, dst host, dst vmk, family

GATEWAY_UNREACHABLE = "gateway_unreachable"  # the source vmk gets no answer from its stack gateway
GATEWAY_MTU = "gateway_mtu"  # DF at the vmk's MTU to its gateway is lost


class Owner(StrEnum):
    """Who applies a step: on the host (esxcli), in vCenter (PowerCLI), on the network, or on the run."""

    HOST = "host"
    VCENTER = "vcenter"
    NETWORK = "network"
    RUN = "run"


@dataclass(frozen=True, slots=True)
class NextStep:
    """One thing to do; ``pairs`` and ``findings`` (indexes into the report's findings) are what it clears."""

    action: str
    summary: str
    owner: Owner
    host: str | None = None
    vmk: str | None = None
    esxcli: tuple[str, ...] = ()  # to run on ``host``, in order
    powercli: tuple[str, ...] = ()  # the same change made through vCenter
    checks: tuple[str, ...] = ()  # what to verify or decide, in words
    fixes: tuple[str, ...] = ()  # finding checks and pair reasons it addresses
    pairs: tuple[PairKey, ...] = ()
    findings: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "summary": self.summary,
            "owner": self.owner.value,
            "host": self.host,
            "vmk": self.vmk,
            "esxcli": list(self.esxcli),
            "powercli": list(self.powercli),
            "checks": list(self.checks),
            "fixes": list(self.fixes),
            "pair_count": len(self.pairs),
            "pairs": [list(key) for key in self.pairs],
            "findings": list(self.findings),
        }
