"""Baseline diff acceptance against a running lab: validate a healthy lab, lower one rack's uplink MTU in
the SAME lab, validate again; ``diff`` lists exactly the cross-rack pairs as regressions (exit 1), the reverse
diff lists them as fixes (exit 0), and ``validate --baseline`` fails the gate."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import run_cli
from tests.integration.conftest import SAMPLES
from tests.lab.conftest import lab_missing, quiet
from validator.lab.groundtruth import truth_pairs
from validator.lab.topology import Topology, parse_topology_text
from validator.models import PairStatus

pytestmark = pytest.mark.lab

PREFIX = "vmvdiff"
FAULTY_RACK = "b"
LOW_MTU = 1500

PairKey = tuple[str, str, str, str, str]


def private_topology(sample: str, prefix: str, octets: range) -> Topology:
    """A sample topology under its own prefix and the first free management /24 of 198.18.<octets>.0."""
    from validator.lab.machine import mgmt_conflicts

    text = (SAMPLES / f"{sample}.toml").read_text(encoding="utf-8")
    topo = parse_topology_text(text, f"{sample}.toml")
    old = ".".join(str(topo.lab.mgmt_subnet.network_address).split(".")[:3]) + "."
    for octet in octets:
        if not mgmt_conflicts(IPv4Network(f"198.18.{octet}.0/24"), set()):
            moved = parse_topology_text(text.replace(f'"{old}', f'"198.18.{octet}.'), f"{sample}.toml")
            return moved.with_prefix(prefix)
    pytest.skip(f"no free management subnet among 198.18.{octets.start}-{octets.stop - 1}.0/24")


def with_uplink_mtu(topo: Topology, rack: str, mtu: int) -> Topology:
    return replace(topo, racks=tuple(replace(r, uplink_mtu=mtu) if r.name == rack else r for r in topo.racks))


def passing(topo: Topology) -> set[PairKey]:
    """The pairs the topology engineers to pass (the lab's ground truth)."""
    return {
        (t.src_host, t.src_vmk, t.dst_host, t.dst_vmk, t.family.value)
        for t in truth_pairs(topo)
        if t.expected_status is PairStatus.PASS
    }


def keys(changes: list[dict[str, Any]]) -> set[PairKey]:
    return {(c["src_host"], c["src_vmk"], c["dst_host"], c["dst_vmk"], c["family"]) for c in changes}




def test_a_lowered_uplink_mtu_shows_as_regressions_of_exactly_the_cross_rack_pairs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if reason := lab_missing():
        pytest.skip(reason)
    from validator.lab.api import running_lab

    topo = private_topology("mini", PREFIX, range(236, 240))
    before_ok, after_ok = passing(topo), passing(with_uplink_mtu(topo, FAULTY_RACK, LOW_MTU))
    expected = before_ok - after_ok
    racks = {h.name: h.rack for h in topo.hosts}
    assert expected == {k for k in before_ok if FAULTY_RACK in (racks[k[0]], racks[k[2]]) and racks[k[0]] != racks[k[2]]}
    assert len(expected) == 8 and any(k[4] == "ipv6" for k in expected)
    before, after = tmp_path / "before", tmp_path / "after"

    with running_lab(topo, tmp_path / "state", log=quiet) as lab:  # torn down even when an assertion fails
        monkeypatch.setenv(lab.password_env, lab.password())
        inventory = str(lab.inventory)
        code, _, _ = run_cli(["validate", "-i", inventory, "-o", str(before), "-q"], capsys)
        assert code == 0, "the healthy lab passes"
        rack = next(r for r in topo.racks if r.name == FAULTY_RACK)
        for netns, link in ((lab.names.tor_ns(rack.name), "up0"), (lab.names.core_ns, f"r{rack.index}")):
            subprocess.run(["ip", "-n", netns, "link", "set", "dev", link, "mtu", str(LOW_MTU)], check=True)
        code, _, _ = run_cli(["validate", "-i", inventory, "-o", str(after), "-q"], capsys)
        assert code == 1
        gate, gate_out, _ = run_cli(["validate", "-i", inventory, "--baseline", str(before / "report.json"), "-q"], capsys)

    assert gate == 1
    assert "regress" in gate_out.lower()
    code, out, _ = run_cli(["diff", str(before / "report.json"), str(after / "report.json"), "--format", "json"], capsys)
    diff = json.loads(out)
    assert code == 1
    assert keys(diff["regressions"]) == expected
    assert all(c["before"]["status"] == "pass" and c["after"]["status"] == "fail" for c in diff["regressions"])
    assert {c["after"]["reason"] for c in diff["regressions"] if c["family"] == "ipv4"} == {"path-mtu"}
    assert diff["fixes"] == [] and diff["added"] == [] and diff["removed"] == []
    assert diff["summary"]["has_regressions"] is True

    code, out, _ = run_cli(["diff", str(after / "report.json"), str(before / "report.json"), "--format", "json"], capsys)
    reverse = json.loads(out)
    assert code == 0
    assert keys(reverse["fixes"]) == expected
    assert reverse["regressions"] == [] and reverse["summary"]["has_regressions"] is False
