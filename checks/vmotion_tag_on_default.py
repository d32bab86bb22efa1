"""vmotion_tag_on_default: the vMotion service tagged on a vmk outside the vmotion stack."""

from __future__ import annotations

from collections.abc import Sequence

from checks._base import all_vmks, check, has_tag, service_tags, where
from validator.models import VMOTION_NETSTACK, Finding, HostInfo, PairResult, Severity

NAME = "vmotion_tag_on_default"


@check(NAME)
def vmotion_tag_on_default(hosts: Sequence[HostInfo], pairs: Sequence[PairResult]) -> list[Finding]:
    """A VMotion tag outside the vmotion stack is silently disabled once that stack has a vmk.

    vSphere then uses only the vmotion-stack vmks: the tagged vmk looks like a vMotion path in the UI but
    carries nothing, and multi-NIC vMotion plans built on it are wrong. One error per such vmk. With vCenter
    as the source, vCenter's service selection is what counts.
    """
    findings = []
    for host in hosts:
        stack_vmks = [v for v in all_vmks(host) if v.netstack == VMOTION_NETSTACK]
        if not stack_vmks:
            continue
        used = ", ".join(v.name for v in stack_vmks)
        for vmk in all_vmks(host):
            if vmk.netstack == VMOTION_NETSTACK or not has_tag(service_tags(host, vmk), "VMotion"):
                continue
            message = (
                f"{where(host.name, vmk.name)} on {vmk.netstack} is tagged VMotion while the host has "
                f"vmotion-stack vmks ({used}): vSphere silently disables vMotion on it; remove the tag"
            )
            findings.append(Finding(check=NAME, severity=Severity.ERROR, message=message, host=host.name, vmk=vmk.name))
    return findings
