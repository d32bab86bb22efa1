"""esxcli of the lab (validator/lab/bin/esxcli): output formats from the host data files only.

No namespace, no root: esxcli only reads vmks.tsv / netstacks.tsv / variant.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from . import topo
from .conftest import Result, run_bin

NSX = "{http://www.vmware.com/Products/ESX/5.0/esxcli}"


def esxcli(t: topo.Topology, host: str, *args: str) -> Result:
    return run_bin("esxcli", t.hostdir(host), *args)


def ok(t: topo.Topology, host: str, *args: str) -> str:
    res = esxcli(t, host, *args)
    assert res.rc == 0, res
    assert res.err == ""
    return res.out


def table(text: str) -> list[dict[str, str]]:
    """Columns found by the dashed rule (as the contract requires of parsers)."""
    lines = text.splitlines()
    header, rule, rows = lines[0], lines[1], lines[2:]
    assert set(rule) <= {"-", " "}
    spans, pos = [], 0
    for dashes in rule.split("  "):
        spans.append((pos, pos + len(dashes)))
        pos += len(dashes) + 2
    names = [header[a:b].strip() for a, b in spans]
    # each column as wide as its widest cell (header included)
    for i, (a, b) in enumerate(spans):
        widest = max(len(line[a:b].strip()) for line in [header, *rows])
        assert widest == b - a, (names[i], widest, b - a)
    for line in lines:
        assert line == line.rstrip(), f"trailing space in {line!r}"
    return [{n: line[a:b].strip() for n, (a, b) in zip(names, spans, strict=True)} for line in rows]


def blocks(text: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for chunk in text.strip("\n").split("\n\n"):
        title, *kv = chunk.split("\n")
        assert not title.startswith(" ")
        rec = {}
        for line in kv:
            assert line.startswith("   ") and not line.startswith("    "), line
            key, value = line[3:].split(": ", 1)
            rec[key] = value
        out[title] = rec
    return out


def csv_rows(text: str) -> list[dict[str, str]]:
    lines = text.splitlines()
    assert all(line.endswith(",") for line in lines), "esxcli ends every CSV row with a comma"
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0][:-1]
    assert all(" " not in h for h in header)
    return [dict(zip(header, r[:-1], strict=True)) for r in rows[1:]]


def xml_structs(text: str, type_name: str) -> list[dict[str, tuple[str, str]]]:
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n')
    root = ET.fromstring(text.split("\n", 1)[1])
    assert root.tag == f"{NSX}output"
    lst = root.find(f"{NSX}root/{NSX}list")
    assert lst is not None and lst.get("type") == "structure"
    out = []
    for st in lst:
        assert st.tag == f"{NSX}structure" and st.get("typeName") == type_name
        rec = {}
        for f in st:
            (val,) = list(f)
            rec[f.get("name", "")] = (val.tag.removeprefix(NSX), val.text or "")
        out.append(rec)
    return out


# ------------------------------------------------------------------------------------ netstack


def test_netstack_list_blocks(hosts: topo.Topology) -> None:
    out = ok(hosts, "esxa", "network", "ip", "netstack", "list")
    assert out == (
        "defaultTcpipStack\n   Key: defaultTcpipStack\n   Name: defaultTcpipStack\n   State: 4660\n"
        "\n"
        "vmotion\n   Key: vmotion\n   Name: vmotion\n   State: 4660\n"
    )


def test_netstack_list_csv_xml(hosts: topo.Topology) -> None:
    assert ok(hosts, "esxa", "--formatter=csv", "network", "ip", "netstack", "list") == (
        "Key,Name,State,\ndefaultTcpipStack,defaultTcpipStack,4660,\nvmotion,vmotion,4660,\n"
    )
    recs = xml_structs(ok(hosts, "esxa", "--formatter", "xml", "network", "ip", "netstack", "list"), "NetstackInstance")
    assert [r["Key"] for r in recs] == [("string", "defaultTcpipStack"), ("string", "vmotion")]
    assert recs[0]["State"] == ("integer", "4660")


# ----------------------------------------------------------------------------------- interface


def test_interface_list_blocks(hosts: topo.Topology) -> None:
    recs = blocks(ok(hosts, "esxa", "network", "ip", "interface", "list"))
    assert list(recs) == ["vmk0", "vmk1", "vmk2", "vmk3"]
    vmk1 = recs["vmk1"]
    assert list(vmk1) == [
        "Name",
        "MAC Address",
        "Enabled",
        "Portset",
        "Portgroup",
        "Netstack Instance",
        "VDS Name",
        "VDS UUID",
        "VDS Port",
        "VDS Connection",
        "Opaque Network ID",
        "Opaque Network Type",
        "External ID",
        "MTU",
        "TSO MSS",
        "RXDispQueue Size",
        "Port ID",
    ]
    assert vmk1["MAC Address"] == "00:50:56:6a:00:01"
    assert vmk1["Netstack Instance"] == "vmotion"
    assert vmk1["Portgroup"] == "vMotion-A"
    assert vmk1["Portset"] == "vSwitch0"
    assert vmk1["VDS Name"] == "N/A"
    assert vmk1["MTU"] == "9000"
    assert vmk1["Port ID"] == "33554437"
    assert recs["vmk2"]["Enabled"] == "false"
    assert recs["vmk0"]["Portgroup"] == "Management Network"


@pytest.mark.parametrize("opt", [["-N", "vmotion"], ["--netstack=vmotion"], ["--netstack", "vmotion"]])
def test_interface_list_netstack_filter(hosts: topo.Topology, opt: list[str]) -> None:
    recs = blocks(ok(hosts, "esxa", "network", "ip", "interface", "list", *opt))
    assert list(recs) == ["vmk1", "vmk2", "vmk3"]
    recs = blocks(ok(hosts, "esxa", "network", "ip", "interface", "list", "-N", "defaultTcpipStack"))
    assert list(recs) == ["vmk0"]


def test_interface_list_csv_xml(hosts: topo.Topology) -> None:
    rows = csv_rows(ok(hosts, "esxa", "--formatter=csv", "network", "ip", "interface", "list"))
    assert rows[1]["Name"] == "vmk1" and rows[1]["MACAddress"] == "00:50:56:6a:00:01"
    assert rows[0]["Portgroup"] == "Management Network"  # a space needs no quoting
    assert rows[1]["NetstackInstance"] == "vmotion" and rows[1]["MTU"] == "9000"
    recs = xml_structs(ok(hosts, "esxa", "--formatter=xml", "network", "ip", "interface", "list"), "IPInterface")
    assert recs[1]["Name"] == ("string", "vmk1")
    assert recs[1]["MTU"] == ("integer", "9000")
    assert recs[2]["Enabled"] == ("boolean", "false")
    assert recs[1]["PortID"] == ("integer", "33554437")


# ------------------------------------------------------------------------------------ ipv4 get


def test_ipv4_get_gateway_variant(hosts: topo.Topology) -> None:
    out = ok(hosts, "esxa", "network", "ip", "interface", "ipv4", "get")
    assert out.splitlines()[:3] == [
        "Name  IPv4 Address  IPv4 Netmask   IPv4 Broadcast  Address Type  Gateway     DHCP DNS",
        "----  ------------  -------------  --------------  ------------  ----------  --------",
        "vmk0  198.18.0.11   255.255.255.0  198.18.0.255    STATIC        0.0.0.0        false",
    ]
    rows = {r["Name"]: r for r in table(out)}
    assert list(rows) == ["vmk0", "vmk1", "vmk2", "vmk3"]
    assert rows["vmk2"]["Gateway"] == "198.18.3.1"  # per-vmk override
    assert rows["vmk1"]["IPv4 Broadcast"] == "198.18.1.255"


def test_ipv4_get_legacy_variant(hosts: topo.Topology) -> None:
    out = ok(hosts, "esxb", "network", "ip", "interface", "ipv4", "get")
    assert out.splitlines() == [
        "Name  IPv4 Address  IPv4 Netmask   IPv4 Broadcast  Address Type  DHCP DNS",
        "----  ------------  -------------  --------------  ------------  --------",
        "vmk0  198.18.0.12   255.255.255.0  198.18.0.255    STATIC           false",
        "vmk1  198.18.2.11   255.255.255.0  198.18.2.255    STATIC           false",
    ]
    assert (
        "Gateway" not in csv_rows(ok(hosts, "esxb", "--formatter=csv", "network", "ip", "interface", "ipv4", "get"))[0]
    )


@pytest.mark.parametrize("opts", [["-i", "vmk1"], ["--interface-name=vmk1"], ["-N", "vmotion", "-i", "vmk1"]])
def test_ipv4_get_filters(hosts: topo.Topology, opts: list[str]) -> None:
    rows = table(ok(hosts, "esxa", "network", "ip", "interface", "ipv4", "get", *opts))
    assert [r["Name"] for r in rows] == ["vmk1"]


def test_ipv4_get_netstack_filter_and_no_address(tmp_path: Path) -> None:
    t = topo.describe("unit", tmp_path)
    a = t.hosts["esxa"]
    a.vmks[3].ipv4 = "-"
    a.vmks[3].prefix4 = "-"
    a.vmks[1].prefix4 = "21"
    a.write(tmp_path)
    rows = table(ok(t, "esxa", "network", "ip", "interface", "ipv4", "get", "-N", "vmotion"))
    assert [r["Name"] for r in rows] == ["vmk1", "vmk2", "vmk3"]
    assert rows[0]["IPv4 Netmask"] == "255.255.248.0" and rows[0]["IPv4 Broadcast"] == "198.18.7.255"
    assert rows[2] == {
        "Name": "vmk3",
        "IPv4 Address": "0.0.0.0",
        "IPv4 Netmask": "0.0.0.0",
        "IPv4 Broadcast": "0.0.0.0",
        "Address Type": "NONE",
        "Gateway": "0.0.0.0",
        "DHCP DNS": "false",
    }


def test_ipv4_get_csv_xml(hosts: topo.Topology) -> None:
    out = ok(hosts, "esxa", "--formatter=csv", "network", "ip", "interface", "ipv4", "get", "-i", "vmk1")
    assert out == (
        "Name,IPv4Address,IPv4Netmask,IPv4Broadcast,AddressType,Gateway,DHCPDNS,\n"
        "vmk1,198.18.1.11,255.255.255.0,198.18.1.255,STATIC,0.0.0.0,false,\n"
    )
    recs = xml_structs(
        ok(hosts, "esxa", "--formatter=xml", "network", "ip", "interface", "ipv4", "get"), "IPv4Interface"
    )
    assert recs[1]["IPv4Address"] == ("string", "198.18.1.11")
    assert recs[1]["DHCPDNS"] == ("boolean", "false")


# ------------------------------------------------------------------------------------------ ipv6


def test_ipv6_address_list(hosts: topo.Topology) -> None:
    out = ok(hosts, "esxa", "network", "ip", "interface", "ipv6", "address", "list")
    rows = table(out)
    assert [(r["Interface"], r["Address"], r["Netmask"]) for r in rows] == [
        ("vmk0", "fe80::250:56ff:fe6a:0", "64"),
        ("vmk0", "2001:db8::11", "64"),
        ("vmk1", "fe80::250:56ff:fe6a:1", "64"),
        ("vmk1", "2001:db8:1::11", "64"),
    ]
    # the prefix length is right-aligned, as real esxcli prints it
    assert out.splitlines()[2].startswith("vmk0       fe80::250:56ff:fe6a:0       64  STATIC  PREFERRED")
    rows2 = csv_rows(ok(hosts, "esxa", "--formatter=csv", "network", "ip", "interface", "ipv6", "address", "list"))
    assert rows2[3] == {
        "Interface": "vmk1",
        "Address": "2001:db8:1::11",
        "Netmask": "64",
        "Type": "STATIC",
        "Status": "PREFERRED",
    }
    recs = xml_structs(
        ok(hosts, "esxa", "--formatter=xml", "network", "ip", "interface", "ipv6", "address", "list"), "IPv6Address"
    )
    assert recs[3]["Netmask"] == ("integer", "64")


def test_ipv6_link_local_matches_spec_example(tmp_path: Path) -> None:
    t = topo.describe("unit", tmp_path)
    t.hosts["esxa"].vmks[0].mac = "00:50:56:6a:7c:2e"
    t.hosts["esxa"].write(tmp_path)
    rows = table(ok(t, "esxa", "network", "ip", "interface", "ipv6", "address", "list", "-i", "vmk0"))
    assert rows[0]["Address"] == "fe80::250:56ff:fe6a:7c2e"


# ---------------------------------------------------------------------------------------- routes


def test_route_ipv4_list_default_stack(hosts: topo.Topology) -> None:
    out = ok(hosts, "esxa", "network", "ip", "route", "ipv4", "list")
    assert out.splitlines() == [
        "Network     Netmask        Gateway  Interface  Source",
        "----------  -------------  -------  ---------  ------",
        "198.18.0.0  255.255.255.0  0.0.0.0  vmk0       MANUAL",
    ]


def test_route_ipv4_list_vmotion(hosts: topo.Topology) -> None:
    out = ok(hosts, "esxa", "network", "ip", "route", "ipv4", "list", "-N", "vmotion")
    assert out.splitlines()[:4] == [
        "Network     Netmask        Gateway     Interface  Source",
        "----------  -------------  ----------  ---------  ------",
        "default     0.0.0.0        198.18.1.1  vmk1       MANUAL",
        "198.18.1.0  255.255.255.0  0.0.0.0     vmk1       MANUAL",
    ]
    assert [r["Interface"] for r in table(out)] == ["vmk1", "vmk1", "vmk2", "vmk3"]
    recs = xml_structs(
        ok(hosts, "esxa", "--formatter=xml", "network", "ip", "route", "ipv4", "list", "--netstack=vmotion"),
        "IPv4Route",
    )
    assert recs[0]["Gateway"] == ("string", "198.18.1.1")
    rows = csv_rows(ok(hosts, "esxa", "--formatter=csv", "network", "ip", "route", "ipv4", "list", "-N", "vmotion"))
    assert rows[0] == {
        "Network": "default",
        "Netmask": "0.0.0.0",
        "Gateway": "198.18.1.1",
        "Interface": "vmk1",
        "Source": "MANUAL",
    }


def test_route_gateway_interface_is_the_onlink_vmk(tmp_path: Path) -> None:
    t = topo.describe("unit", tmp_path)
    a = t.hosts["esxa"]
    a.stacks[1] = ("vmotion", a.ns_vmotion, "198.18.4.1", "-", "vmk1")  # on-link of vmk3, not vmk1
    a.write(tmp_path)
    rows = table(ok(t, "esxa", "network", "ip", "route", "ipv4", "list", "-N", "vmotion"))
    assert rows[0]["Interface"] == "vmk3"
    assert table(ok(t, "esxa", "network", "ip", "route", "ipv6", "list", "-N", "vmotion")) == [
        {"Network": "2001:db8:1::", "Netmask": "64", "Gateway": "::", "Interface": "vmk1", "Source": "MANUAL"},
    ]


def test_route_ipv6_list(hosts: topo.Topology) -> None:
    out = ok(hosts, "esxa", "network", "ip", "route", "ipv6", "list", "-N", "vmotion")
    assert out.splitlines() == [
        "Network       Netmask  Gateway        Interface  Source",
        "------------  -------  -------------  ---------  ------",
        "default             0  2001:db8:1::1  vmk1       MANUAL",
        "2001:db8:1::       64  ::             vmk1       MANUAL",
    ]
    assert table(ok(hosts, "esxa", "network", "ip", "route", "ipv6", "list"))[0]["Network"] == "2001:db8::"
    rows = csv_rows(ok(hosts, "esxa", "--formatter=csv", "network", "ip", "route", "ipv6", "list", "-N", "vmotion"))
    assert rows[1] == {
        "Network": "2001:db8:1::",
        "Netmask": "64",
        "Gateway": "::",
        "Interface": "vmk1",
        "Source": "MANUAL",
    }
    recs = xml_structs(
        ok(hosts, "esxa", "--formatter=xml", "network", "ip", "route", "ipv6", "list", "-N", "vmotion"), "IPv6Route"
    )
    assert recs[0]["Netmask"] == ("integer", "0")


def test_route_ipv6_network_computation(tmp_path: Path) -> None:
    t = topo.describe("unit", tmp_path)
    a = t.hosts["esxa"]
    a.vmks[1].ipv6 = "2001:DB8:0:1:0:0:0:11/64,2001:db8:abcd:12ff::5/48,2001:db8:7:8:9:a:b:c/127"
    a.write(tmp_path)
    nets = [
        (r["Network"], r["Netmask"])
        for r in table(ok(t, "esxa", "network", "ip", "route", "ipv6", "list", "-N", "vmotion"))[1:]
    ]
    assert nets == [("2001:db8:0:1::", "64"), ("2001:db8:abcd::", "48"), ("2001:db8:7:8:9:a:b:c", "127")]


# -------------------------------------------------------------------------------------------- tags


def test_tag_get(hosts: topo.Topology) -> None:
    assert ok(hosts, "esxa", "network", "ip", "interface", "tag", "get", "-i", "vmk1") == "   Tags: VMotion\n"
    assert ok(hosts, "esxa", "network", "ip", "interface", "tag", "get", "--interface-name=vmk2") == (
        "   Tags: VMotion, faultToleranceLogging\n"
    )
    assert ok(hosts, "esxa", "network", "ip", "interface", "tag", "get", "-i", "vmk3") == "   Tags: \n"


def test_tag_get_csv_xml(hosts: topo.Topology) -> None:
    assert ok(hosts, "esxa", "--formatter=csv", "network", "ip", "interface", "tag", "get", "-i", "vmk2") == (
        "Tags,\nVMotion,\nfaultToleranceLogging,\n"
    )
    out = ok(hosts, "esxa", "--formatter=xml", "network", "ip", "interface", "tag", "get", "-i", "vmk2")
    root = ET.fromstring(out.split("\n", 1)[1])
    lst = root.find(f"{NSX}root/{NSX}list")
    assert lst is not None and lst.get("type") == "string"
    assert [s.text for s in lst] == ["VMotion", "faultToleranceLogging"]


# ------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["network", "ip", "bogus"], "Error: Unknown command or namespace network ip bogus"),
        (["bogus"], "Error: Unknown command or namespace bogus"),
        (
            ["network", "ip", "interface", "ipv4", "set"],
            "Error: Unknown command or namespace network ip interface ipv4 set",
        ),
        (["--formatter=csv", "network", "ip", "nope", "list"], "Error: Unknown command or namespace network ip nope"),
        (["network", "ip", "interface", "list", "-N", "nosuch"], "Error: Netstack instance 'nosuch' not found"),
        (["network", "ip", "route", "ipv4", "list", "-N", "nosuch"], "Error: Netstack instance 'nosuch' not found"),
        (["network", "ip", "interface", "ipv4", "get", "-i", "vmk9"], "Error: Interface 'vmk9' not found"),
        (["network", "ip", "interface", "tag", "get", "-i", "vmk9"], "Error: Interface 'vmk9' not found"),
        (["network", "ip", "interface", "tag", "get"], "Error: Missing required parameter -i|--interface-name"),
        (["network", "ip", "netstack", "list", "-N", "vmotion"], "Error: Invalid option -N"),
        (["network", "ip", "interface", "list", "-x"], "Error: Invalid option -x"),
        (["network", "ip", "interface", "list", "-N"], "Error: Missing argument for option -N"),
        (["--formatter=json", "network", "ip", "netstack", "list"], "Error: Invalid formatter: json"),
    ],
)
def test_errors(hosts: topo.Topology, args: list[str], message: str) -> None:
    res = esxcli(hosts, "esxa", *args)
    assert res.rc == 1
    assert res.out == message + "\n"


def test_namespace_without_command_prints_usage(hosts: topo.Topology) -> None:
    res = esxcli(hosts, "esxa", "network", "ip")
    assert res.rc == 0
    assert res.lines[0] == "Usage: esxcli network ip {cmd} [cmd options]"
    assert {"  route", "  interface", "  netstack"} <= set(res.lines)


def test_missing_hostdir(bin_dir: Path) -> None:
    import subprocess

    proc = subprocess.run(
        ["env", "-u", "VMV_HOSTDIR", "sh", str(bin_dir / "esxcli"), "network", "ip", "netstack", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout.startswith("Error: VMV_HOSTDIR")


def test_runs_from_its_own_directory(hosts: topo.Topology, bin_dir: Path) -> None:
    """Called through PATH (the SSH session's way): $0 is the absolute path, the .awk files sit beside it."""
    import os
    import subprocess

    env = {**os.environ, "VMV_HOSTDIR": str(hosts.hostdir("esxa")), "PATH": f"{bin_dir}:/usr/bin:/bin"}
    proc = subprocess.run(
        ["sh", "-c", "cd / && esxcli network ip netstack list"], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("defaultTcpipStack\n")
