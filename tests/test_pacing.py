"""The pacing rules: where a host's next session starts, how a retry backs off, what the report keeps."""

from __future__ import annotations

import threading

from validator.pacing import HostPace, Pacing, next_window, observe, retry_window
from validator.report import Report


def test_a_first_session_starts_at_the_concurrency_asked() -> None:
    assert next_window(32, None) == 32
    assert next_window(0, None) == 1


def test_a_later_session_starts_where_the_host_left_off_never_above_what_is_asked() -> None:
    slowed = HostPace("esx01", start=32, lowest=4, final=8)
    assert next_window(32, slowed) == 8
    assert next_window(2, slowed) == 2  # a retry asks for less: it gets less
    kept_up = HostPace("esx01", start=8, lowest=8, final=12)
    assert next_window(32, kept_up) == 12


def test_a_retry_runs_at_a_quarter_at_least_one() -> None:
    assert [retry_window(c) for c in (32, 8, 3, 1)] == [8, 2, 1, 1]


def test_observe_keeps_start_lowest_final_sessions_and_timeouts() -> None:
    first = observe(None, "esx01", 32, (16, 8, 9), timed_out=3)
    assert first == HostPace("esx01", start=32, lowest=8, final=9, sessions=1, timed_out=3)
    second = observe(first, "esx01", 2, (), timed_out=1)
    assert second == HostPace("esx01", start=32, lowest=2, final=2, sessions=2, timed_out=4)
    grown = observe(second, "esx01", 2, (3, 4), timed_out=0)
    assert (grown.lowest, grown.final) == (2, 4)


def test_pacing_records_hosts_from_several_threads() -> None:
    pacing = Pacing()

    def run(host: str) -> None:
        for _ in range(50):
            window = pacing.window(host, 16)
            pacing.record(host, window, (max(1, window - 1),), timed_out=0)

    threads = [threading.Thread(target=run, args=(f"esx{i:02d}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    summary = pacing.summary()
    assert [p.host for p in summary] == [f"esx{i:02d}" for i in range(8)]
    assert all(p.sessions == 50 and p.start == 16 and p.final == 1 for p in summary)


def test_the_report_keeps_pacing_and_old_reports_load_without_it() -> None:
    pace = HostPace("esx01", start=32, lowest=8, final=12, sessions=2, timed_out=1)
    report = Report(started_at="2026-01-01T00:00:00+00:00", duration_s=1.0, netstack="vmotion", hosts=(),
                    pairs=(), pacing=(pace,))
    data = report.to_dict()
    assert data["pacing"] == [pace.to_dict()]
    assert Report.from_dict(data).pacing == (pace,)
    del data["pacing"]
    assert Report.from_dict(data).pacing == ()
