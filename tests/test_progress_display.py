"""Progress on stderr: a live line on a terminal, timestamped lines otherwise, nothing with --quiet."""

from __future__ import annotations

import io
import re
from ipaddress import ip_address

from validator.models import Family, PairPlan, PairResult, PairStatus, Reason
from validator.progress import ProgressEvent, ProgressTracker
from validator.progress_display import progress_display


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def feed(callback: object) -> None:
    tracker = ProgressTracker(callback, hosts_total=2)  # type: ignore[arg-type]
    tracker.host_discovered("esx01: 2 vmk(s) on the vmotion stack, gateway 198.19.1.1")
    tracker.host_discovered("esx02: cannot connect")
    tracker.planned(4, "probing 4 pairs from 1 host(s)")
    for n in range(4):
        plan = PairPlan("esx01", "vmk1", ip_address("198.19.1.11"), "esx02", f"vmk{n}", ip_address("198.19.1.12"),
                        Family.IPV4, 9000)
        failed = PairResult(plan, PairStatus.FAIL, Reason.UNREACHABLE)
        tracker.pair_done(failed if n == 0 else PairResult(plan, PairStatus.PASS))
    tracker.note("esx01: 4 pairs probed, 1 not passing")


def test_every_pair_is_an_event_and_counted() -> None:
    events: list[ProgressEvent] = []
    feed(events.append)
    pairs = [e for e in events if e.pair is not None]
    assert len(pairs) == 4 and all(e.message == "" for e in pairs)
    assert [(e.pairs_done, e.pairs_failing) for e in pairs] == [(1, 1), (2, 1), (3, 1), (4, 1)]


def test_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    callback, display = progress_display(quiet=False, stream=stream)
    feed(callback)
    assert display is not None
    display.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4
    assert all(re.match(r"^\[\s*\d+\.\d+s\] ", line) for line in lines)
    assert lines[-1].endswith("esx01: 4 pairs probed, 1 not passing (4/4 pairs, 1 not passing)")
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()


def test_live_line_on_a_terminal_ends_cleanly() -> None:
    stream = Terminal()
    callback, display = progress_display(quiet=False, stream=stream)
    feed(callback)
    text = stream.getvalue()
    assert "hosts 2/2 | pairs [########################] 4/4 | 1 not passing" in text
    assert "hosts 1/2 | discovering..." in text
    assert display is not None
    display.close()
    assert stream.getvalue().endswith("\r\x1b[2K")  # the status line is erased: what follows starts clean
    for message in ("esx02: cannot connect", "probing 4 pairs"):
        assert message in text


def test_quiet_shows_nothing() -> None:
    stream = Terminal()
    callback, display = progress_display(quiet=True, stream=stream)
    callback(ProgressEvent("anything", pairs_total=3))
    assert display is None and stream.getvalue() == ""
