"""How hard each host is driven: its concurrency, adapted to the pace it keeps (pure rules and a record).

Within a session the host's script adapts its own window (:func:`validator.esxi.batch.build_parallel`):
it backs off when a probe is stopped at its deadline or takes more than half of it, and grows again when
the probes keep well within theirs. Across sessions (the retry of unfinished pairs, the confirmation round,
the MTU search) a host starts where its last session left it, never above the run's ``--concurrency``; a
retry runs at a quarter of that. :class:`Pacing` records per host what the report shows.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

RETRY_DIVISOR = 4  # a retry of unfinished pairs runs at this fraction of the host's concurrency


@dataclass(frozen=True)
class HostPace:
    """One host's concurrency over the run: where it started, its lowest and last window, and what ran late."""

    host: str
    start: int
    lowest: int
    final: int
    sessions: int = 0
    timed_out: int = 0  # probes stopped on the host at their own deadline

    def to_dict(self) -> dict[str, object]:
        return {"host": self.host, "start": self.start, "lowest": self.lowest, "final": self.final,
                "sessions": self.sessions, "timed_out": self.timed_out}


def next_window(asked: int, pace: HostPace | None) -> int:
    """The concurrency of a host's next session: what was asked, but no more than where its last one ended."""
    if pace is None:
        return max(1, asked)
    return max(1, min(asked, pace.final))


def retry_window(concurrency: int) -> int:
    """The concurrency of a retry: lower, so that a busy host is not made busier."""
    return max(1, concurrency // RETRY_DIVISOR)


def observe(pace: HostPace | None, host: str, window: int, windows: Sequence[int], timed_out: int) -> HostPace:
    """``pace`` after one more session run at ``window`` whose host reported ``windows`` as it adapted."""
    seen = [window, *windows]
    if pace is None:
        pace = HostPace(host, window, window, window)
    return replace(pace, lowest=min(pace.lowest, *seen), final=seen[-1], sessions=pace.sessions + 1,
                   timed_out=pace.timed_out + timed_out)


class Pacing:
    """Every host's :class:`HostPace` over a run; safe to use from the rounds' threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hosts: dict[str, HostPace] = {}

    def window(self, host: str, asked: int) -> int:
        with self._lock:
            return next_window(asked, self._hosts.get(host))

    def record(self, host: str, window: int, windows: Sequence[int], timed_out: int) -> None:
        with self._lock:
            self._hosts[host] = observe(self._hosts.get(host), host, window, windows, timed_out)

    def summary(self) -> tuple[HostPace, ...]:
        with self._lock:
            return tuple(sorted(self._hosts.values(), key=lambda p: p.host))
