"""The public API and its CLI clients against a real lab: one report whichever way it is asked for; drift."""

from __future__ import annotations

import json
from dataclasses import replace
from ipaddress import ip_interface
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import run_cli
from tests.integration.conftest import own_sample
from tests.lab.conftest import lab_missing
from validator import RunOptions, load_inventory, validate
from validator.models import ExpectedVmk, Severity

pytestmark = pytest.mark.lab

VOLATILE_PAIR_KEYS = {"rtt_min_ms", "rtt_avg_ms", "rtt_max_ms", "raw"}


def _stable(report: dict[str, Any]) -> dict[str, Any]:
    """The report without what differs between two runs of the same lab (times, round trips, raw output)."""
    out = {k: v for k, v in report.items() if k not in {"started_at", "duration_s"}}
    out["pairs"] = [{k: v for k, v in p.items() if k not in VOLATILE_PAIR_KEYS} for p in report["pairs"]]
    return out




def test_validate_demo_and_report_give_the_same_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if reason := lab_missing():
        pytest.skip(reason)
    from validator.lab.api import running_lab

    topology = own_sample("mini", tmp_path)  # the test's own prefix and management subnet
    demo_code, _, _ = run_cli(["demo", "--topology", str(topology), "-o", str(tmp_path / "demo"), "-q"], capsys)
    assert demo_code == 0  # every verdict matches the lab's ground truth
    state = tmp_path / "state"
    with running_lab(topology, state) as lab:  # torn down even when an assertion fails
        monkeypatch.setenv(lab.password_env, lab.password())
        code, validate_out, _ = run_cli(["validate", "-i", str(lab.inventory), "-o", str(tmp_path / "validate"), "-q",
                                   "--width", "120"], capsys)
        inventory = load_inventory(lab.inventory)
        matching = validate(inventory, password=lab.password(), options=RunOptions(checks=("drift",)))
        drifted = validate(_drifted(inventory), password=lab.password(), options=RunOptions(checks=("drift",)))
    report_code, report_out, _ = run_cli(["report", str(tmp_path / "validate" / "report.json"), "--format", "table,json",
                                    "-o", str(tmp_path / "report"), "--width", "120"], capsys)
    validated = json.loads((tmp_path / "validate" / "report.json").read_text())
    assert code == (0 if validated["summary"]["verdict"] == "pass" else 1)
    assert report_code == 0
    assert json.loads((tmp_path / "report" / "report.json").read_text()) == validated
    assert report_out == validate_out  # report --format table prints the matrix validate printed
    assert _stable(json.loads((tmp_path / "demo" / "report.json").read_text())) == _stable(validated)

    assert matching.findings == ()
    found = sorted((f.host, f.vmk, f.severity, f.message.split(": ", 1)[1]) for f in drifted.findings)
    assert found == [
        ("mini-a1", "vmk1", Severity.WARNING, "MTU: declared 1500, found 9000"),
        ("mini-a1", "vmk2", Severity.WARNING, "found on the vmotion stack but not declared"),
        ("mini-b1", "vmk7", Severity.ERROR, "declared in the inventory but missing on mini-b1"),
    ]


def _drifted(inventory: Any) -> Any:
    """The lab's inventory with one wrong MTU, one vmk not declared, one declared vmk that does not exist."""
    hosts = []
    for host in inventory.hosts:
        declared = list(host.expected_vmks or ())
        if host.target.name == "mini-a1":
            declared = [replace(declared[0], mtu=1500)]  # vmk1 with the wrong MTU; vmk2 left out
        if host.target.name == "mini-b1":
            declared.append(ExpectedVmk("vmk7", (ip_interface("198.19.11.77/24"),), 9000))
        hosts.append(replace(host, expected_vmks=tuple(declared)))
    return replace(inventory, hosts=tuple(hosts))
