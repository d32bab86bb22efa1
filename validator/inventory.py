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

[[hosts]]
name = "esx01"
address = "198.18.255.11"
# port = 22
# vmks = [{ name = "vmk1", ip = "198.19.1.11/24", mtu = 9000 }]   # expected vMotion vmks (optional)
```
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from validator.errors import InventoryError
from validator.models import VMOTION_NETSTACK, HostTarget, IPInterface, Vmk

HostKeyPolicy = Literal["strict", "accept-new"]

_SSH_KEYS = {
    "username",
    "password_env",
    "key_file",
    "known_hosts",
    "host_key_policy",
    "port",
    "connect_timeout",
    "command_timeout",
    "allow_agent",
}
_HOST_KEYS = {"name", "address", "port", "vmks"}
_VMK_KEYS = {"name", "ip", "mtu"}
_TOP_KEYS = {"ssh", "hosts"}
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME_RE = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VMK_RE = re.compile(r"^vmk\d{1,4}$")


@dataclass(frozen=True)
class SshSettings:
    """How to log in to every host."""

    username: str = "root"
    password_env: str | None = None
    key_file: Path | None = None
    known_hosts: Path | None = None
    host_key_policy: HostKeyPolicy = "strict"
    port: int = 22
    connect_timeout: float = 10.0
    command_timeout: float = 120.0
    allow_agent: bool = True


@dataclass(frozen=True)
class InventoryHost:
    """One host entry: its target plus the vMotion vmks the inventory expects (may be empty)."""

    target: HostTarget
    expected_vmks: tuple[Vmk, ...] = ()


@dataclass(frozen=True)
class Inventory:
    path: Path
    ssh: SshSettings
    hosts: tuple[InventoryHost, ...]

    @property
    def targets(self) -> tuple[HostTarget, ...]:
        return tuple(h.target for h in self.hosts)


def load_inventory(path: str | Path) -> Inventory:
    """Read, parse and validate an inventory file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InventoryError(f"{path}: inventory file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(f"{path}: cannot read inventory: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InventoryError(f"{path}: TOML syntax error: {exc}") from None
    return parse_inventory(data, path)


def parse_inventory(data: Mapping[str, Any], path: Path) -> Inventory:
    """Validate already-parsed TOML data (pure; ``path`` names the file in errors)."""
    _reject_unknown(data, _TOP_KEYS, path, "")
    ssh = _parse_ssh(data.get("ssh", {}), path)
    raw_hosts = data.get("hosts")
    if not isinstance(raw_hosts, list) or not raw_hosts:
        raise InventoryError(f"{path}: [[hosts]]: at least one host is required")
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
        endpoint = (host.target.address, host.target.port)
        if endpoint in seen_targets:
            raise InventoryError(
                f"{path}: host {name!r}: address {host.target.address}:{host.target.port} "
                f"is already used by host {seen_targets[endpoint]!r}"
            )
        seen_names[name] = index
        seen_targets[endpoint] = name
        hosts.append(host)
    return Inventory(path=path, ssh=ssh, hosts=tuple(hosts))


def resolve_password(settings: SshSettings, environ: Mapping[str, str] | None = None) -> str | None:
    """The password from the environment variable the inventory names (never from the file)."""
    if settings.password_env is None:
        return None
    env = os.environ if environ is None else environ
    value = env.get(settings.password_env)
    if value is None or value == "":
        raise InventoryError(
            f"environment variable {settings.password_env} (ssh.password_env) is not set; "
            f"export it with the SSH password"
        )
    return value


def _reject_unknown(table: Mapping[str, Any], allowed: set[str], path: Path, where: str) -> None:
    for key in table:
        if key not in allowed:
            prefix = f"{where}." if where else ""
            raise InventoryError(
                f"{path}: unknown key {prefix}{key!r} (allowed: {', '.join(sorted(allowed))})"
            )


def _parse_ssh(raw: Any, path: Path) -> SshSettings:
    if not isinstance(raw, Mapping):
        raise InventoryError(f"{path}: [ssh] must be a table")
    _reject_unknown(raw, _SSH_KEYS, path, "ssh")
    username = _get_str(raw, "username", path, "ssh", default="root")
    password_env = raw.get("password_env")
    if password_env is not None and (not isinstance(password_env, str) or not _ENV_RE.match(password_env)):
        raise InventoryError(
            f"{path}: ssh.password_env must be the NAME of an environment variable (like "
            f"VMOTION_VALIDATOR_PASSWORD), not a password"
        )
    key_file = _get_path(raw, "key_file", path)
    known_hosts = _get_path(raw, "known_hosts", path)
    policy = raw.get("host_key_policy", "strict")
    if policy not in ("strict", "accept-new"):
        raise InventoryError(f"{path}: ssh.host_key_policy must be 'strict' or 'accept-new', not {policy!r}")
    return SshSettings(
        username=username,
        password_env=password_env,
        key_file=key_file,
        known_hosts=known_hosts,
        host_key_policy=policy,
        port=_get_port(raw.get("port", 22), path, "ssh.port"),
        connect_timeout=_get_positive(raw, "connect_timeout", 10.0, path),
        command_timeout=_get_positive(raw, "command_timeout", 120.0, path),
        allow_agent=_get_bool(raw, "allow_agent", True, path),
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
    port = _get_port(raw.get("port", default_port), path, f"{label} port")
    vmks = _parse_expected_vmks(raw.get("vmks", []), path, label)
    return InventoryHost(HostTarget(name=name, address=address, port=port), vmks)


def _parse_expected_vmks(raw: Any, path: Path, label: str) -> tuple[Vmk, ...]:
    if not isinstance(raw, list):
        raise InventoryError(f"{path}: {label}: 'vmks' must be a list of tables")
    vmks: list[Vmk] = []
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
        addresses: list[IPInterface] = []
        for ip in ip_list:
            try:
                addresses.append(ipaddress.ip_interface(ip))
            except (ValueError, TypeError):
                raise InventoryError(f"{path}: {label}: {vmk_name}: bad ip {ip!r}") from None
        mtu = entry.get("mtu", 1500)
        if not isinstance(mtu, int) or isinstance(mtu, bool) or not 576 <= mtu <= 9216:
            raise InventoryError(f"{path}: {label}: {vmk_name}: mtu must be 576..9216, got {mtu!r}")
        vmks.append(
            Vmk(name=vmk_name, netstack=VMOTION_NETSTACK, mtu=mtu, addresses=tuple(addresses), tags=("VMotion",))
        )
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


def _get_str(raw: Mapping[str, Any], key: str, path: Path, where: str, default: str) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value or any(c in value for c in "\r\n\0"):
        raise InventoryError(f"{path}: {where}.{key} must be a non-empty string")
    return value


def _get_path(raw: Mapping[str, Any], key: str, path: Path) -> Path | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InventoryError(f"{path}: ssh.{key} must be a path string")
    resolved = Path(value).expanduser()
    if not resolved.is_absolute():
        resolved = path.parent / resolved
    return resolved


def _get_port(value: Any, path: Path, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        raise InventoryError(f"{path}: {where} must be an integer 1..65535, got {value!r}")
    return value


def _get_positive(raw: Mapping[str, Any], key: str, default: float, path: Path) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InventoryError(f"{path}: ssh.{key} must be a positive number of seconds, got {value!r}")
    return float(value)


def _get_bool(raw: Mapping[str, Any], key: str, default: bool, path: Path) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise InventoryError(f"{path}: ssh.{key} must be true or false, got {value!r}")
    return value
