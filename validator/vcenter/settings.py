"""Where vCenter is and how to log in: the ``[vcenter]`` inventory table and the ``--vcenter`` options.

```toml
[vcenter]
server = "vc01.example.test"        # HOST or HOST:PORT (default port 443)
username = "administrator@vsphere.local"
password_env = "VMOTION_VALIDATOR_VC_PASSWORD"  # NAME of the env var holding the password
# ca_file = "vc-ca.pem"             # CA bundle to verify vCenter's certificate (default: the system's)
# insecure = false                  # true: do not verify the certificate (printed as a warning)
# datacenter = "DC1"                # only this datacenter
# clusters = ["Prod-A"]             # only these clusters
# hosts = ["esx01.example.test"]    # only these hosts
# probe = "api"                     # probe through vCenter (esxcli network diag ping), no SSH; default "ssh"
```

The password itself is never in the table nor on the command line: only the name of the environment
variable holding it (:func:`resolve_vc_password`), or a prompt.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from validator import limits
from validator.errors import InventoryError, UsageError
from validator.options import PROBE_PATHS

DEFAULT_PASSWORD_ENV = "VMOTION_VALIDATOR_VC_PASSWORD"  # noqa: S105 - the variable's name
DEFAULT_USERNAME = "administrator@vsphere.local"
DEFAULT_PORT = 443
VCENTER_KEYS = frozenset(
    {"server", "username", "password_env", "ca_file", "insecure", "datacenter", "clusters", "hosts",
     "connect_timeout", "probe"}
)
_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$")
_NAME_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,80}$")


@dataclass(frozen=True)
class VCenterSettings:
    """How to reach vCenter, and which of its hosts are in scope (empty filters: all)."""

    host: str
    port: int = DEFAULT_PORT
    username: str = DEFAULT_USERNAME
    password_env: str = DEFAULT_PASSWORD_ENV
    ca_file: Path | None = None
    insecure: bool = False
    datacenter: str | None = None
    clusters: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    connect_timeout: float = 30.0
    probe: str | None = None  # "ssh" | "api": the probe path this vCenter's runs use (None: the run's default)

    @property
    def endpoint(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_server(value: str) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT``, ``[v6]`` or ``[v6]:PORT`` -> (host, port); ``ValueError`` when malformed."""
    text = value.strip()
    port: Any = DEFAULT_PORT
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"bad vCenter address {value!r}")
            port = rest[1:]
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host = text
    if not host or (":" not in host and not _HOST_RE.match(host)):
        raise ValueError(f"bad vCenter address {value!r} (HOST or HOST:PORT)")
    try:
        port_number = limits.PORT.check_int(int(port), "vCenter port")
    except (TypeError, ValueError):
        raise ValueError(f"bad vCenter port in {value!r}") from None
    return host, port_number


def settings_from_table(raw: Mapping[str, Any], base_dir: Path) -> VCenterSettings:
    """Settings from a ``[vcenter]`` table; relative paths are relative to ``base_dir``.

    ``ValueError`` names the key at fault (``vcenter.server ...``).
    """
    unknown = sorted(set(raw) - VCENTER_KEYS)
    if unknown:
        raise ValueError(f"unknown key vcenter.{unknown[0]!r} (allowed: {', '.join(sorted(VCENTER_KEYS))})")
    server = raw.get("server")
    if not isinstance(server, str):
        raise ValueError("vcenter.server is required (HOST or HOST:PORT)")
    host, port = parse_server(server)
    username = raw.get("username", DEFAULT_USERNAME)
    if not isinstance(username, str) or not username or any(c in username for c in "\r\n\0"):
        raise ValueError("vcenter.username must be a non-empty string")
    password_env = raw.get("password_env", DEFAULT_PASSWORD_ENV)
    if not limits.is_env_name(password_env):
        raise ValueError("vcenter.password_env must be the NAME of an environment variable, not a password")
    insecure = raw.get("insecure", False)
    if not isinstance(insecure, bool):
        raise ValueError("vcenter.insecure must be true or false")
    ca_file = raw.get("ca_file")
    if ca_file is not None and (not isinstance(ca_file, str) or not ca_file or "\0" in ca_file):
        raise ValueError("vcenter.ca_file must be a path string")
    if insecure and ca_file is not None:
        raise ValueError("vcenter.insecure and vcenter.ca_file exclude each other")
    datacenter = raw.get("datacenter")
    if datacenter is not None and (not isinstance(datacenter, str) or not _NAME_RE.match(datacenter)):
        raise ValueError("vcenter.datacenter must be a datacenter name")
    timeout = limits.CONNECT_TIMEOUT.check(raw.get("connect_timeout", 30.0), "vcenter.connect_timeout")
    probe = raw.get("probe")
    if probe is not None and probe not in PROBE_PATHS:
        raise ValueError(f"vcenter.probe must be one of {', '.join(map(repr, PROBE_PATHS))}, got {probe!r}")
    return VCenterSettings(
        host=host,
        port=port,
        username=username,
        password_env=password_env,
        ca_file=_resolve(ca_file, base_dir),
        insecure=insecure,
        datacenter=datacenter,
        clusters=_names(raw.get("clusters", []), "vcenter.clusters"),
        hosts=_names(raw.get("hosts", []), "vcenter.hosts"),
        connect_timeout=float(timeout),
        probe=probe,
    )


def settings_from_cli(
    base: VCenterSettings | None,
    *,
    server: str | None,
    username: str | None = None,
    password_env: str | None = None,
    ca_file: Path | None = None,
    insecure: bool = False,
    datacenter: str | None = None,
    clusters: Sequence[str] = (),
    hosts: Sequence[str] = (),
) -> VCenterSettings | None:
    """The inventory's settings (``base``) overridden by the command line; None when neither names vCenter.

    :class:`UsageError` for a malformed value.
    """
    if server is None and base is None:
        if any((username, password_env, ca_file, insecure, datacenter, clusters, hosts)):
            raise UsageError("--vc-* / --datacenter / --cluster / --host need --vcenter (or a [vcenter] table)")
        return None
    try:
        settings = base or VCenterSettings(host="-")
        if server is not None:
            host, port = parse_server(server)
            settings = replace(settings, host=host, port=port)
        if password_env is not None and not limits.is_env_name(password_env):
            raise ValueError("--vc-password-env must be the NAME of an environment variable, not a password")
        if insecure and ca_file is not None:
            raise ValueError("--insecure and --vc-ca-file exclude each other")
        changes: dict[str, Any] = {}
        if username:
            changes["username"] = username
        if password_env:
            changes["password_env"] = password_env
        if ca_file is not None:
            changes.update(ca_file=ca_file, insecure=False)
        if insecure:
            changes.update(insecure=True, ca_file=None)
        if datacenter:
            changes["datacenter"] = datacenter
        if clusters:
            changes["clusters"] = _names(list(clusters), "--cluster")
        if hosts:
            changes["hosts"] = _names(list(hosts), "--host")
        return replace(settings, **changes)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def resolve_vc_password(settings: VCenterSettings, environ: Mapping[str, str] | None = None) -> str:
    """The vCenter password from the environment variable the settings name."""
    env = os.environ if environ is None else environ
    value = env.get(settings.password_env)
    if not value:
        raise InventoryError(
            f"environment variable {settings.password_env} is not set; export it with the vCenter password "
            "(or use --vc-ask-password)"
        )
    return value


def _names(raw: Any, key: str) -> tuple[str, ...]:
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not all(isinstance(v, str) and _NAME_RE.match(v) for v in values):
        raise ValueError(f"{key} must be a list of names")
    return tuple(dict.fromkeys(values))


def _resolve(value: str | None, base_dir: Path) -> Path | None:
    if value is None:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else base_dir / path
