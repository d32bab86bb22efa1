"""The pure mapping of a PropertyCollector result, on pyVmomi data objects built here."""

from __future__ import annotations

from ipaddress import ip_address, ip_interface
from typing import Any

from validator.models import ConnectionState, LockdownMode
from validator.vcenter._vmomi import vim
from validator.vcenter.mapping import RawObject, hosts_from_objects, selected_services


def vnic(device: str, stack: str, ip: str | None, mask: str | None, mtu: int, pg: str = "pg",
         gateway: str | None = None, ip6: tuple[str, int] | None = None) -> Any:
    v6 = vim.host.IpConfig.IpV6AddressConfiguration(
        ipV6Address=[vim.host.IpConfig.IpV6Address(ipAddress=ip6[0], prefixLength=ip6[1])] if ip6 else [])
    spec = vim.host.VirtualNic.Specification(
        ip=vim.host.IpConfig(dhcp=False, ipAddress=ip, subnetMask=mask, ipV6Config=v6), mtu=mtu,
        netStackInstanceKey=stack, mac="00:50:56:00:00:01",
    )
    if gateway:
        spec.ipRouteSpec = vim.host.VirtualNic.IpRouteSpec(ipRouteConfig=vim.host.IpRouteConfig(defaultGateway=gateway))
    return vim.host.VirtualNic(device=device, key=f"key-vim.host.VirtualNic-{device}", portgroup=pg, spec=spec)


def net_config(nic_type: str, devices: list[str]) -> Any:
    cands = [vim.host.VirtualNic(device=d, key=f"{nic_type}.key-vim.host.VirtualNic-{d}") for d in devices]
    return vim.host.VirtualNicManager.NetConfig(
        nicType=nic_type, multiSelectAllowed=True, candidateVnic=cands, selectedVnic=[c.key for c in cands])


def host_object() -> RawObject:
    stacks = [
        vim.host.NetStackInstance(key="defaultTcpipStack",
                                  ipRouteConfig=vim.host.IpRouteConfig(defaultGateway="198.18.9.1")),
        vim.host.NetStackInstance(key="vmotion", ipRouteConfig=vim.host.IpRouteConfig(
            defaultGateway="198.19.9.1", ipV6DefaultGateway="2001:db8:9::1")),
    ]
    services = vim.host.ServiceInfo(service=[
        vim.host.Service(key="DCUI", running=True), vim.host.Service(key="TSM-SSH", running=False)])
    return RawObject("HostSystem", "host-9", {
        "name": "hx9",
        "parent": vim.ClusterComputeResource("domain-c1"),
        "runtime.connectionState": "connected",
        "runtime.inMaintenanceMode": True,
        "config.lockdownMode": "lockdownNormal",
        "config.network.vnic": [
            vnic("vmk0", "defaultTcpipStack", "198.18.9.9", "255.255.255.0", 1500),
            vnic("vmk1", "vmotion", "198.19.9.9", "255.255.255.128", 9000, gateway="198.19.9.2",
                 ip6=("2001:db8:9::9", 64)),
        ],
        "config.network.netStackInstance": stacks,
        "config.network.portgroup": [vim.host.PortGroup(spec=vim.host.PortGroup.Specification(name="Local"))],
        "config.virtualNicManagerInfo.netConfig": [
            net_config("management", ["vmk0"]), net_config("vmotion", ["vmk1"]),
            net_config("faultToleranceLogging", ["vmk1"]),
        ],
        "config.service": services,
        "configManager.serviceSystem": vim.host.ServiceSystem("serviceSystem-9"),
        "network": [vim.Network("network-1"), vim.dvs.DistributedVirtualPortgroup("dvportgroup-2")],
        "vm": [vim.VirtualMachine("vm-1")],
    })


OBJECTS = [
    host_object(),
    RawObject("ClusterComputeResource", "domain-c1", {"name": "Blue"}),
    RawObject("Network", "network-1", {"name": "VM Network"}),
    RawObject("DistributedVirtualPortgroup", "dvportgroup-2", {"name": "dv-App"}),
    RawObject("VirtualMachine", "vm-1", {"name": "api7", "network": [vim.dvs.DistributedVirtualPortgroup("dvportgroup-2")]}),
]


def test_host_facts() -> None:
    [host] = hosts_from_objects(OBJECTS, datacenter="DC9")
    assert (host.name, host.moid, host.cluster, host.address, host.service_system) == (
        "hx9", "host-9", "Blue", "198.18.9.9", "serviceSystem-9")
    facts = host.facts
    assert facts.connection_state is ConnectionState.CONNECTED
    assert facts.in_maintenance and facts.lockdown_mode is LockdownMode.NORMAL and facts.ssh_running is False
    assert facts.datacenter == "DC9"
    vmk1 = facts.vmk("vmk1")
    assert vmk1 is not None
    assert vmk1.netstack == "vmotion" and vmk1.mtu == 9000
    assert vmk1.addresses == (ip_interface("198.19.9.9/25"), ip_interface("2001:db8:9::9/64"))
    assert vmk1.gateway == ip_address("198.19.9.2")
    assert vmk1.services == ("vmotion", "faultToleranceLogging")
    stack = facts.stack("vmotion")
    assert stack is not None and stack.gateway6 == ip_address("2001:db8:9::1")
    assert facts.portgroups == ("Local", "VM Network", "dv-App")
    assert [(vm.name, vm.networks) for vm in facts.vms] == [("api7", ("dv-App",))]


def test_missing_properties_of_a_disconnected_host() -> None:
    obj = RawObject("HostSystem", "host-3", {"name": "hx3", "runtime.connectionState": "notResponding"})
    [host] = hosts_from_objects([obj])
    assert host.facts.connection_state is ConnectionState.NOT_RESPONDING
    assert host.facts.vmks == () and host.facts.ssh_running is None and host.address == "hx3" and host.cluster is None


def test_selected_key_without_candidate_is_read_from_the_key() -> None:
    config = vim.host.VirtualNicManager.NetConfig(nicType="vsan", selectedVnic=["vsan.key-vim.host.VirtualNic-vmk7"])
    assert selected_services([config]) == {"vmk7": ("vsan",)}
