"""Acceptance: ``discover --vcenter`` against the simulator reports exactly what it holds, and each check fires
on exactly the hosts and vmks it should."""

from __future__ import annotations

import json
from ipaddress import ip_interface
from pathlib import Path
from typing import Any

import pytest

from tests.vcenter.helpers import run_cli, vc_args
from validator.lab.vcsim import VcsimEndpoint
from validator.report import check_schema
from validator.vcenter.mapping import service_tag


@pytest.fixture(scope="module")
def discovery(vc: VcsimEndpoint, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("discover")
    proc = run_cli(vc, "discover", *vc_args(vc), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads((out / "discovery.json").read_text())
    data["stdout"] = proc.stdout
    return data


def _model_host(model: dict[str, Any], name: str) -> dict[str, Any]:
    return next(h for h in model["hosts"] if h["name"] == name)


def test_every_host_and_vmk_as_the_simulator_holds_them(discovery: dict[str, Any], model: dict[str, Any]) -> None:
    hosts = {h["name"]: h for h in discovery["hosts"]}
    assert sorted(hosts) == sorted(h["name"] for h in model["hosts"])
    for name, host in hosts.items():
        want = _model_host(model, name)
        assert host["cluster"] == want["cluster"]
        facts = host["vcenter"]
        assert facts["connection_state"] == want.get("connection_state", "connected")
        if facts["connection_state"] != "connected":
            assert host["vmks"] == [] and host["other_vmks"] == []  # vCenter serves no config for it
            assert host["address"] == name  # nor its management address
            continue
        assert host["address"] == want["management_ip"]
        assert facts["in_maintenance"] == want.get("maintenance", False)
        assert facts["lockdown_mode"] == want.get("lockdown", "lockdownDisabled")
        assert facts["ssh_running"] == want.get("tsm_ssh", True)
        found = {v["name"]: v for v in host["vmks"] + host["other_vmks"]}
        wanted = {v["device"]: v for v in want["vmks"]}
        assert set(found) == set(wanted) | {"vmk0"}
        for device, v in wanted.items():
            got = found[device]
            assert got["netstack"] == v.get("netstack", "defaultTcpipStack")
            assert got["mtu"] == v["mtu"]
            assert [ip_interface(a) for a in got["addresses"]] == [ip_interface(a) for a in [v["ip"], *v.get("ip6", [])]]
            assert got["gateway"] == v.get("gateway")
            assert sorted(got["tags"]) == sorted(service_tag(s) for s in v["services"])
            assert got["portgroup"] == v["portgroup"]
            on_probed_stack = got in host["vmks"]
            assert on_probed_stack == (got["netstack"] == "vmotion")
        stacks = {s["key"]: s for s in facts["netstacks"]}
        for stack in want.get("netstacks", []):
            assert stacks[stack["key"]]["gateway"] == stack["gateway"]
            assert stacks[stack["key"]]["gateway6"] == stack.get("gateway6")
        assert host["gateway"] == next((s["gateway"] for s in want.get("netstacks", []) if s["key"] == "vmotion"), None)
        assert set(want.get("portgroups", [])) <= set(facts["portgroups"])
        assert {vm["name"]: vm["networks"] for vm in facts["vms"]} == {
            vm["name"]: sorted(vm["networks"]) for vm in want.get("vms", [])
        }


def test_hosts_entries_follow_the_report_schema(discovery: dict[str, Any]) -> None:
    check_schema({"schema": "vmotion-validator/report/v1", "started_at": "x", "duration_s": 0,
                  "hosts": discovery["hosts"], "pairs": [], "findings": discovery["findings"],
                  "summary": {"pairs": 0, "pass": 0, "fail": 0, "error": 0, "verdict": "fail"}})


def test_each_check_fires_exactly_where_it_should(discovery: dict[str, Any]) -> None:
    got = sorted((f["check"], f["host"], f["vmk"]) for f in discovery["findings"])
    assert got == sorted([
        ("host_not_connected", "hv-b3", None),
        ("no_vmotion_vmks", "hv-b3", None),  # vCenter serves no network config for a disconnected host
        ("host_maintenance", "hv-a2", None),
        ("host_lockdown", "hv-b1", None),
        ("tsm_ssh_stopped", "hv-b2", None),
        ("vmotion_service_missing", "hv-a2", "vmk1"),
        ("extra_services", "hv-b1", "vmk1"),
        ("vmotion_tag_on_default", "hv-a2", "vmk2"),
        ("gateway", "hv-a2", None),
        ("vm_networks", "hv-a1", None),
        ("vm_networks", "hv-b2", None),
    ])
    messages = {(f["check"], f["host"]): f["message"] for f in discovery["findings"]}
    assert "'Batch' missing on hv-a2" in messages[("vm_networks", "hv-a1")]
    assert "'Data' missing on hv-b1" in messages[("vm_networks", "hv-b2")]
    assert "hv-b3" not in messages[("vm_networks", "hv-b2")]  # a disconnected host is not judged
    assert "vSphereReplication" in messages[("extra_services", "hv-b1")]


def test_table_shows_each_vmk(discovery: dict[str, Any]) -> None:
    lines = discovery["stdout"].splitlines()
    row = next(line.split() for line in lines if line.startswith("vmk4"))
    assert row[:4] == ["vmk4", "vmotion", "198.19.78.11/24", "9000"]
    assert "198.19.78.1" in row and "(vmk)" in row
    assert any("hv-b2" in line and "SSH STOPPED" in line for line in lines)


def test_scope_filters(vc: VcsimEndpoint, tmp_path: Path) -> None:
    proc = run_cli(vc, "discover", *vc_args(vc), "--cluster", "Silver", "--host", "hv-b1", "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "discovery.json").read_text())
    assert [h["name"] for h in data["hosts"]] == ["hv-b1"]
    proc = run_cli(vc, "discover", *vc_args(vc), "--datacenter", "DC-West", "--cluster", "Bronze")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "Bronze" in proc.stderr
    proc = run_cli(vc, "discover", *vc_args(vc), "--datacenter", "DC-East")
    assert proc.returncode == 2 and "DC-East" in proc.stderr
