"""Run a streamed batch on one host and hand over each job's outcome the moment it is read.

A session is judged by its host's progress, not by finished jobs: the script's heartbeat says every second
how far it got, so a host that is slow but working is waited for however long it takes. When the heartbeat
stops coming (a host so busy that its script is not scheduled), the host's SSH server is asked for a keepalive
answer every :data:`KEEPALIVE_AFTER` seconds: a host that answers is busy, not gone, and is waited for (up to
:data:`MAX_QUIET_FACTOR` times ``silence`` without a heartbeat). A session ends early when the host goes
silent (neither its output nor its SSH server heard from for ``silence`` seconds), when it keeps beating but
no job ends although every job's own limit (enforced on the host, counted in its own seconds) has passed,
when it prints more than a session may read, and on the cancel event (Ctrl-C). However it ends,
every job that finished has been handed over, and :class:`SessionEnd` says why the others have no outcome
(``timed_out``: the jobs the host stopped at their deadline). The remote work is stopped on every way out.
"""

from __future__ import annotations

import codecs
import threading
import time
from collections.abc import Callable, Collection, Mapping

from validator.errors import TransportError
from validator.esxi import batch
from validator.esxi.stream import FrameReader, JobOutput
from validator.prober import EndKind, SessionEnd
from validator.transport import AnsweringStream, Executor, Stream, StreamingExecutor, start_script

MAX_SESSION_BYTES = 64 * 1024 * 1024  # read from one host in one session, at most
POLL_SECONDS = 0.5  # how often a waiting session looks at the cancel event (Ctrl-C: within a second)
MAX_WINDOWS = 64  # changes of the host's window kept per session
STUCK_MARGIN_TICKS = 30  # host seconds past the longest deadline before a host that ends no job is given up
KEEPALIVE_AFTER = 15.0  # seconds without a word from the host before its SSH server is asked whether it is there
MAX_QUIET_FACTOR = 10  # a host whose SSH server answers may go this many times ``silence`` without a heartbeat


class Liveness:
    """When the host was last heard from: its output, or its SSH server answering a keepalive."""

    def __init__(self, stream: Stream, now: float) -> None:
        self.output_at = now
        self.heard_at = now
        self._stream = stream if isinstance(stream, AnsweringStream) else None
        self._answered: threading.Event | None = None

    def output(self, now: float) -> None:
        self.output_at = self.heard_at = now

    def poll(self, now: float) -> None:
        """Note an answer that came; ask again once the host has been quiet for :data:`KEEPALIVE_AFTER`."""
        if self._answered is not None and self._answered.is_set():
            self.heard_at, self._answered = now, None
        if self._stream is not None and self._answered is None and now - self.heard_at >= KEEPALIVE_AFTER:
            self._answered = self._stream.keepalive()


def run_jobs(
    executor: Executor,
    jobs: Mapping[str, Mapping[str, str]],
    *,
    host: str,
    concurrency: int,
    silence: float,
    on_job: Callable[[JobOutput], None],
    gates: Collection[str] = (),
    cancel: threading.Event | None = None,
    max_bytes: int = MAX_SESSION_BYTES,
    deadlines: Mapping[str, int] | None = None,
    stall_factor: int = 2,
) -> SessionEnd:
    """Run the command chains ``jobs`` (already validated) in one session; ``on_job`` gets each finished job
    (not those stopped at their ``deadlines``, seconds from their start on the host)."""
    width = min(concurrency, batch.MAX_PARALLEL)
    # a streaming executor runs the script in a process group of its own (sshd: a new session)
    script, nonce = batch.build_parallel(jobs, width, isolate=False, gates=gates, deadlines=deadlines,
                                         own_group=isinstance(executor, StreamingExecutor), stall_factor=stall_factor)
    try:
        stream = start_script(executor, script, timeout=silence)
    except TransportError as exc:
        return SessionEnd(EndKind.FAILED, str(exc))
    del script  # sent: a long session need not keep it (one per host at a time, ~1 KiB per probe)
    reader = FrameReader(nonce)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    left, total, received = set(jobs), len(jobs), 0
    late: set[str] = set()
    windows = [width]
    # the host's own deadlines bound how many of its seconds (its heartbeats say: a loaded host's run slow) may
    # come without a job ending
    stuck_after = stall_factor * max(deadlines.values(), default=0) + STUCK_MARGIN_TICKS if deadlines else None
    liveness = Liveness(stream, time.monotonic())
    max_quiet = MAX_QUIET_FACTOR * silence
    moved_at = 0  # the host's seconds when a job last ended

    def end(kind: EndKind, message: str, noise: str = "") -> SessionEnd:
        return SessionEnd(kind, message, noise, frozenset(late), tuple(windows))

    try:
        while left:
            if cancel is not None and cancel.is_set():
                return end(EndKind.INTERRUPTED, "the run was interrupted", reader.noise)
            now = time.monotonic()
            liveness.poll(now)
            done = total - len(left)
            if now - liveness.heard_at >= silence:
                return end(EndKind.SILENT, f"nothing from {host} for {silence:g} s, not even its heartbeat, and its "
                           f"SSH server did not answer ({done} of {total} finished); session stopped", reader.noise)
            if now - liveness.output_at >= max_quiet:
                return end(EndKind.SILENT, f"no heartbeat from {host} for {max_quiet:g} s although its SSH server "
                           f"answers ({done} of {total} finished); session stopped", reader.noise)
            if stuck_after is not None and reader.progress.ticks - moved_at >= stuck_after:
                return end(EndKind.SILENT, f"{host} ended no probe for {stuck_after} of its seconds although each "
                           f"probe's deadline had passed ({done} of {total} finished); session stopped", reader.noise)
            chunk = stream.read(POLL_SECONDS)
            if chunk is None:
                continue
            if not chunk:
                return end(EndKind.ENDED, f"the session on {host} ended early", reader.noise)
            liveness.output(time.monotonic())
            received += len(chunk)
            if received > max_bytes:
                return end(EndKind.TOO_MUCH, f"{host} printed more than {max_bytes // 1048576} MiB; session stopped")
            for job in reader.feed(decoder.decode(chunk)):
                if job.tag in left:
                    left.discard(job.tag)
                    moved_at = reader.progress.ticks
                    if job.late:
                        late.add(job.tag)
                    else:
                        on_job(job)
            window = reader.progress.window
            if window and window != windows[-1] and len(windows) < MAX_WINDOWS:
                windows.append(window)
    except TransportError as exc:
        return end(EndKind.FAILED, str(exc), reader.noise)
    finally:
        stream.close()
    return end(EndKind.DONE, f"{len(late)} probe(s) on {host} ran past their deadline and were stopped" if late else "")
