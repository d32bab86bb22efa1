"""The public API: validator.validate on injected connectors and discoverers, options checked first, the Report."""

from __future__ import annotations

import json
from dataclasses import replace
from ipaddress import ip_interface
from pathlib import Path

import pytest

import validator
from tests.factories import make_host, make_vmk
from tests.fakes import FakeConnector, FakeHost, fake_env_ok, inventory_of, ping_output
from validator import (
    HostContext,
    HostInfo,
    InventoryError,
    InventoryHost,
    PairStatus,
    ProbeOptions,
    Reason,
    Report,
    ReportFormatError,
    RunOptions,
    UsageError,
    load_report,
    validate,
)
from validator.errors import TransportError
from validator.models import CheckSettings, ExpectedVmk, HostTarget
from validator.ssh_settings import SshSettings
from validator.transport import Executor


class RecordingConnector:
    """Fails every connect, and remembers it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def connect(self, target: HostTarget) -> Executor:
        self.asked.append(target.name)
        raise TransportError("no network in this test", target.name)


def two_hosts() -> list[InventoryHost]:
    return [InventoryHost(HostTarget("esx01", "198.18.255.11")), InventoryHost(HostTarget("esx02", "198.18.255.12"))]


@pytest.mark.skipif(not fake_env_ok(), reason="the lab's esxcli emulation is missing")
def test_validate_on_fake_hosts_returns_the_report(tmp_path: Path) -> None:
    a = FakeHost("esx01", "198.18.255.11", tmp_path)
    a.add_vmk("vmk1", "vmotion", "198.19.1.11", 24)
    a.write_stacks("198.19.1.1")
    b = FakeHost("esx02", "198.18.255.12", tmp_path)
    b.add_vmk("vmk1", "vmotion", "198.19.2.12", 24)
    b.write_stacks("198.19.2.1")
    a.answer("vmk1", "198.19.2.12", "any", ping_output("198.19.2.12", 56, 3, ttl=63))
    b.answer("vmk1", "198.19.1.11", "small", ping_output("198.19.1.11", 56, 3, ttl=63))
    b.answer("vmk1", "198.19.1.11", "df", ping_output("198.19.1.11", 8972, 0))
    events: list[validator.ProgressEvent] = []

    report = validate(inventory_of(two_hosts()), connector=FakeConnector([a, b]), progress=events.append,
                      options=RunOptions(ProbeOptions(interval=0.05)))

    verdicts = {(p.plan.src_host, p.plan.dst_host): (p.status, p.reason, p.routed) for p in report.pairs}
    assert verdicts == {
        ("esx01", "esx02"): (PairStatus.PASS, None, True),
        ("esx02", "esx01"): (PairStatus.FAIL, Reason.PATH_MTU, True),
    }
    assert [p.plan.src_host for p in report.failing_pairs()] == ["esx02"]
    assert report.exit_code() == 1
    assert events[-1].pairs_done == events[-1].pairs_total == 2 and events[-1].pairs_failing == 1
    assert events[-1].hosts_discovered == events[-1].hosts_total == 2
    assert Report.from_dict(report.to_dict()) == report


def test_a_custom_discoverer_is_asked_for_every_host() -> None:
    """A second source of hosts plugs in through the Discoverer protocol alone."""
    asked: list[tuple[str, str, bool]] = []

    class Declared:
        def discover(self, context: HostContext) -> HostInfo:
            asked.append((context.host.target.name, context.netstack, context.executor is None))
            return make_host(context.host.target.name, [make_vmk("vmk1", f"198.19.{len(asked)}.11/24")])

    report = validate(inventory_of(two_hosts()), connector=RecordingConnector(), discoverer=Declared(),
                      options=RunOptions(checks=("gateway",)))
    assert sorted(asked) == [("esx01", "vmotion", True), ("esx02", "vmotion", True)]
    # described as reachable, but no SSH session: every pair says why it was not probed
    assert len(report.pairs) == 2
    assert {(p.status, p.reason) for p in report.pairs} == {(PairStatus.ERROR, Reason.HOST_ERROR)}


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (RunOptions(ProbeOptions(count=0)), "count"),
        (RunOptions(ProbeOptions(count=True)), "count"),
        (RunOptions(ProbeOptions(interval=float("nan"))), "interval"),
        (RunOptions(ProbeOptions(timeout=float("inf"))), "timeout"),
        (RunOptions(ProbeOptions(concurrency=1000)), "concurrency"),
        (RunOptions(ProbeOptions(mtu=100)), "mtu"),
        (RunOptions(ProbeOptions(mtu=9217)), "mtu"),
        (RunOptions(ProbeOptions(netstack="vmotion;reboot")), "netstack"),
        (RunOptions(checks=("gateway", "no_such_check")), "no_such_check"),
        (RunOptions(check_settings=CheckSettings(max_rtt_ms=float("nan"))), "max_rtt_ms"),
        (RunOptions(check_settings=CheckSettings(expected_mtu=12)), "expected_mtu"),
    ],
)
def test_options_are_checked_before_any_host_is_touched(options: RunOptions, named: str) -> None:
    connector = RecordingConnector()
    with pytest.raises(UsageError, match=named):
        validate(inventory_of(two_hosts()), options=options, connector=connector)
    assert connector.asked == []


def test_the_same_limits_guard_the_command_builders() -> None:
    from validator.errors import CommandValueError
    from validator.esxi import commands
    from validator.models import Family

    assert commands.payload_for_mtu(9000, Family.IPV4) == 8972
    for mtu in (100, 9217):
        with pytest.raises(CommandValueError, match=r"576\.\.9216"):
            commands.payload_for_mtu(mtu, Family.IPV4)
    with pytest.raises(CommandValueError, match=r"count must be an integer 1\.\.100"):
        commands.vmkping("198.19.1.1", netstack="vmotion", vmk="vmk1", count=0)


def test_password_comes_from_the_argument_or_the_named_variable_never_a_prompt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inventory = replace(inventory_of(two_hosts()), ssh=SshSettings(password_env="VMV_TEST_SECRET"))
    monkeypatch.delenv("VMV_TEST_SECRET", raising=False)
    monkeypatch.setattr("builtins.input", lambda *_a: pytest.fail("prompted"))
    with pytest.raises(InventoryError, match="VMV_TEST_SECRET"):
        validate(inventory)


def test_inventory_thresholds_reach_the_checks() -> None:
    class Found:
        def discover(self, context: HostContext) -> HostInfo:
            return make_host(context.host.target.name, [make_vmk("vmk1", "198.19.1.11/24", mtu=1500)])

    inventory = replace(inventory_of(two_hosts()[:1]), check_settings=CheckSettings(expected_mtu=9000))
    report = validate(inventory, connector=RecordingConnector(), discoverer=Found(),
                      options=RunOptions(checks=("mtu_consistency",)))
    assert [f.message for f in report.findings] == ["esx01:vmk1 has MTU 1500, expected 9000"]


def test_declared_vmks_reach_the_report_and_plan_unreachable_hosts() -> None:
    declared = (ExpectedVmk("vmk1", (ip_interface("198.19.9.11/24"),), 9000),)
    no_mtu = (ExpectedVmk("vmk1", (ip_interface("198.19.9.12/24"),), None),)
    hosts = [InventoryHost(HostTarget("esx01", "198.18.255.11"), declared, cluster="A"),
             InventoryHost(HostTarget("esx02", "198.18.255.12"), no_mtu, cluster="A")]
    report = validate(inventory_of(hosts), connector=RecordingConnector())
    assert [h.expected_vmks for h in report.hosts] == [hosts[0].expected_vmks, hosts[1].expected_vmks]
    assert [h.cluster for h in report.hosts] == ["A", "A"]
    assert len(report.pairs) == 2 and all(p.status is PairStatus.ERROR for p in report.pairs)
    assert Report.from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_exit_code_strict_and_empty() -> None:
    from tests.factories import make_cluster, make_finding, make_report
    from validator.models import Severity

    clean = make_report(make_cluster(2))
    assert clean.exit_code() == 0 and clean.exit_code(strict=True) == 0
    flagged = replace(clean, findings=(make_finding(severity=Severity.ERROR),))
    assert flagged.exit_code() == 0 and flagged.exit_code(strict=True) == 1
    assert make_report(pairs=[]).exit_code() == 1  # nothing tested proves nothing


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"schema": "vmotion-validator/report/v1", "hosts": [', "not JSON"),
        ('{"schema": "someone-else/v3", "hosts": []}', "is not vmotion-validator/report/v1"),
        ("[1, 2]", "expected a JSON object"),
        ("[" * 100000 + "]" * 100000, "nested too deeply"),
        ('{"schema": "vmotion-validator/report/v1"}', "required property"),
    ],
)
def test_load_report_names_the_file_and_the_problem(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "report.json"
    path.write_text(content)
    with pytest.raises(ReportFormatError) as exc:
        load_report(path)
    message = str(exc.value)
    assert str(path) in message and problem in message and "\n" not in message
