"""Inventory loading: the documented shape works; every bad input is one clear InventoryError."""

from __future__ import annotations

from pathlib import Path

import pytest

from validator.errors import InventoryError
from validator.inventory import load_inventory
from validator.ssh_settings import resolve_password

GOOD = """
[ssh]
username = "root"
password_env = "VMOTION_VALIDATOR_PASSWORD"
known_hosts = "known_hosts"
host_key_policy = "strict"

[[hosts]]
name = "esx01"
address = "198.18.255.11"

[[hosts]]
name = "esx02"
address = "esx02.lab.example"
port = 2222
vmks = [{ name = "vmk1", ip = "198.19.1.12/24", mtu = 9000 }]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inventory.toml"
    path.write_text(text)
    return path


def test_ssh_alone_is_valid_when_vcenter_supplies_the_hosts(tmp_path: Path) -> None:
    path = write(tmp_path, '[ssh]\nusername = "root"\nport = 2222\n\n[checks]\nmax_rtt_ms = 80\n')
    inv = load_inventory(path, hosts_from_vcenter=True)
    assert inv.hosts == () and inv.vcenter is None
    assert inv.ssh.port == 2222 and inv.check_settings.max_rtt_ms == 80
    with pytest.raises(InventoryError, match=r"at least one host is required \(or a \[vcenter\] table, or --vcenter\)"):
        load_inventory(path)


def test_documented_shape_loads(tmp_path: Path) -> None:
    inv = load_inventory(write(tmp_path, GOOD))
    assert [h.target.name for h in inv.hosts] == ["esx01", "esx02"]
    assert inv.hosts[0].target.port == 22
    assert inv.hosts[1].target.port == 2222
    assert inv.ssh.known_hosts == tmp_path / "known_hosts"
    assert inv.ssh.host_key_policy == "strict"
    declared = inv.hosts[1].expected_vmks
    assert declared is not None and declared[0].mtu == 9000
    assert [str(a) for a in declared[0].addresses] == ["198.19.1.12/24"]
    assert inv.hosts[0].expected_vmks is None  # nothing declared: no drift check for it


def test_sample_inventory_loads() -> None:
    inv = load_inventory(Path(__file__).parents[1] / "samples" / "inventories" / "cluster.toml")
    assert len(inv.hosts) >= 2


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[ssh\nusername='x'", "TOML syntax error"),
        (GOOD + "\n[[hosts]]\nname = \"esx01\"\naddress = \"198.18.255.99\"\n", "duplicate host name 'esx01'"),
        (GOOD.replace('address = "198.18.255.11"', 'address = "198.18.255.300"'), "host 'esx01': bad address"),
        (GOOD.replace('host_key_policy = "strict"', 'host_key_policy = "yolo"'), "host_key_policy"),
        (GOOD.replace('username = "root"', 'username = "root"\npasword_env = "X"'), "unknown key ssh.'pasword_env'"),
        (GOOD.replace('port = 2222', 'prot = 2222'), "host 'esx02': unknown key 'prot'"),
        (GOOD.replace('port = 2222', 'port = 70000'), "port must be"),
        (GOOD.replace('password_env = "VMOTION_VALIDATOR_PASSWORD"', 'password_env = "hunter2!"'), "NAME of an"),
        ("[ssh]\nusername='root'\n", "at least one host"),
        (GOOD.replace('ip = "198.19.1.12/24"', 'ip = "198.19.1.312/24"'), "esx02"),
        (GOOD.replace('address = "198.18.255.11"', 'address = "esx02.lab.example"\nport = 2222'), "already used"),
    ],
)
def test_bad_inventory_names_the_culprit(tmp_path: Path, text: str, needle: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InventoryError) as info:
        load_inventory(path)
    message = str(info.value)
    assert str(path) in message
    assert needle in message
    assert "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="not found"):
        load_inventory(tmp_path / "nope.toml")


def test_password_comes_from_the_named_variable(tmp_path: Path) -> None:
    inv = load_inventory(write(tmp_path, GOOD))
    assert resolve_password(inv.ssh, {"VMOTION_VALIDATOR_PASSWORD": "s3cret"}) == "s3cret"
    with pytest.raises(InventoryError, match="VMOTION_VALIDATOR_PASSWORD") as info:
        resolve_password(inv.ssh, {})
    assert "s3cret" not in str(info.value)
