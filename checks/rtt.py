"""rtt: pairs slower than vMotion supports."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check, where
from validator.models import Finding, HostInfo, PairResult, Severity

NAME = "rtt"
MAX_RTT_MS = 150.0  # vMotion (long-distance included) supports up to 150 ms round trip


@check(NAME)
def rtt(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """vMotion requires a round-trip time of at most 150 ms between the hosts' vMotion vmks.

    One warning per directed pair whose average RTT exceeds it.
    """
    findings = []
    for pair in pairs:
        if pair.rtt_avg_ms is None or pair.rtt_avg_ms <= MAX_RTT_MS:
            continue
        p = pair.plan
        message = (
            f"{where(p.src_host, p.src_vmk)} -> {where(p.dst_host, p.dst_vmk)} ({p.dst_ip}): average RTT "
            f"{pair.rtt_avg_ms:g} ms exceeds the {MAX_RTT_MS:g} ms vMotion supports"
        )
        findings.append(Finding(check=NAME, severity=Severity.WARNING, message=message, host=p.src_host, vmk=p.src_vmk))
    return findings
