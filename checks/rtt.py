"""rtt: pairs slower than vMotion supports."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import check, where
from validator.models import CheckSettings, Finding, HostInfo, PairResult, Severity

NAME = "rtt"
DEFAULT_SETTINGS = CheckSettings()


@check(NAME)
def rtt(
    hosts: Sequence[HostInfo], pairs: Sequence[PairResult], settings: CheckSettings = DEFAULT_SETTINGS
) -> list[Finding]:
    """vMotion requires a round-trip time of at most 150 ms (``[checks] max_rtt_ms``) between vMotion vmks.

    One warning per directed pair whose sustained latency exceeds it: the minimum RTT of the probe, so one
    delayed packet on a busy host is not mistaken for a slow path.
    """
    limit = settings.max_rtt_ms
    findings = []
    for pair in pairs:
        if pair.rtt_min_ms is None or pair.rtt_min_ms <= limit:
            continue
        p = pair.plan
        message = (
            f"{where(p.src_host, p.src_vmk)} -> {where(p.dst_host, p.dst_vmk)} ({p.dst_ip}): minimum RTT "
            f"{pair.rtt_min_ms:g} ms (avg {pair.rtt_avg_ms:g} ms) exceeds the {limit:g} ms vMotion supports"
        )
        findings.append(Finding(check=NAME, severity=Severity.WARNING, message=message, host=p.src_host, vmk=p.src_vmk))
    return findings
