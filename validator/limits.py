"""The one table of limits for every tunable value: the CLI, the API, the inventory and the command builders
all check values here, so they can never disagree.

A limit refuses booleans, non-numbers, NaN and infinities, and values outside its range, with a message
that names the value; callers turn that ``ValueError`` into their own error type (a usage error on the
command line, an inventory error naming the file, a refused command value before anything is sent).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """An inclusive numeric range; ``integer`` limits refuse fractions."""

    name: str
    low: float
    high: float
    integer: bool = False
    unit: str = ""

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        kind = "an integer" if self.integer else "a number"
        return f"{kind} {self.low:g}..{self.high:g}{unit}"

    def check(self, value: object, name: str | None = None) -> float:
        """``value`` if it is within the limit, else ``ValueError`` naming ``name`` (default: the limit's)."""
        label = name or self.name
        ok_type = isinstance(value, int) if self.integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type:
            raise ValueError(f"{label} must be {self.describe()}, got {value!r}")
        assert isinstance(value, int | float)
        if not math.isfinite(value) or not self.low <= value <= self.high:
            raise ValueError(f"{label} must be {self.describe()}, got {value!r}")
        return value

    def check_int(self, value: object, name: str | None = None) -> int:
        """:meth:`check` for integer limits, typed as ``int``."""
        checked = self.check(value, name)
        assert isinstance(checked, int)
        return checked


COUNT = Limit("count", 1, 100, integer=True, unit="packets")
INTERVAL = Limit("interval", 0.01, 10, unit="seconds")
TIMEOUT = Limit("timeout", 0.1, 60, unit="seconds")
CONCURRENCY = Limit("concurrency", 1, 256, integer=True, unit="probes per host")
MTU = Limit("mtu", 576, 9216, integer=True, unit="bytes")
PAYLOAD = Limit("size", 0, 65507, integer=True, unit="bytes")
TTL = Limit("ttl", 1, 255, integer=True)
PORT = Limit("port", 1, 65535, integer=True)
CONNECT_TIMEOUT = Limit("connect_timeout", 0.1, 600, unit="seconds")
COMMAND_TIMEOUT = Limit("command_timeout", 1, 86400, unit="seconds")
RTT_MS = Limit("max_rtt_ms", 0.1, 10000, unit="ms")
PARALLEL_HOSTS = Limit("max_parallel_hosts", 1, 1024, integer=True, unit="hosts")
PASSING_RAW_BUDGET = 1_000_000  # characters of raw output a run keeps for its passing pairs, all together

_NETSTACK_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_netstack(name: object) -> str:
    """A netstack instance name (``vmotion``, ``defaultTcpipStack``, ...): safe in a command line."""
    if not isinstance(name, str) or not _NETSTACK_RE.fullmatch(name):
        raise ValueError(f"netstack must be a TCP/IP stack name like 'vmotion', got {name!r}")
    return name


def is_env_name(name: object) -> bool:
    """True for the NAME of an environment variable (where a secret is read from), never a secret itself."""
    return isinstance(name, str) and _ENV_NAME_RE.fullmatch(name) is not None
