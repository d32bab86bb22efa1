"""Pure builders of the shell commands run on ESXi hosts.

Every value placed in a command is validated first (raising
:class:`validator.errors.CommandValueError`) and every word is quoted with :func:`shlex.quote`, so no
inventory or discovered value can inject shell syntax, even if a validation rule is later loosened.
"""

from __future__ import annotations

import math
import re
import shlex
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address, ip_address

from validator import limits
from validator.errors import CommandValueError
from validator.models import Family, IPAddress

__all__ = [
    "FORMATTERS",
    "esxcli",
    "interface_list",
    "ipv4_get",
    "ipv6_address_list",
    "mtu_for_payload",
    "netstack_list",
    "payload_for_mtu",
    "route_ipv4_list",
    "route_ipv6_list",
    "tag_get",
    "validate_ip",
    "validate_netstack",
    "validate_vmk",
    "vmkping",
]

_VMK_RE = re.compile(r"vmk[0-9]{1,4}")
_IP_TEXT_RE = re.compile(r"[0-9A-Fa-f:.]{2,45}")
_WORD_RE = re.compile(r"[A-Za-z0-9_.:=/+,@-]{1,128}")
FORMATTERS = frozenset({"csv", "xml", "keyvalue", "json"})
_LIMITED_BROADCAST = IPv4Address("255.255.255.255")

# the same words recur in every probe of a mesh (options, vmk names, destinations): quoted once each
_quote = lru_cache(maxsize=4096)(shlex.quote)


def _join(words: list[str]) -> str:
    return " ".join(map(_quote, words))


def validate_vmk(name: object) -> str:
    """A VMkernel adapter name: ``vmk0`` .. ``vmk9999``."""
    if not isinstance(name, str) or not _VMK_RE.fullmatch(name):
        raise CommandValueError(f"not a VMkernel interface name: {name!r}")
    return name


def validate_netstack(name: object) -> str:
    """A netstack instance name (``vmotion``, ``defaultTcpipStack``, ...)."""
    try:
        return limits.check_netstack(name)
    except ValueError as exc:
        raise CommandValueError(str(exc)) from None


def validate_ip(text: object) -> IPv4Address | IPv6Address:
    """A unicast IP address usable as a vmkping destination.

    Refused: anything ``ipaddress`` does not parse exactly (whitespace, leading zeros, prefixes),
    scoped IPv6 (``%zone``), unspecified, multicast, the limited broadcast and IPv4-mapped IPv6.
    """
    if isinstance(text, IPv4Address | IPv6Address):
        address: IPv4Address | IPv6Address = text
    elif isinstance(text, str) and _IP_TEXT_RE.fullmatch(text):
        try:
            address = _parse_ip(text)
        except ValueError as exc:
            raise CommandValueError(f"not an IP address: {text!r}") from exc
    else:
        raise CommandValueError(f"not an IP address: {text!r}")
    if isinstance(address, IPv6Address) and (address.scope_id or address.ipv4_mapped is not None):
        raise CommandValueError(f"scoped or IPv4-mapped IPv6 address refused: {text!r}")
    if address.is_unspecified or address.is_multicast or address == _LIMITED_BROADCAST:
        raise CommandValueError(f"not a unicast address: {text!r}")
    return address


@lru_cache(maxsize=4096)
def _parse_ip(text: str) -> IPv4Address | IPv6Address:
    """``ip_address`` of a destination; each peer is the destination of every probe towards it."""
    return ip_address(text)


def _int(value: object, limit: limits.Limit) -> int:
    try:
        return limit.check_int(value)
    except ValueError as exc:
        raise CommandValueError(str(exc)) from None


def _float(value: object, limit: limits.Limit) -> str:
    try:
        checked = limit.check(value)
    except ValueError as exc:
        raise CommandValueError(str(exc)) from None
    return f"{float(checked):.3f}".rstrip("0").rstrip(".")


def _seconds(value: object, limit: limits.Limit) -> str:
    """Whole seconds, rounded up, at least 1: ESXi's ``-W`` takes whole seconds."""
    try:
        checked = limit.check(value)
    except ValueError as exc:
        raise CommandValueError(str(exc)) from None
    return str(max(1, math.ceil(checked)))


def _family(value: object) -> Family:
    if isinstance(value, Family):
        return value
    if isinstance(value, str) and value in {f.value for f in Family}:
        return Family(value)
    raise CommandValueError(f"not an address family: {value!r}")


def vmkping(
    dst: str | IPAddress,
    *,
    netstack: str | None,
    vmk: str | None,
    count: int = 3,
    interval: float | None = None,
    timeout: float | None = None,
    size: int | None = None,
    df: bool = False,
    ttl: int | None = None,
    family: Family | None = None,
) -> str:
    """``vmkping [-6] [++netstack=S] [-I vmkN] -c C [-i I] [-W T] [-s S] [-d] [-t TTL] DST``.

    ``family`` (when given) must match the destination; ``-6`` is added for IPv6 destinations.
    ``timeout`` is sent as whole seconds (rounded up, at least 1); ``interval`` may be fractional.
    """
    address = validate_ip(dst)
    dst_family = Family.of(address)
    if family is not None and _family(family) is not dst_family:
        raise CommandValueError(f"destination {address} is not {_family(family).value}")
    words = ["vmkping"]
    if dst_family is Family.IPV6:
        words.append("-6")
    if netstack is not None:
        words.append(f"++netstack={validate_netstack(netstack)}")
    if vmk is not None:
        words += ["-I", validate_vmk(vmk)]
    words += ["-c", str(_int(count, limits.COUNT))]
    if interval is not None:
        words += ["-i", _float(interval, limits.INTERVAL)]
    if timeout is not None:
        words += ["-W", _seconds(timeout, limits.TIMEOUT)]
    if size is not None:
        words += ["-s", str(_int(size, limits.PAYLOAD))]
    if not isinstance(df, bool):
        raise CommandValueError(f"df must be a bool, got {df!r}")
    if df:
        words.append("-d")
    if ttl is not None:
        words += ["-t", str(_int(ttl, limits.TTL))]
    words.append(str(address))
    return _join(words)


def esxcli(*words: str, formatter: str | None = None) -> str:
    """``esxcli [--formatter=F] WORDS...``; each word must be a plain token (no spaces or shell syntax)."""
    if not words:
        raise CommandValueError("esxcli needs a namespace and a command")
    for word in words:
        if not isinstance(word, str) or not _WORD_RE.fullmatch(word):
            raise CommandValueError(f"not a plain esxcli word: {word!r}")
    prefix = ["esxcli"]
    if formatter is not None:
        if formatter not in FORMATTERS:
            raise CommandValueError(f"unknown esxcli formatter {formatter!r} (one of {sorted(FORMATTERS)})")
        prefix.append(f"--formatter={formatter}")
    return _join(prefix + list(words))


def netstack_list(*, formatter: str | None = None) -> str:
    """``esxcli network ip netstack list``."""
    return esxcli("network", "ip", "netstack", "list", formatter=formatter)


def interface_list(netstack: str | None = None, *, formatter: str | None = None) -> str:
    """``esxcli network ip interface list [-N STACK]``."""
    extra = ["-N", validate_netstack(netstack)] if netstack is not None else []
    return esxcli("network", "ip", "interface", "list", *extra, formatter=formatter)


def ipv4_get(netstack: str | None = None, vmk: str | None = None, *, formatter: str | None = None) -> str:
    """``esxcli network ip interface ipv4 get [-N STACK] [-i vmkN]``."""
    extra: list[str] = []
    if netstack is not None:
        extra += ["-N", validate_netstack(netstack)]
    if vmk is not None:
        extra += ["-i", validate_vmk(vmk)]
    return esxcli("network", "ip", "interface", "ipv4", "get", *extra, formatter=formatter)


def ipv6_address_list(*, formatter: str | None = None) -> str:
    """``esxcli network ip interface ipv6 address list`` (every vmk of every stack)."""
    return esxcli("network", "ip", "interface", "ipv6", "address", "list", formatter=formatter)


def route_ipv4_list(netstack: str, *, formatter: str | None = None) -> str:
    """``esxcli network ip route ipv4 list -N STACK``."""
    return esxcli("network", "ip", "route", "ipv4", "list", "-N", validate_netstack(netstack), formatter=formatter)


def route_ipv6_list(netstack: str, *, formatter: str | None = None) -> str:
    """``esxcli network ip route ipv6 list -N STACK``."""
    return esxcli("network", "ip", "route", "ipv6", "list", "-N", validate_netstack(netstack), formatter=formatter)


def tag_get(vmk: str, *, formatter: str | None = None) -> str:
    """``esxcli network ip interface tag get -i vmkN``."""
    return esxcli("network", "ip", "interface", "tag", "get", "-i", validate_vmk(vmk), formatter=formatter)


def payload_for_mtu(mtu: int, family: Family) -> int:
    """ICMP payload that fills an ``mtu``-byte packet: MTU-28 (IPv4), MTU-48 (IPv6)."""
    mtu = _int(mtu, limits.MTU)
    return mtu - _family(family).header_bytes


def mtu_for_payload(payload: int, family: Family) -> int:
    """The packet size (MTU) an ICMP ``payload`` fills: payload+28 (IPv4), payload+48 (IPv6)."""
    payload = _int(payload, limits.PAYLOAD)
    return payload + _family(family).header_bytes
