"""The probe seam: one probe round serves the mesh, the confirmation round and the MTU search, and a probe
that did not run is never read as a probe that failed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from tests.factories import make_cluster, make_result
from tests.fakes import ping_output
from validator.confirm import confirm_failures
from validator.models import PairPlan, PairResult, PairStatus, Reason
from validator.mtu_discovery import discover_max_mtu
from validator.options import ProbeOptions
from validator.planner import indexes_by_source, plan_mesh
from validator.probe import MTU, REACH, probe_pairs
from validator.prober import EndKind, Job, JobCallback, Ping, SessionEnd, StepOutput

Answer = Callable[[Ping], str | None]  # vmkping text for a ping, None: the session dies before it


class ScriptedProber:
    """A prober whose hosts answer each ping with canned vmkping text; a host may fail its session."""

    via = "ssh"

    def __init__(self, answer: Answer, failing: Mapping[str, SessionEnd] | None = None) -> None:
        self.answer = answer
        self.failing = dict(failing or {})
        self.rounds: list[tuple[str, int]] = []  # (host, jobs) per round
        self._lock = threading.Lock()

    def can_probe(self, host: str) -> bool:
        return True

    def run(self, host: str, jobs: Mapping[str, Job], *, concurrency: int, on_job: JobCallback,
            gate: str | None = None, cancel: threading.Event | None = None) -> SessionEnd:
        with self._lock:
            self.rounds.append((host, len(jobs)))
        if host in self.failing:
            return self.failing[host]
        for tag, job in jobs.items():
            outputs: dict[str, StepOutput] = {}
            for step, ping in job.items():
                text = self.answer(ping)
                if text is None:
                    return SessionEnd(EndKind.FAILED, f"the connection to {host} broke")
                outputs[step] = StepOutput(text)
                if step == gate and "0 packets received" in text:
                    break
            on_job(tag, outputs)
        return SessionEnd(EndKind.DONE)

    def close(self) -> None:
        pass


def passing(ping: Ping) -> str:
    return ping_output(ping.dst, ping.size or 56, ping.count, ping.count, ttl=63)


def hop_mtu(limit: int) -> Answer:
    """Every path has one hop of MTU ``limit``: DF packets above it are lost."""
    def answer(ping: Ping) -> str:
        mtu = (ping.size or 56) + ping.family.header_bytes
        received = ping.count if not ping.df or mtu <= limit else 0
        return ping_output(ping.dst, ping.size or 56, received, ping.count, ttl=63)
    return answer


def mesh() -> list[PairPlan]:
    return plan_mesh(make_cluster(2, 1))


def test_the_mesh_round_runs_one_round_per_source_and_marks_a_failed_session_host_error() -> None:
    plans = mesh()
    broken = SessionEnd(EndKind.FAILED, "cannot open a session on esx01: channel refused")
    prober = ScriptedProber(passing, failing={"esx01": broken})
    results = probe_pairs(prober, plans, indexes_by_source(plans), ProbeOptions(), max_parallel_hosts=8,
                          cancel=threading.Event())
    by_src = {plans[i].src_host: r for i, r in results.items()}
    assert sorted(h for h, _ in prober.rounds) == ["esx01", "esx01", "esx02"]  # the failed round is retried once
    assert by_src["esx02"].status is PairStatus.PASS
    failed = by_src["esx01"]
    assert (failed.status, failed.reason) == (PairStatus.ERROR, Reason.HOST_ERROR)
    assert "channel refused" in (failed.detail or "") and "retried once" in (failed.detail or "")
    assert failed.reachable is None and failed.loss_pct is None  # nothing measured is claimed


def test_a_confirmation_round_whose_session_fails_keeps_the_first_measurement() -> None:
    plans = mesh()
    first = [make_result(p, PairStatus.FAIL, Reason.UNREACHABLE) for p in plans]
    prober = ScriptedProber(passing, failing={"esx01": SessionEnd(EndKind.FAILED, "connection lost")})
    out, recovered = confirm_failures(first, [0, 1], prober=prober, options=ProbeOptions(),
                                      cancel=threading.Event(), max_parallel_hosts=8)
    by_src = {r.plan.src_host: r for r in out}
    assert recovered == 1
    assert by_src["esx02"].status is PairStatus.PASS and "passed when probed again" in (by_src["esx02"].detail or "")
    assert by_src["esx01"] == first[[p.src_host for p in plans].index("esx01")]  # not turned into an error


def path_mtu_results(limit_seen: int = 9000) -> list[PairResult]:
    return [make_result(p, PairStatus.FAIL, Reason.PATH_MTU, mtu_tested=limit_seen, max_mtu=None,
                        detail="DF packets lost") for p in mesh()]


def test_mtu_discovery_finds_the_hop_mtu_through_the_seam() -> None:
    prober = ScriptedProber(hop_mtu(1500))
    out = discover_max_mtu(prober, path_mtu_results(), ProbeOptions(), max_parallel_hosts=8)
    assert [r.max_mtu for r in out] == [1500, 1500]
    assert all("largest MTU passing with DF: 1500" in (r.detail or "") for r in out)
    steps = len(prober.rounds) // 2
    assert 8 <= steps <= 14  # about log2(9000 - 84) rounds per host, not one per MTU


def test_a_failed_session_in_mtu_discovery_claims_no_maximum() -> None:
    """Before the seam a failing session was read as 'DF failed' at every step: max_mtu 84, a false regression."""
    prober = ScriptedProber(hop_mtu(1500), failing={"esx01": SessionEnd(EndKind.FAILED, "connection lost")})
    out = discover_max_mtu(prober, path_mtu_results(), ProbeOptions(), max_parallel_hosts=8)
    by_src = {r.plan.src_host: r for r in out}
    assert by_src["esx02"].max_mtu == 1500
    broken = by_src["esx01"]
    assert broken.max_mtu is None
    assert "MTU discovery did not finish (connection lost)" in (broken.detail or "")
    assert "largest MTU passing" not in (broken.detail or "")


def test_a_session_that_breaks_part_way_through_the_mtu_search_keeps_the_bounds_it_measured() -> None:
    calls = {"n": 0}
    inner = hop_mtu(1500)

    def flaky(ping: Ping) -> str | None:
        calls["n"] += 1
        return None if calls["n"] > 6 else inner(ping)  # a few bisection steps, then the host goes away

    out = discover_max_mtu(ScriptedProber(flaky), path_mtu_results()[:1], ProbeOptions(), max_parallel_hosts=8)
    (result,) = out
    assert result.max_mtu is None
    assert "did not finish" in (result.detail or "") and "DF passed at" in (result.detail or "")


def test_the_gate_skips_the_df_probe_after_a_silent_reachability_probe() -> None:
    plans = mesh()
    seen: list[str] = []

    def silent(ping: Ping) -> str:
        seen.append("df" if ping.df else "plain")
        return ping_output(ping.dst, ping.size or 56, 0, ping.count)

    results = probe_pairs(ScriptedProber(silent), plans, indexes_by_source(plans), ProbeOptions(warmup=False),
                          max_parallel_hosts=8, cancel=threading.Event())
    assert {r.reason for r in results.values()} == {Reason.UNREACHABLE}
    assert seen == ["plain", "plain"]
    assert REACH != MTU


def test_passing_raw_output_is_kept_within_its_budget_and_none_past_it() -> None:
    """Passing pairs keep their raw output while all of it fits the budget; once past, none keeps it (all or
    nothing, as the HTML report shows it); a pair that did not pass keeps its own always."""
    from ipaddress import ip_address

    from validator.classify import error_result
    from validator.models import Family, PairPlan, PairResult, PairStatus, Reason
    from validator.probe import PassingRaw

    plan = PairPlan("esx-a", "vmk1", ip_address("198.19.1.11"), "esx-b", "vmk1", ip_address("198.19.2.11"),
                    Family.IPV4, 1500)

    def passing() -> PairResult:
        return PairResult(plan=plan, status=PairStatus.PASS, raw={"reach": "x" * 40, "mtu": "y" * 40})

    budget = PassingRaw(budget=200)
    first, second = passing(), passing()
    budget.note(first)
    budget.note(second)
    assert first.raw and second.raw  # 160 characters: within
    failed = error_result(plan, Reason.HOST_ERROR, "lost", {"reach": "z" * 500})
    budget.note(failed)
    third = passing()
    budget.note(third)  # 240: past the budget
    assert first.raw == second.raw == third.raw == {}
    later = passing()
    budget.note(later)
    assert later.raw == {} and failed.raw == {"reach": "z" * 500}
