"""The probe seam: what the engine asks a probe path ("run these pings from this host, stream each job").

A :class:`Prober` runs *jobs* on one source host. A job is a short chain of :class:`Ping` steps (the ARP
warm-up, the reachability probe, the DF probe; or one bisection step of the MTU search) that run in order;
jobs run in parallel, at most ``concurrency`` at a time. Each finished job is handed over at once as its
steps' :class:`StepOutput` (a parsed :data:`~validator.classify.ProbeOutcome` plus the raw text), and the
call returns a :class:`SessionEnd` saying why any job has no outcome. A prober never raises for a host's
failure: a job that did not run is simply not handed over, and the end says why, so a probe that did not
run is never read as a probe that failed.

Two implementations: :class:`validator.ssh_prober.SshProber` (a vmkping batch per SSH session) and
:class:`validator.vcenter.api_prober.ApiProber` (``esxcli network diag ping`` through the vSphere API).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from validator.classify import ProbeOutcome, read_outcome
from validator.models import Family
from validator.options import PROBE_PATHS

SILENCE_FLOOR = 60.0  # seconds without a sign of life (a finished job, a heartbeat) before a session ends
SILENCE_FACTOR = 4  # ... or this many times the slowest single job (hosts without a heartbeat)
DEADLINE_FACTOR = 3.0  # a job's own deadline on the host: this many times its chain's upper bound ...
DEADLINE_SLACK = 30.0  # ... plus this many seconds (a busy host's slow start)
STALL_FACTOR = 2  # a host whose jobs are all slow together is waited for up to this many times their deadline
VIA_SSH, VIA_API = PROBE_PATHS


@dataclass(frozen=True, slots=True)
class Ping:
    """One ping from a source vmk on the probed stack (what every probe path can send)."""

    dst: str
    vmk: str
    family: Family
    count: int
    interval: float
    timeout: float  # seconds to wait for a reply after the last packet
    size: int | None = None  # ICMP payload bytes; None: the tool's default (56)
    df: bool = False

    @property
    def seconds(self) -> float:
        """Upper bound of this ping's run (``-W`` goes out in whole seconds, rounded up), plus a second."""
        return (self.count - 1) * self.interval + max(1, math.ceil(self.timeout)) + 1.0


Job = Mapping[str, Ping]  # step name -> ping, run in order
"""One job's steps; a step named in ``gate`` stops the chain when nothing came back to it."""


class StepOutput:
    """One step's outcome and the raw text it came from (kept for the report).

    Given only the raw text (the SSH path), the outcome is read from it when first asked for: a step
    nobody looks at (the warm-up) costs no parse.
    """

    __slots__ = ("_outcome", "raw")

    def __init__(self, raw: str, outcome: ProbeOutcome | None = None) -> None:
        self.raw = raw
        self._outcome = outcome

    @property
    def outcome(self) -> ProbeOutcome:
        if self._outcome is None:
            self._outcome = read_outcome(self.raw)
        return self._outcome

    def __repr__(self) -> str:
        return f"StepOutput({self.raw!r}, {self._outcome!r})"


JobCallback = Callable[[str, Mapping[str, StepOutput]], None]  # (job tag, step -> output)


class EndKind(StrEnum):
    DONE = "done"  # every job finished
    SILENT = "silent"  # no job finished for too long
    ENDED = "ended"  # the output ended before every job finished
    TOO_MUCH = "too-much"  # the host printed more than the session may read
    INTERRUPTED = "interrupted"  # the run was cancelled
    FAILED = "failed"  # the session could not be started or broke


@dataclass(frozen=True)
class SessionEnd:
    """How a round on one host ended; ``message`` is one line for an admin, ``noise`` the host's stray output."""

    kind: EndKind
    message: str = ""
    noise: str = ""
    timed_out: frozenset[str] = frozenset()  # jobs stopped on the host at their own deadline
    windows: tuple[int, ...] = ()  # the host's concurrency as it adapted during the session, when reported


def job_seconds(job: Job) -> float:
    """Upper bound of one job's chain of pings."""
    return sum(ping.seconds for ping in job.values())


def job_deadline(job: Job) -> int:
    """Whole seconds a job may run on the host, from its start there, before it is stopped."""
    return math.ceil(DEADLINE_FACTOR * job_seconds(job) + DEADLINE_SLACK)


def silence_seconds(jobs: Mapping[str, Job]) -> float:
    """How long a round may go without a finished job before it is stopped."""
    slowest = max((job_seconds(job) for job in jobs.values()), default=0.0)
    return max(SILENCE_FLOOR, SILENCE_FACTOR * slowest)


class Prober(Protocol):
    """Runs jobs on source hosts; one prober serves a whole run and is called from several threads."""

    via: str  # "ssh" | "api": which path measured the report

    def can_probe(self, host: str) -> bool:
        """Whether this host's jobs can be run at all (connected, or known to vCenter)."""
        ...

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
        """Run ``jobs`` on ``host``, handing each finished job to ``on_job`` the moment it is read."""
        ...

    def close(self) -> None:
        """Release every connection the prober holds."""
        ...
