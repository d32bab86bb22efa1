"""The [vcenter] table and CLI settings; vCenter facts in report.json (optional keys, v1 kept)."""

from __future__ import annotations

import json
from dataclasses import replace
from ipaddress import ip_address, ip_interface
from pathlib import Path

import pytest

from tests.factories import make_host, make_report
from validator.errors import InventoryError, UsageError
from validator.inventory import parse_inventory
from validator.models import ConnectionState, LockdownMode, VCenterFacts, VCenterStack, VCenterVm, VCenterVmk
from validator.report import Report, report_schema
from validator.vcenter.settings import (
    VCenterSettings,
    parse_server,
    resolve_vc_password,
    settings_from_cli,
    settings_from_table,
)

INV = Path("/inv/cluster.toml")


def test_vcenter_table_makes_hosts_optional() -> None:
    inventory = parse_inventory({"vcenter": {"server": "vc.example.test:8443", "ca_file": "ca.pem",
                                             "clusters": ["A"]}}, INV)
    assert inventory.hosts == ()
    assert inventory.vcenter == VCenterSettings(host="vc.example.test", port=8443, ca_file=Path("/inv/ca.pem"),
                                                clusters=("A",))
    with pytest.raises(InventoryError, match="at least one host"):
        parse_inventory({}, INV)


@pytest.mark.parametrize(("table", "message"), [
    ({"server": "vc", "password": "x"}, "unknown key"),
    ({"server": "vc", "password_env": "hunter2!"}, "NAME of an environment variable"),
    ({"server": "vc:0"}, "port"),
    ({"server": "vc", "insecure": True, "ca_file": "x"}, "exclude"),
    ({}, "server is required"),
])
def test_bad_tables(table: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        settings_from_table(table, Path("/"))


def test_parse_server() -> None:
    assert parse_server("127.0.0.1") == ("127.0.0.1", 443)
    assert parse_server("[2001:db8::5]:9443") == ("2001:db8::5", 9443)


def test_cli_overrides_table() -> None:
    base = VCenterSettings(host="vc", ca_file=Path("/ca.pem"), clusters=("A",))
    merged = settings_from_cli(base, server="127.0.0.1:9443", insecure=True, clusters=["B"], hosts=["h1"])
    assert merged is not None
    assert (merged.host, merged.port, merged.insecure, merged.ca_file, merged.clusters, merged.hosts) == (
        "127.0.0.1", 9443, True, None, ("B",), ("h1",))
    assert settings_from_cli(None, server=None) is None
    with pytest.raises(UsageError):
        settings_from_cli(None, server=None, clusters=["B"])


def test_password_only_from_the_environment() -> None:
    settings = VCenterSettings(host="vc", password_env="VC_PW")
    assert resolve_vc_password(settings, {"VC_PW": "s3cret"}) == "s3cret"
    with pytest.raises(InventoryError, match="VC_PW") as exc:
        resolve_vc_password(settings, {})
    assert "s3cret" not in str(exc.value)


def test_vcenter_facts_round_trip() -> None:
    facts = VCenterFacts(
        connection_state=ConnectionState.CONNECTED, in_maintenance=True, lockdown_mode=LockdownMode.STRICT,
        ssh_running=False, datacenter="DC",
        vmks=(VCenterVmk("vmk1", "vmotion", 9000, (ip_interface("198.19.1.11/24"),), ip_address("198.19.1.1"),
                         ("vmotion",), "pg", "00:50:56:00:00:01"),),
        netstacks=(VCenterStack("vmotion", ip_address("198.19.1.1"), None),),
        portgroups=("Web",), vms=(VCenterVm("w1", ("Web",)),),
    )
    report = make_report([replace(make_host("esx01"), vcenter=facts), make_host("esx02")], [])
    data = json.loads(json.dumps(report.to_dict()))
    assert "vcenter" not in data["hosts"][1]  # optional: absent without vCenter
    assert Report.from_dict(data).hosts == report.hosts


def test_schema_enums_match_the_python_enums() -> None:
    props = report_schema()["properties"]["hosts"]["items"]["properties"]["vcenter"]["properties"]
    assert props["connection_state"]["enum"] == [e.value for e in ConnectionState]
    assert props["lockdown_mode"]["enum"] == [e.value for e in LockdownMode]


def test_discovery_table_makes_vcenter_text_printable() -> None:
    from tests.factories import make_finding, make_host, make_vmk
    from validator.vcenter.table import discovery_text

    hostile = "esx\x1b]0;owned\x07\x1b[2J01"
    host = make_host(hostile, [make_vmk("vmk1", "198.19.1.11/24")])
    text = discovery_text([host], [make_finding(message=f"VM {hostile} has no network")])
    assert "\x1b" not in text and "\x07" not in text
    assert "esx" in text and "01" in text
