"""The engine against a real lab: a host that hangs half-way keeps the pairs it finished, Ctrl-C stops the CLI
at once with a written report, and no remote process outlives its session."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_run import interruptible_cli
from tests.engine.labs import command_of, engine_lab, netns_pids
from validator.lab.api import LabState

pytestmark = pytest.mark.lab

HUNG = "esx02"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabState]:
    from tests.lab.conftest import lab_missing

    if reason := lab_missing():
        pytest.skip(reason)
    with engine_lab(4, 2, tmp_path_factory.mktemp("engine")) as state:
        yield state


class Freezer:
    """Stops (SIGSTOP) every process in a host's vmotion namespace, again and again, until :meth:`thaw`."""

    def __init__(self, lab: LabState, host: str) -> None:
        self.namespace = lab.vmotion_ns(host)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.frozen: set[int] = set()

    def start(self) -> None:
        if not self._thread.is_alive() and not self._stop.is_set():
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in netns_pids([self.namespace])[self.namespace]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
                    self.frozen.add(pid)
            time.sleep(0.05)

    def thaw(self) -> None:
        """Stop freezing and let every frozen process run again (a pending TERM then ends it)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        for pid in self.frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def leftovers(lab: LabState, timeout: float = 5.0) -> dict[str, list[str]]:
    """The session processes still in the lab's host namespaces after ``timeout`` s (sshd listeners excepted)."""
    namespaces = [ns for host in ("esx01", "esx02", "esx03", "esx04")
                  for ns in (lab.host_ns(host), lab.vmotion_ns(host))]
    deadline = time.monotonic() + timeout
    while True:
        found = {ns: [c for c in map(command_of, pids) if c and "[listener]" not in c]
                 for ns, pids in netns_pids(namespaces).items()}
        found = {ns: commands for ns, commands in found.items() if commands}
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_host_frozen_half_way_keeps_its_finished_pairs_and_retries_the_rest_once(
        lab: LabState, monkeypatch: pytest.MonkeyPatch) -> None:
    """esx02's probes freeze after two pairs: it keeps those, its host stops each frozen probe at its own
    deadline, the rest run once more on a fresh session and are reported error, saying both; the other hosts
    are untouched and nothing is left running."""
    from validator import prober as probe
    from validator import validate
    from validator.inventory import load_inventory
    from validator.models import PairStatus, Reason
    from validator.options import ProbeOptions, RunOptions
    from validator.progress import ProgressEvent

    monkeypatch.setattr(probe, "DEADLINE_FACTOR", 0)
    monkeypatch.setattr(probe, "DEADLINE_SLACK", 4)  # host ticks
    monkeypatch.setattr(probe, "STALL_FACTOR", 1)  # a frozen probe alone in its session: stopped at 4 ticks too
    freezer = Freezer(lab, HUNG)
    done_by_hung: list[str] = []

    def progress(event: ProgressEvent) -> None:
        if event.pair is not None and event.pair.plan.src_host == HUNG:
            done_by_hung.append(event.pair.plan.dst_host)
            if len(done_by_hung) == 2:
                freezer.start()

    try:
        report = validate(load_inventory(lab.inventory), password=lab.password(), progress=progress,
                          options=RunOptions(ProbeOptions(concurrency=2), checks=()))
    finally:
        freezer.thaw()
    from_hung = [p for p in report.pairs if p.plan.src_host == HUNG]
    finished = [p for p in from_hung if p.status is PairStatus.PASS]
    cut = [p for p in from_hung if p.status is not PairStatus.PASS]
    assert len(from_hung) == 12 and len(finished) >= 2 and cut, [(p.status, p.detail) for p in from_hung]
    assert all(p.status is PairStatus.ERROR and p.reason is Reason.HOST_ERROR for p in cut)
    assert all(f"ran past its deadline on {HUNG}" in (p.detail or "") and "retried once" in (p.detail or "")
               for p in cut), [p.detail for p in cut]
    pace = {p.host: p for p in report.pacing}
    assert pace[HUNG].sessions == 2 and pace[HUNG].timed_out >= len(cut)
    others = [p for p in report.pairs if p.plan.src_host != HUNG]
    assert others and all(p.status is PairStatus.PASS for p in others)
    assert leftovers(lab) == {}


def test_a_host_whose_probe_script_is_starved_is_waited_for_while_its_ssh_server_answers(
        lab: LabState, monkeypatch: pytest.MonkeyPatch) -> None:
    """esx03's probe script is stopped (SIGSTOP) for three times the silence limit while its sshd runs on:
    the validator's keepalives are answered, so the session is waited for, not cut, and every pair passes
    in that one session (no retry)."""
    from validator import prober, session, validate
    from validator.inventory import load_inventory
    from validator.models import PairStatus
    from validator.options import ProbeOptions, RunOptions
    from validator.progress import ProgressEvent

    starved = "esx03"
    monkeypatch.setattr(prober, "SILENCE_FLOOR", 3.0)
    monkeypatch.setattr(prober, "SILENCE_FACTOR", 0)  # 3 s without a word, whatever the probes' length
    monkeypatch.setattr(session, "KEEPALIVE_AFTER", 1.0)
    namespace = lab.host_ns(starved)
    stopped: list[int] = []
    seen = threading.Event()

    def starve() -> None:
        for pid in netns_pids([namespace])[namespace]:
            if command_of(pid).endswith("sh -s"):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
                    stopped.append(pid)

    def progress(event: ProgressEvent) -> None:
        if event.pair is not None and event.pair.plan.src_host == starved and not seen.is_set():
            seen.set()
            starve()
            threading.Timer(9.0, thaw).start()

    def thaw() -> None:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    try:
        report = validate(load_inventory(lab.inventory), password=lab.password(), progress=progress,
                          options=RunOptions(ProbeOptions(concurrency=2), checks=()))
    finally:
        thaw()
    assert stopped, "the probe script was found and stopped"
    from_starved = [p for p in report.pairs if p.plan.src_host == starved]
    assert from_starved and all(p.status is PairStatus.PASS for p in from_starved), \
        [(p.status, p.detail) for p in from_starved]
    assert {p.host: p.sessions for p in report.pacing}[starved] == 1  # waited for, not cut off and retried
    assert leftovers(lab) == {}


def test_ctrl_c_stops_the_cli_at_once_and_writes_the_report(lab: LabState, tmp_path: Path) -> None:
    freezer = Freezer(lab, HUNG)
    out = tmp_path / "out"
    env = dict(os.environ, **{lab.password_env: lab.password()})
    proc = subprocess.Popen(
        interruptible_cli("validate", "-i", str(lab.inventory), "-o", str(out), "--concurrency", "2"),
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # progress lines: wait until the probing has started
            if "probing" in line:
                break
        time.sleep(1.5)  # some outcomes come back ...
        freezer.start()  # ... then esx02 hangs
        time.sleep(2.0)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        stopped_in = time.monotonic() - sent
        stderr = proc.stderr.read()
    finally:
        freezer.thaw()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
    print(f"Ctrl-C stopped the CLI in {stopped_in:.2f} s")
    assert proc.returncode == 130, stderr
    assert stopped_in < 2.0 + 3.0, f"Ctrl-C took {stopped_in:.1f} s"  # 2 s asked; slack for a loaded machine
    assert "Traceback" not in stderr
    report = json.loads((out / "report.json").read_text())
    assert report["interrupted"] is True
    reasons = [p["reason"] for p in report["pairs"]]
    assert "not-probed" in reasons
    assert any(p["status"] == "pass" for p in report["pairs"]), "the pairs measured before Ctrl-C are kept"
    assert all("interrupted" in p["detail"] for p in report["pairs"] if p["reason"] == "not-probed")
    assert leftovers(lab) == {}
