"""The ``discover`` per-host table: vmk, stack, addresses, MTU, services and gateway of every vmk.

Names and services come from vCenter: untrusted text, made printable before it reaches a terminal."""

from __future__ import annotations

from collections.abc import Sequence

from tabulate import tabulate

from reports.view import printable
from validator.models import Finding, HostInfo, Vmk


def discovery_text(hosts: Sequence[HostInfo], findings: Sequence[Finding]) -> str:
    """One block per host, then the findings."""
    blocks = [_host_block(h) for h in hosts]
    lines = [f"Findings ({len(findings)})"]
    lines += [f"  {f.severity.value:7} [{f.check}] {printable(f.message)}" for f in findings]
    return "\n\n".join([*blocks, "\n".join(lines)]) + "\n"


def _host_block(host: HostInfo) -> str:
    facts = host.vcenter
    state = []
    if facts is not None:
        state.append(facts.connection_state.value)
        if facts.in_maintenance:
            state.append("maintenance")
        if facts.locked_down:
            state.append(facts.lockdown_mode.value)
        state.append({True: "ssh running", False: "SSH STOPPED", None: "ssh unknown"}[facts.ssh_running])
    title = printable(f"{host.name} ({host.address}), cluster {host.cluster or '-'}: {', '.join(state)}")
    rows = [[printable(cell) for cell in _row(host, v)] for v in (*host.vmks, *host.other_vmks)]
    table = tabulate(rows, headers=["vmk", "stack", "address", "MTU", "services", "gateway"], disable_numparse=True)
    return f"{title}\n{table}" if rows else f"{title}\n  (no vmks)"


def _row(host: HostInfo, vmk: Vmk) -> list[str]:
    if vmk.gateway is not None:
        gateway = f"{vmk.gateway} (vmk)"
    elif host.vcenter is not None and (stack := host.vcenter.stack(vmk.netstack)) is not None:
        gateway = ", ".join(str(g) for g in (stack.gateway, stack.gateway6) if g) or "none"
    else:
        gateway = "none"
    return [
        vmk.name,
        vmk.netstack,
        ", ".join(str(a) for a in vmk.addresses) or "-",
        str(vmk.mtu),
        ", ".join(vmk.tags) or "-",
        gateway,
    ]
