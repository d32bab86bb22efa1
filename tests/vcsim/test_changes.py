"""Calls that change the simulated inventory through the vSphere API (a private simulator per test)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.vcsim.client import HOST_PATHS, by_nic_type, retrieve, selected_devices, vim, vmodl
from validator.lab.vcsim import VcsimEndpoint

Fresh = tuple[VcsimEndpoint, Any]


def host(si: Any, name: str) -> Any:
    found, _ = retrieve(si, vim.HostSystem, ["name"])
    return found[name]["_obj"]


def props(si: Any, name: str) -> dict[str, Any]:
    found, _ = retrieve(si, vim.HostSystem, HOST_PATHS)
    return found[name]


def wait(task: Any) -> None:
    while task.info.state not in ("success", "error"):
        pass
    assert task.info.state == "success", task.info.error


def test_start_and_stop_tsm_ssh(fresh: Fresh) -> None:
    _, si = fresh
    services = host(si, "esx04").configManager.serviceSystem

    def running() -> bool:
        return bool({s.key: s.running for s in services.serviceInfo.service}["TSM-SSH"])

    assert running() is False
    services.StartService("TSM-SSH")
    assert running() is True
    assert {s.key: s.running for s in props(si, "esx04")["config.service.service"]}["TSM-SSH"] is True
    services.StopService("TSM-SSH")
    services.RefreshServices()
    assert running() is False
    with pytest.raises(vim.fault.NotFound):
        services.StartService("no-such-service")


def test_update_virtual_nic_mtu_and_ip(fresh: Fresh) -> None:
    _, si = fresh
    network = host(si, "esx01").configManager.networkSystem
    spec = vim.host.VirtualNic.Specification(
        mtu=1500, ip=vim.host.IpConfig(dhcp=False, ipAddress="198.19.1.31", subnetMask="255.255.255.0")
    )
    network.UpdateVirtualNic("vmk1", spec)
    vmk1 = {v.device: v for v in props(si, "esx01")["config.network.vnic"]}["vmk1"]
    assert (vmk1.spec.mtu, vmk1.spec.ip.ipAddress) == (1500, "198.19.1.31")
    assert [a.ipAddress for a in vmk1.spec.ip.ipV6Config.ipV6Address] == ["2001:db8:1::11"]  # kept
    assert vmk1.spec.netStackInstanceKey == "vmotion"
    candidate = {
        c.device: c
        for c in by_nic_type(props(si, "esx01")["config.virtualNicManagerInfo.netConfig"])["vmotion"].candidateVnic
    }["vmk1"]
    assert candidate.spec.ip.ipAddress == "198.19.1.31"
    with pytest.raises(vmodl.fault.InvalidArgument):
        network.UpdateVirtualNic("vmk1", vim.host.VirtualNic.Specification(netStackInstanceKey="defaultTcpipStack"))
    with pytest.raises(vim.fault.NotFound):
        network.UpdateVirtualNic("vmk9", vim.host.VirtualNic.Specification(mtu=9000))


def test_add_select_deselect_remove_virtual_nic(fresh: Fresh) -> None:
    _, si = fresh
    esx04 = host(si, "esx04")
    network, nics = esx04.configManager.networkSystem, esx04.configManager.virtualNicManager
    network.AddPortGroup(
        vim.host.PortGroup.Specification(
            name="vMotion-9", vlanId=0, vswitchName="vSwitch0", policy=vim.host.NetworkPolicy()
        )
    )
    spec = vim.host.VirtualNic.Specification(
        netStackInstanceKey="vmotion",
        mtu=9000,
        ip=vim.host.IpConfig(dhcp=False, ipAddress="198.19.2.34", subnetMask="255.255.255.0"),
    )
    device = network.AddVirtualNic("vMotion-9", spec)
    assert device == "vmk2"
    after = props(si, "esx04")
    vmk2 = {v.device: v for v in after["config.network.vnic"]}["vmk2"]
    assert (vmk2.portgroup, vmk2.spec.netStackInstanceKey, vmk2.spec.mtu) == ("vMotion-9", "vmotion", 9000)
    assert "vMotion-9" in [n.name for n in after["network"]]
    assert selected_devices(nics.QueryNetConfig("vmotion")) == ["vmk1"]
    nics.SelectVnicForNicType("vmotion", "vmk2")
    assert selected_devices(nics.QueryNetConfig("vmotion")) == ["vmk1", "vmk2"]
    configs = by_nic_type(props(si, "esx04")["config.virtualNicManagerInfo.netConfig"])
    assert selected_devices(configs["vmotion"]) == ["vmk1", "vmk2"]
    with pytest.raises(vmodl.fault.InvalidArgument):  # a vmotion-stack vmk cannot carry vSAN
        nics.SelectVnicForNicType("vsan", "vmk2")
    nics.DeselectVnicForNicType("vmotion", "vmk2")
    assert selected_devices(nics.QueryNetConfig("vmotion")) == ["vmk1"]
    network.RemoveVirtualNic("vmk2")
    assert [v.device for v in props(si, "esx04")["config.network.vnic"]] == ["vmk0", "vmk1"]
    with pytest.raises(vim.fault.NotFound):
        network.AddVirtualNic("no-such-pg", spec)


def test_netstack_gateways_change(fresh: Fresh) -> None:
    _, si = fresh
    network = host(si, "esx02").configManager.networkSystem
    stack = vim.host.NetStackInstance(
        key="vmotion", ipRouteConfig=vim.host.IpRouteConfig(defaultGateway="198.19.1.254")
    )
    config = vim.host.NetworkConfig(
        netStackSpec=[vim.host.NetworkConfig.NetStackSpec(netStackInstance=stack, operation="edit")]
    )
    network.UpdateNetworkConfig(config, "modify")
    network.UpdateIpRouteConfig(vim.host.IpRouteConfig(defaultGateway="198.18.245.1"))
    stacks = {s.key: s.ipRouteConfig for s in props(si, "esx02")["config.network.netStackInstance"]}
    assert stacks["vmotion"].defaultGateway == "198.19.1.254"
    assert stacks["defaultTcpipStack"].defaultGateway == "198.18.245.1"
    assert stacks["defaultTcpipStack"].gatewayDevice == "vmk0"
    with pytest.raises(vmodl.fault.NotSupported):  # refused, not silently ignored
        network.UpdateNetworkConfig(vim.host.NetworkConfig(dnsConfig=vim.host.DnsConfig(hostName="x")), "modify")


def test_maintenance_and_lockdown(fresh: Fresh) -> None:
    _, si = fresh
    esx01 = host(si, "esx01")
    wait(esx01.EnterMaintenanceMode_Task(timeout=0))
    esx01.configManager.hostAccessManager.ChangeLockdownMode("lockdownStrict")
    after = props(si, "esx01")
    assert after["runtime.inMaintenanceMode"] is True
    assert after["config.lockdownMode"] == "lockdownStrict"
    wait(esx01.ExitMaintenanceMode_Task(timeout=0))
    esx01.configManager.hostAccessManager.ChangeLockdownMode("lockdownDisabled")
    after = props(si, "esx01")
    assert (after["runtime.inMaintenanceMode"], after["config.lockdownMode"]) == (False, "lockdownDisabled")
