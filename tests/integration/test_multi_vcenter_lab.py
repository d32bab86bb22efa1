"""Two simulated vCenters over one lab: a migration plan between their clusters, probed over SSH for real."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import run_cli
from tests.integration.conftest import own_sample
from tests.integration.multi_vc import lab_ssh_table, password_env, vcenter_tables
from tests.lab.conftest import lab_missing
from tests.vcsim.binary import vcsim_binary_or_skip
from validator.lab.compare import compare_with_ground_truth, load_ground_truth
from validator.lab.topology import load_topology
from validator.lab.vcsim import VcsimEndpoint, running_vcsims, vcenter_models
from validator.report import Report, load_report

pytestmark = pytest.mark.lab

SOURCE, TARGET = "vc1/DC0/A", "vc2/DC0/B"


@dataclass(frozen=True)
class MultiLab:
    inventory: Path
    truth: list[dict[str, Any]]
    vcenter_of: dict[str, str]  # lab host -> its vCenter
    ssh_env: str
    ssh_password: str
    vcenters: dict[str, VcsimEndpoint]


@pytest.fixture(scope="module")
def multi_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MultiLab]:
    if reason := lab_missing():
        pytest.skip(reason)
    binary = vcsim_binary_or_skip()
    from validator.lab.api import running_lab

    folder = tmp_path_factory.mktemp("multi-vc")
    topology = load_topology(own_sample("multi-vc", folder))
    with running_lab(topology, folder / "lab") as lab, \
            running_vcsims(vcenter_models(topology), folder / "vcsim", binary=binary) as vcenters:
        inventory = folder / "inventory.toml"
        inventory.write_text(lab_ssh_table(lab) + vcenter_tables(vcenters), encoding="utf-8")
        yield MultiLab(inventory, load_ground_truth(lab.ground_truth),
                       {h.name: h.vcenter.vcenter for h in topology.hosts}, lab.password_env, lab.password(), vcenters)


def _environment(lab: MultiLab, monkeypatch: pytest.MonkeyPatch, wrong: str | None = None) -> None:
    monkeypatch.setenv(lab.ssh_env, lab.ssh_password)
    for name, vc in lab.vcenters.items():
        monkeypatch.setenv(password_env(name), "not-the-password" if name == wrong else vc.password)


def _qualified_truth(lab: MultiLab, keep: Any) -> list[dict[str, Any]]:
    """The ground truth of the pairs ``keep(src, dst)`` accepts, hosts named as the run names them."""
    out = []
    for pair in lab.truth:
        src, dst = pair["src_host"], pair["dst_host"]
        if keep(src, dst):
            out.append({**pair, "src_host": f"{lab.vcenter_of[src]}/{src}",
                        "dst_host": f"{lab.vcenter_of[dst]}/{dst}"})
    return out


def _run(lab: MultiLab, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str, Report]:
    code, stdout, stderr = run_cli(["validate", "-i", str(lab.inventory), "--vcenter", "vc1", "--vcenter", "vc2",
                                    *extra, "-o", str(out), "--format", "table,json,junit,markdown,html", "-q"],
                                   capsys)
    return code, stdout, stderr, load_report(out / "report.json")


def test_a_migration_plan_probes_exactly_its_pairs_and_finds_the_mtu_and_network_gaps(
    multi_lab: MultiLab, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _environment(multi_lab, monkeypatch)
    code, stdout, _stderr, report = _run(multi_lab, tmp_path, capsys, "--from", SOURCE, "--to", TARGET)
    vc = multi_lab.vcenter_of
    # 4 x 4 hosts both ways between the clusters, plus each 4-host cluster's own mesh: one IPv4 vmk each
    assert "plan: vc1/DC0/A (4 host(s)) <-> vc2/DC0/B (4 host(s)): 32 pairs between + 24 within their clusters " \
           "= 56 pairs (the full mesh of these hosts: 56)" in stdout
    assert len(report.pairs) == 56
    truth = _qualified_truth(multi_lab, lambda s, d: s != d)  # all 8 hosts: every planned pair is in the plan
    assert [str(m) for m in compare_with_ground_truth(report, truth)] == []
    failed = {(p.plan.src_host, p.plan.dst_host, p.reason.value if p.reason else None)
              for p in report.pairs if p.status.value != "pass"}
    hop = {(f"{vc[s]}/{s}", f"{vc[d]}/{d}", "path-mtu") for s in vc for d in vc
           if vc[s] != vc[d] and "esx24" not in (s, d)}
    assert failed == hop  # the 1500 hop fails every 9000 pair between; esx24's 1500 pairs pass
    assert code == 1
    findings = {(f.check, f.host, f.vmk) for f in report.findings if f.check.startswith("migration_")}
    assert findings == {("migration_mtu", "vc2/esx24", "vmk1")} | {
        ("migration_networks", f"vc2/esx2{i}", None) for i in range(1, 5)
    }
    networks = [f for f in report.findings if f.check == "migration_networks"]
    assert all("'App-B'" in f.message and "app01 (vc1/esx11)" in f.message for f in networks)
    assert all(h.name.startswith(("vc1/", "vc2/")) for h in report.hosts)
    assert {h.cluster for h in report.hosts} == {SOURCE, TARGET}
    for written in ("report.junit.xml", "report.md", "report.html", "report.txt"):
        text = (tmp_path / written).read_text(encoding="utf-8")
        assert "vc2/esx24" in text and "vc1/esx11" in text, written


def test_a_vcenter_refusing_the_login_leaves_the_others_hosts_validated(
    multi_lab: MultiLab, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _environment(multi_lab, monkeypatch, wrong="vc2")
    code, stdout, stderr, report = _run(multi_lab, tmp_path, capsys, "--from", SOURCE, "--to", TARGET)
    assert code == 3
    assert "incomplete: vCenter vc2 could not be read" in stderr
    assert "vCenter vc2 (" in stdout and "NOT READ: " in stdout and "login refused" in stdout
    assert {h.name for h in report.hosts} == {f"vc1/esx1{i}" for i in range(1, 5)}
    vc = multi_lab.vcenter_of
    truth = _qualified_truth(multi_lab, lambda s, d: s != d and vc[s] == vc[d] == "vc1")
    assert len(report.pairs) == len(truth) == 12
    assert [str(m) for m in compare_with_ground_truth(report, truth)] == []
    [unavailable] = [f for f in report.findings if f.check == "vcenter_unavailable"]
    assert unavailable.message.startswith("vCenter vc2 could not be read")
    assert json.loads((tmp_path / "report.json").read_text())["findings"][-1]["check"] == "vcenter_unavailable"


def test_a_one_way_plan_between_only_probes_the_source_hosts_to_the_target_scope(
    multi_lab: MultiLab, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _environment(multi_lab, monkeypatch)
    code, stdout, _stderr, report = _run(multi_lab, tmp_path, capsys, "--from", "vc1/DC0/A/esx11,esx12",
                                         "--to", "vc2", "--one-way", "--between-only")
    assert "plan: vc1/DC0/A/esx11,esx12 (2 host(s)) -> vc2 (4 host(s)): 8 pairs between = 8 pairs" in stdout
    assert {(p.plan.src_host, p.plan.dst_host) for p in report.pairs} == {
        (f"vc1/esx1{s}", f"vc2/esx2{d}") for s in (1, 2) for d in range(1, 5)
    }
    vc = multi_lab.vcenter_of
    truth = _qualified_truth(multi_lab, lambda s, d: s in ("esx11", "esx12") and vc[d] == "vc2")
    assert [str(m) for m in compare_with_ground_truth(report, truth)] == []
    assert code == 1
