"""``--via`` on the command line and ``probe`` in the [vcenter] table: what is refused before anything is touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import run_cli
from validator.vcenter.settings import settings_from_table


def test_via_api_needs_vcenter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = tmp_path / "inv.toml"
    inventory.write_text('[[hosts]]\nname = "esx01"\naddress = "198.18.255.11"\n', encoding="utf-8")
    code, _, err = run_cli(["validate", "-i", str(inventory), "--via", "api"], capsys)
    assert code == 2 and "--via api needs vCenter" in err and len(err.strip().splitlines()) == 1


def test_via_api_refuses_ssh_only_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["validate", "--vcenter", "127.0.0.1:1", "--via", "api", "--enable-ssh"], capsys)
    assert code == 2 and "--enable-ssh has no use with --via api" in err
    code, _, err = run_cli(["validate", "--vcenter", "127.0.0.1:1", "--via", "api", "--ask-password"], capsys)
    assert code == 2 and "opens no SSH connection" in err


def test_demo_via_api_needs_the_simulator(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["demo", "--via", "api"], capsys)
    assert code == 2 and "demo --via api needs --vcenter" in err


def test_the_vcenter_table_names_the_probe_path(tmp_path: Path) -> None:
    assert settings_from_table({"server": "vc01.example.test", "probe": "api"}, tmp_path).probe == "api"
    assert settings_from_table({"server": "vc01.example.test"}, tmp_path).probe is None
    with pytest.raises(ValueError, match=r"vcenter\.probe must be one of"):
        settings_from_table({"server": "vc01.example.test", "probe": "telnet"}, tmp_path)


def test_several_vcenters_via_api_refuse_ssh_only_options(capsys: pytest.CaptureFixture[str]) -> None:
    several = ["validate", "--vcenter", "127.0.0.1:1", "--vcenter", "127.0.0.1:2", "--via", "api"]
    code, _, err = run_cli([*several, "--enable-ssh"], capsys)
    assert code == 2 and "--enable-ssh has no use with --via api" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli([*several, "--ask-password"], capsys)
    assert code == 2 and "opens no SSH connection" in err


def test_several_vcenters_whose_tables_disagree_on_the_probe_path_need_via(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = tmp_path / "inv.toml"
    inventory.write_text('[[vcenter]]\nname = "vc1"\nserver = "127.0.0.1:1"\nprobe = "api"\n'
                         '[[vcenter]]\nname = "vc2"\nserver = "127.0.0.1:2"\n', encoding="utf-8")
    code, _, err = run_cli(["validate", "-i", str(inventory)], capsys)
    assert code == 2 and "vc1: api, vc2: ssh" in err and "--via" in err
