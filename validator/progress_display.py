"""Show a run's progress on stderr: a live line on a terminal, timestamped lines otherwise, or nothing."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from validator.progress import ProgressCallback, ProgressEvent, ignore_progress

REDRAW = 0.1  # seconds between two redraws of the live line for pair events


class ProgressDisplay:
    """A :data:`~validator.progress.ProgressCallback` drawing events; :meth:`close` ends the live line."""

    def __init__(self, stream: TextIO, *, live: bool) -> None:
        self._stream = stream
        self._live = live
        self._start = time.monotonic()
        self._lock = threading.Lock()
        self._status_shown = False
        self._drawn = 0.0

    def __call__(self, event: ProgressEvent) -> None:
        if event.pair is not None:
            self._pair(event)
            return
        with self._lock:
            stamp = f"[{time.monotonic() - self._start:6.1f}s]"
            if self._live:
                self._clear()
                self._stream.write(f"{stamp} {event.message}\n")
                self._stream.write(self._status(event))
                self._status_shown = True
            else:
                self._stream.write(f"{stamp} {event.message}{self._counts(event)}\n")
            self._stream.flush()

    def _pair(self, event: ProgressEvent) -> None:
        """A pair's result: only the live status line shows it, redrawn at most every REDRAW seconds."""
        if not self._live:
            return
        now = time.monotonic()
        if now - self._drawn < REDRAW and event.pairs_done < event.pairs_total:
            return
        with self._lock:
            self._drawn = now
            self._clear()
            self._stream.write(self._status(event))
            self._status_shown = True
            self._stream.flush()

    def close(self) -> None:
        """Erase the live status line so what follows starts on a clean line."""
        with self._lock:
            if self._live:
                self._clear()
                self._stream.flush()

    def _clear(self) -> None:
        if self._status_shown:
            self._stream.write("\r\x1b[2K")
            self._status_shown = False

    @staticmethod
    def _counts(event: ProgressEvent) -> str:
        if not event.pairs_total:
            return ""
        return f" ({event.pairs_done}/{event.pairs_total} pairs, {event.pairs_failing} not passing)"

    @staticmethod
    def _status(event: ProgressEvent) -> str:
        hosts = f"hosts {event.hosts_discovered}/{event.hosts_total}"
        if not event.pairs_total:
            return f"{hosts} | discovering..."
        width = 24
        filled = width * event.pairs_done // event.pairs_total
        bar = "#" * filled + "-" * (width - filled)
        return (
            f"{hosts} | pairs [{bar}] {event.pairs_done}/{event.pairs_total} | "
            f"{event.pairs_failing} not passing"
        )


def progress_display(quiet: bool, stream: TextIO | None = None) -> tuple[ProgressCallback, ProgressDisplay | None]:
    """The callback for a run: nothing when ``quiet``, live when ``stream`` is a terminal, lines otherwise."""
    if quiet:
        return ignore_progress, None
    out = stream if stream is not None else sys.stderr
    display = ProgressDisplay(out, live=out.isatty())
    return display, display
