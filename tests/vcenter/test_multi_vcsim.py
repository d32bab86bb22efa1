"""Two simulated vCenters that both have an esx01 and an esx02: distinct in every format, in pytest items and
in diff (TSM-SSH is stopped everywhere, so no host is contacted: the pairs are planned from vCenter's vmks)."""

from __future__ import annotations

import json
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import run_cli
from tests.vcsim.binary import vcsim_binary_or_skip
from validator.diff_cli import run_diff
from validator.lab.vcsim import VcsimEndpoint, running_vcsims
from validator.pytest_plugin import pair_id
from validator.report import Report, load_report

FORMATS = ("report.txt", "report.json", "report.junit.xml", "report.md", "report.html")


def _host(name: str, octet: int) -> dict[str, Any]:
    return {
        "name": name, "cluster": "Prod", "management_ip": f"198.18.99.{octet}", "tsm_ssh": False,
        "netstacks": [{"key": "vmotion", "gateway": "198.19.99.1"}],
        "vmks": [{"device": "vmk1", "portgroup": "vmo", "netstack": "vmotion", "ip": f"198.19.99.{octet}/24",
                  "mtu": 9000, "services": ["vmotion"]}],
    }


MODEL: dict[str, Any] = {"datacenter": "DC1", "clusters": ["Prod"], "hosts": [_host("esx01", 11), _host("esx02", 12)]}


def _inventory(path: Path, vcenters: dict[str, VcsimEndpoint]) -> Path:
    text = '[ssh]\nusername = "root"\npassword_env = "VMV_TEST_SSH_PW"\n'
    for name, vc in vcenters.items():
        text += (f'\n[[vcenter]]\nname = "{name}"\nserver = "{vc.host}:{vc.port}"\nusername = "{vc.username}"\n'
                 f'password_env = "VMV_TEST_{name.upper()}_PW"\nca_file = "{vc.ca_file}"\n')
    path.write_text(text, encoding="utf-8")
    return path


def _validate(models: dict[str, dict[str, Any]], out: Path, capsys: pytest.CaptureFixture[str],
              monkeypatch: pytest.MonkeyPatch) -> tuple[int, Report]:
    binary = vcsim_binary_or_skip()
    with running_vcsims(models, out / "vcsim", binary=binary) as vcenters:
        monkeypatch.setenv("VMV_TEST_SSH_PW", "unused")
        for name, vc in vcenters.items():
            monkeypatch.setenv(f"VMV_TEST_{name.upper()}_PW", vc.password)
        inventory = _inventory(out / "inventory.toml", vcenters)
        code, _out, _err = run_cli(["validate", "-i", str(inventory), "-o", str(out / "report"), "-q",
                                    "--format", "table,json,junit,markdown,html"], capsys)
    return code, load_report(out / "report" / "report.json")


def test_same_host_names_in_two_vcenters_stay_apart_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, before = _validate({"east": MODEL, "west": MODEL}, tmp_path / "before", capsys, monkeypatch)
    names = {"east/esx01", "east/esx02", "west/esx01", "west/esx02"}
    assert code == 1  # every pair errs: SSH is not tried where TSM-SSH is stopped
    assert {h.name for h in before.hosts} == names
    assert {h.cluster for h in before.hosts} == {"east/DC1/Prod", "west/DC1/Prod"}
    # the mesh stays inside each vCenter's cluster: east/esx01 <-> east/esx02, west/esx01 <-> west/esx02
    assert {(p.plan.src_host, p.plan.dst_host) for p in before.pairs} == {
        ("east/esx01", "east/esx02"), ("east/esx02", "east/esx01"),
        ("west/esx01", "west/esx02"), ("west/esx02", "west/esx01"),
    }
    ids = [pair_id(p) for p in before.pairs]
    assert len(set(ids)) == 4 and "east/esx01:vmk1->east/esx02:vmk1" in ids
    for written in FORMATS:
        text = (tmp_path / "before" / "report" / written).read_text(encoding="utf-8")
        assert all(name in text for name in names), written

    west = deepcopy(MODEL)
    west["hosts"] = [h for h in west["hosts"] if h["name"] != "esx02"]
    _code, after = _validate({"east": MODEL, "west": west}, tmp_path / "after", capsys, monkeypatch)
    assert {h.name for h in after.hosts} == names - {"west/esx02"}
    out = tmp_path / "diff"
    run_diff(tmp_path / "before" / "report" / "report.json", tmp_path / "after" / "report" / "report.json",
             ("table", "json"), out)
    diff = json.loads((out / "diff.json").read_text(encoding="utf-8"))
    assert [h["host"] for h in diff["hosts_removed"]] == ["west/esx02"]
    removed = {(p["src_host"], p["dst_host"]) for p in diff["removed"]}
    assert removed == {("west/esx01", "west/esx02"), ("west/esx02", "west/esx01")}
    assert "west/esx02" in (out / "diff.txt").read_text(encoding="utf-8")
