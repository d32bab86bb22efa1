"""The steps of a run by key, each made once, with what it clears (finding checks, pair reasons, pairs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from validator.errors import CommandValueError
from validator.models import PairResult
from validator.remediation.step import NextStep, Owner, PairKey

Maker = Callable[[], NextStep]
StepKey = tuple[object, ...]
Steps = list[tuple[StepKey, Maker]]


@dataclass
class Entry:
    """A step and what it clears so far."""

    step: NextStep
    fixes: dict[str, None] = field(default_factory=dict)
    pairs: list[PairKey] = field(default_factory=list)
    findings: list[int] = field(default_factory=list)


class Plan:
    """The steps by key, each made once when first asked for (a value no command may carry makes a step in
    words), and what each clears; path-MTU pairs wait in ``path_mtu`` to be grouped at the end."""

    def __init__(self) -> None:
        self.entries: dict[StepKey, Entry] = {}
        self.path_mtu: list[PairResult] = []  # path-mtu pairs no host fix explains: grouped at the end
        self.path_mtu_groups: dict[StepKey, list[PairResult]] = {}

    def add(self, key: StepKey, make: Maker, fixes: str, *, pair: PairKey | None = None,
            finding: int | None = None) -> None:
        entry = self.entries.get(key)
        if entry is None:
            try:
                step = make()
            except CommandValueError as exc:  # a discovered value no command may carry: say so, run nothing
                step = NextStep(action="manual", owner=Owner.RUN,
                                summary=f"a value found on the host cannot be placed in a command ({exc}): "
                                        "check this by hand")
            entry = self.entries[key] = Entry(step)
        entry.fixes.setdefault(fixes)
        if pair is not None:
            entry.pairs.append(pair)
        if finding is not None and finding not in entry.findings:
            entry.findings.append(finding)

    def steps(self) -> tuple[NextStep, ...]:
        done = [replace(e.step, fixes=tuple(e.fixes), pairs=tuple(e.pairs), findings=tuple(e.findings))
                for e in self.entries.values()]
        done.sort(key=lambda s: (-len(s.pairs), -len(s.findings), s.host or "", s.vmk or "", s.summary))
        return tuple(done)


DEFERRED: StepKey = ("deferred",)
