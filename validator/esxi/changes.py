"""Pure builders of the configuration changes a next step proposes: esxcli on the host, PowerCLI in vCenter.

Nothing here runs anything. Every value is validated with the same rules as the probe commands
(:mod:`validator.esxi.commands`) and raises :class:`validator.errors.CommandValueError` when refused;
esxcli words are quoted with :func:`shlex.quote`, PowerShell strings are single-quoted with every kind of
single quote doubled, so no discovered value (a host name, a port group, a tag) can inject syntax.
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from ipaddress import IPv4Address, IPv4Interface

from validator import limits
from validator.errors import CommandValueError
from validator.esxi.commands import validate_ip, validate_netstack, validate_vmk
from validator.models import Family, IPAddress

__all__ = [
    "POWERCLI_SERVICE_SWITCHES",
    "interface_enable",
    "interface_mtu",
    "ipv4_set",
    "ps_enable_vmotion_service",
    "ps_lockdown_off",
    "ps_refresh_network",
    "ps_service_off",
    "ps_set_connected",
    "ps_stack_gateway",
    "ps_start_ssh",
    "ps_string",
    "ps_vmk_mtu",
    "route_add",
    "route_remove",
    "tag_add",
    "tag_remove",
    "validate_tag",
]

_TAG_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_PS_QUOTES = "'\u2018\u2019\u201a\u201b"  # every character PowerShell ends a single-quoted string with

# esxcli tag (casefolded) -> the Set-VMHostNetworkAdapter switch that selects that service in vCenter
POWERCLI_SERVICE_SWITCHES: dict[str, str] = {
    "vmotion": "VMotionEnabled",
    "faulttolerancelogging": "FaultToleranceLoggingEnabled",
    "management": "ManagementTrafficEnabled",
    "vsan": "VsanTrafficEnabled",
}


def _join(words: list[str]) -> str:
    return " ".join(shlex.quote(word) for word in words)


def validate_tag(tag: object) -> str:
    """A VMkernel service tag name (``VMotion``, ``faultToleranceLogging``, ``vSAN``...)."""
    if not isinstance(tag, str) or not _TAG_RE.fullmatch(tag):
        raise CommandValueError(f"not a VMkernel service tag: {tag!r}")
    return tag


def _mtu(value: object) -> int:
    try:
        return limits.MTU.check_int(value)
    except ValueError as exc:
        raise CommandValueError(str(exc)) from None


def _gateway(gateway: object, family: Family) -> IPAddress:
    address = validate_ip(gateway)
    if Family.of(address) is not family:
        raise CommandValueError(f"gateway {address} is not {family.value}")
    return address


def route_add(netstack: str, family: Family, gateway: IPAddress | str) -> str:
    """``esxcli network ip route ipv4 add -N STACK -n default -g GW`` (``ipv6 ... -n ::/0`` for IPv6)."""
    address = _gateway(gateway, family)
    default = "default" if family is Family.IPV4 else "::/0"
    return _join(["esxcli", "network", "ip", "route", family.value, "add", "-N", validate_netstack(netstack),
                  "-n", default, "-g", str(address)])


def route_remove(netstack: str, family: Family, gateway: IPAddress | str) -> str:
    """``esxcli network ip route ipv4 remove -N STACK -n default -g GW`` (the route ``route_add`` adds)."""
    address = _gateway(gateway, family)
    default = "default" if family is Family.IPV4 else "::/0"
    return _join(["esxcli", "network", "ip", "route", family.value, "remove", "-N", validate_netstack(netstack),
                  "-n", default, "-g", str(address)])


def tag_remove(vmk: str, tag: str) -> str:
    """``esxcli network ip interface tag remove -i vmkN -t TAG``."""
    return _join(["esxcli", "network", "ip", "interface", "tag", "remove", "-i", validate_vmk(vmk),
                  "-t", validate_tag(tag)])


def tag_add(vmk: str, tag: str) -> str:
    """``esxcli network ip interface tag add -i vmkN -t TAG``."""
    return _join(["esxcli", "network", "ip", "interface", "tag", "add", "-i", validate_vmk(vmk),
                  "-t", validate_tag(tag)])


def interface_enable(vmk: str) -> str:
    """``esxcli network ip interface set -i vmkN -e true``."""
    return _join(["esxcli", "network", "ip", "interface", "set", "-i", validate_vmk(vmk), "-e", "true"])


def interface_mtu(vmk: str, mtu: int) -> str:
    """``esxcli network ip interface set -i vmkN -m MTU``."""
    return _join(["esxcli", "network", "ip", "interface", "set", "-i", validate_vmk(vmk), "-m", str(_mtu(mtu))])


# --- PowerCLI


def ps_string(text: object) -> str:
    """``text`` as a PowerShell single-quoted string; control and format characters are refused."""
    if not isinstance(text, str) or not text or len(text) > 255:
        raise CommandValueError(f"not a name PowerCLI can be given: {text!r}")
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise CommandValueError(f"control character in {text!r}")
    quoted = "".join(ch + ch if ch in _PS_QUOTES else ch for ch in text)
    return f"'{quoted}'"


def _host(host: str) -> str:
    return f"Get-VMHost -Name {ps_string(host)}"


def _vmk(host: str, vmk: str) -> str:
    return f"Get-VMHostNetworkAdapter -VMHost ({_host(host)}) -VMKernel -Name {ps_string(validate_vmk(vmk))}"


def ps_stack_gateway(host: str, netstack: str, family: Family, gateway: IPAddress | str) -> str:
    """Set a TCP/IP stack's default gateway (``Set-VMHostNetworkStack -VMKernelGateway``)."""
    address = _gateway(gateway, family)
    option = "VMKernelGateway" if family is Family.IPV4 else "VMKernelV6Gateway"
    return (f"Get-VMHostNetworkStack -VMHost ({_host(host)}) -Id {ps_string(validate_netstack(netstack))} | "
            f"Set-VMHostNetworkStack -{option} {ps_string(str(address))}")


def ps_service_off(host: str, vmk: str, tag: str) -> str | None:
    """Deselect the service of ``tag`` on a vmk in vCenter; None when PowerCLI has no switch for it."""
    switch = POWERCLI_SERVICE_SWITCHES.get(validate_tag(tag).casefold())
    if switch is None:
        return None
    return f"{_vmk(host, vmk)} | Set-VMHostNetworkAdapter -{switch} $false -Confirm:$false"


def ps_enable_vmotion_service(host: str, vmk: str) -> str:
    """Select the vMotion service on a vmk in vCenter."""
    return f"{_vmk(host, vmk)} | Set-VMHostNetworkAdapter -VMotionEnabled $true -Confirm:$false"


def ps_vmk_mtu(host: str, vmk: str, mtu: int) -> str:
    """Set a vmk's MTU in vCenter."""
    return f"{_vmk(host, vmk)} | Set-VMHostNetworkAdapter -Mtu {_mtu(mtu)} -Confirm:$false"


def ps_start_ssh(host: str) -> str:
    """Start the host's SSH service (TSM-SSH)."""
    return f"{_host(host)} | Get-VMHostService | Where-Object {{ $_.Key -eq 'TSM-SSH' }} | Start-VMHostService"


def ps_set_connected(host: str) -> str:
    """Bring a host to the connected state: out of maintenance mode, or reconnected to vCenter."""
    return f"{_host(host)} | Set-VMHost -State Connected"


def ipv4_set(vmk: str, address: IPv4Interface, gateway: IPv4Address | str) -> str:
    """``esxcli network ip interface ipv4 set -i vmkN -t static -I IP -N MASK -g GW`` (a per-vmk gateway)."""
    if not isinstance(address, IPv4Interface):
        raise CommandValueError(f"not an IPv4 interface address: {address!r}")
    ip = validate_ip(address.ip)
    gw = _gateway(gateway, Family.IPV4)
    return _join(["esxcli", "network", "ip", "interface", "ipv4", "set", "-i", validate_vmk(vmk), "-t", "static",
                  "-I", str(ip), "-N", str(address.netmask), "-g", str(gw)])


def ps_lockdown_off(host: str) -> str:
    """Take a host out of lockdown mode (HostAccessManager.ChangeLockdownMode)."""
    return (f"(Get-View ({_host(host)}).ExtensionData.ConfigManager.HostAccessManager)"
            ".ChangeLockdownMode('lockdownDisabled')")


def ps_refresh_network(host: str) -> str:
    """Make vCenter read a host's networking again (HostNetworkSystem.RefreshNetworkSystem)."""
    return f"(Get-View ({_host(host)}).ExtensionData.ConfigManager.NetworkSystem).RefreshNetworkSystem()"
