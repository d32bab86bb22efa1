"""A TOML table that knows where it is: typed values, or LabErrors naming the file and the key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
    ip_address,
    ip_interface,
    ip_network,
)
from typing import Any

from validator.errors import LabError

ALLOWED_V4 = IPv4Network("198.18.0.0/15")
ALLOWED_V6 = IPv6Network("2001:db8::/32")


class TomlTable:
    """A TOML table with its location, giving typed values or LabErrors that say where."""

    def __init__(self, data: Any, where: str, source: str) -> None:
        if not isinstance(data, Mapping):
            raise LabError(f"{source}: {where or 'top level'}: expected a table")
        self.data: Mapping[str, Any] = data
        self.where = where
        self.source = source

    def error(self, key: str | None, message: str) -> LabError:
        place = f"{self.where}.{key}" if self.where and key else (key or self.where or "top level")
        return LabError(f"{self.source}: {place}: {message}")

    def check_keys(self, allowed: set[str]) -> None:
        unknown = sorted(set(self.data) - allowed)
        if unknown:
            raise self.error(None, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")

    def value(self, key: str, kind: type, required: bool) -> Any:
        if key not in self.data:
            if required:
                raise self.error(key, "is required")
            return None
        value = self.data[key]
        if kind is int and isinstance(value, bool):
            raise self.error(key, f"expected an integer, got {value!r}")
        if not isinstance(value, kind):
            raise self.error(key, f"expected {kind.__name__}, got {value!r}")
        return value

    def text(self, key: str, default: str | None = None, pattern: re.Pattern[str] | None = None) -> str | None:
        value: str | None = self.value(key, str, required=False)
        if value is None:
            return default
        if pattern is not None and not pattern.fullmatch(value):
            raise self.error(key, f"{value!r} must match {pattern.pattern}")
        return value

    def required_text(self, key: str, pattern: re.Pattern[str] | None = None) -> str:
        self.value(key, str, required=True)
        value = self.text(key, pattern=pattern)
        assert value is not None
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value: int | None = self.value(key, int, required=False)
        if value is None:
            return default
        if not low <= value <= high:
            raise self.error(key, f"{value} is outside {low}..{high}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value: bool | None = self.value(key, bool, required=False)
        return default if value is None else value

    def strings(self, key: str) -> list[str] | None:
        value: list[Any] | None = self.value(key, list, required=False)
        if value is None:
            return None
        if not all(isinstance(item, str) for item in value):
            raise self.error(key, "expected a list of strings")
        return list(value)

    def table(self, key: str, required: bool = False) -> TomlTable | None:
        value = self.value(key, dict, required)
        return None if value is None else TomlTable(value, self.sub(key), self.source)

    def tables(self, key: str, required: bool = False) -> list[TomlTable]:
        value: list[Any] | None = self.value(key, list, required)
        if value is None:
            return []
        if required and not value:
            raise self.error(key, "needs at least one entry")
        return [TomlTable(item, f"{self.sub(key)}[{i}]", self.source) for i, item in enumerate(value)]

    def sub(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def network4(self, key: str, required: bool = False) -> IPv4Network | None:
        raw = self.text(key)
        if raw is None:
            if required:
                raise self.error(key, "is required")
            return None
        net = self._parse(key, raw, lambda s: ip_network(s, strict=True))
        if not isinstance(net, IPv4Network):
            raise self.error(key, f"{raw!r} is not an IPv4 network")
        return _allowed4(self, key, net)

    def network6(self, key: str) -> IPv6Network | None:
        raw = self.text(key)
        if raw is None:
            return None
        net = self._parse(key, raw, lambda s: ip_network(s, strict=True))
        if not isinstance(net, IPv6Network):
            raise self.error(key, f"{raw!r} is not an IPv6 network")
        if not net.subnet_of(ALLOWED_V6):
            raise self.error(key, f"{raw} is outside {ALLOWED_V6}; the lab only uses documentation addresses")
        return net

    def address4(self, key: str) -> IPv4Address | None:
        raw = self.text(key)
        if raw is None:
            return None
        addr = self._parse(key, raw, ip_address)
        if not isinstance(addr, IPv4Address):
            raise self.error(key, f"{raw!r} is not an IPv4 address")
        if addr not in ALLOWED_V4:
            raise self.error(key, f"{raw} is outside {ALLOWED_V4}; the lab only uses benchmark addresses")
        return addr

    def address6(self, key: str) -> IPv6Address | None:
        raw = self.text(key)
        if raw is None:
            return None
        addr = self._parse(key, raw, ip_address)
        if not isinstance(addr, IPv6Address):
            raise self.error(key, f"{raw!r} is not an IPv6 address")
        if addr not in ALLOWED_V6:
            raise self.error(key, f"{raw} is outside {ALLOWED_V6}; the lab only uses documentation addresses")
        return addr

    def interface4(self, key: str) -> IPv4Interface | None:
        raw = self.text(key)
        if raw is None:
            return None
        iface = self._parse(key, raw, ip_interface)
        if not isinstance(iface, IPv4Interface) or "/" not in raw:
            raise self.error(key, f"{raw!r} is not an IPv4 address/prefix")
        if iface.ip not in ALLOWED_V4:
            raise self.error(key, f"{raw} is outside {ALLOWED_V4}; the lab only uses benchmark addresses")
        return iface

    def interface6(self, key: str) -> IPv6Interface | None:
        raw = self.text(key)
        if raw is None:
            return None
        iface = self._parse(key, raw, ip_interface)
        if not isinstance(iface, IPv6Interface) or "/" not in raw:
            raise self.error(key, f"{raw!r} is not an IPv6 address/prefix")
        if iface.ip not in ALLOWED_V6:
            raise self.error(key, f"{raw} is outside {ALLOWED_V6}; the lab only uses documentation addresses")
        return iface

    def _parse(self, key: str, raw: str, parse: Any) -> Any:
        try:
            return parse(raw)
        except ValueError as exc:
            raise self.error(key, str(exc)) from exc


def _allowed4(table: TomlTable, key: str, net: IPv4Network) -> IPv4Network:
    if not net.subnet_of(ALLOWED_V4):
        raise table.error(key, f"{net} is outside {ALLOWED_V4}; the lab only uses benchmark addresses")
    return net
