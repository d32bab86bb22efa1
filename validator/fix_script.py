"""Fix scripts: the next steps of a report as one reviewable shell script per host (pure; nothing is run).

Each script starts with ``set -eu`` and a header saying it was only written, never run; each command is
preceded by comments naming its step (numbered as every report format numbers them), the findings and
failing pairs it fixes, and its PowerCLI equivalent. Steps that are not commands for the host (vCenter,
the network, the run) are listed as comments at the end of the host's script, and steps that name no
host in ``other-steps.txt``. Commands are the validated, quoted ones of :mod:`validator.esxi.changes`;
every other text is made printable and kept on comment lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reports.view import printable
from validator.models import Finding, Reason
from validator.remediation import NextStep, for_report
from validator.report import Report

__all__ = ["OTHER_STEPS", "FixFile", "fix_files"]

OTHER_STEPS = "other-steps.txt"
_MAX_FINDING = 200  # characters of a finding's message quoted in a comment
_REASONS = {r.value for r in Reason}


@dataclass(frozen=True)
class FixFile:
    """One file to write: its name, its text, and how many commands it holds."""

    name: str
    text: str
    commands: int
    host: str | None


def _comment(text: str) -> str:
    return "# " + printable(text)


def _file_name(host: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", host).strip("._-") or "host"
    name, n = f"fix-{base}.sh", 1
    while name in taken:
        n += 1
        name = f"fix-{base}-{n}.sh"
    taken.add(name)
    return name


def _fixes(step: NextStep, findings: Sequence[Finding]) -> list[str]:
    lines = []
    for index in step.findings:
        f = findings[index]
        message = f.message if len(f.message) <= _MAX_FINDING else f.message[:_MAX_FINDING] + "..."
        lines.append(f"fixes finding [{f.check}] ({f.severity.value}): {message}")
    if step.pairs:
        reasons = ", ".join(r for r in step.fixes if r in _REASONS) or "failing"
        lines.append(f"fixes {len(step.pairs)} failing pair(s) ({reasons})")
    return lines


def _step_block(number: int, step: NextStep, findings: Sequence[Finding], runnable: bool) -> list[str]:
    lines = [_comment(f"Step {number}: {step.summary}")]
    lines += [_comment(f"  {text}") for text in _fixes(step, findings)]
    lines += [_comment(f"  PowerCLI{' instead (vCenter)' if step.esxcli else ''}: {c}") for c in step.powercli]
    lines += [_comment(f"  check: {c}") for c in step.checks]
    if runnable:
        for command in step.esxcli:
            if "\n" in command or "\r" in command:
                raise ValueError(f"a command of step {number} spans lines")
            lines.append(command)
    else:
        lines += [_comment(f"  on {step.host or 'the host'}: {c}") for c in step.esxcli]
    return lines


def _host_script(report: Report, host: str, numbered: Sequence[tuple[int, NextStep]]) -> tuple[str, int]:
    info = next((h for h in report.hosts if h.name == host), None)
    address = f" ({info.address})" if info is not None else ""
    lines = [
        "#!/bin/sh",
        _comment(f"vmotion-validator fix script for {host}{address}"),
        _comment(f"from the validation started {report.started_at} (netstack {report.netstack})"),
        "#",
        "# Writing this file ran nothing. Review every command, then run the script on the host",
        "# (ESXi Shell or SSH) in the change window:  sh THIS-FILE",
        "# Each command is preceded by the step it belongs to and what it fixes; validate again afterwards.",
        "set -eu",
    ]
    commands = 0
    host_steps = [(n, s) for n, s in numbered if s.esxcli]
    other = [(n, s) for n, s in numbered if not s.esxcli]
    for number, step in host_steps:
        lines += ["", *_step_block(number, step, report.findings, runnable=True)]
        commands += len(step.esxcli)
    if not host_steps:
        lines += ["", "# No command to run on this host: its steps are below."]
    if other:
        lines += ["", "# Not commands for this shell (vCenter, the network, or the run), listed for reference:"]
        for number, step in other:
            lines += ["#", *_step_block(number, step, report.findings, runnable=False)]
    return "\n".join(lines) + "\n", commands


def _other_steps(report: Report, numbered: Sequence[tuple[int, NextStep]]) -> str:
    lines = [
        _comment(f"vmotion-validator next steps that name no host, from the validation started {report.started_at}"),
    ]
    for number, step in numbered:
        lines += ["#", *_step_block(number, step, report.findings, runnable=False)]
    return "\n".join(lines) + "\n"


def fix_files(report: Report, steps: Sequence[NextStep] | None = None) -> list[FixFile]:
    """The files ``fix-script`` writes: one script per host with a next step, then ``other-steps.txt``."""
    steps = for_report(report) if steps is None else steps
    by_host: dict[str, list[tuple[int, NextStep]]] = {}
    no_host: list[tuple[int, NextStep]] = []
    for number, step in enumerate(steps, 1):
        if step.host is None:
            no_host.append((number, step))
        else:
            by_host.setdefault(step.host, []).append((number, step))
    taken: set[str] = {OTHER_STEPS}
    files = []
    for host, numbered in by_host.items():
        text, commands = _host_script(report, host, numbered)
        files.append(FixFile(_file_name(host, taken), text, commands, host))
    if no_host:
        files.append(FixFile(OTHER_STEPS, _other_steps(report, no_host), 0, None))
    return files
