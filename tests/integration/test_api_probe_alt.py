"""``validate --vcenter --via api`` on the alt lab (other addressing, MTUs and faults): the verdicts of the SSH
path and of the lab's ground truth, with every lab host's sshd stopped and TSM-SSH left as it was."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.cli_run import interruptible_cli
from tests.integration.api_lab import (
    PASSWORD_ENV,
    everything_written,
    lab_sshd_running,
    served_lab,
    stop_every_sshd,
    vc_args,
    verdicts,
)
from tests.integration.conftest import SAMPLES
from validator.lab.compare import compare_with_ground_truth, load_ground_truth
from validator.lab.groundtruth import truth_pairs
from validator.lab.vcsim import running_vcsim
from validator.report import load_report

pytestmark = pytest.mark.lab
REPO = Path(__file__).resolve().parents[2]


def test_alt_lab_api_verdicts_equal_the_ssh_ones(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    with served_lab(SAMPLES / "alt.toml", tmp_path_factory) as served:
        lab = served.lab
        env = dict(os.environ, **{lab.password_env: lab.password()})
        ssh = subprocess.run(
            interruptible_cli("validate", "-i", str(lab.inventory), "--discover-mtu", "-q", "-o", str(tmp_path / "ssh")),
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
        )
        assert ssh.returncode in (0, 1), ssh.stderr
        stop_every_sshd(lab)
        assert lab_sshd_running(lab) == []
        with running_vcsim(served.model(), tmp_path / "vc") as vc:
            api = subprocess.run(
                interruptible_cli("validate", *vc_args(vc), "--via", "api", "--discover-mtu", "-q",
                                  "-o", str(tmp_path / "api")),
                cwd=REPO, env=dict(os.environ, **{PASSWORD_ENV: vc.password}), capture_output=True, text=True,
                timeout=300, check=False,
            )
        assert api.returncode == ssh.returncode, api.stderr
        over_ssh, over_api = load_report(tmp_path / "ssh" / "report.json"), load_report(tmp_path / "api" / "report.json")
        assert compare_with_ground_truth(over_ssh, load_ground_truth(lab.ground_truth)) == []
        assert compare_with_ground_truth(over_api, [p.to_json() for p in truth_pairs(lab.topology, ssh=False)]) == []
        ssh_up = {h.name for h in lab.topology.hosts if h.sshd}
        a, s = verdicts(over_api), verdicts(over_ssh)
        assert set(a) == set(s)
        assert {k: v for k, v in a.items() if k[0] in ssh_up} == {k: v for k, v in s.items() if k[0] in ssh_up}
        assert over_api.probe == "api" and vc.password not in everything_written(tmp_path / "api", api.stdout, api.stderr)
