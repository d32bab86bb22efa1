"""Run a streamed batch on one host and hand over each job's outcome the moment it is read.

A session is bounded by silence (no finished job for ``silence`` seconds), by the bytes read from the host
and by a cancel event (Ctrl-C); however it ends, every job that finished has been handed over, and
:class:`SessionEnd` says why the others have no outcome. The remote work is stopped on every way out.
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
POLL_SECONDS = 0.2  # how often a waiting session looks at the cancel event


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
) -> SessionEnd:
    """Run the command chains ``jobs`` (already validated) in one session; ``on_job`` gets each finished job."""
    # a streaming executor runs the script in a process group of its own (sshd: a new session)
    script, nonce = batch.build_parallel(jobs, min(concurrency, batch.MAX_PARALLEL), isolate=False, gates=gates,
                                         own_group=isinstance(executor, StreamingExecutor))
    try:
        stream = start_script(executor, script, timeout=silence)
    except TransportError as exc:
        return SessionEnd(EndKind.FAILED, str(exc))
    reader = FrameReader(nonce)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    left, total, received = set(jobs), len(jobs), 0
    quiet_since = time.monotonic()
    try:
        while left:
            if cancel is not None and cancel.is_set():
                return SessionEnd(EndKind.INTERRUPTED, "the run was interrupted", reader.noise)
            waited = time.monotonic() - quiet_since
            if waited >= silence:
                done = total - len(left)
                return SessionEnd(
                    EndKind.SILENT,
                    f"no outcome from {host} for {silence:g} s ({done} of {total} finished); session stopped",
                    reader.noise,
                )
            chunk = stream.read(min(POLL_SECONDS, silence - waited))
            if chunk is None:
                continue
            if not chunk:
                return SessionEnd(EndKind.ENDED, f"the session on {host} ended early", reader.noise)
            if not received:  # the script runs: its start-up on a loaded host does not count as silence
                quiet_since = time.monotonic()
            received += len(chunk)
            if received > max_bytes:
                return SessionEnd(
                    EndKind.TOO_MUCH, f"{host} printed more than {max_bytes // 1048576} MiB; session stopped"
                )
            for job in reader.feed(decoder.decode(chunk)):
                if job.tag in left:
                    left.discard(job.tag)
                    quiet_since = time.monotonic()
                    on_job(job)
    except TransportError as exc:
        return SessionEnd(EndKind.FAILED, str(exc), reader.noise)
    finally:
        stream.close()
    return SessionEnd(EndKind.DONE)

