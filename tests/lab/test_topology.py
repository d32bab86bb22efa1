"""Topology parsing and validation (pure: no root needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from validator.errors import LabError
from validator.lab.generate import generate_toml, generate_topology
from validator.lab.generate import main as generate_main
from validator.lab.netbuild import Names, plan_network
from validator.lab.topology import Topology, load_topology, parse_topology_text

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "lab"

BASE = """
[lab]
prefix = "vmvt"
mgmt_subnet = "198.18.255.0/24"

[[racks]]
name = "r1"
subnet = "198.19.1.0/24"
subnet6 = "2001:db8:1::/64"
mtu = 9000

[[hosts]]
name = "esx01"
rack = "r1"
mgmt_ip = "198.18.255.11"
gateway = "198.19.1.1"

  [[hosts.vmks]]
  name = "vmk1"
  ip = "198.19.1.11/24"
  mtu = 9000
"""


def parse(text: str) -> Topology:
    return parse_topology_text(text, "t.toml")


@pytest.mark.parametrize("name", ["demo", "alt", "mini", "scale", "gateways"])
def test_samples_are_valid(name: str) -> None:
    topo = load_topology(SAMPLES / f"{name}.toml")
    assert topo.hosts and topo.racks
    assert topo.source.endswith(f"{name}.toml")


def test_demo_has_what_the_issue_asks_for() -> None:
    topo = load_topology(SAMPLES / "demo.toml")
    assert len(topo.hosts) >= 6 and len(topo.racks) >= 2
    two_vmks = [h for h in topo.hosts if len(h.vmotion_vmks) >= 2]
    assert len(two_vmks) > len(topo.hosts) / 2
    assert any(h.gateway is None for h in topo.hosts)
    assert any(not v.enabled for h in topo.hosts for v in h.vmks)
    assert any(r.uplink_mtu < 9000 for r in topo.racks)
    assert topo.blackholes
    assert any(not v.on_vmotion and "VMotion" in v.tags for h in topo.hosts for v in h.vmks)
    assert any(v.on_vmotion and len(v.tags) > 1 for h in topo.hosts for v in h.vmks)
    assert any(not h.sshd for h in topo.hosts)
    assert len([h for h in topo.hosts if any(v.ip6 for v in h.vmotion_vmks)]) >= 2
    assert any(h.esxcli_variant == "legacy" for h in topo.hosts)


def test_defaults() -> None:
    topo = parse(BASE)
    rack, host = topo.racks[0], topo.hosts[0]
    assert str(rack.gateway) == "198.19.1.1" and str(rack.gateway6) == "2001:db8:1::1"
    assert rack.uplink_mtu == 9000
    assert str(topo.lab.mgmt_address) == "198.18.255.1"
    vmk = host.vmks[0]
    assert vmk.tags == ("VMotion",) and vmk.netstack == "vmotion" and vmk.enabled
    assert host.sshd and host.ssh_port == 22 and host.esxcli_variant == "gateway"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('ip = "198.19.1.11/24"', 'ip = "10.0.0.11/24"', "outside 198.18.0.0/15"),
        ('mgmt_ip = "198.18.255.11"', 'mgmt_ip = "192.168.1.11"', "outside 198.18.0.0/15"),
        ('subnet6 = "2001:db8:1::/64"', 'subnet6 = "fd00:1::/64"', "outside 2001:db8::/32"),
        ('mgmt_subnet = "198.18.255.0/24"', 'mgmt_subnet = "172.16.0.0/24"', "outside 198.18.0.0/15"),
        ('ip = "198.19.1.11/24"', 'ip = "198.19.2.11/24"', "not in rack r1's subnet"),
        ('ip = "198.19.1.11/24"', 'ip = "198.19.1.11/25"', "same prefix length"),
        ('ip = "198.19.1.11/24"', 'ip = "198.19.1.1/24"', "the rack's gateway"),
        ('gateway = "198.19.1.1"', 'gateway = "198.19.2.1"', "is not a host address of rack r1's subnet"),
        ('gateway = "198.19.1.1"', 'gateway = "198.19.1.11"', "is the address of hosts (esx01).vmks (vmk1)"),
        ('gateway = "198.19.1.1"', 'gateway6 = "2001:db8:9::1"', "gateway6: 2001:db8:9::1 is not a host address"),
        ('name = "vmk1"', 'name = "vmk0"', "must match"),
        ('name = "vmk1"', 'name = "eth0"', "must match"),
        ('prefix = "vmvt"', 'prefix = "averylongprefix"', "must match"),
        ('prefix = "vmvt"', 'prefix = "vm-vt"', "must match"),
        ('rack = "r1"', 'rack = "r9"', "unknown rack 'r9'"),
        ("mtu = 9000\n", "mtu = 99000\n", "outside 1280..9000"),
        ('mgmt_ip = "198.18.255.11"', 'mgmt_ip = "198.18.255.1"', "mgmt_address"),
        ('name = "esx01"', 'name = "esx01-vmotion"', "-vmotion"),
        ('name = "esx01"', 'name = "Esx_01"', "must match"),
        ("  mtu = 9000", '  mtu = 9000\n  colour = "red"', "unknown key(s) colour"),
        ("  mtu = 9000", '  mtu = 9000\n  tags = ["Vmotion"]', "unknown tag 'Vmotion'"),
        ("  mtu = 9000", "  mtu = 9000\n  enabled = 1", "expected bool"),
        ('ip = "198.19.1.11/24"', 'ip = "198.19.1.11"', "address/prefix"),
    ],
)
def test_errors_name_the_file_and_the_key(old: str, new: str, message: str) -> None:
    assert old in BASE
    with pytest.raises(LabError) as caught:
        parse(BASE.replace(old, new, 1))
    text = str(caught.value)
    assert text.startswith("t.toml: ")
    assert message in text


def test_error_names_the_host() -> None:
    with pytest.raises(LabError, match=r"hosts\[0\] \(esx01\)\.vmks\[0\] \(vmk1\)\.ip"):
        parse(BASE.replace('ip = "198.19.1.11/24"', 'ip = "198.19.7.11/24"'))


def test_duplicates_and_overlaps_are_refused() -> None:
    host = BASE[BASE.index("[[hosts]]"):]
    with pytest.raises(LabError, match="duplicate name 'esx01'"):
        parse(BASE + host)
    with pytest.raises(LabError, match="already used by"):
        parse(BASE + host.replace('"esx01"', '"esx02"').replace("255.11", "255.12"))
    rack2 = '\n[[racks]]\nname = "r2"\nsubnet = "198.19.1.128/25"\n'
    with pytest.raises(LabError, match="overlaps"):
        parse(BASE + rack2)


def test_blackhole_validation() -> None:
    host2 = """
[[hosts]]
name = "esx02"
rack = "r1"
mgmt_ip = "198.18.255.12"
  [[hosts.vmks]]
  name = "vmk1"
  ip = "198.19.1.12/24"
"""
    ok = parse(BASE + host2 + '[[faults.blackhole]]\nsrc = "esx01:vmk1"\ndst = "esx02:vmk1"\n')
    assert ok.blackholes[0].dst_host == "esx02"
    with pytest.raises(LabError, match="has no 'vmk7'"):
        parse(BASE + host2 + '[[faults.blackhole]]\nsrc = "esx01:vmk7"\ndst = "esx02:vmk1"\n')
    with pytest.raises(LabError, match="different hosts"):
        parse(BASE + host2 + '[[faults.blackhole]]\nsrc = "esx01:vmk1"\ndst = "esx01:vmk1"\n')


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="not valid TOML"):
        parse("[lab\n")
    with pytest.raises(LabError, match="cannot read"):
        load_topology(tmp_path / "nope.toml")


def test_with_prefix() -> None:
    topo = parse(BASE).with_prefix("vtabc")
    assert topo.lab.prefix == "vtabc"
    with pytest.raises(LabError):
        topo.with_prefix("x" * 11)


def test_generated_topologies(capsys: pytest.CaptureFixture[str]) -> None:
    topo = generate_topology(32, 2)
    assert len(topo.hosts) == 32 and len(topo.racks) == 4
    assert all(len(h.vmotion_vmks) == 2 and all(v.mtu == 9000 for v in h.vmks) for h in topo.hosts)
    assert max(sum(1 for h in topo.hosts if h.rack == r.name) for r in topo.racks) <= 8
    assert not topo.blackholes and all(h.gateway for h in topo.hosts)
    six = parse_topology_text(generate_toml(10, 3, 2, ipv6=True))
    assert all(v.ip6 for h in six.hosts for v in h.vmks)
    with pytest.raises(LabError, match="racks"):
        generate_toml(20, 2, racks=2)
    assert generate_main(["--hosts", "4", "--vmks", "1"]) == 0
    assert "[[hosts]]" in capsys.readouterr().out
    assert generate_main(["--hosts", "0"]) == 2


def test_every_name_fits_an_interface() -> None:
    for name in ("demo", "alt", "mini", "scale"):
        topo = load_topology(SAMPLES / f"{name}.toml")
        plan = plan_network(topo, Names(topo.lab.prefix))
        for _, lines in plan.create:
            for line in lines:
                words = line.split()
                for key in ("add", "name"):
                    if key in words:
                        assert len(words[words.index(key) + 1]) <= 15, line


def test_a_gateway_nobody_answers_at_is_an_unused_address_of_the_rack() -> None:
    topo = parse(BASE.replace('gateway = "198.19.1.1"', 'gateway = "198.19.1.254"'))
    host = topo.hosts[0]
    assert str(host.gateway) == "198.19.1.254" and str(topo.racks[0].gateway) == "198.19.1.1"


def test_the_kernel_neighbour_tables_are_raised_to_fit_a_large_lab_and_never_lowered() -> None:
    """64 hosts x 2 vmks in 8 racks: 17 addresses per rack segment may all learn each other (8 x 17 x 16), plus
    the management and uplink entries; the kernel's default limit (1024, one table for every namespace) is
    below that, so the lab raises it (twice the need as the hard limit), and leaves a larger one alone."""
    from validator.lab.netbuild import neighbour_entries, neighbour_room

    topo = generate_topology(hosts=64, vmks=2, racks=8)
    assert neighbour_entries(topo) == 8 * 17 * 16 + 2 * 64 + 2 * 8
    room = dict(neighbour_room(2320, {"net/ipv4/neigh/default/gc_thresh2": 512,
                                      "net/ipv4/neigh/default/gc_thresh3": 1024,
                                      "net/ipv6/neigh/default/gc_thresh2": 4000,
                                      "net/ipv6/neigh/default/gc_thresh3": 8000}))
    assert room == {"net/ipv4/neigh/default/gc_thresh2": "2320", "net/ipv4/neigh/default/gc_thresh3": "4640"}
    assert plan_network(topo, Names(topo.lab.prefix)).neighbours == 2320
