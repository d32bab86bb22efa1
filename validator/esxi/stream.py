"""Read a streamed batch (:func:`validator.esxi.batch.build_parallel`) as it arrives: pure and bounded.

Feed text in chunks of any size; each finished job comes out as a :class:`JobOutput` as soon as its
``@@vmv-<nonce>-done <tag>`` marker is read (``late`` when the host stopped it at its deadline); the
host's heartbeat (``@@vmv-<nonce>-beat``) is kept as :attr:`FrameReader.progress`. Memory stays bounded
whatever the host prints: a frame keeps at
most ``keep`` characters of its output (the rest is counted and dropped, the output marked truncated), text
outside frames keeps only its last ``noise_tail`` characters (for diagnostics).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from validator.esxi.batch import _FRAME_TAG, CommandOutput, _check_nonce

_TAG_ONLY = re.compile(_FRAME_TAG)

DEFAULT_KEEP = 4096  # characters kept per frame
NOISE_TAIL = 2048
_GUARD = 512  # longest marker line: kept unparsed at the end of the buffer until more text arrives
_RC = re.compile(r"([0-9]{1,3})\n")


@dataclass(frozen=True)
class JobOutput:
    """One finished job: its frames (``tag`` or ``tag/step``); a cut output ends in :func:`truncation_note`."""

    tag: str
    frames: dict[str, CommandOutput]
    late: bool = False  # stopped on the host at its deadline: its outcome is missing


@dataclass(frozen=True)
class Progress:
    """What the host's last heartbeat said: jobs started, ended, stopped late, and its window."""

    started: int = 0
    finished: int = 0
    late: int = 0
    window: int = 0
    ticks: int = 0  # the host's seconds so far (its own clock: a loaded host's run slow)


def truncation_note(dropped: int) -> str:
    """The line appended to an output that was cut."""
    return f"\n[vmotion-validator: output truncated, {dropped} more characters not kept]\n"


@dataclass
class _Frame:
    tag: str
    end: str  # the text its end marker starts with: "\n@@vmv-<nonce>-end <tag> rc="
    kept: list[str] = field(default_factory=list)
    size: int = 0
    dropped: int = 0

    def add(self, text: str, keep: int) -> None:
        room = max(0, keep - self.size)
        self.kept.append(text[:room])
        self.size += min(room, len(text))
        self.dropped += max(0, len(text) - room)

    def output(self) -> str:
        text = "".join(self.kept)
        return text + truncation_note(self.dropped) if self.dropped else text


class FrameReader:
    """Incremental splitter of a streamed batch's output (``\\r\\n`` read as ``\\n``)."""

    def __init__(self, nonce: str, keep: int = DEFAULT_KEEP) -> None:
        nonce = _check_nonce(nonce)
        self._keep = keep
        self._marker = re.compile(rf"^@@vmv-{nonce}-(begin|done|late|beat) ([^\n]{{1,300}})\n", re.MULTILINE)
        self._end_prefix = f"\n@@vmv-{nonce}-end "
        self._buffer = ""
        self._pending_cr = False
        self._frame: _Frame | None = None
        self._frames: dict[str, CommandOutput] = {}
        self._noise = ""
        self._late: set[str] = set()
        self.progress = Progress()

    @property
    def held(self) -> int:
        """Characters held so far: the unparsed buffer plus the kept part of an open frame."""
        return len(self._buffer) + (self._frame.size if self._frame is not None else 0)

    @property
    def noise(self) -> str:
        """The last characters printed outside any frame (heartbeats stripped): shell errors and the like."""
        return self._noise.strip("\n")

    def feed(self, text: str) -> list[JobOutput]:
        """Add ``text``; every job finished by it, in order."""
        if self._pending_cr:
            text = "\r" + text
        self._pending_cr = text.endswith("\r")
        if self._pending_cr:
            text = text[:-1]
        self._buffer += text.replace("\r\n", "\n")
        jobs: list[JobOutput] = []
        while True:
            if self._frame is not None:
                if not self._in_frame():
                    return jobs
                continue
            job = self._outside()
            if job is None:
                if self._frame is None:
                    return jobs
                continue
            jobs.append(job)

    def _in_frame(self) -> bool:
        """Consume frame text; True when the frame ended (its end marker read)."""
        frame = self._frame
        assert frame is not None
        buffer = self._buffer
        start = buffer.find(frame.end)
        while start >= 0 and (rc := _RC.match(buffer, start + len(frame.end))) is None:
            start = buffer.find(frame.end, start + 1)
        if start < 0 or rc is None:
            cut = max(0, len(buffer) - _GUARD)
            frame.add(buffer[:cut], self._keep)
            self._buffer = buffer[cut:]
            return False
        frame.add(buffer[:start], self._keep)
        self._frames.setdefault(frame.tag, CommandOutput(frame.output(), int(rc.group(1))))
        self._buffer = buffer[rc.end() - 1 :]  # the newline may start the next marker line
        self._frame = None
        return True

    def _outside(self) -> JobOutput | None:
        """Look for the next marker; a finished job, or None (maybe inside a frame now)."""
        while True:
            first = self._marker.search(self._buffer)
            if first is None:
                cut = max(0, len(self._buffer) - _GUARD)
                self._note_noise(self._buffer[:cut])
                self._buffer = self._buffer[cut:]
                return None
            self._note_noise(self._buffer[: first.start()])
            self._buffer = self._buffer[first.end() :]
            kind, value = first.group(1), first.group(2)
            if kind == "beat":
                self._beat(value)
                continue
            if not _TAG_ONLY.fullmatch(value):
                continue
            if kind == "late":
                self._late.add(value)
                continue
            if kind == "begin":
                self._frame = _Frame(value, f"{self._end_prefix}{value} rc=")
                return None
            frames = {k: v for k, v in self._frames.items() if k == value or k.startswith(value + "/")}
            self._frames = {}
            late = value in self._late
            self._late.discard(value)
            return JobOutput(value, frames, late)

    def _beat(self, value: str) -> None:
        numbers = value.split(" ")
        if len(numbers) == 5 and all(n.isdigit() and len(n) < 10 for n in numbers):
            self.progress = Progress(*(int(n) for n in numbers))

    def _note_noise(self, text: str) -> None:
        text = text.strip("\n")
        if text:
            self._noise = (self._noise + "\n" + text)[-NOISE_TAIL:]
