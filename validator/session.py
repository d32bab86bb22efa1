"""Run a streamed batch on one host and hand over each job's outcome the moment it is read.

A session is judged by its host's progress, not by finished jobs: the script's heartbeat says every second
how far it got, so a host that is slow but working is waited for however long it takes. A session ends
early when the host goes silent (nothing read for ``silence`` seconds), when it keeps beating but no
job ends although every job's own deadline (enforced on the host, counted in its heartbeats) has
passed, when it prints more than a session may read, and on the cancel event (Ctrl-C). However it ends,
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
from validator.transport import Executor, StreamingExecutor, start_script

MAX_SESSION_BYTES = 64 * 1024 * 1024  # read from one host in one session, at most
POLL_SECONDS = 0.5  # how often a waiting session looks at the cancel event (Ctrl-C: within a second)
MAX_WINDOWS = 64  # changes of the host's window kept per session
STUCK_MARGIN_BEATS = 30  # heartbeats past the longest deadline before a host that ends no job is given up


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
) -> SessionEnd:
    """Run the command chains ``jobs`` (already validated) in one session; ``on_job`` gets each finished job
    (not those stopped at their ``deadlines``, seconds from their start on the host)."""
    width = min(concurrency, batch.MAX_PARALLEL)
    # a streaming executor runs the script in a process group of its own (sshd: a new session)
    script, nonce = batch.build_parallel(jobs, width, isolate=False, gates=gates, deadlines=deadlines,
                                         own_group=isinstance(executor, StreamingExecutor))
    try:
        stream = start_script(executor, script, timeout=silence)
    except TransportError as exc:
        return SessionEnd(EndKind.FAILED, str(exc))
    reader = FrameReader(nonce)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    left, total, received = set(jobs), len(jobs), 0
    late: set[str] = set()
    windows = [width]
    # the host's own deadlines bound how many of its heartbeats (its seconds: a loaded host's run slow) may
    # come without a job ending
    stuck_after = max(deadlines.values(), default=0) + STUCK_MARGIN_BEATS if deadlines else None
    quiet_since = time.monotonic()
    moved_at = 0  # the heartbeat count when a job last ended

    def end(kind: EndKind, message: str, noise: str = "") -> SessionEnd:
        return SessionEnd(kind, message, noise, frozenset(late), tuple(windows))

    try:
        while left:
            if cancel is not None and cancel.is_set():
                return end(EndKind.INTERRUPTED, "the run was interrupted", reader.noise)
            now = time.monotonic()
            waited = now - quiet_since
            if waited >= silence:
                done = total - len(left)
                return end(EndKind.SILENT, f"nothing from {host} for {silence:g} s, not even its heartbeat "
                           f"({done} of {total} finished); session stopped", reader.noise)
            if stuck_after is not None and reader.beats - moved_at >= stuck_after:
                done = total - len(left)
                return end(EndKind.SILENT, f"{host} ended no probe for {stuck_after} of its seconds although each "
                           f"probe's deadline had passed ({done} of {total} finished); session stopped", reader.noise)
            chunk = stream.read(min(POLL_SECONDS, silence - waited))
            if chunk is None:
                continue
            if not chunk:
                return end(EndKind.ENDED, f"the session on {host} ended early", reader.noise)
            quiet_since = time.monotonic()
            received += len(chunk)
            if received > max_bytes:
                return end(EndKind.TOO_MUCH, f"{host} printed more than {max_bytes // 1048576} MiB; session stopped")
            for job in reader.feed(decoder.decode(chunk)):
                if job.tag in left:
                    left.discard(job.tag)
                    moved_at = reader.beats
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
