"""``validate --vcenter VC -i ssh.toml``: an inventory of ``[ssh]`` and ``[checks]`` alone, the hosts from vCenter."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_run import run_cli
from tests.vcenter.helpers import PASSWORD_ENV, vc_args
from tests.vcenter.models import unseen_model
from validator.lab.vcsim import VcsimEndpoint, running_vcsim


@pytest.fixture
def local_vc(vcsim_binary: Path, tmp_path: Path) -> Iterator[VcsimEndpoint]:
    """The simulator with every management address on 127.0.0.1, so SSH attempts stay on this machine."""
    with running_vcsim(unseen_model(ssh_address="127.0.0.1"), tmp_path / "vcsim", binary=vcsim_binary) as vc:
        yield vc


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ssh_only_inventory_with_vcenter_validates_the_clusters_hosts(
    local_vc: VcsimEndpoint, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ssh_toml = tmp_path / "ssh.toml"
    ssh_toml.write_text(f'[ssh]\nusername = "root"\nport = {_closed_port()}\nconnect_timeout = 2\n'
                        'allow_agent = false\n\n[checks]\nmax_rtt_ms = 80\n', encoding="utf-8")
    monkeypatch.setenv(PASSWORD_ENV, local_vc.password)
    out_dir = tmp_path / "report"
    code, _out, err = run_cli(["validate", *vc_args(local_vc), "-i", str(ssh_toml), "--cluster", "Silver", "-q",
                               "-o", str(out_dir)], capsys)
    assert "at least one host" not in err
    assert code == 1, err  # no host answers SSH: the pairs are errors, not a usage error
    report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    silver = sorted(h["name"] for h in unseen_model()["hosts"] if h["cluster"] == "Silver")
    assert len(silver) >= 2
    assert sorted(h["name"] for h in report["hosts"]) == silver  # the cluster's hosts, from vCenter
    assert all(h["vcenter"] is not None for h in report["hosts"])


def test_ssh_only_inventory_without_vcenter_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ssh_toml = tmp_path / "ssh.toml"
    ssh_toml.write_text('[ssh]\nusername = "root"\n', encoding="utf-8")
    code, out, err = run_cli(["validate", "-i", str(ssh_toml)], capsys)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"vmotion-validator: error: {ssh_toml}: [[hosts]]: at least one host is required "
        "(or a [vcenter] table, or --vcenter)"
    ]
