"""gateway_unreachable: does each vmotion-stack vmk's gateway answer?"""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check, where
from validator.models import Finding, HostInfo, PairResult, PairStatus, Severity

NAME = "gateway_unreachable"


@check(NAME)
def gateway_unreachable(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """A vmotion-stack vmk's own gateway does not answer ping (small packets, once per run).

    Error: no routed pair from that vmk passes either, so routed vMotion from it cannot work. Warning: routed
    pairs from it pass, so the gateway routes but does not answer echo requests sent to itself.
    """
    routed_ok = {
        (p.plan.src_host, p.plan.src_vmk, p.plan.family) for p in pairs if p.status is PairStatus.PASS and p.routed
    }
    findings: list[Finding] = []
    for host in hosts:
        for probe in host.gateway_probes:
            if probe.reachable is not False:
                continue
            label = probe.family.label
            detail = f" ({probe.detail})" if probe.detail else ""
            if (host.name, probe.vmk, probe.family) in routed_ok:
                severity = Severity.WARNING
                consequence = "yet routed pairs from it pass: the gateway may filter echo requests to itself"
            else:
                severity = Severity.ERROR
                consequence = "routed vMotion from this vmk cannot work until it does"
            findings.append(Finding(
                check=NAME, severity=severity, host=host.name, vmk=probe.vmk,
                message=f"{where(host.name, probe.vmk)}: its {label} gateway {probe.gateway} does not answer"
                        f"{detail}; {consequence}",
            ))
    return findings
