"""Progress of a run as events: one line of news plus the counts so far (hosts, pairs, failures).

The runner emits them; the CLI draws a live line or timestamped lines; library callers may ignore them.
Every pair's result is an event too (``pair`` set, ``message`` empty), sent the moment it is known.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from validator.models import PairResult, PairStatus


@dataclass(frozen=True)
class ProgressEvent:
    """What just happened (``message``) and where the run stands."""

    message: str
    hosts_total: int = 0
    hosts_discovered: int = 0
    pairs_total: int = 0
    pairs_done: int = 0
    pairs_failing: int = 0
    pair: PairResult | None = None  # set on a pair's event: the result just known


ProgressCallback = Callable[[ProgressEvent], None]


def ignore_progress(_event: ProgressEvent) -> None:
    """The default callback: progress is not shown."""


class ProgressTracker:
    """Counts what the run has done and sends an event for each step; safe to call from many threads."""

    def __init__(self, callback: ProgressCallback, hosts_total: int) -> None:
        self._callback = callback
        self._lock = threading.Lock()
        self.hosts_total = hosts_total
        self.hosts_discovered = 0
        self.pairs_total = 0
        self.pairs_done = 0
        self.pairs_failing = 0

    def host_discovered(self, message: str) -> None:
        with self._lock:
            self.hosts_discovered += 1
            event = self._event(message)
        self._callback(event)

    def planned(self, pairs: int, message: str) -> None:
        with self._lock:
            self.pairs_total = pairs
            event = self._event(message)
        self._callback(event)

    def pair_done(self, result: PairResult) -> None:
        """One pair's result: counted, and sent as an event of its own."""
        with self._lock:
            self.pairs_done += 1
            if result.status is not PairStatus.PASS:
                self.pairs_failing += 1
            event = self._event("", result)
        self._callback(event)

    def note(self, message: str) -> None:
        with self._lock:
            event = self._event(message)
        self._callback(event)

    def _event(self, message: str, pair: PairResult | None = None) -> ProgressEvent:
        return ProgressEvent(
            message=message,
            hosts_total=self.hosts_total,
            hosts_discovered=self.hosts_discovered,
            pairs_total=self.pairs_total,
            pairs_done=self.pairs_done,
            pairs_failing=self.pairs_failing,
            pair=pair,
        )
