"""The SSH probe path: each round on a host is one streamed vmkping batch in one SSH session.

The sessions are the ones the run opened to describe the hosts (:class:`~validator.transport.Executor`
per host name); a host without one cannot be probed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from functools import lru_cache

from validator import prober
from validator.classify import ProbeFailure
from validator.errors import CommandValueError, TransportError
from validator.esxi import commands
from validator.esxi.stream import JobOutput
from validator.models import Reason
from validator.prober import (
    VIA_SSH,
    EndKind,
    Job,
    JobCallback,
    Ping,
    SessionEnd,
    StepOutput,
    job_deadline,
    silence_seconds,
)
from validator.session import run_jobs
from validator.transport import Executor


@lru_cache(maxsize=16384)
def vmkping_command(ping: Ping, netstack: str) -> str:
    """The ESXi command line of one ping (every value validated; :class:`CommandValueError` if refused).

    Built once per distinct ping: every source host sends the same pings to a peer vmk."""
    return commands.vmkping(
        ping.dst, netstack=netstack, vmk=ping.vmk, count=ping.count, interval=ping.interval,
        timeout=ping.timeout, size=ping.size, df=ping.df, family=ping.family,
    )


def refused(exc: CommandValueError) -> StepOutput:
    """The output of a step that was never sent because one of its values was refused."""
    message = f"refused to build the probe: {exc}"
    return StepOutput("", ProbeFailure(Reason.PARSE_ERROR, message))


class SshProber:
    """Runs each round as one vmkping batch over the host's SSH session."""

    via = VIA_SSH

    def __init__(self, executors: Mapping[str, Executor], netstack: str,
                 reconnect: Callable[[str], Executor] | None = None) -> None:
        self._executors = dict(executors)
        self._netstack = netstack
        self._reconnect = reconnect
        self._broken: set[str] = set()  # hosts whose last session broke: the next one reconnects first
        self._opened: list[Executor] = []  # sessions opened here (the others belong to the run)
        self._lock = threading.Lock()

    def can_probe(self, host: str) -> bool:
        return host in self._executors

    def run(
        self,
        host: str,
        jobs: Mapping[str, Job],
        *,
        concurrency: int,
        on_job: JobCallback,
        gate: str | None = None,
        cancel: threading.Event | None = None,
    ) -> SessionEnd:
        executor = self._executors.get(host)
        if executor is None:
            return SessionEnd(EndKind.FAILED, f"no SSH session to {host}")
        if host in self._broken and self._reconnect is not None:
            try:
                executor = self._reconnect(host)
            except TransportError as exc:
                return SessionEnd(EndKind.FAILED, f"reconnecting to {host} failed: {exc}")
            with self._lock:
                self._executors[host] = executor
                self._opened.append(executor)
                self._broken.discard(host)
        scripts: dict[str, dict[str, str]] = {}
        for tag, job in jobs.items():
            try:
                scripts[tag] = {step: vmkping_command(ping, self._netstack) for step, ping in job.items()}
            except CommandValueError as exc:
                on_job(tag, {next(iter(job)): refused(exc)})
        if not scripts:
            return SessionEnd(EndKind.DONE)

        def on_frames(job: JobOutput) -> None:
            on_job(job.tag, {name.split("/", 1)[-1]: StepOutput(out.stdout) for name, out in job.frames.items()})

        end = run_jobs(
            executor, scripts, host=host, concurrency=concurrency, silence=silence_seconds(jobs),
            on_job=on_frames, gates=(gate,) if gate else (), cancel=cancel,
            deadlines={tag: job_deadline(jobs[tag]) for tag in scripts},
            stall_factor=prober.STALL_FACTOR,  # read per round (tests lower it)
        )
        if end.kind in (EndKind.FAILED, EndKind.ENDED, EndKind.SILENT):
            with self._lock:
                self._broken.add(host)
        return end

    def close(self) -> None:
        """Close the sessions opened here to reconnect; the others belong to the run that opened them."""
        with self._lock:
            opened, self._opened = self._opened, []
        for executor in opened:
            executor.close()
