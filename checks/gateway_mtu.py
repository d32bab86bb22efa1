"""gateway_mtu: do packets of a vmk's full MTU reach its own gateway?"""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check, where
from validator.models import Finding, HostInfo, PairResult, Severity

NAME = "gateway_mtu"


@check(NAME)
def gateway_mtu(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """Small packets reach a vmk's own gateway but DF packets at the vmk's MTU do not.

    A hop between the vmk and its gateway (the vSwitch or its uplinks, a physical switch port, the router's
    interface) has a smaller MTU, so every routed pair from the vmk fails at full size. A small hop beyond the
    gateway is not this finding: it shows as ``path-mtu`` on the pairs that cross it.
    """
    findings: list[Finding] = []
    for host in hosts:
        for probe in host.gateway_probes:
            if probe.reachable is not True or probe.mtu_ok is not False:
                continue
            label = probe.family.label
            detail = f" ({probe.detail})" if probe.detail else ""
            findings.append(Finding(
                check=NAME, severity=Severity.ERROR, host=host.name, vmk=probe.vmk,
                message=f"{where(host.name, probe.vmk)}: small packets reach its {label} gateway {probe.gateway} "
                        f"but DF packets at the vmk's MTU {probe.mtu} do not{detail}: a hop between the vmk and "
                        f"its gateway has an MTU below {probe.mtu}",
            ))
    return findings
