"""Load and validate the TOML inventory: where the hosts are and how to log in.

Nothing is sent to any host before the whole inventory is valid. Every error names the file and
the key or host at fault, and is raised as :class:`~validator.errors.InventoryError`.

```toml
[ssh]
username = "root"
password_env = "VMOTION_VALIDATOR_PASSWORD"   # name of the env var holding the password
# key_file = "~/.ssh/id_ed25519"
known_hosts = "known_hosts"                   # relative to this file
host_key_policy = "strict"                    # strict (default) | accept-new

[checks]                                      # optional thresholds of the checks
max_rtt_ms = 150                              # rtt: sustained round trip allowed (ms)
expected_mtu = 9000                           # mtu_consistency: every vMotion vmk should have this MTU

[vcenter]                                     # optional: the hosts come from vCenter ([[hosts]] not needed)
server = "vc01.example.test"                  # HOST or HOST:PORT; see validator.vcenter.settings
password_env = "VMOTION_VALIDATOR_VC_PASSWORD"
# probe = "api"                               # probe through vCenter, no SSH ([ssh] and [[hosts]] not needed)

[[hosts]]
name = "esx01"
address = "198.18.255.11"
# port = 22
# cluster = "Prod-A"                          # the mesh is planned within each cluster
# vmks = [{ name = "vmk1", ip = "198.19.1.11/24", mtu = 9000 }]   # declared vMotion vmks (drift check)
```
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validator import limits
from validator.errors import InventoryError
from validator.models import CheckSettings, ExpectedVmk, HostTarget, IPInterface
from validator.options import checked_settings
from validator.ssh_settings import SshSettings, ssh_settings_from_table
from validator.textfile import read_user_file

if TYPE_CHECKING:
    from validator.vcenter.settings import VCenterSettings
    from validator.vcenter.targets import VCenterEntry

_HOST_KEYS = {"name", "address", "port", "vmks", "cluster"}
_VMK_KEYS = {"name", "ip", "mtu"}
_CHECKS_KEYS = {"max_rtt_ms", "expected_mtu"}
_TOP_KEYS = {"ssh", "hosts", "checks", "vcenter"}
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME_RE = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_CLUSTER_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,80}$")
_VMK_RE = re.compile(r"^vmk\d{1,4}$")


@dataclass(frozen=True)
class InventoryHost:
    """One host entry: its target, its cluster, and the vMotion vmks the inventory declares (may be none)."""

    target: HostTarget
    expected_vmks: tuple[ExpectedVmk, ...] | None = None
    cluster: str | None = None


@dataclass(frozen=True)
class Inventory:
    """A validated inventory: where it came from, how to log in, thresholds, and the hosts."""

    path: Path
    ssh: SshSettings
    hosts: tuple[InventoryHost, ...]
    check_settings: CheckSettings = field(default_factory=CheckSettings)
    vcenter: VCenterSettings | None = None  # the [vcenter] table: hosts come from vCenter
    vcenters: tuple[VCenterEntry, ...] = ()  # every [vcenter] / [[vcenter]] table (validator.vcenter.targets)


def load_inventory(path: str | Path, *, hosts_from_vcenter: bool = False) -> Inventory:
    """Read, parse and validate an inventory file.

    ``hosts_from_vcenter``: a vCenter given elsewhere (``--vcenter``) supplies the hosts, so an inventory of
    ``[ssh]`` (and ``[checks]``) alone is valid.
    """
    path = Path(path)
    text = read_user_file(path, InventoryError, "inventory")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InventoryError(f"{path}: TOML syntax error: {exc}") from None
    return parse_inventory(data, path, hosts_from_vcenter=hosts_from_vcenter)


def parse_inventory(data: Mapping[str, Any], path: Path, *, hosts_from_vcenter: bool = False) -> Inventory:
    """Validate already-parsed TOML data (pure; ``path`` names the file in errors).

    Hosts are required unless vCenter supplies them: a ``[vcenter]`` table, or ``hosts_from_vcenter``.
    """
    _reject_unknown(data, _TOP_KEYS, path, "")
    raw_ssh = data.get("ssh", {})
    if not isinstance(raw_ssh, Mapping):
        raise InventoryError(f"{path}: [ssh] must be a table")
    try:
        ssh = ssh_settings_from_table(raw_ssh, path.parent)
    except ValueError as exc:
        raise InventoryError(f"{path}: {exc}") from None
    check_settings = _parse_checks(data.get("checks", {}), path)
    vcenters = _parse_vcenters(data["vcenter"], path) if "vcenter" in data else ()
    vcenter = vcenters[0].settings if isinstance(data.get("vcenter"), Mapping) else None
    hosts_optional = bool(vcenters) or hosts_from_vcenter
    raw_hosts = data.get("hosts", [] if hosts_optional else None)
    if not isinstance(raw_hosts, list) or (not raw_hosts and not hosts_optional):
        raise InventoryError(
            f"{path}: [[hosts]]: at least one host is required (or a [vcenter] table, or --vcenter)"
        )
    hosts: list[InventoryHost] = []
    seen_names: dict[str, int] = {}
    seen_targets: dict[tuple[str, int], str] = {}
    for index, raw in enumerate(raw_hosts, start=1):
        host = _parse_host(raw, index, ssh.port, path)
        name = host.target.name
        if name in seen_names:
            raise InventoryError(
                f"{path}: hosts[{index}]: duplicate host name {name!r} (also hosts[{seen_names[name]}])"
            )
        endpoint = (_canonical_address(host.target.address), host.target.port)
        if endpoint in seen_targets:
            raise InventoryError(
                f"{path}: host {name!r}: address {host.target.address}:{host.target.port} "
                f"is already used by host {seen_targets[endpoint]!r}"
            )
        seen_names[name] = index
        seen_targets[endpoint] = name
        hosts.append(host)
    return Inventory(path=path, ssh=ssh, hosts=tuple(hosts), check_settings=check_settings, vcenter=vcenter,
                     vcenters=vcenters)


def _parse_vcenters(raw: Any, path: Path) -> tuple[VCenterEntry, ...]:
    from validator.vcenter.targets import entries_from_tables

    try:
        return entries_from_tables(raw, path.parent)
    except ValueError as exc:
        raise InventoryError(f"{path}: {exc}") from None


def _canonical_address(address: str) -> str:
    """One spelling per address: IPv4-mapped IPv6 as IPv4, IPv6 compressed, DNS names lower-case."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address.lower().rstrip(".")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def _parse_checks(raw: Any, path: Path) -> CheckSettings:
    if not isinstance(raw, Mapping):
        raise InventoryError(f"{path}: [checks] must be a table")
    _reject_unknown(raw, _CHECKS_KEYS, path, "checks")
    defaults = CheckSettings()
    settings = CheckSettings(
        max_rtt_ms=raw.get("max_rtt_ms", defaults.max_rtt_ms),
        expected_mtu=raw.get("expected_mtu", defaults.expected_mtu),
    )
    try:
        return checked_settings(settings)
    except ValueError as exc:
        raise InventoryError(f"{path}: checks.{exc}") from None


def _reject_unknown(table: Mapping[str, Any], allowed: set[str], path: Path, where: str) -> None:
    for key in table:
        if key not in allowed:
            prefix = f"{where}." if where else ""
            raise InventoryError(
                f"{path}: unknown key {prefix}{key!r} (allowed: {', '.join(sorted(allowed))})"
            )


def _parse_host(raw: Any, index: int, default_port: int, path: Path) -> InventoryHost:
    where = f"hosts[{index}]"
    if not isinstance(raw, Mapping):
        raise InventoryError(f"{path}: {where} must be a table")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InventoryError(f"{path}: {where}: 'name' must be a short host name, got {name!r}")
    label = f"host {name!r}"
    for key in raw:
        if key not in _HOST_KEYS:
            raise InventoryError(
                f"{path}: {label}: unknown key {key!r} (allowed: {', '.join(sorted(_HOST_KEYS))})"
            )
    address = raw.get("address")
    if not isinstance(address, str) or not _valid_address(address):
        raise InventoryError(f"{path}: {label}: bad address {address!r} (an IP address or DNS name)")
    try:
        port = limits.PORT.check_int(raw.get("port", default_port), "port")
    except ValueError as exc:
        raise InventoryError(f"{path}: {label}: {exc}") from None
    cluster = raw.get("cluster")
    if cluster is not None and (not isinstance(cluster, str) or not _CLUSTER_RE.match(cluster)):
        raise InventoryError(f"{path}: {label}: 'cluster' must be a cluster name, got {cluster!r}")
    vmks = _parse_expected_vmks(raw["vmks"], path, label) if "vmks" in raw else None
    return InventoryHost(HostTarget(name=name, address=address, port=port), vmks, cluster)


def _parse_expected_vmks(raw: Any, path: Path, label: str) -> tuple[ExpectedVmk, ...]:
    if not isinstance(raw, list):
        raise InventoryError(f"{path}: {label}: 'vmks' must be a list of tables")
    vmks: list[ExpectedVmk] = []
    for entry in raw:
        if not isinstance(entry, Mapping):
            raise InventoryError(f"{path}: {label}: each of 'vmks' must be a table")
        for key in entry:
            if key not in _VMK_KEYS:
                raise InventoryError(f"{path}: {label}: unknown vmk key {key!r}")
        vmk_name = entry.get("name")
        if not isinstance(vmk_name, str) or not _VMK_RE.match(vmk_name):
            raise InventoryError(f"{path}: {label}: vmk name must look like vmk1, got {vmk_name!r}")
        ips = entry.get("ip", [])
        ip_list = [ips] if isinstance(ips, str) else ips
        if not isinstance(ip_list, list):
            raise InventoryError(f"{path}: {label}: {vmk_name}: 'ip' must be an address/prefix or a list of them")
        addresses: list[IPInterface] = []
        for ip in ip_list:
            if not isinstance(ip, str):
                raise InventoryError(f"{path}: {label}: {vmk_name}: bad ip {ip!r} (a string like '198.19.1.11/24')")
            try:
                addresses.append(ipaddress.ip_interface(ip))
            except ValueError:
                raise InventoryError(f"{path}: {label}: {vmk_name}: bad ip {ip!r}") from None
        mtu = entry.get("mtu")
        if mtu is not None:
            try:
                mtu = limits.MTU.check_int(mtu)
            except ValueError as exc:
                raise InventoryError(f"{path}: {label}: {vmk_name}: {exc}") from None
        vmks.append(ExpectedVmk(name=vmk_name, addresses=tuple(addresses), mtu=mtu))
    return tuple(vmks)


def _valid_address(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
        return True
    except ValueError:
        pass
    if re.fullmatch(r"[0-9.]+", address):  # looks like IPv4 but is not one
        return False
    return bool(_HOSTNAME_RE.match(address))
