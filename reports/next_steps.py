"""The next steps as every human-facing format words them: a title with what the step clears, its lines.

The steps come from :func:`validator.remediation.for_report`. Their text carries host names, port groups and
tags, so everything here is made printable; each format escapes it further for its own syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reports.view import printable
from validator.models import PairResult
from validator.remediation import NextStep, PairKey, for_report
from validator.report import Report

__all__ = ["StepIndex", "clears", "command_lines", "index_steps", "step_title", "steps_of"]


def steps_of(report: Report) -> tuple[NextStep, ...]:
    return for_report(report)


def clears(step: NextStep) -> str:
    """``42 pairs, 1 finding`` (what the step clears), or ``""``."""
    parts = []
    if step.pairs:
        parts.append(f"{len(step.pairs)} pair{'s' if len(step.pairs) != 1 else ''}")
    if step.findings:
        parts.append(f"{len(step.findings)} finding{'s' if len(step.findings) != 1 else ''}")
    return ", ".join(parts)


def step_title(step: NextStep) -> str:
    """The step's summary with what it clears: ``esx06: add ... (clears 32 pairs, 1 finding)``."""
    cleared = clears(step)
    return printable(step.summary) + (f" (clears {cleared})" if cleared else "")


def command_lines(step: NextStep) -> list[tuple[str, str]]:
    """``(label, text)`` per line under a step: the commands to run ``on HOST``, their ``PowerCLI`` equivalent,
    what to ``check``."""
    on_host = f"on {printable(step.host)}" if step.host else "on the host"
    lines = [(on_host, printable(c)) for c in step.esxcli]
    lines += [("PowerCLI", printable(c)) for c in step.powercli]
    lines += [("check", printable(c)) for c in step.checks]
    return lines


@dataclass(frozen=True)
class StepIndex:
    """Which steps (by position) address each pair and each finding."""

    by_pair: dict[PairKey, list[int]]
    by_finding: dict[int, list[int]]

    def for_pair(self, pair: PairResult) -> list[int]:
        return self.by_pair.get(pair.plan.key, [])

    def for_finding(self, index: int) -> list[int]:
        return self.by_finding.get(index, [])


def index_steps(steps: Sequence[NextStep]) -> StepIndex:
    by_pair: dict[PairKey, list[int]] = {}
    by_finding: dict[int, list[int]] = {}
    for n, step in enumerate(steps):
        for key in step.pairs:
            by_pair.setdefault(key, []).append(n)
        for index in step.findings:
            by_finding.setdefault(index, []).append(n)
    return StepIndex(by_pair, by_finding)
