"""The next steps on the demo lab: every failing pair and finding has one; the fix scripts for the gateway and
tag faults, run on the emulated hosts over SSH, clear those findings and their pairs on the next run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.conftest import SAMPLES, Lab, running
from validator import validate
from validator.fix_script import fix_files
from validator.inventory import load_inventory
from validator.models import PairStatus
from validator.remediation import NextStep, for_report
from validator.report import Report
from validator.transport import SshConnector, run_script

pytestmark = pytest.mark.lab

APPLIED = {"add-gateway", "replace-gateway", "remove-tag"}  # the gateway and tag faults


@pytest.fixture(scope="module")
def fix_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A demo lab of this module's own: the test changes its hosts."""
    yield from running(SAMPLES / "demo.toml", tmp_path_factory)


def _validate(lab: Lab) -> Report:
    return validate(load_inventory(lab.inventory), password=lab.password)


def _where(report: Report, step: NextStep) -> set[tuple[str, str | None, str | None]]:
    return {(report.findings[i].check, report.findings[i].host, report.findings[i].vmk) for i in step.findings}


def test_fix_scripts_clear_the_gateway_and_tag_faults(fix_lab: Lab) -> None:
    before = _validate(fix_lab)
    steps = for_report(before)
    covered = {key for s in steps for key in s.pairs}
    assert [p.plan.key for p in before.failing_pairs() if p.plan.key not in covered] == []
    assert {i for s in steps for i in s.findings} == set(range(len(before.findings)))

    applied = [s for s in steps if s.action in APPLIED]
    assert {(s.action, s.host, s.vmk) for s in applied} == {
        ("add-gateway", "esx06", None), ("remove-tag", "esx03", "vmk2"), ("remove-tag", "esx02", "vmk2"),
    }
    hosts = {s.host for s in applied}
    scripts = {f.host: f for f in fix_files(before, steps) if f.host in hosts}
    inventory = load_inventory(fix_lab.inventory)
    connector = SshConnector(inventory.ssh, fix_lab.password)
    for host in inventory.hosts:
        script = scripts.get(host.target.name)
        if script is None:
            continue
        commands = [line for line in script.text.splitlines() if line and not line.startswith("#")]
        assert commands[0] == "set -eu" and all(c.startswith("esxcli network ip ") for c in commands[1:])
        executor = connector.connect(host.target)
        try:
            result = run_script(executor, script.text, timeout=60)
        finally:
            executor.close()
        assert result.exit_status == 0, (host.target.name, result)

    after = _validate(fix_lab)
    left = {(f.check, f.host, f.vmk) for f in after.findings}
    for step in applied:
        assert not (_where(before, step) & left), step.summary
    still = {s.summary: s for s in for_report(after)}
    earlier = {s.summary for s in steps if s.action not in APPLIED}
    results = {p.plan.key: p for p in after.pairs}
    passed = 0
    for step in applied:
        for key in step.pairs:
            pair = results[key]
            if pair.status is PairStatus.PASS:
                passed += 1
                continue
            # a pair that crosses another fault of the lab (rack r3's uplink MTU) now fails only for that one
            owners = [s for s in still.values() if key in s.pairs]
            assert owners and all(s.summary in earlier for s in owners), (key, pair.reason)
    assert passed >= 20
