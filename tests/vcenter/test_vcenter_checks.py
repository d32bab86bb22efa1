"""Each vCenter check fires on its fault, stays silent on a good host, and returns nothing without vCenter."""

from __future__ import annotations

from dataclasses import replace
from ipaddress import ip_interface

import pytest

from checks import CHECKS
from checks.extra_services import extra_services
from checks.host_lockdown import host_lockdown
from checks.host_maintenance import host_maintenance
from checks.host_not_connected import host_not_connected
from checks.tsm_ssh_stopped import tsm_ssh_stopped
from checks.vcenter_drift import vcenter_drift
from checks.vm_networks import vm_networks
from checks.vmotion_service_missing import vmotion_service_missing
from checks.vmotion_tag_on_default import vmotion_tag_on_default
from tests.factories import make_host, make_vmk
from validator.models import (
    DEFAULT_NETSTACK,
    CheckSettings,
    ConnectionState,
    HostInfo,
    LockdownMode,
    VCenterFacts,
    VCenterVm,
    VCenterVmk,
)

VC_CHECKS = ["host_not_connected", "host_maintenance", "host_lockdown", "tsm_ssh_stopped",
             "vmotion_service_missing", "vm_networks", "vcenter_drift"]


def vc_vmk(name: str = "vmk1", ip: str = "198.19.1.11/24", **kw: object) -> VCenterVmk:
    fields: dict[str, object] = {"netstack": "vmotion", "mtu": 9000, "addresses": (ip_interface(ip),),
                                 "services": ("vmotion",), **kw}
    return VCenterVmk(name=name, **fields)  # type: ignore[arg-type]


def host(name: str = "esx01", cluster: str | None = "C", **facts: object) -> HostInfo:
    base = make_host(name, [make_vmk("vmk1", "198.19.1.11/24")])
    fields: dict[str, object] = {"ssh_running": True, "vmks": (vc_vmk(),), **facts}
    return replace(base, cluster=cluster, vcenter=VCenterFacts(**fields))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", VC_CHECKS)
def test_registered_and_silent_without_vcenter(name: str) -> None:
    plain = [make_host("esx01"), make_host("esx02", [make_vmk("vmk1", "198.19.2.11/24")])]
    assert CHECKS[name].run(plain, [], CheckSettings()) == []


@pytest.mark.parametrize("name", VC_CHECKS)
def test_silent_on_a_good_host(name: str) -> None:
    assert CHECKS[name].run([host()], [], CheckSettings()) == []


def test_host_state_checks() -> None:
    assert [f.host for f in host_not_connected([host(connection_state=ConnectionState.NOT_RESPONDING)], [])] == ["esx01"]
    assert [f.host for f in host_maintenance([host(in_maintenance=True)], [])] == ["esx01"]
    [lock] = host_lockdown([host(lockdown_mode=LockdownMode.STRICT)], [])
    assert "strict lockdown" in lock.message and "exception list" in lock.message
    [ssh] = tsm_ssh_stopped([host(ssh_running=False)], [])
    assert "--enable-ssh" in ssh.message
    assert tsm_ssh_stopped([host(ssh_running=None)], []) == []


def test_vmotion_service_missing() -> None:
    vmks = (vc_vmk(services=()), vc_vmk("vmk2", "198.19.1.12/24"),
            vc_vmk("vmk0", "198.18.1.1/24", netstack=DEFAULT_NETSTACK, services=("management",)))
    [finding] = vmotion_service_missing([host(vmks=vmks)], [])
    assert (finding.host, finding.vmk) == ("esx01", "vmk1")


def test_vm_networks_lists_what_is_missing_where() -> None:
    a = host("a", portgroups=("Web", "Db"), vms=(VCenterVm("w1", ("Web", "Db")),))
    b = host("b", portgroups=("Web",))
    c = host("c", portgroups=())
    other_cluster = host("d", cluster="Other", portgroups=())
    down = host("e", portgroups=(), connection_state=ConnectionState.DISCONNECTED)
    [finding] = vm_networks([a, b, c, other_cluster, down], [])
    assert finding.host == "a"
    assert "'Db' missing on b, c" in finding.message and "'Web' missing on c" in finding.message
    assert " d" not in finding.message and " e" not in finding.message


def test_stack_rules_follow_vcenter_selections() -> None:
    vmk0 = make_vmk("vmk0", "198.18.1.1/24", netstack=DEFAULT_NETSTACK, tags=("Management",), mtu=1500)
    base = make_host("esx01", [make_vmk("vmk1", "198.19.1.11/24", tags=("VMotion",))], other_vmks=[vmk0])
    facts = VCenterFacts(vmks=(
        vc_vmk(services=("vmotion", "vsan")),
        vc_vmk("vmk0", "198.18.1.1/24", netstack=DEFAULT_NETSTACK, services=("management", "vmotion")),
    ))
    assert extra_services([base], []) == [] and vmotion_tag_on_default([base], []) == []
    with_vc = replace(base, vcenter=facts)
    assert [(f.vmk, "VSAN" in f.message) for f in extra_services([with_vc], [])] == [("vmk1", True)]
    assert [f.vmk for f in vmotion_tag_on_default([with_vc], [])] == ["vmk0"]


def test_vcenter_drift() -> None:
    base = make_host("esx01", [make_vmk("vmk1", "198.19.1.11/24", mtu=1500, enabled=False),
                               make_vmk("vmk3", "198.19.1.13/24")])
    facts = VCenterFacts(vmks=(vc_vmk(ip="198.19.1.99/24"), vc_vmk("vmk2", "198.19.1.12/24")))
    found = {(f.vmk, f.severity.value): f.message for f in vcenter_drift([replace(base, vcenter=facts)], [])}
    assert set(found) == {("vmk1", "warning"), ("vmk2", "error"), ("vmk3", "error")}
    assert "MTU: vCenter 9000, host 1500" in found[("vmk1", "warning")]
    assert "198.19.1.99/24" in found[("vmk1", "warning")] and "disabled" in found[("vmk1", "warning")]
    moved = VCenterFacts(vmks=(vc_vmk(netstack=DEFAULT_NETSTACK), vc_vmk("vmk3", "198.19.1.13/24")))
    [stack] = vcenter_drift([replace(base, vcenter=moved)], [])
    assert "stack: vCenter defaultTcpipStack, host vmotion" in stack.message


def test_vcenter_drift_compares_addresses_only_on_the_probed_stack() -> None:
    """esxcli discovery reads IPv4 addresses of the probed stack only: a default-stack vmk without them on the
    host side is not drift (the demo through vCenter flagged every vmk0 before)."""
    vmk0 = make_vmk("vmk0", "198.18.255.11/24", netstack=DEFAULT_NETSTACK, mtu=1500)
    host = make_host("esx01", [make_vmk("vmk1", "198.19.1.11/24")], other_vmks=[replace(vmk0, addresses=())])
    facts = VCenterFacts(vmks=(vc_vmk(), vc_vmk("vmk0", "198.18.255.11/24", netstack=DEFAULT_NETSTACK, mtu=1500)))
    assert vcenter_drift([replace(host, vcenter=facts)], []) == []
    other = VCenterFacts(vmks=(vc_vmk(ip="198.19.1.99/24"), facts.vmks[1]))
    [moved] = vcenter_drift([replace(host, vcenter=other)], [])  # the probed stack is still compared
    assert moved.vmk == "vmk1" and "198.19.1.99/24" in moved.message
