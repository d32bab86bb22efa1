"""The whole run above SSH: discovery, planning, one probe session per host, classification, checks.

Hosts are fakes (real ``sh`` running the real batch scripts, the lab's esxcli, canned vmkping output).
"""

from __future__ import annotations

from ipaddress import ip_interface
from pathlib import Path

import pytest

from tests.fakes import FakeConnector, FakeHost, fake_env_ok, inventory_of, ping_output
from validator import validate
from validator.inventory import InventoryHost
from validator.models import ExpectedVmk, HostStatus, HostTarget, PairStatus, Reason
from validator.options import ProbeOptions, RunOptions
from validator.progress import ProgressEvent

pytestmark = pytest.mark.skipif(not fake_env_ok(), reason="the lab's esxcli emulation is missing")


def build(tmp_path: Path) -> tuple[list[FakeHost], list[InventoryHost]]:
    a = FakeHost("esx-a", "198.18.255.11", tmp_path)
    a.add_vmk("vmk1", "vmotion", "198.19.1.11", 24)
    a.add_vmk("vmk2", "vmotion", "198.19.1.12", 24)
    a.add_vmk("vmk3", "defaultTcpipStack", "198.18.254.11", 24, tags="VMotion")  # tag left on default stack
    a.write_stacks("198.19.1.1")
    b = FakeHost("esx-b", "198.18.255.12", tmp_path)
    b.add_vmk("vmk1", "vmotion", "198.19.2.11", 24, tags="VMotion,faultToleranceLogging")
    b.write_stacks(None)  # no gateway on the vmotion stack
    c = FakeHost("esx-c", "198.18.255.13", tmp_path, unreachable=True)

    # a -> b
    a.answer("vmk1", "198.19.2.11", "small", ping_output("198.19.2.11", 56, 3, ttl=61))
    a.answer("vmk1", "198.19.2.11", "df", ping_output("198.19.2.11", 8972, 3, ttl=61))
    a.answer("vmk2", "198.19.2.11", "small", ping_output("198.19.2.11", 56, 3, ttl=61))
    a.answer("vmk2", "198.19.2.11", "df", ping_output("198.19.2.11", 8972, 0))
    # a -> c (planned from the inventory's expected vmks)
    a.answer("vmk1", "198.19.3.11", "any", ping_output("198.19.3.11", 56, 0))
    a.answer("vmk2", "198.19.3.11", "any", ping_output("198.19.3.11", 56, 0, error="Host is down"))
    # b -> a
    b.answer("vmk1", "198.19.1.11", "any", ping_output("198.19.1.11", 56, 0, error="Network is unreachable"))
    b.answer("vmk1", "198.19.1.12", "small", ping_output("198.19.1.12", 56, 3, ttl=64))
    b.answer("vmk1", "198.19.1.12", "df", "garbage\x00 that is not vmkping output\n", rc=0)
    # b -> c
    b.answer("vmk1", "198.19.3.11", "any", ping_output("198.19.3.11", 56, 2, ttl=61))
    expected_c = (ExpectedVmk("vmk1", addresses=(ip_interface("198.19.3.11/24"),), mtu=9000),)
    inventory = [
        InventoryHost(HostTarget(a.name, a.address)),
        InventoryHost(HostTarget(b.name, b.address)),
        InventoryHost(HostTarget(c.name, c.address), expected_c),
    ]
    return [a, b, c], inventory


def test_full_run_classifies_every_pair(tmp_path: Path) -> None:
    fakes, inventory = build(tmp_path)
    messages: list[str] = []
    report = validate(inventory_of(inventory), connector=FakeConnector(fakes),
                      options=RunOptions(ProbeOptions(interval=0.2)), progress=lambda e: messages.append(e.message))
    verdicts = {(p.plan.src_host, p.plan.src_vmk, p.plan.dst_host, p.plan.dst_vmk): (p.status, p.reason)
                for p in report.pairs}
    assert verdicts == {
        ("esx-a", "vmk1", "esx-b", "vmk1"): (PairStatus.PASS, None),
        ("esx-a", "vmk2", "esx-b", "vmk1"): (PairStatus.FAIL, Reason.PATH_MTU),
        ("esx-a", "vmk1", "esx-c", "vmk1"): (PairStatus.FAIL, Reason.UNREACHABLE),
        ("esx-a", "vmk2", "esx-c", "vmk1"): (PairStatus.FAIL, Reason.ARP),
        ("esx-b", "vmk1", "esx-a", "vmk1"): (PairStatus.FAIL, Reason.NO_ROUTE),
        ("esx-b", "vmk1", "esx-a", "vmk2"): (PairStatus.ERROR, Reason.PARSE_ERROR),
        ("esx-b", "vmk1", "esx-c", "vmk1"): (PairStatus.FAIL, Reason.LOSS),
        ("esx-c", "vmk1", "esx-a", "vmk1"): (PairStatus.ERROR, Reason.HOST_ERROR),
        ("esx-c", "vmk1", "esx-a", "vmk2"): (PairStatus.ERROR, Reason.HOST_ERROR),
        ("esx-c", "vmk1", "esx-b", "vmk1"): (PairStatus.ERROR, Reason.HOST_ERROR),
    }
    by_key = {(p.plan.src_host, p.plan.src_vmk, p.plan.dst_host): p for p in report.pairs}
    assert by_key[("esx-a", "vmk1", "esx-b")].routed is True
    assert by_key[("esx-a", "vmk1", "esx-b")].mtu_tested == 9000
    assert any("garbage" in text for p in report.pairs for text in p.raw.values())

    hosts = {h.name: h for h in report.hosts}
    assert hosts["esx-a"].status is HostStatus.OK and str(hosts["esx-a"].gateway) == "198.19.1.1"
    assert [v.name for v in hosts["esx-a"].vmks] == ["vmk1", "vmk2"]
    assert hosts["esx-b"].gateway is None
    assert hosts["esx-c"].status is HostStatus.UNREACHABLE and "refused" in (hosts["esx-c"].error or "")

    checks = {(f.check, f.host) for f in report.findings}
    assert ("vmotion_tag_on_default", "esx-a") in checks
    assert ("extra_services", "esx-b") in checks
    assert ("gateway", "esx-b") in checks
    assert report.summary.verdict == "fail"

    # discovery is two sessions (listings, tags), the whole mesh one more per source host, and one more
    # where a failure a lost packet can explain is probed again (a: unreachable/arp/path-mtu, b: loss)
    assert [h.sessions for h in fakes] == [4, 4, 0]
    confirmed = {(p.plan.src_host, p.plan.src_vmk, p.plan.dst_host): p.detail for p in report.pairs}
    assert "(confirmed by a second probe)" in (confirmed[("esx-a", "vmk1", "esx-c")] or "")
    assert "confirmed" not in (confirmed[("esx-b", "vmk1", "esx-a")] or "")  # no-route: not retried
    assert any("esx-c" in m for m in messages)


def test_a_hung_probe_costs_its_own_pair_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One probe of esx-a never ends: the host stops it at its deadline, it is retried once on a fresh
    session and reported timed out; every other pair is kept, nothing is left running."""
    from tests.fakes import processes_left_under
    from validator import prober as probe

    monkeypatch.setattr(probe, "DEADLINE_FACTOR", 0)
    monkeypatch.setattr(probe, "DEADLINE_SLACK", 3)  # ticks of the host's heartbeat, not a wall-clock wait here
    monkeypatch.setattr(probe, "STALL_FACTOR", 1)  # alone in its retry, the hung probe is stopped at 3 ticks too
    fakes, inventory = build(tmp_path)
    fakes[0].hang("vmk2", "198.19.3.11")
    pairs_seen: list[str] = []

    def progress(event: ProgressEvent) -> None:
        if event.pair is not None:
            pairs_seen.append(event.pair.plan.src_host)

    report = validate(inventory_of(inventory), connector=FakeConnector(fakes),
                      options=RunOptions(ProbeOptions(interval=0.2, count=1, timeout=0.2)), progress=progress)
    verdicts = {(p.plan.src_host, p.plan.src_vmk, p.plan.dst_host, p.plan.dst_vmk): (p.status, p.reason)
                for p in report.pairs}
    assert verdicts[("esx-a", "vmk1", "esx-b", "vmk1")] == (PairStatus.PASS, None)
    assert verdicts[("esx-a", "vmk2", "esx-b", "vmk1")] == (PairStatus.FAIL, Reason.PATH_MTU)
    assert verdicts[("esx-a", "vmk1", "esx-c", "vmk1")] == (PairStatus.FAIL, Reason.UNREACHABLE)
    assert verdicts[("esx-a", "vmk2", "esx-c", "vmk1")] == (PairStatus.ERROR, Reason.HOST_ERROR)
    hung = next(p for p in report.pairs if p.plan.src_vmk == "vmk2" and p.plan.dst_host == "esx-c")
    assert hung.detail == ("timed out: the probe ran past its deadline on esx-a and was stopped there "
                           "(also when retried once on a fresh session)")
    assert verdicts[("esx-b", "vmk1", "esx-a", "vmk1")] == (PairStatus.FAIL, Reason.NO_ROUTE)  # esx-b as usual
    assert len(pairs_seen) == len(report.pairs)  # one progress event per pair
    pace = {p.host: p for p in report.pacing}
    assert pace["esx-a"].timed_out == 2 and pace["esx-b"].timed_out == 0  # the first session and the retry
    assert processes_left_under(fakes[0].dir) == []  # the hung probe was stopped on the host


def test_a_value_refused_for_a_remote_command_is_an_error_not_a_crash(tmp_path: Path) -> None:
    from ipaddress import ip_address

    from tests.fakes import FakeExecutor
    from validator.models import Family, PairPlan
    from validator.probe import probe_host
    from validator.ssh_prober import SshProber

    host = FakeHost("esx-a", "198.18.255.11", tmp_path)
    host.answer("vmk1", "198.19.2.11", "any", ping_output("198.19.2.11", 56, 3, ttl=61))
    good = PairPlan("esx-a", "vmk1", ip_address("198.19.1.11"), "esx-b", "vmk1", ip_address("198.19.2.11"),
                    Family.IPV4, 1500)
    evil = PairPlan("esx-a", "vmk1;reboot", ip_address("198.19.1.11"), "esx-b", "vmk1",
                    ip_address("198.19.2.11"), Family.IPV4, 1500)
    results = probe_host(SshProber({"esx-a": FakeExecutor(host)}, "vmotion"), [evil, good], ProbeOptions())
    assert results[0].status is PairStatus.ERROR and "refused" in (results[0].detail or "")
    assert results[1].status is PairStatus.PASS
    assert host.sessions == 1


def test_a_mesh_larger_than_one_argument_still_runs_in_one_session(tmp_path: Path) -> None:
    """The probe script goes over stdin: a single argv string is capped at 128 KiB by the kernel."""
    from ipaddress import ip_address

    from tests.fakes import FakeExecutor
    from validator.esxi import batch
    from validator.models import Family, PairPlan
    from validator.probe import pair_pings, probe_host
    from validator.ssh_prober import SshProber, vmkping_command

    host = FakeHost("esx-a", "198.18.255.11", tmp_path)
    plans = []
    for n in range(600):
        dst = f"198.19.{2 + n // 250}.{1 + n % 250}"
        host.answer("vmk1", dst, "any", ping_output(dst, 56, 3, ttl=61))
        plans.append(PairPlan("esx-a", "vmk1", ip_address("198.19.1.11"), f"h{n}", "vmk1", ip_address(dst),
                              Family.IPV4, 1500))
    options = ProbeOptions(concurrency=200)
    jobs = {f"p{i}": {step: vmkping_command(ping, "vmotion") for step, ping in pair_pings(p, options).items()}
            for i, p in enumerate(plans)}
    script, _ = batch.build_parallel(jobs, 200)
    assert len(script.encode()) > 131072
    results = probe_host(SshProber({"esx-a": FakeExecutor(host)}, "vmotion"), plans, options)
    assert [r.status for r in results] == [PairStatus.PASS] * len(plans)
    assert host.sessions == 1


def test_a_host_without_the_vmotion_stack_is_discovered_not_failed(tmp_path: Path) -> None:
    """esxcli -N vmotion fails on such a host; discovery still succeeds and the check names the gap."""
    from tests.fakes import FakeExecutor
    from validator.esxcli_discovery import discover_host

    host = FakeHost("esx-old", "198.18.255.21", tmp_path)
    host.add_vmk("vmk1", "defaultTcpipStack", "198.19.9.21", 24, tags="VMotion")
    host.write_stacks(None, vmotion_stack=False)
    info = discover_host(FakeExecutor(host), HostTarget(host.name, host.address))
    assert info.status is HostStatus.OK, info.error
    assert info.netstack_present is False and info.vmks == ()
    assert {v.name for v in info.other_vmks} == {"vmk0", "vmk1"}
    assert "VMotion" in next(v for v in info.other_vmks if v.name == "vmk1").tags


def test_cancel_stops_at_once_and_keeps_what_was_measured(tmp_path: Path) -> None:
    """The run is cancelled (as Ctrl-C does) while esx-a hangs: Interrupted carries the partial report."""
    import threading

    from tests.fakes import processes_left_under
    from validator.errors import Interrupted
    from validator.report import Report

    fakes, inventory = build(tmp_path)
    fakes[0].hang("vmk2", "198.19.3.11")
    cancel = threading.Event()
    seen: list[str] = []

    def progress(event: ProgressEvent) -> None:
        if event.pair is not None:
            seen.append(event.pair.plan.src_host)
            if seen.count("esx-a") == 3:  # all but the hung pair are in: press Ctrl-C
                cancel.set()

    with pytest.raises(Interrupted) as stopped:  # the hung ping never ends by itself: only the cancel ends the run
        validate(inventory_of(inventory), connector=FakeConnector(fakes), cancel=cancel, progress=progress,
                 options=RunOptions(ProbeOptions(interval=0.2, count=1, timeout=0.2)))
    report = stopped.value.report
    assert report.interrupted
    by_key = {(p.plan.src_host, p.plan.src_vmk, p.plan.dst_host): p for p in report.pairs}
    hung = by_key[("esx-a", "vmk2", "esx-c")]
    assert (hung.status, hung.reason) == (PairStatus.ERROR, Reason.NOT_PROBED)
    assert "interrupted" in (hung.detail or "")
    assert by_key[("esx-a", "vmk1", "esx-b")].status is PairStatus.PASS  # measured before: kept
    assert processes_left_under(fakes[0].dir) == []
    again = Report.from_dict(report.to_dict())  # the JSON form says so too
    assert again.interrupted and again.pairs == report.pairs


def test_a_failure_that_does_not_repeat_is_reported_as_passing(tmp_path: Path) -> None:
    """A pair that loses its replies once is probed again; passing then, it passes, and says what was seen."""
    from tests.fakes import FakeExecutor, FakeStream

    a = FakeHost("esx-a", "198.18.255.11", tmp_path)
    a.add_vmk("vmk1", "vmotion", "198.19.1.11", 24)
    a.write_stacks("198.19.1.1")
    b = FakeHost("esx-b", "198.18.255.12", tmp_path)
    b.add_vmk("vmk1", "vmotion", "198.19.1.12", 24)
    b.write_stacks("198.19.1.1")
    b.answer("vmk1", "198.19.1.11", "any", ping_output("198.19.1.11", 56, 3, ttl=64))
    a.answer("vmk1", "198.19.1.12", "any", ping_output("198.19.1.12", 56, 0))  # the first probe loses all

    class Recovering(FakeConnector):
        def connect(self, target: HostTarget) -> FakeExecutor:
            executor = super().connect(target)

            class Healing(FakeExecutor):
                def start(self, command: str, stdin: str | None = None) -> FakeStream:
                    if self.host is a and a.sessions >= 3:  # the probe session has run: the path heals
                        a.answer("vmk1", "198.19.1.12", "any", ping_output("198.19.1.12", 56, 3, ttl=64))
                    return super().start(command, stdin)

            return Healing(executor.host)

    hosts = [InventoryHost(HostTarget(h.name, h.address)) for h in (a, b)]
    report = validate(inventory_of(hosts), connector=Recovering([a, b]), options=RunOptions(ProbeOptions(interval=0.05)))
    assert [(p.plan.src_host, p.status) for p in report.pairs] == [("esx-a", PairStatus.PASS), ("esx-b", PairStatus.PASS)]
    assert "passed when probed again; the first probe saw unreachable" in (report.pairs[0].detail or "")
    assert a.sessions == 4 and b.sessions == 3

    again = validate(inventory_of(hosts), connector=FakeConnector([a, b]),
                     options=RunOptions(ProbeOptions(interval=0.05), confirm_failures=False))
    assert a.sessions == 4 + 3  # --no-confirm: no second probe
    assert again.pairs[0].status is PairStatus.PASS  # the healed path
