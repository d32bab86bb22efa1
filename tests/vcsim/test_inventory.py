"""What the simulator serves equals the model built from samples/lab/vcenter.toml (read-only session)."""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
from typing import Any

import pytest

from tests.vcsim.client import HOST_PATHS, by_nic_type, connect, retrieve, selected_devices, vim
from validator.lab.topology import Topology
from validator.lab.vcsim import VcsimEndpoint


@pytest.fixture(scope="module")
def hosts(si: Any) -> dict[str, dict[str, Any]]:
    found, _ = retrieve(si, vim.HostSystem, HOST_PATHS)
    return found


def model_hosts(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {h["name"]: h for h in model["hosts"]}


def test_hosts_clusters_and_states(hosts: dict[str, dict[str, Any]], model: dict[str, Any]) -> None:
    assert set(hosts) == {"esx01", "esx02", "esx03", "esx04", "esx05"}
    for name, m in model_hosts(model).items():
        h = hosts[name]
        assert isinstance(h["parent"], vim.ClusterComputeResource)
        assert h["parent"].name == m["cluster"]
        assert h["runtime.connectionState"] == m["connection_state"]
        assert h["runtime.inMaintenanceMode"] is m["maintenance"]
        assert h["config.lockdownMode"] == m["lockdown"]
        assert h["configManager"].hostAccessManager.lockdownMode == m["lockdown"]
        ssh = {s.key: s for s in h["config.service.service"]}["TSM-SSH"]
        assert ssh.running is m["tsm_ssh"]
    assert [hosts[n]["parent"].name for n in sorted(hosts)] == ["c1", "c1", "c2", "c2", "c2"]
    assert hosts["esx02"]["runtime.inMaintenanceMode"] is True
    assert hosts["esx03"]["config.lockdownMode"] == "lockdownNormal"
    assert hosts["esx04"]["configManager"].serviceSystem.serviceInfo.service[2].key == "TSM-SSH"
    assert {s.key: s.running for s in hosts["esx04"]["config.service.service"]}["TSM-SSH"] is False


def test_vmks_carry_the_model(hosts: dict[str, dict[str, Any]], topology: Topology) -> None:
    for spec in topology.hosts:
        vnics = {v.device: v for v in hosts[spec.name]["config.network.vnic"]}
        assert list(vnics) == ["vmk0", *(v.name for v in spec.vmks)]
        vmk0 = vnics["vmk0"]
        assert vmk0.spec.ip.ipAddress == str(spec.mgmt_ip.ip) != "127.0.0.1"
        assert vmk0.spec.netStackInstanceKey == "defaultTcpipStack"
        for vmk in spec.vmks:
            v = vnics[vmk.name]
            assert v.key == f"key-vim.host.VirtualNic-{vmk.name}"
            assert v.portgroup == v.spec.portgroup == vmk.portgroup
            assert v.spec.netStackInstanceKey == vmk.netstack
            assert v.spec.mtu == vmk.mtu
            if vmk.ip is not None:
                served = ipaddress.IPv4Interface(f"{v.spec.ip.ipAddress}/{v.spec.ip.subnetMask}")
                assert served == vmk.ip
            six = [f"{a.ipAddress}/{a.prefixLength}" for a in v.spec.ip.ipV6Config.ipV6Address]
            assert six == ([] if vmk.ip6 is None else [str(vmk.ip6)])
            gateway = v.spec.ipRouteSpec.ipRouteConfig.defaultGateway if v.spec.ipRouteSpec else None
            assert gateway == (None if vmk.gateway is None else str(vmk.gateway))


def test_netstacks_and_gateways(hosts: dict[str, dict[str, Any]], topology: Topology) -> None:
    for spec in topology.hosts:
        stacks = {s.key: s for s in hosts[spec.name]["config.network.netStackInstance"]}
        assert set(stacks) == {"defaultTcpipStack", "vmotion"}
        route = stacks["vmotion"].ipRouteConfig
        assert isinstance(route, vim.host.IpRouteConfig)
        assert route.defaultGateway == (None if spec.gateway is None else str(spec.gateway))
        assert route.ipV6DefaultGateway == (None if spec.gateway6 is None else str(spec.gateway6))
        if spec.gateway is not None:
            assert route.gatewayDevice == spec.vmotion_vmks[0].name
    assert stacks["defaultTcpipStack"].ipRouteConfig.defaultGateway is None


def test_service_selections_follow_the_tags(hosts: dict[str, dict[str, Any]], model: dict[str, Any]) -> None:
    for name, m in model_hosts(model).items():
        configs = by_nic_type(hosts[name]["config.virtualNicManagerInfo.netConfig"])
        assert {"vmotion", "faultToleranceLogging", "vsan", "management", "vSphereReplication"} <= set(configs)
        for nic_type, nc in configs.items():
            expected = [v["device"] for v in m["vmks"] if nic_type in v["services"]]
            assert selected_devices(nc) == expected, (name, nic_type)
            assert all(c.key == f"{nic_type}.key-vim.host.VirtualNic-{c.device}" for c in nc.candidateVnic)
        vmotion_stack = {v["device"] for v in m["vmks"] if v["netstack"] == "vmotion"}
        assert vmotion_stack <= {c.device for c in configs["vmotion"].candidateVnic}
        assert not vmotion_stack & {c.device for c in configs["vsan"].candidateVnic}
    esx02 = by_nic_type(hosts["esx02"]["config.virtualNicManagerInfo.netConfig"])
    assert selected_devices(esx02["vmotion"]) == ["vmk1"]  # vmk2 is on the stack, not selected
    esx05 = by_nic_type(hosts["esx05"]["config.virtualNicManagerInfo.netConfig"])
    assert selected_devices(esx05["faultToleranceLogging"]) == ["vmk1"]
    assert selected_devices(esx05["vmotion"]) == ["vmk1"]


def test_query_net_config_matches_the_property(hosts: dict[str, dict[str, Any]]) -> None:
    host = hosts["esx05"]
    manager = host["configManager"].virtualNicManager
    prop = by_nic_type(host["config.virtualNicManagerInfo.netConfig"])
    for nic_type in ("vmotion", "faultToleranceLogging", "management"):
        answer = manager.QueryNetConfig(nic_type)
        assert answer.selectedVnic == prop[nic_type].selectedVnic
        assert [c.device for c in answer.candidateVnic] == [c.device for c in prop[nic_type].candidateVnic]
    assert manager.info.netConfig[0].nicType == "faultToleranceLogging"


def test_portgroups_and_networks(hosts: dict[str, dict[str, Any]], topology: Topology) -> None:
    for spec in topology.hosts:
        expected = ["Management Network", *(v.portgroup for v in spec.vmks), *spec.vcenter.portgroups]
        h = hosts[spec.name]
        assert [pg.spec.name for pg in h["config.network.portgroup"]] == expected
        assert [n.name for n in h["network"]] == expected
        for pg in h["config.network.portgroup"]:
            assert pg.key == f"key-vim.host.PortGroup-{pg.spec.name}"
    assert "App-B" not in [n.name for n in hosts["esx02"]["network"]]


def test_vms_and_their_networks(si: Any, hosts: dict[str, dict[str, Any]], topology: Topology) -> None:
    vms, _ = retrieve(si, vim.VirtualMachine, ["name", "network", "runtime.host"])
    expected = {vm.name: (h.name, list(vm.networks)) for h in topology.hosts for vm in h.vcenter.vms}
    assert {name: (v["runtime.host"].name, [n.name for n in v["network"]]) for name, v in vms.items()} == expected
    for spec in topology.hosts:
        assert sorted(vm.name for vm in hosts[spec.name]["vm"]) == sorted(vm.name for vm in spec.vcenter.vms)
    app01 = vms["app01"]["network"]
    assert {n.name for n in app01} == {"App-A", "App-B"}
    assert [h.name for h in next(n for n in app01 if n.name == "App-B").host] == ["esx01"]


def test_wrong_password_is_refused(vc: VcsimEndpoint) -> None:
    with pytest.raises(vim.fault.InvalidLogin):
        connect(vc, password=vc.password + "x")


def test_tls_is_verifiable_with_the_ca_file(vc: VcsimEndpoint) -> None:
    context = ssl.create_default_context(cafile=str(vc.ca_file))
    with context.wrap_socket(__import__("socket").create_connection((vc.host, vc.port)), server_hostname=vc.host) as s:
        der = s.getpeercert(binary_form=True)
    assert der is not None
    assert ":".join(f"{b:02X}" for b in hashlib.sha1(der).digest()) == vc.thumbprint
    with pytest.raises(ssl.SSLCertVerificationError):
        ssl.create_default_context().wrap_socket(
            __import__("socket").create_connection((vc.host, vc.port)), server_hostname=vc.host
        )
