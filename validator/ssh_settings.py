"""How to log in to the hosts over SSH: the transport's settings, read from an ``[ssh]`` table.

The inventory loader hands the table here and names the file in any error; the secret itself is never
in the table: only the NAME of the environment variable that holds it (:func:`resolve_password`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from validator import limits
from validator.errors import InventoryError

HostKeyPolicy = Literal["strict", "accept-new"]

SSH_KEYS = frozenset(
    {"username", "password_env", "key_file", "known_hosts", "host_key_policy", "port", "connect_timeout",
     "command_timeout", "allow_agent"}
)


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


def ssh_settings_from_table(raw: Mapping[str, Any], base_dir: Path) -> SshSettings:
    """Settings from an ``[ssh]`` table; relative paths are relative to ``base_dir``.

    ``ValueError`` names the key at fault (``ssh.port must be ...``).
    """
    unknown = sorted(set(raw) - SSH_KEYS)
    if unknown:
        raise ValueError(f"unknown key ssh.{unknown[0]!r} (allowed: {', '.join(sorted(SSH_KEYS))})")
    username = raw.get("username", "root")
    if not isinstance(username, str) or not username or any(c in username for c in "\r\n\0"):
        raise ValueError("ssh.username must be a non-empty string")
    password_env = raw.get("password_env")
    if password_env is not None and not limits.is_env_name(password_env):
        raise ValueError(
            "ssh.password_env must be the NAME of an environment variable (like VMOTION_VALIDATOR_PASSWORD), "
            "not a password"
        )
    policy = raw.get("host_key_policy", "strict")
    if policy not in ("strict", "accept-new"):
        raise ValueError(f"ssh.host_key_policy must be 'strict' or 'accept-new', not {policy!r}")
    allow_agent = raw.get("allow_agent", True)
    if not isinstance(allow_agent, bool):
        raise ValueError(f"ssh.allow_agent must be true or false, got {allow_agent!r}")
    return SshSettings(
        username=username,
        password_env=password_env,
        key_file=_path(raw, "key_file", base_dir),
        known_hosts=_path(raw, "known_hosts", base_dir),
        host_key_policy=policy,
        port=limits.PORT.check_int(raw.get("port", 22), "ssh.port"),
        connect_timeout=float(limits.CONNECT_TIMEOUT.check(raw.get("connect_timeout", 10.0), "ssh.connect_timeout")),
        command_timeout=float(limits.COMMAND_TIMEOUT.check(raw.get("command_timeout", 120.0), "ssh.command_timeout")),
        allow_agent=allow_agent,
    )


def resolve_password(settings: SshSettings, environ: Mapping[str, str] | None = None) -> str | None:
    """The password from the environment variable the settings name (never from a file)."""
    if settings.password_env is None:
        return None
    env = os.environ if environ is None else environ
    value = env.get(settings.password_env)
    if not value:
        raise InventoryError(
            f"environment variable {settings.password_env} (ssh.password_env) is not set; "
            f"export it with the SSH password"
        )
    return value


def _path(raw: Mapping[str, Any], key: str, base_dir: Path) -> Path | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or "\0" in value:
        raise ValueError(f"ssh.{key} must be a path string")
    resolved = Path(value).expanduser()
    return resolved if resolved.is_absolute() else base_dir / resolved
