"""Pure parsers of ESXi command output into typed records.

Each ``parse_*`` function accepts the command's native text output, ``--formatter=csv`` or
``--formatter=xml`` (detected automatically) and reads fields by header or key name, never by
position. On anything it cannot parse it raises :class:`validator.errors.ParseError` (or one of its
subclasses defined here and in :mod:`validator.esxi.tables`), never another exception.

Subclasses of ParseError a caller may want to tell apart:

* :class:`UnknownInterfaceError` - vmkping refused the source interface
  (``Unknown interface 'vmk9': Invalid argument``); maps to ``Reason.UNKNOWN_VMK``.
* :class:`NetstackMissingError` - the host has no such TCP/IP stack
  (``*** vmkernel stack not configured ***``); maps to ``Reason.NETSTACK_MISSING``.
* :class:`~validator.esxi.tables.EsxcliError` - esxcli printed ``Error: ...`` instead of data.

Empty output of a *list* command (netstack, interface, ipv4, ipv6, route list) is an empty tuple;
empty output of ``vmkping`` or ``tag get`` is a ParseError.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from validator.errors import ParseError
from validator.esxi.tables import (
    EsxcliError,
    Record,
    check_esxcli_error,
    detect_format,
    read_blocks,
    read_csv,
    read_records,
    read_xml_strings,
)
from validator.models import Family, IPAddress, PingStats

__all__ = [
    "EsxcliError",
    "InterfaceEntry",
    "Ipv4Entry",
    "Ipv6Entry",
    "NetstackEntry",
    "NetstackMissingError",
    "RouteEntry",
    "UnknownInterfaceError",
    "default_gateway",
    "parse_interface_list",
    "parse_ipv4_get",
    "parse_ipv6_address_list",
    "parse_netstack_list",
    "parse_route_ipv4_list",
    "parse_route_ipv6_list",
    "parse_route_list",
    "parse_tags",
    "parse_vmkping",
]

_INT_RE = re.compile(r"[0-9]{1,10}")
_NA = frozenset({"", "n/a", "none"})


class UnknownInterfaceError(ParseError):
    """vmkping refused the source interface: it does not exist on the stack used."""

    def __init__(self, interface: str, raw: str = "") -> None:
        super().__init__(f"unknown interface {interface!r}", raw=raw)
        self.interface = interface


class NetstackMissingError(ParseError):
    """vmkping was given a TCP/IP stack the host does not have (``*** vmkernel stack not configured ***``)."""

    def __init__(self, raw: str = "") -> None:
        super().__init__("vmkernel stack not configured", raw=raw)


# ------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class NetstackEntry:
    """One ``esxcli network ip netstack list`` record."""

    key: str
    name: str
    state: str


@dataclass(frozen=True)
class InterfaceEntry:
    """One ``esxcli network ip interface list`` record. ``None``: field absent or ``N/A``."""

    name: str
    mac: str | None
    enabled: bool  # ESXi prints Enabled for every vmk; an output without the field reads as enabled
    portset: str | None
    portgroup: str | None
    netstack: str
    mtu: int
    port_id: int | None
    vds_name: str | None


@dataclass(frozen=True)
class Ipv4Entry:
    """One ``esxcli network ip interface ipv4 get`` row.

    ``address``/``netmask``/``prefix`` are None when the vmk has no IPv4 address (``0.0.0.0``);
    ``gateway`` is None when the column is absent (before ESXi 6.5) or ``0.0.0.0`` (no override).
    """

    name: str
    address: IPv4Address | None
    netmask: IPv4Address | None
    prefix: int | None
    broadcast: IPv4Address | None
    address_type: str
    gateway: IPv4Address | None
    dhcp_dns: bool | None


@dataclass(frozen=True)
class Ipv6Entry:
    """One ``esxcli network ip interface ipv6 address list`` row."""

    interface: str
    address: IPv6Address
    prefix: int
    type: str
    status: str


@dataclass(frozen=True)
class RouteEntry:
    """One ``esxcli network ip route ipv4|ipv6 list`` row.

    ``network`` and ``netmask_or_prefix`` are kept as printed (``default`` / ``0.0.0.0`` / ``64``),
    validated; ``gateway`` is None for on-link routes (``0.0.0.0`` / ``::``).
    """

    network: str
    netmask_or_prefix: str
    gateway: IPAddress | None
    interface: str
    source: str

    @property
    def family(self) -> Family:
        return _route_family(self.network, self.netmask_or_prefix)

    @property
    def destination(self) -> IPv4Network | IPv6Network:
        return _route_destination(self.network, self.netmask_or_prefix)

    @property
    def prefix(self) -> int:
        return self.destination.prefixlen

    @property
    def is_default(self) -> bool:
        return self.prefix == 0


# ------------------------------------------------------------------------------------- helpers


def _req(record: Record, key: str, raw: str) -> str:
    value = record.get(key)
    if value is None:
        raise ParseError(f"field {key!r} missing", raw=raw)
    if not value:
        raise ParseError(f"field {key!r} empty", raw=raw)
    return value


def _opt(record: Record, key: str) -> str | None:
    """An optional text field; ``N/A``/empty -> None."""
    value = record.get(key)
    if value is None or value.strip().lower() in _NA:
        return None
    return value


def _int(text: str, what: str, raw: str) -> int:
    if not _INT_RE.fullmatch(text):
        raise ParseError(f"{what}: not an integer: {text!r}", raw=raw)
    return int(text)


def _bool(text: str, what: str, raw: str) -> bool:
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ParseError(f"{what}: not true/false: {text!r}", raw=raw)


def _ipv4(text: str, what: str, raw: str) -> IPv4Address:
    try:
        return IPv4Address(text)
    except ValueError as exc:
        raise ParseError(f"{what}: not an IPv4 address: {text!r}", raw=raw) from exc


def _ipv6(text: str, what: str, raw: str) -> IPv6Address:
    try:
        return IPv6Address(text)
    except ValueError as exc:
        raise ParseError(f"{what}: not an IPv6 address: {text!r}", raw=raw) from exc


def _ip(text: str, what: str, raw: str) -> IPAddress:
    try:
        return ip_address(text)
    except ValueError as exc:
        raise ParseError(f"{what}: not an IP address: {text!r}", raw=raw) from exc


def _mask_prefix(mask: IPv4Address) -> int | None:
    """Prefix length of a contiguous netmask, None for a non-contiguous one."""
    inverted = ~int(mask) & 0xFFFFFFFF
    if inverted & (inverted + 1):
        return None
    return 32 - inverted.bit_length()


def _route_family(network: str, netmask_or_prefix: str) -> Family:
    if network.lower() != "default":
        return Family.IPV6 if ":" in network else Family.IPV4
    return Family.IPV4 if "." in netmask_or_prefix else Family.IPV6


def _route_destination(network: str, netmask_or_prefix: str) -> IPv4Network | IPv6Network:
    """Raises ValueError on bad input (callers of the public property only see validated entries)."""
    family = _route_family(network, netmask_or_prefix)
    if family is Family.IPV4:
        base = "0.0.0.0" if network.lower() == "default" else network  # noqa: S104 (an address, not a bind)
        prefix = _mask_prefix(IPv4Address(netmask_or_prefix))
        if prefix is None:
            raise ValueError(f"non-contiguous netmask {netmask_or_prefix}")
        return IPv4Network(f"{base}/{prefix}", strict=False)
    base = "::" if network.lower() == "default" else network
    if not _INT_RE.fullmatch(netmask_or_prefix):
        raise ValueError(f"bad IPv6 prefix {netmask_or_prefix!r}")
    return IPv6Network(f"{base}/{int(netmask_or_prefix)}", strict=False)


# ------------------------------------------------------------------------------ esxcli parsers


def parse_netstack_list(text: str) -> tuple[NetstackEntry, ...]:
    """``esxcli network ip netstack list`` (key/value blocks, CSV or XML)."""
    entries = []
    for record in read_records(text, "blocks"):
        key = _req(record, "key", text)
        name = record.get("name") or key
        entries.append(NetstackEntry(key=key, name=name, state=record.get("state", "")))
    return tuple(entries)


def parse_interface_list(text: str) -> tuple[InterfaceEntry, ...]:
    """``esxcli network ip interface list`` (key/value blocks, CSV or XML)."""
    entries = []
    for record in read_records(text, "blocks"):
        title = record.get("", "")
        name = record.get("name") or title
        if not name:
            raise ParseError("interface record without a name", raw=text)
        if title and title != name:
            raise ParseError(f"interface block {title!r} names itself {name!r}", raw=text)
        enabled_text = _opt(record, "enabled")
        port_id = _opt(record, "portid")
        entries.append(
            InterfaceEntry(
                name=name,
                mac=_opt(record, "macaddress"),
                enabled=_bool(enabled_text, "Enabled", text) if enabled_text is not None else True,
                portset=_opt(record, "portset"),
                portgroup=_opt(record, "portgroup"),
                netstack=_req(record, "netstackinstance", text),
                mtu=_int(_req(record, "mtu", text), "MTU", text),
                port_id=_int(port_id, "Port ID", text) if port_id is not None else None,
                vds_name=_opt(record, "vdsname"),
            )
        )
    return tuple(entries)


def parse_ipv4_get(text: str) -> tuple[Ipv4Entry, ...]:
    """``esxcli network ip interface ipv4 get`` (with or without the Gateway column; table/CSV/XML)."""
    entries = []
    zero = IPv4Address(0)
    for record in read_records(text, "table"):
        name = _req(record, "name", text)
        address = _ipv4(_req(record, "ipv4address", text), "IPv4 Address", text)
        netmask = _ipv4(_req(record, "ipv4netmask", text), "IPv4 Netmask", text)
        prefix: int | None = None
        if address != zero:
            prefix = _mask_prefix(netmask)
            if prefix is None:
                raise ParseError(f"non-contiguous netmask {netmask} on {name}", raw=text)
        broadcast_text = _opt(record, "ipv4broadcast")
        broadcast = _ipv4(broadcast_text, "IPv4 Broadcast", text) if broadcast_text else None
        gateway_text = _opt(record, "gateway")
        gateway = _ipv4(gateway_text, "Gateway", text) if gateway_text else None
        dhcp_text = _opt(record, "dhcpdns")
        entries.append(
            Ipv4Entry(
                name=name,
                address=address if address != zero else None,
                netmask=netmask if address != zero else None,
                prefix=prefix,
                broadcast=broadcast if broadcast != zero else None,
                address_type=record.get("addresstype", ""),
                gateway=gateway if gateway != zero else None,
                dhcp_dns=_bool(dhcp_text, "DHCP DNS", text) if dhcp_text is not None else None,
            )
        )
    return tuple(entries)


def parse_ipv6_address_list(text: str) -> tuple[Ipv6Entry, ...]:
    """``esxcli network ip interface ipv6 address list`` (table/CSV/XML)."""
    entries = []
    for record in read_records(text, "table"):
        prefix = _int(_req(record, "netmask", text), "Netmask", text)
        if prefix > 128:
            raise ParseError(f"IPv6 prefix {prefix} > 128", raw=text)
        entries.append(
            Ipv6Entry(
                interface=_req(record, "interface", text),
                address=_ipv6(_req(record, "address", text), "Address", text),
                prefix=prefix,
                type=record.get("type", ""),
                status=record.get("status", ""),
            )
        )
    return tuple(entries)


def parse_route_list(text: str, family: Family | None = None) -> tuple[RouteEntry, ...]:
    """``esxcli network ip route ipv4|ipv6 list`` (table/CSV/XML); ``family`` enforces one family."""
    entries = []
    for record in read_records(text, "table"):
        network = _req(record, "network", text)
        mask = _req(record, "netmask", text)
        try:
            destination = _route_destination(network, mask)
        except ValueError as exc:
            raise ParseError(f"bad route {network}/{mask}: {exc}", raw=text) from exc
        route_family = Family.of(destination.network_address)
        if family is not None and route_family is not family:
            raise ParseError(f"{route_family.value} route {network}/{mask} in a {family.value} list", raw=text)
        gateway_text = _opt(record, "gateway")
        gateway = _ip(gateway_text, "Gateway", text) if gateway_text else None
        if gateway is not None and Family.of(gateway) is not route_family:
            raise ParseError(f"gateway {gateway} of route {network}/{mask} is of the other family", raw=text)
        entries.append(
            RouteEntry(
                network=network,
                netmask_or_prefix=mask,
                gateway=None if gateway is None or gateway.is_unspecified else gateway,
                interface=record.get("interface", ""),
                source=record.get("source", ""),
            )
        )
    return tuple(entries)


def parse_route_ipv4_list(text: str) -> tuple[RouteEntry, ...]:
    """``esxcli network ip route ipv4 list``."""
    return parse_route_list(text, Family.IPV4)


def parse_route_ipv6_list(text: str) -> tuple[RouteEntry, ...]:
    """``esxcli network ip route ipv6 list``."""
    return parse_route_list(text, Family.IPV6)


def default_gateway(routes: Iterable[RouteEntry], family: Family | None = None) -> IPAddress | None:
    """The gateway of the first default route (of ``family``, when given) that has one."""
    for route in routes:
        if route.is_default and route.gateway is not None and (family is None or route.family is family):
            return route.gateway
    return None


def parse_tags(text: str) -> tuple[str, ...]:
    """``esxcli network ip interface tag get -i vmkN``: ``   Tags: A, B``, an XML list of strings,
    or CSV (a ``Tags`` header, then one tag per row)."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}", raw=repr(text))
    check_esxcli_error(text)
    fmt = detect_format(text, "blocks")
    if fmt == "xml":
        items = read_xml_strings(text)
    elif fmt == "csv":
        rows = read_csv(text)
        if not text.lstrip().lower().startswith("tags,") or any(set(row) != {"tags"} for row in rows):
            raise ParseError("CSV tag output must be a single 'Tags' column", raw=text)
        items = [row["tags"] for row in rows]
    else:
        blocks = read_blocks(text)
        values = [record["tags"] for _, record in blocks if "tags" in record]
        if len(values) != 1:
            raise ParseError("expected exactly one 'Tags:' line", raw=text)
        items = values[0].split(",")
    return tuple(item.strip() for item in items if item.strip())


# ------------------------------------------------------------------------------------- vmkping

_NUM = r"[0-9]+(?:\.[0-9]+)?"
_PING_HEADER_RE = re.compile(
    r"PING (\S+?) ?\(([^()\s]+)\)(?: from \S+ ?)?"
    r"(?::? ([0-9]{1,6}) data bytes| ([0-9]{1,6})\([0-9]{1,6}\) bytes of data\.)"  # BSD/busybox | iputils
)
_REPLY_RE = re.compile(r"[0-9]{1,6} bytes from (\S+?)[:,]?\s")
_REPLY_FIELD_RE = re.compile(rf"\b(icmp_seq|ttl|hlim|hops|time)=({_NUM})")
_SENDTO_RE = re.compile(r"(?:.*\b)?sendto(?:\(\) failed \((.*)\)|: (.*))")
_STATS_RE = re.compile(
    rf"([0-9]{{1,9}}) packets transmitted, ([0-9]{{1,9}}) (?:packets )?received,"
    rf"(?: \+?[0-9]+ (?:duplicates|errors),)* ({_NUM})% packet loss(?:,.*)?"
)
_RTT_RE = re.compile(
    rf"(?:round-trip|rtt) min/avg/max(?:/(?:stddev|mdev))? = ({_NUM})/({_NUM})/({_NUM})(?:/{_NUM})? ms"
)
_UNKNOWN_IF_RE = re.compile(r"Unknown interface '([^']*)'(?:: .*)?")
_NO_STACK_RE = re.compile(r"\*+ ?vmkernel stack not configured ?\*+", re.IGNORECASE)
_STATS_TITLE_RE = re.compile(r"--- (\S+) ping statistics ---")
_MAX_PING_LINE = 1024


_PLAIN_REPLY_RE = re.compile(
    r"[0-9]{1,6} bytes from \S+?: icmp_seq=[0-9]{1,9}(?: ttl=([0-9]{1,3}))? time=[0-9]{1,9}(?:\.[0-9]{1,6})? ms"
)


def parse_vmkping(text: str) -> PingStats:
    """One vmkping run -> :class:`PingStats`.

    Raises :class:`UnknownInterfaceError` for ``Unknown interface 'vmkN': Invalid argument``,
    :class:`NetstackMissingError` for ``*** vmkernel stack not configured ***`` and ParseError when
    the header (``PING ... data bytes``) or the statistics line is missing. A reply without a
    ``ttl=``/``hlim=`` (ESXi's IPv6 replies) counts as a reply with no TTL. Lines it does not
    recognise (banners, ``Request timeout``...) and lines longer than 1024 characters are ignored.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}", raw=repr(text))
    return parse_plain_vmkping(text) or _parse_vmkping(text)


def parse_plain_vmkping(text: str) -> PingStats | None:
    """The usual output read line by line in its usual order (header, replies, statistics), else None.

    Most outputs are exactly that; anything else (an error line, a duplicate, another order) is left to the
    full reader, which gives the same result for these outputs, only slower."""
    lines = text.split("\n")
    count = len(lines)
    while count and not lines[count - 1]:
        count -= 1
    if count < 4 or not lines[0].startswith("PING ") or any(len(line) > _MAX_PING_LINE for line in lines[:count]):
        return None
    header = _PING_HEADER_RE.fullmatch(lines[0])
    if header is None:
        return None
    ttls: list[int] = []
    index = 1
    while index < count and (reply := _PLAIN_REPLY_RE.fullmatch(lines[index])) is not None:
        if reply.group(1) is not None:
            ttls.append(int(reply.group(1)))
        index += 1
    if count - index not in (3, 4) or lines[index] or not _STATS_TITLE_RE.fullmatch(lines[index + 1]):
        return None
    stats = _STATS_RE.fullmatch(lines[index + 2])
    rtt = _RTT_RE.fullmatch(lines[index + 3]) if count - index == 4 else None
    if stats is None or (rtt is None and count - index == 4):
        return None
    transmitted, received, loss = int(stats.group(1)), int(stats.group(2)), float(stats.group(3))
    if received > transmitted or loss > 100.0:
        return None
    return PingStats(
        target=header.group(2),
        payload=int(header.group(3) or header.group(4)),
        transmitted=transmitted,
        received=received,
        loss_pct=loss,
        errors=(),
        ttls=tuple(ttls),
        rtt_min_ms=float(rtt.group(1)) if rtt else None,
        rtt_avg_ms=float(rtt.group(2)) if rtt else None,
        rtt_max_ms=float(rtt.group(3)) if rtt else None,
    )


def _parse_vmkping(text: str) -> PingStats:
    target: str | None = None
    payload: int | None = None
    errors: list[str] = []
    ttls: list[int] = []
    stats: tuple[int, int, float] | None = None
    rtt: tuple[float, float, float] | None = None
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or len(line) > _MAX_PING_LINE:  # no vmkping line is that long: noise
            continue
        if line[0].isdigit():  # the common lines first: a reply, the statistics (no other starts with a digit)
            if match := _REPLY_RE.match(line):
                fields = dict(_REPLY_FIELD_RE.findall(line))
                if "icmp_seq" not in fields and "time" not in fields:
                    raise ParseError(f"reply line without icmp_seq or time: {line!r}", raw=text)
                hops = fields.get("ttl") or fields.get("hlim") or fields.get("hops")
                if hops is None:
                    continue  # ESXi prints no hop limit on IPv6 replies
                if "." in hops:
                    raise ParseError(f"reply line with a fractional ttl/hlim: {line!r}", raw=text)
                ttls.append(int(hops))
            elif match := _STATS_RE.fullmatch(line):
                if stats is not None:
                    raise ParseError("two statistics lines", raw=text)
                stats = (int(match.group(1)), int(match.group(2)), float(match.group(3)))
            if match:
                continue
        if line.startswith("PING ") and (match := _PING_HEADER_RE.fullmatch(line)):
            if target is not None:
                raise ParseError("two PING headers: output of more than one run", raw=text)
            target, payload = match.group(2), int(match.group(3) or match.group(4))
            continue
        if line[0] in "-r" and "sendto" not in line:  # the statistics title, the round-trip line
            if match := _RTT_RE.fullmatch(line):
                rtt = (float(match.group(1)), float(match.group(2)), float(match.group(3)))
                continue
            if (match := _STATS_TITLE_RE.fullmatch(line)) and target is None:
                target = match.group(1)
            if match:
                continue
        if match := _UNKNOWN_IF_RE.fullmatch(line):
            raise UnknownInterfaceError(match.group(1), raw=text)
        if _NO_STACK_RE.fullmatch(line):
            raise NetstackMissingError(raw=text)
        if match := _PING_HEADER_RE.fullmatch(line):
            if target is not None:
                raise ParseError("two PING headers: output of more than one run", raw=text)
            target, payload = match.group(2), int(match.group(3) or match.group(4))
        elif match := _REPLY_RE.match(line):
            fields = dict(_REPLY_FIELD_RE.findall(line))
            if "icmp_seq" not in fields and "time" not in fields:
                raise ParseError(f"reply line without icmp_seq or time: {line!r}", raw=text)
            hops = fields.get("ttl") or fields.get("hlim") or fields.get("hops")
            if hops is None:
                continue  # ESXi prints no hop limit on IPv6 replies
            if "." in hops:
                raise ParseError(f"reply line with a fractional ttl/hlim: {line!r}", raw=text)
            ttls.append(int(hops))
        elif match := _SENDTO_RE.fullmatch(line):
            errors.append((match.group(1) if match.group(1) is not None else match.group(2)).strip())
        elif match := _STATS_RE.fullmatch(line):
            if stats is not None:
                raise ParseError("two statistics lines", raw=text)
            stats = (int(match.group(1)), int(match.group(2)), float(match.group(3)))
        elif match := _RTT_RE.fullmatch(line):
            rtt = (float(match.group(1)), float(match.group(2)), float(match.group(3)))
        elif (match := _STATS_TITLE_RE.fullmatch(line)) and target is None:
            target = match.group(1)
    if payload is None or target is None:
        raise ParseError("no 'PING <target> (<address>): N data bytes' header", raw=text)
    if stats is None:
        raise ParseError("no statistics line ('N packets transmitted, M packets received, P% packet loss')", raw=text)
    transmitted, received, loss = stats
    if received > transmitted or loss > 100.0:
        raise ParseError(f"inconsistent statistics: {received}/{transmitted} received, {loss}% loss", raw=text)
    return PingStats(
        target=target,
        payload=payload,
        transmitted=transmitted,
        received=received,
        loss_pct=loss,
        errors=tuple(errors),
        ttls=tuple(ttls),
        rtt_min_ms=rtt[0] if rtt else None,
        rtt_avg_ms=rtt[1] if rtt else None,
        rtt_max_ms=rtt[2] if rtt else None,
    )
