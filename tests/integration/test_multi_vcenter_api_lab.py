"""Two simulated vCenters over one lab, probed through the vSphere API: the verdicts of the SSH run on the same lab,
with every lab host's sshd stopped and no SSH password given.

One lab for the module: the SSH runs first (a migration plan between the two vCenters' clusters, and the mesh of
both), then every sshd is stopped for good and the same runs go through each vCenter's own simulator.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli_run import interruptible_cli
from tests.integration.api_lab import everything_written, lab_sshd_running, stop_every_sshd, verdicts
from tests.integration.conftest import own_sample
from tests.integration.multi_vc import lab_ssh_table, password_env, vcenter_tables
from tests.lab.conftest import lab_missing
from tests.vcsim.binary import vcsim_binary_or_skip
from validator.lab.compare import compare_with_ground_truth, load_ground_truth
from validator.lab.topology import load_topology
from validator.lab.vcsim import VcsimEndpoint, running_vcsims, vcenter_models
from validator.report import Report, load_report

pytestmark = pytest.mark.lab
REPO = Path(__file__).resolve().parents[2]
PLAN = ("--from", "vc1/DC0/A", "--to", "vc2/DC0/B")


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    report: Report
    folder: Path


@dataclass(frozen=True)
class Runs:
    ssh_plan: Run
    ssh_mesh: Run
    api_plan: Run
    api_mesh: Run
    sshd_after: list[str]
    truth: list[dict[str, object]]
    vcenter_of: dict[str, str]
    vcenters: dict[str, VcsimEndpoint]


def _inventory(path: Path, ssh_table: str, vcenters: dict[str, VcsimEndpoint], probe: str | None = None) -> Path:
    path.write_text(ssh_table + vcenter_tables(vcenters, probe), encoding="utf-8")
    return path


def _run(inventory: Path, out: Path, env: dict[str, str], *extra: str) -> Run:
    done = subprocess.run(
        interruptible_cli("validate", "-i", str(inventory), "--vcenter", "vc1", "--vcenter", "vc2", *extra, "-q",
                          "-o", str(out), "--format", "table,json"),
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert (out / "report.json").exists(), done.stderr
    return Run(done.returncode, done.stdout, done.stderr, load_report(out / "report.json"), out)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    if reason := lab_missing():
        pytest.skip(reason)
    binary = vcsim_binary_or_skip()
    from validator.lab.api import running_lab

    folder = tmp_path_factory.mktemp("multi-vc-api")
    topology = load_topology(own_sample("multi-vc", folder))
    with running_lab(topology, folder / "lab") as lab, \
            running_vcsims(vcenter_models(topology, lab.paths), folder / "vcsim", binary=binary) as vcenters:
        ssh_table = lab_ssh_table(lab)
        inventory = _inventory(folder / "inventory.toml", ssh_table, vcenters)
        vc_env = {password_env(name): vc.password for name, vc in vcenters.items()}
        ssh_env = {**os.environ, **vc_env, lab.password_env: lab.password()}
        ssh_plan = _run(inventory, folder / "ssh-plan", ssh_env, *PLAN)
        ssh_mesh = _run(inventory, folder / "ssh-mesh", ssh_env)
        assert stop_every_sshd(lab) == len(topology.hosts)
        api_env = {k: v for k, v in {**os.environ, **vc_env}.items() if k != lab.password_env}  # no SSH password
        api_plan = _run(inventory, folder / "api-plan", api_env, *PLAN, "--via", "api")
        tables_say_api = _inventory(folder / "inventory-api.toml", ssh_table, vcenters, probe="api")
        api_mesh = _run(tables_say_api, folder / "api-mesh", api_env)  # [[vcenter]] probe = "api", no --via
        yield Runs(ssh_plan, ssh_mesh, api_plan, api_mesh, lab_sshd_running(lab), load_ground_truth(lab.ground_truth),
                   {h.name: h.vcenter.vcenter for h in topology.hosts}, vcenters)


def test_a_migration_plan_through_both_vcenters_gives_the_ssh_verdicts_with_no_ssh(runs: Runs) -> None:
    ssh, api = runs.ssh_plan, runs.api_plan
    assert runs.sshd_after == []
    assert ssh.report.probe == "ssh" and api.report.probe == "api"
    assert "Traceback" not in api.stderr and api.code == ssh.code == 1  # the 1500 hop fails by design
    assert len(api.report.pairs) == 56
    assert verdicts(api.report) == verdicts(ssh.report)
    assert {p.plan.key: p.detail for p in api.report.pairs} == {p.plan.key: p.detail for p in ssh.report.pairs}
    vc = runs.vcenter_of
    truth = [{**p, "src_host": f"{vc[str(p['src_host'])]}/{p['src_host']}",
              "dst_host": f"{vc[str(p['dst_host'])]}/{p['dst_host']}"} for p in runs.truth]
    assert [str(m) for m in compare_with_ground_truth(api.report, truth)] == []
    assert {h.name for h in api.report.hosts} == {h.name for h in ssh.report.hosts}
    assert all(h.status.value == "ok" for h in api.report.hosts)
    for name, vc_endpoint in runs.vcenters.items():
        assert vc_endpoint.password not in everything_written(api.folder, api.stdout, api.stderr), name


def test_the_mesh_of_two_vcenters_whose_tables_say_api_gives_the_ssh_verdicts(runs: Runs) -> None:
    ssh, api = runs.ssh_mesh, runs.api_mesh
    assert api.report.probe == "api" and "Traceback" not in api.stderr
    assert api.report.pairs and verdicts(api.report) == verdicts(ssh.report)
    assert {p.plan.src_host.split("/")[0] for p in api.report.pairs} == {"vc1", "vc2"}
    assert api.code == ssh.code
