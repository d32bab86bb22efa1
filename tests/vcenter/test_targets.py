"""[[vcenter]] tables and repeated --vcenter: labels, per-vCenter settings, the command line's shared defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from validator.errors import InventoryError, UsageError
from validator.inventory import parse_inventory
from validator.vcenter.targets import SharedOptions, VCenterEntry, resolve_targets

TABLES = {
    "vcenter": [
        {"name": "vc1", "server": "vc1.example.test", "password_env": "VC1_PW", "ca_file": "vc1.pem"},
        {"server": "vc2.example.test:8443", "username": "svc@vsphere.local"},
    ],
}


def _entries() -> tuple[VCenterEntry, ...]:
    return parse_inventory(TABLES, Path("/inv/inventory.toml")).vcenters


def test_every_table_is_read_when_no_vcenter_is_given_and_tables_win_over_shared_defaults() -> None:
    shared = SharedOptions(username="ops@vsphere.local", password_env="SHARED_PW", insecure=True)
    vc1, vc2 = resolve_targets(_entries(), [], shared)
    assert (vc1.label, vc1.settings.password_env, vc1.settings.username) == ("vc1", "VC1_PW", "ops@vsphere.local")
    assert vc1.settings.ca_file == Path("/inv/vc1.pem") and not vc1.settings.insecure  # its table's TLS
    assert (vc2.label, vc2.settings.endpoint) == ("vc2.example.test:8443", "vc2.example.test:8443")
    assert (vc2.settings.username, vc2.settings.password_env, vc2.settings.insecure) == (
        "svc@vsphere.local", "SHARED_PW", True)


def test_vcenter_picks_tables_by_name_or_server_and_takes_other_addresses_as_they_are() -> None:
    targets = resolve_targets(_entries(), ["vc2.example.test:8443", "127.0.0.1:9443"], SharedOptions())
    assert [t.label for t in targets] == ["vc2.example.test:8443", "127.0.0.1:9443"]
    assert targets[1].settings.port == 9443


@pytest.mark.parametrize(("given", "message"), [
    (["vc1", "vc1"], "given twice"),
    (["vc1", "vc1.example.test:443"], "are the same vCenter"),
    (["bad/name"], "not a \\[\\[vcenter\\]\\] name nor HOST"),
])
def test_bad_vcenter_lists_are_refused(given: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        resolve_targets(_entries(), given, SharedOptions())


def test_a_password_on_the_command_line_is_refused() -> None:
    with pytest.raises(UsageError, match="NAME of an environment variable"):
        resolve_targets(_entries(), [], SharedOptions(password_env="hunter2!"))


def test_a_bad_table_names_its_index() -> None:
    bad = {"vcenter": [{"server": "a.example.test"}, {"server": "b.example.test", "colour": "red"}]}
    with pytest.raises(InventoryError, match=r"vcenter\[2\]: unknown key vcenter.'colour'"):
        parse_inventory(bad, Path("inventory.toml"))
