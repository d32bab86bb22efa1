"""The vCenter-only topology keys and vcenter_model() (pure: no simulator needed)."""

from __future__ import annotations

import pytest

from validator.errors import LabError
from validator.lab.state import StatePaths
from validator.lab.topology import Topology, load_topology, parse_topology_text
from validator.lab.vcsim import REPO_ROOT, vcenter_model

BASE = """
[lab]
mgmt_subnet = "198.18.255.0/24"
[[racks]]
name = "r1"
subnet = "198.19.1.0/24"
[[hosts]]
name = "esx01"
rack = "r1"
mgmt_ip = "198.18.255.11"
"""


def test_existing_topologies_stay_valid_with_vcenter_defaults() -> None:
    for path in sorted((REPO_ROOT / "samples" / "lab").glob("*.toml")):
        topo = load_topology(path)
        for host in topo.hosts:
            assert host.vcenter.tsm_ssh is host.sshd
            if path.name not in ("vcenter.toml", "multi-vc.toml"):  # the samples of vCenter facts
                assert host.vcenter.cluster == "cluster1"
                assert (host.vcenter.maintenance, host.vcenter.lockdown) == (False, "disabled")
                assert host.vcenter.connection_state == "connected"


def test_vcenter_keys_are_parsed() -> None:
    text = (
        BASE.replace("[lab]\n", '[lab]\ndatacenter = "dcx"\ncluster = "main"\n')
        + """
cluster = "edge"
maintenance = true
lockdown = "strict"
connection_state = "notResponding"
sshd = false
tsm_ssh = true
portgroups = ["App-A"]
api = "hang"
  [[hosts.vms]]
  name = "vm1"
  networks = ["App-A", "Gone"]
"""
    )
    topo = parse_topology_text(text)
    vc = topo.hosts[0].vcenter
    assert (topo.lab.datacenter, topo.lab.cluster) == ("dcx", "main")
    assert (vc.cluster, vc.maintenance, vc.lockdown, vc.connection_state) == ("edge", True, "strict", "notResponding")
    assert vc.tsm_ssh is True  # explicit, despite sshd = false
    assert vc.portgroups == ("App-A",)
    assert vc.api == "hang"
    assert parse_topology_text(BASE).hosts[0].vcenter.api == "ok"
    assert [(v.name, v.networks) for v in vc.vms] == [("vm1", ("App-A", "Gone"))]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('lockdown = "full"', "lockdown"),
        ('api = "slow"', "api"),
        ('connection_state = "gone"', "connection_state"),
        ('portgroups = ["A", "A"]', "duplicate"),
        ('[[hosts.vms]]\nname = "v"\nnetworks = ["bad/name"]', "networks"),
        ('[[hosts.vms]]\nname = "v"\n[[hosts.vms]]\nname = "v"', "duplicate"),
    ],
)
def test_bad_vcenter_keys_are_refused(extra: str, message: str) -> None:
    with pytest.raises(LabError, match=message):
        parse_topology_text(BASE + extra + "\n")


def sample() -> Topology:
    return load_topology(REPO_ROOT / "samples" / "lab" / "vcenter.toml")


def test_model_of_the_sample() -> None:
    model = vcenter_model(sample())
    assert (model["datacenter"], model["clusters"]) == ("dc-lab", ["c1", "c2"])
    hosts = {h["name"]: h for h in model["hosts"]}
    assert hosts["esx02"]["maintenance"] is True
    assert hosts["esx03"]["lockdown"] == "lockdownNormal"
    assert hosts["esx04"]["tsm_ssh"] is False
    vmk0 = hosts["esx01"]["vmks"][0]
    assert (vmk0["device"], vmk0["ip"], vmk0["services"]) == ("vmk0", "198.18.245.11/24", ["management"])
    assert hosts["esx01"]["netstacks"][1] == {"key": "vmotion", "gateway": "198.19.1.1", "gateway6": "2001:db8:1::1"}
    assert hosts["esx01"]["vmks"][2]["gateway"] == "198.19.1.1"
    assert [v["services"] for v in hosts["esx02"]["vmks"]] == [["management"], ["vmotion"], []]
    assert hosts["esx03"]["vmks"][2] | {"ip6": []} == hosts["esx03"]["vmks"][2]
    assert hosts["esx03"]["vmks"][2]["services"] == ["vsan"]
    assert hosts["esx05"]["vmks"][1]["services"] == ["vmotion", "faultToleranceLogging"]
    assert hosts["esx01"]["vms"] == [{"name": "app01", "networks": ["App-A", "App-B"]}]
    assert "App-B" not in hosts["esx02"]["portgroups"]


def test_model_binds_each_host_to_its_lab_host_when_the_lab_is_known() -> None:
    topo = parse_topology_text(BASE + 'api = "no-permission"\n')
    unbound = vcenter_model(topo)["hosts"][0]
    assert "lab" not in unbound and unbound["api"] == "no-permission"
    bound = vcenter_model(topo, StatePaths.of("/run/vmv-lab"))["hosts"][0]
    assert bound["lab"] == {"host_dir": "/run/vmv-lab/hosts/esx01", "vmkping": "/run/vmv-lab/bin/vmkping"}
