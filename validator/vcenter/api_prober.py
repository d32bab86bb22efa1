"""The vSphere API probe path: every ping is ``esxcli network diag ping`` run on the host through vCenter.

No connection to any host is opened: vCenter relays each call to the host's hostd. A round on a host runs
its jobs with at most ``concurrency`` calls in flight (each call one ping step, the steps of a job in order,
the gate step ending a job when nothing came back), and every host's round runs at once on the one vCenter
session; every call of the session is sent and read by one I/O thread (no thread waits per call). Each call
has its own time limit (the ping's own duration plus :data:`CALL_MARGIN`).

A one-packet step (the ARP/ND warm-up) followed by a ping of the same packets (same destination, vmk,
family, interval, wait, size and DF) rides on it as its first packet: one call of count + 1 packets, the
first packet's answer ignored as the warm-up's is, the statistics those of the packets after it
(:func:`~validator.esxi.diag_ping.read_ping` with ``skip``). The warm-up step then hands over no output of
its own; the reachability step's raw text is the whole answer. Each call through vCenter costs far more
than one ping in an SSH batch, so a pair costs two calls, not three, and is judged as over SSH.

What a failure costs:

- a call that faults with an esxcli error, or gets no answer in time, costs its own pair (``host-error``,
  naming the host and the cause); :data:`TIMEOUTS_TO_GIVE_UP` timeouts in a row without an answer between
  them end the host's round, as a host that answers nothing;
- vCenter refusing the host (``HostNotConnected``), the user lacking the privilege, the session lost for
  good, or vCenter itself gone end the host's round with one line naming the host and the cause; every pair
  finished before is kept;
- cancel (Ctrl-C) breaks the calls in flight and returns within a fraction of a second.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from validator import limits
from validator.classify import ProbeFailure, ProbeOutcome
from validator.errors import (
    CommandValueError,
    VCenterCallTimeout,
    VCenterError,
    VCenterHostError,
    VCenterPrivilegeError,
)
from validator.esxi.diag_ping import SoapResult, ping_outcome
from validator.models import PingStats, Reason
from validator.prober import VIA_API, EndKind, Job, JobCallback, Ping, SessionEnd, StepOutput
from validator.ssh_prober import refused
from validator.vcenter.connect import connect, ssl_context
from validator.vcenter.esxcli_soap import (
    ExecuteSoapBodies,
    MoRef,
    execute_soap_result,
    executer_from,
    retrieve_executer_body,
)
from validator.vcenter.mapping import VCenterHost
from validator.vcenter.settings import VCenterSettings
from validator.vcenter.soap_client import Session, SoapClient

CALL_MARGIN = 30.0  # seconds a call may take beyond its ping's own duration (vCenter, hostd and a busy host)
EXECUTER_TIMEOUT = 30.0  # seconds for RetrieveManagedMethodExecuter
TIMEOUTS_TO_GIVE_UP = 2  # calls in a row without an answer that end a host's round
_POLL = 0.25  # seconds between looks at the rounds' cancel


@dataclass(frozen=True, slots=True)
class Call:
    """One step of a job: its name, its ping and the SOAP body that runs it.

    ``skip``: the first packets of ``ping`` are a warm-up step that rides on it (not counted in its outcome).
    """

    step: str
    ping: Ping
    body: bytes
    skip: int = 0


def rides_on(warmup: Ping, probe: Ping) -> bool:
    """Whether a one-packet ``warmup`` can be sent as the first packet of ``probe`` (the same packets)."""
    return (
        warmup.count == 1
        and (warmup.dst, warmup.vmk, warmup.family, warmup.interval, warmup.timeout, warmup.size, warmup.df)
        == (probe.dst, probe.vmk, probe.family, probe.interval, probe.timeout, probe.size, probe.df)
        and isinstance(probe.count, int)
        and probe.count + 1 <= limits.COUNT.high
    )


def job_calls(job: Job, body: Callable[[Ping], bytes]) -> list[Call]:
    """A job's calls in order, a warm-up riding on the ping after it; CommandValueError for a bad value."""
    steps = list(job.items())
    calls: list[Call] = []
    index = 0
    while index < len(steps):
        step, ping = steps[index]
        if index + 1 < len(steps) and rides_on(ping, steps[index + 1][1]):
            step, probe = steps[index + 1]
            both = replace(probe, count=probe.count + 1)
            calls.append(Call(step, both, body(both), skip=1))
            index += 2
        else:
            calls.append(Call(step, ping, body(ping)))
            index += 1
    return calls


class ApiProber:
    """Runs rounds as ``esxcli network diag ping`` calls through vCenter (no SSH)."""

    via = VIA_API

    def __init__(self, client: SoapClient, hosts: Mapping[str, str], netstack: str, *, endpoint: str,
                 call_margin: float = CALL_MARGIN) -> None:
        self._client = client
        self._hosts = dict(hosts)  # host name -> HostSystem id
        self._netstack = netstack
        self._endpoint = endpoint
        self._margin = call_margin
        self._executers: dict[str, MoRef] = {}
        self._bodies = ExecuteSoapBodies(netstack)
        self._lock = threading.Lock()
        self._watched: set[_Round] = set()  # rounds waiting: one thread looks at their cancel for all of them
        self._watcher: threading.Thread | None = None

    @property
    def calls(self) -> int:
        """SOAP calls posted so far."""
        return self._client.calls

    def can_probe(self, host: str) -> bool:
        return host in self._hosts

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
        cancel = cancel or threading.Event()
        if host not in self._hosts:
            return SessionEnd(EndKind.FAILED, f"{host}: not in vCenter {self._endpoint}'s inventory")
        executer = self._executer(host)
        if isinstance(executer, SessionEnd):
            return executer
        calls: dict[str, list[Call]] = {}
        for tag, job in jobs.items():
            try:
                calls[tag] = job_calls(job, lambda ping: self._bodies.body(executer, ping))
            except CommandValueError as exc:
                on_job(tag, {next(iter(job)): refused(exc)})
        if not calls:
            return SessionEnd(EndKind.DONE)
        workers = max(1, min(concurrency, len(calls)))
        return _Round(self, host, calls, on_job=on_job, gate=gate, cancel=cancel).run(workers)

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------------------------ calls

    @property
    def endpoint(self) -> str:
        return self._endpoint

    def _executer(self, host: str) -> MoRef | SessionEnd:
        """The host's method executer (asked once per host), or the end of its round when vCenter refuses."""
        with self._lock:
            known = self._executers.get(host)
        if known is not None:
            return known
        try:
            answer = self._client.call(retrieve_executer_body(self._hosts[host]), EXECUTER_TIMEOUT, group=host)
            executer = executer_from(answer)
        except VCenterError as exc:
            return self.host_failed(host, exc)
        with self._lock:
            self._executers[host] = executer
        return executer

    def submit(self, host: str, call: Call, done: Callable[[SoapResult | VCenterError], None]) -> None:
        """Send one ping step; ``done`` gets its result, or the VCenterError the transport maps its failure to."""
        self._client.submit(call.body, call.ping.seconds + self._margin, execute_soap_result, done, group=host)

    def host_failed(self, host: str, exc: VCenterError) -> SessionEnd:
        """The end of a host's round for a failure that is not the host's pair's own."""
        where = f"{host}: esxcli through vCenter {self._endpoint}"
        if isinstance(exc, VCenterPrivilegeError | VCenterHostError):
            return SessionEnd(EndKind.FAILED, f"{where} refused: {exc}")
        return SessionEnd(EndKind.FAILED, f"{where} failed: {exc}")

    def abort(self, host: str) -> None:
        self._client.abort(host)

    def watch(self, round_: _Round) -> None:
        """Wake ``round_`` within :data:`_POLL` seconds of its cancel being set (one thread for every round)."""
        with self._lock:
            self._watched.add(round_)
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, daemon=True, name="api-cancel")
                self._watcher.start()
        if round_.cancel.is_set():
            round_.wake()

    def unwatch(self, round_: _Round) -> None:
        with self._lock:
            self._watched.discard(round_)

    def _watch(self) -> None:
        pause = threading.Event()
        while True:
            with self._lock:
                if not self._watched:
                    self._watcher = None
                    return
                cancelled = [r for r in self._watched if r.cancel.is_set()]
            for round_ in cancelled:
                round_.wake()
            pause.wait(_POLL)


@dataclass(slots=True)
class _Job:
    """A job in flight: its calls, the next one's index, the outputs so far."""

    tag: str
    calls: list[Call]
    index: int = 0
    outputs: dict[str, StepOutput] = field(default_factory=dict)


class _Round:
    """One host's jobs, at most ``workers`` at a time, each a chain of calls sent one after the other.

    Nothing here blocks on a call: each is submitted to the vCenter client, whose one I/O thread reads every
    answer (:meth:`_answered` runs there) and sends the job's next call, or hands the job over and starts the
    next job. The thread that called :meth:`run` waits for the round to end: every job done, the first
    host-wide failure, or cancel (the calls still in flight are then broken off, not waited for).
    """

    def __init__(self, prober: ApiProber, host: str, jobs: Mapping[str, list[Call]], *, on_job: JobCallback,
                 gate: str | None, cancel: threading.Event) -> None:
        self.prober = prober
        self.host = host
        self.gate = gate
        self.cancel = cancel
        self._on_job = on_job
        self._pending: Iterator[tuple[str, list[Call]]] = iter(list(jobs.items()))
        self._lock = threading.Lock()
        self._finished = threading.Event()  # no job in flight and none left to start
        self._wake = threading.Event()  # finished, or the round is over for the host
        self._active = 0  # jobs started and not over
        self._end: SessionEnd | None = None
        self._timeouts = 0
        self._over = False  # run() returned: late jobs are dropped, no new call starts

    def run(self, workers: int) -> SessionEnd:
        with self._lock:
            first = [job for job in (self._take() for _ in range(workers)) if job is not None]
            if not first:
                self._done()
        for job in first:
            self._send(job)
        self.prober.watch(self)  # wakes this round on cancel; nothing else wakes the thread while it waits
        try:
            self._wake.wait()
        finally:
            self.prober.unwatch(self)
        with self._lock:
            self._over = True
            end = self._end
        if not self._finished.is_set():
            self.prober.abort(self.host)  # the calls still in flight are not waited for
        if self.cancel.is_set():
            return SessionEnd(EndKind.INTERRUPTED, "the run was interrupted")
        return end or SessionEnd(EndKind.DONE)

    def _take(self) -> _Job | None:
        """The next job to start (under the lock), or None when none is left or the round is over."""
        if self._stopped():
            return None
        item = next(self._pending, None)
        if item is None:
            return None
        self._active += 1
        return _Job(*item)

    def _done(self) -> None:
        self._finished.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def _stopped(self) -> bool:
        return self._over or self._end is not None or self.cancel.is_set()

    def _send(self, job: _Job) -> None:
        call = job.calls[job.index]
        self.prober.submit(self.host, call, lambda outcome: self._answered(job, call, outcome))

    def _answered(self, job: _Job, call: Call, outcome: SoapResult | VCenterError) -> None:
        """One call's answer (on the client's I/O thread): the job's next call, or the job over."""
        if isinstance(outcome, VCenterCallTimeout):
            if self._timed_out():
                self._job_over(job, None)
                return
            message = f"{self.host}: no answer from esxcli network diag ping through vCenter ({outcome})"
            job.outputs[call.step] = StepOutput("", ProbeFailure(Reason.HOST_ERROR, message))
            self._job_over(job, job.outputs)
            return
        if isinstance(outcome, VCenterError):
            if not self.cancel.is_set():
                self._stop(self.prober.host_failed(self.host, outcome))
            self._job_over(job, None)
            return
        with self._lock:
            self._timeouts = 0
        parsed = _for_host(ping_outcome(outcome, payload=call.ping.size, skip=call.skip), self.host)
        job.outputs[call.step] = StepOutput(outcome.raw, parsed)
        job.index += 1
        gated = call.step == self.gate and not (isinstance(parsed, PingStats) and parsed.received > 0)
        if gated or job.index == len(job.calls):
            self._job_over(job, job.outputs)
        elif self._stopped():
            self._job_over(job, None)
        else:
            self._send(job)

    def _job_over(self, job: _Job, outputs: dict[str, StepOutput] | None) -> None:
        """Hand a finished job over (unless the round is over), and start the next one."""
        with self._lock:
            if outputs is not None and not self._over:
                self._on_job(job.tag, outputs)
            self._active -= 1
            following = self._take()
            if following is None and self._active == 0:
                self._done()
        if following is not None:
            self._send(following)

    def _timed_out(self) -> bool:
        """Count a timeout; True when the host's round is over for it."""
        with self._lock:
            self._timeouts += 1
            give_up = self._timeouts >= TIMEOUTS_TO_GIVE_UP
        if give_up:
            self._stop(SessionEnd(
                EndKind.SILENT,
                f"{self.host}: no answer from esxcli through vCenter {self.prober.endpoint} to "
                f"{TIMEOUTS_TO_GIVE_UP} calls in a row within their time limit; its other pairs were not probed",
            ))
        return give_up

    def _stop(self, end: SessionEnd) -> None:
        with self._lock:
            if self._end is None:
                self._end = end
        self._wake.set()


def _for_host(outcome: ProbeOutcome, host: str) -> ProbeOutcome:
    """A host error names the host it happened on."""
    if isinstance(outcome, ProbeFailure) and outcome.reason is Reason.HOST_ERROR:
        return ProbeFailure(outcome.reason, f"{host}: {outcome.message}", outcome.raw)
    return outcome


def api_prober(service_instance: Any, settings: VCenterSettings, password: str, hosts: Sequence[VCenterHost],
               netstack: str) -> ApiProber:
    """The prober of a logged-in vCenter session: it logs in again (once per expiry) with ``password``."""
    session = Session(service_instance, relogin=lambda: connect(settings, password))
    client = SoapClient(settings, session, ssl_context(settings))
    return ApiProber(client, {h.name: h.moid for h in hosts}, netstack, endpoint=settings.endpoint)
