"""A host whose probe script says nothing for a while: busy (its SSH server answers keepalives) is waited for,
gone (no answer) ends the session; both said in one line."""

from __future__ import annotations

import re
import threading
import time

import pytest

from validator import session
from validator.esxi.stream import JobOutput
from validator.prober import EndKind, SessionEnd
from validator.transport import CommandResult

JOB = {"p0": {"reach": "vmkping -c 1 198.19.1.12"}}


class QuietStream:
    """The output of a host that prints nothing until ``speak`` is set, then the job's frames; its SSH server
    answers keepalives when ``answers`` is True."""

    def __init__(self, nonce: str, answers: bool, speak: threading.Event) -> None:
        self.nonce = nonce
        self.answers = answers
        self.speak = speak
        self.asked = 0
        self._said = False

    def read(self, timeout: float) -> bytes | None:
        if self.speak.wait(min(timeout, 0.05)) and not self._said:
            self._said = True
            n = self.nonce
            return (f"\n@@vmv-{n}-begin p0/reach\n3 packets transmitted\n@@vmv-{n}-end p0/reach rc=0\n"
                    f"\n@@vmv-{n}-done p0\n").encode()
        return None

    def keepalive(self) -> threading.Event:
        self.asked += 1
        answered = threading.Event()
        if self.answers:
            answered.set()
        return answered

    def close(self) -> None:
        pass


class QuietHost:
    """A streaming executor handing out one :class:`QuietStream`."""

    def __init__(self, answers: bool, speak: threading.Event) -> None:
        self.answers = answers
        self.speak = speak
        self.stream: QuietStream | None = None

    def start(self, command: str, stdin: str | None = None) -> QuietStream:
        found = re.search(r"@@vmv-([0-9a-f]+)-", stdin or "")
        assert found is not None
        self.stream = QuietStream(found.group(1), self.answers, self.speak)
        return self.stream

    def run(self, command: str, timeout: float | None = None, stdin: str | None = None) -> CommandResult:
        raise AssertionError("a streaming executor is started, not run")

    def close(self) -> None:
        pass


@pytest.fixture(autouse=True)
def quick_keepalives(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session, "KEEPALIVE_AFTER", 0.1)
    monkeypatch.setattr(session, "POLL_SECONDS", 0.05)


def run(host: QuietHost, silence: float) -> tuple[SessionEnd, list[JobOutput]]:
    jobs: list[JobOutput] = []
    end = session.run_jobs(host, JOB, host="esx09", concurrency=1, silence=silence, on_job=jobs.append)
    return end, jobs


def test_a_host_whose_ssh_server_does_not_answer_is_given_up_after_the_silence() -> None:
    host = QuietHost(answers=False, speak=threading.Event())
    end, jobs = run(host, silence=0.5)
    assert end.kind is EndKind.SILENT and jobs == []
    assert end.message == ("nothing from esx09 for 0.5 s, not even its heartbeat, and its SSH server did not "
                           "answer (0 of 1 finished); session stopped")
    assert host.stream is not None and host.stream.asked == 1  # one question, never answered


def test_a_busy_host_whose_ssh_server_answers_is_waited_for_past_the_silence() -> None:
    """Nothing comes for three times the silence, but the host answers keepalives: its job is kept."""
    speak = threading.Event()
    host = QuietHost(answers=True, speak=speak)
    timer = threading.Timer(1.5, speak.set)
    timer.start()
    try:
        started = time.monotonic()
        end, jobs = run(host, silence=0.5)
    finally:
        timer.cancel()
    assert time.monotonic() - started >= 1.5  # it outlived the silence by far ...
    assert end.kind is EndKind.DONE, end.message  # ... and was not given up
    assert [job.tag for job in jobs] == ["p0"]
    assert host.stream is not None and host.stream.asked >= 2


def test_a_host_that_answers_but_never_beats_is_given_up_at_the_quiet_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session, "MAX_QUIET_FACTOR", 3)
    host = QuietHost(answers=True, speak=threading.Event())
    end, jobs = run(host, silence=0.4)
    assert end.kind is EndKind.SILENT and jobs == []
    assert end.message == ("no heartbeat from esx09 for 1.2 s although its SSH server answers (0 of 1 finished); "
                           "session stopped")
