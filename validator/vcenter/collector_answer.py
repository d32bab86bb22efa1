"""Reading a PropertyCollector answer (``RetrievePropertiesEx``, ``ContinueRetrievePropertiesEx``): pure.

An answer is parsed with ElementTree into :class:`~validator.vcenter.mapping.RawObject` records whose values are
the small records of :mod:`validator.vcenter.vim_records`: only the fields the mapping reads are looked at, each
with ElementTree's own ``find``/``findtext`` by its name in its parent's namespace (so a namespace prefix, as in
``<vim25:name>``, does not matter). Properties are read by path (:data:`READERS`); a path without a reader is
read as text.

Two things keep it cheap (the profile of 500 hosts: most of the time was the parse itself):

- :func:`trim_unread` cuts, in the bytes, what the reader never looks at before the parse: every service's
  ``netConfig`` repeats each VMkernel NIC whole as a candidate (some 45% of a host's elements, of which only a
  selected one's ``device`` and ``key`` are read), services and port groups carry rules, policies and ports, and
  TCP/IP stacks their DNS, routes and limits;
- :func:`peek_token` reads the next page's token from the head of an answer, so the next page can be asked for
  before this one is parsed.

Answers are untrusted: at most :data:`MAX_PAGE` bytes, no DTD, values of at most :data:`MAX_TEXT` characters,
bounded integers; anything else is an :class:`AnswerShapeError`. A SOAP fault is a :class:`SoapFaultError`
carrying the fault (the caller maps it to the project's typed error, naming the vCenter).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from validator.errors import VCenterApiError
from validator.esxi.diag_ping import local_name
from validator.vcenter.mapping import RawObject
from validator.vcenter.soap import SoapFault, read_fault
from validator.vcenter.vim_records import (
    DistributedVirtualSwitchPortConnection,
    HostIpConfig,
    HostIpConfigIpV6Address,
    HostIpConfigIpV6AddressConfiguration,
    HostIpRouteConfig,
    HostNetStackInstance,
    HostPortGroup,
    HostPortGroupSpec,
    HostService,
    HostServiceInfo,
    HostVirtualNic,
    HostVirtualNicIpRouteSpec,
    HostVirtualNicSpec,
    ManagedObjectReference,
    VirtualNicManagerNetConfig,
)

MAX_PAGE = 256 << 20  # bytes of one answer
MAX_TEXT = 4096  # characters of one value
MAX_INT = 1 << 31
PEEK_BYTES = 64 * 1024  # bytes of an answer's head searched for its page token


class AnswerShapeError(VCenterApiError):
    """An answer that is not what vCenter sends (not XML, a DTD, too large, a bad value)."""


class SoapFaultError(VCenterApiError):
    """A SOAP fault in an answer (the caller names the vCenter and picks the typed error)."""

    def __init__(self, fault: SoapFault) -> None:
        super().__init__(f"{fault.kind}: {fault.message}")
        self.fault = fault


@dataclass(frozen=True)
class Page:
    """One answer: its objects, and the token of the next page (None on the last)."""

    objects: list[RawObject]
    token: str | None = None


def read_page(data: bytes) -> Page:
    """A ``RetrievePropertiesEx`` / ``ContinueRetrievePropertiesEx`` answer; a fault as :class:`SoapFaultError`."""
    answer = _response(data)
    tags = _tags(_namespace(answer))
    returnval = answer.find(tags["returnval"])
    if returnval is None:  # vCenter answers an empty result with no returnval
        return Page([])
    token = _text_of(returnval, tags["token"]) or None
    return Page([_object(content, tags) for content in returnval.findall(tags["objects"])], token)


def read_pages(pages: Iterable[bytes]) -> list[RawObject]:
    """Every object of a sequence of answers."""
    return [o for data in pages for o in read_page(data).objects]


def peek_token(data: bytes, limit: int = PEEK_BYTES) -> str | None:
    """The page token, read from the head of an answer only (RetrieveResult is ``token``, then ``objects``);
    None when the head shows no token (the last page, a fault, anything unexpected)."""
    head = data[:limit]
    if _has_declarations(head):
        return None
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    try:
        for offset in range(0, len(head), 4096):
            parser.feed(head[offset:offset + 4096])
            for item in parser.read_events():
                event, element = item[0], item[-1]
                if not isinstance(element, ET.Element):
                    continue
                name = local_name(element.tag)
                if event == "end" and name == "token":
                    text = element.text or ""
                    return text if 0 < len(text) <= MAX_TEXT else None
                if event == "start" and name in ("objects", "Fault"):
                    return None
    except ET.ParseError:
        return None
    return None


def _response(data: bytes) -> ET.Element:
    if len(data) > MAX_PAGE:
        raise AnswerShapeError(f"an answer of {len(data)} bytes (at most {MAX_PAGE})")
    if _has_declarations(data) and (b"<!DOCTYPE" in data or b"<!ENTITY" in data):
        raise AnswerShapeError("the answer carries a document type declaration")
    trimmed = trim_unread(data)
    try:
        envelope = ET.fromstring(trimmed)  # noqa: S314 - no DTD, size bounded
    except ET.ParseError as exc:
        if trimmed is data:
            raise AnswerShapeError(f"not a SOAP answer: not XML ({exc})") from None
        envelope = _parse_whole(data)
    return _body(envelope)


def _parse_whole(data: bytes) -> ET.Element:
    try:
        return ET.fromstring(data)  # noqa: S314 - no DTD, size bounded
    except ET.ParseError as exc:
        raise AnswerShapeError(f"not a SOAP answer: not XML ({exc})") from None


def _body(envelope: ET.Element) -> ET.Element:
    body = next((e for e in envelope if local_name(e.tag) == "Body"), None)
    first = next(iter(body), None) if body is not None else None
    if first is None:
        raise AnswerShapeError("not a SOAP answer: no Body element")
    if local_name(first.tag) == "Fault":
        raise SoapFaultError(read_fault(first))
    return first


# ------------------------------------------------------------------------------------------ trimming


@dataclass(frozen=True)
class _Piece:
    """A part of an element the reader looks at, kept when the element is cut: ``keep`` (leaf elements only),
    right at the start of the element's content, or (with ``at``) where ``at`` is next found after the piece
    before; ``closing`` closes what ``keep`` leaves open."""

    keep: re.Pattern[bytes]
    at: bytes = b""
    closing: bytes = b""


@dataclass(frozen=True)
class _Cut:
    """Elements ``tag`` cut, in the bytes, to their :class:`_Piece` s; the rest of their content, which the reader
    never reads, is dropped before the parse. An element in which ``unless`` appears, or in which a piece is not
    found, is left whole."""

    tag: bytes
    pieces: tuple[_Piece, ...]
    unless: bytes = b""


def _leaf(name: bytes, size: int = MAX_TEXT) -> bytes:
    return b"<" + name + b">[^<]{0,%d}</" % size + name + b">"


_CUTS = (
    # a service's VMkernel NICs matter only when some are selected: then only the candidates' device and key
    _Cut(b"VirtualNicManagerNetConfig", (_Piece(re.compile(_leaf(b"nicType"))),), unless=b"<selectedVnic>"),
    _Cut(b"candidateVnic", (_Piece(re.compile(_leaf(b"device") + _leaf(b"key"))),)),
    # a service: its key and whether it runs (not its label, rules, policy, package)
    _Cut(b"service", (_Piece(re.compile(_leaf(b"key"))), _Piece(re.compile(_leaf(b"running", 16)), b"<running>"))),
    # a port group: its name (not its ports, computed policy, VLAN)
    _Cut(b"HostPortGroup", (_Piece(re.compile(b"<spec>" + _leaf(b"name")), b"<spec><name>", b"</spec>"),)),
    # a TCP/IP stack: its key and default gateways (not its DNS, routes, connections, congestion control)
    _Cut(b"HostNetStackInstance", (
        _Piece(re.compile(_leaf(b"key"))),
        _Piece(re.compile(rb"<ipRouteConfig(?: [^<>]{0,256})?>(?:<(\w{1,64})>[^<]{0,%d}</\1>)*</ipRouteConfig>"
                          % MAX_TEXT), b"<ipRouteConfig"),
    )),
)


def _has_declarations(data: bytes) -> bool:
    """Whether ``data`` has a comment, CDATA section or DTD (``<!``); ``!`` is rare, so looked for first."""
    return b"!" in data and b"<!" in data


def trim_unread(data: bytes) -> bytes:
    """``data`` with what the reader never looks at cut away, before it is parsed (:data:`_CUTS`).

    Every service's ``netConfig`` repeats each VMkernel NIC whole as a candidate (some 45% of a host's elements, of
    which a selected one's device and key are read); a service, a port group and a TCP/IP stack carry rules,
    policies, ports, DNS and routes, not read either. Cutting them in the bytes (a few ``find`` per element) costs a
    fraction of parsing them. Only elements of vCenter's shape are cut (no prefix, fields in the WSDL's order), and
    only in a document with no comment, CDATA section or DTD (``<!``); anything else is parsed whole, as it came. A
    trimmed answer that does not parse is parsed again as it came (:func:`read_page`).
    """
    if _has_declarations(data):
        return data
    for cut in _CUTS:
        data = _cut(data, cut)
    return data


def _cut(data: bytes, cut: _Cut) -> bytes:
    open_tag, close_tag = b"<" + cut.tag + b">", b"</" + cut.tag + b">"
    find = data.find
    view = memoryview(data)
    parts: list[bytes | memoryview] = []
    position = 0
    while (start := find(open_tag, position)) >= 0:
        end = find(close_tag, start)
        if end < 0:
            break
        unwanted = cut.unless and find(cut.unless, start, end) >= 0
        kept = None if unwanted else _pieces(data, cut, start + len(open_tag), end)
        if kept is None:
            parts.append(view[position:end])
        else:
            parts += (view[position:start], open_tag, *kept)
        position = end
    if not parts:
        return data
    parts.append(view[position:])
    return b"".join(parts)


def _pieces(data: bytes, cut: _Cut, content: int, end: int) -> list[bytes] | None:
    """What is kept of the element whose content spans ``content``..``end`` (None: a piece is missing)."""
    kept: list[bytes] = []
    position = content
    for piece in cut.pieces:
        at = data.find(piece.at, position, end) if piece.at else position
        found = piece.keep.match(data, at, end) if at >= 0 else None
        if found is None:
            return None
        kept.append(found.group() + piece.closing if piece.closing else found.group())
        position = found.end()
    return kept


# ------------------------------------------------------------------------------------------ values

_LOCAL_NAMES = (
    "returnval", "token", "objects", "obj", "propSet", "name", "val", "ManagedObjectReference",
    "device", "key", "portgroup", "spec", "ip", "mac", "mtu", "netStackInstanceKey", "distributedVirtualPort",
    "portgroupKey", "ipRouteSpec", "ipRouteConfig", "defaultGateway", "ipV6DefaultGateway", "ipAddress",
    "subnetMask", "ipV6Config", "ipV6Address", "prefixLength", "nicType", "candidateVnic", "selectedVnic",
    "service", "running",
)
Tags = Mapping[str, str]  # local name -> qualified tag in one namespace


@lru_cache(maxsize=8)
def _tags(namespace: str) -> Tags:
    return {name: namespace + name for name in _LOCAL_NAMES}


def _namespace(element: ET.Element) -> str:
    """``{urn:vim25}`` for ``{urn:vim25}name`` ('' for a tag without one)."""
    tag = element.tag
    return tag[: tag.find("}") + 1] if tag.startswith("{") else ""


def _checked(text: str) -> str:
    if len(text) > MAX_TEXT:
        raise AnswerShapeError(f"a value of {len(text)} characters (at most {MAX_TEXT})")
    return text


def _text(element: ET.Element) -> str:
    return _checked(element.text or "")


def _text_of(parent: ET.Element, tag: str) -> str | None:
    """The text of the first child ``tag`` ('' when empty), None when there is none."""
    text = parent.findtext(tag)
    if text is not None and len(text) > MAX_TEXT:
        raise AnswerShapeError(f"a value of {len(text)} characters (at most {MAX_TEXT})")
    return text


def _int_of(parent: ET.Element, tag: str) -> int | None:
    text = _text_of(parent, tag)
    if text is None:
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise AnswerShapeError(f"{local_name(tag)}: not an integer: {text[:40]!r}") from None
    if not -MAX_INT <= value < MAX_INT:
        raise AnswerShapeError(f"{local_name(tag)}: an integer out of range: {value}")
    return value


def _bool(text: str) -> bool:
    value = text.strip()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise AnswerShapeError(f"not a boolean: {value[:40]!r}")


def _ref(element: ET.Element) -> ManagedObjectReference:
    kind, value = element.get("type") or "", element.text or ""
    if len(kind) > MAX_TEXT or len(value) > MAX_TEXT:
        raise AnswerShapeError(f"a reference of {len(kind) + len(value)} characters (at most {MAX_TEXT} each)")
    return ManagedObjectReference(kind, value)


# ------------------------------------------------------------------------------------------ objects


def _object(content: ET.Element, tags: Tags) -> RawObject:
    obj = content.find(tags["obj"])
    if obj is None:
        raise AnswerShapeError("an object without its reference")
    ref = _ref(obj)
    props: dict[str, Any] = {}
    for prop in content.findall(tags["propSet"]):
        path = _text_of(prop, tags["name"])
        val = prop.find(tags["val"])
        if path is not None and val is not None:
            props[path] = READERS.get(path, _read_text)(val, tags)
    return RawObject(type=ref.type, id=ref.value, props=props)


def _read_text(val: ET.Element, tags: Tags) -> str:
    return _text(val)


def _read_bool(val: ET.Element, tags: Tags) -> bool:
    return _bool(_text(val))


def _read_ref(val: ET.Element, tags: Tags) -> ManagedObjectReference:
    return _ref(val)


def _read_refs(val: ET.Element, tags: Tags) -> list[ManagedObjectReference]:
    return [_ref(e) for e in val.findall(tags["ManagedObjectReference"])]


def _read_vnics(val: ET.Element, tags: Tags) -> list[HostVirtualNic]:
    return [
        HostVirtualNic(device=_text_of(e, tags["device"]), key=_text_of(e, tags["key"]),
                       portgroup=_text_of(e, tags["portgroup"]), spec=_vnic_spec(e.find(tags["spec"]), tags))
        for e in val
    ]


def _vnic_spec(spec: ET.Element | None, tags: Tags) -> HostVirtualNicSpec | None:
    if spec is None:
        return None
    dv_port = spec.find(tags["distributedVirtualPort"])
    route_spec = spec.find(tags["ipRouteSpec"])
    return HostVirtualNicSpec(
        ip=_ip_config(spec.find(tags["ip"]), tags),
        mac=_text_of(spec, tags["mac"]),
        mtu=_int_of(spec, tags["mtu"]),
        netStackInstanceKey=_text_of(spec, tags["netStackInstanceKey"]),
        distributedVirtualPort=(None if dv_port is None else
                                DistributedVirtualSwitchPortConnection(_text_of(dv_port, tags["portgroupKey"]))),
        ipRouteSpec=(None if route_spec is None else
                     HostVirtualNicIpRouteSpec(_route_config(route_spec.find(tags["ipRouteConfig"]), tags))),
    )


def _ip_config(ip: ET.Element | None, tags: Tags) -> HostIpConfig | None:
    if ip is None:
        return None
    v6 = ip.find(tags["ipV6Config"])
    return HostIpConfig(
        ipAddress=_text_of(ip, tags["ipAddress"]),
        subnetMask=_text_of(ip, tags["subnetMask"]),
        ipV6Config=None if v6 is None else HostIpConfigIpV6AddressConfiguration(tuple(
            HostIpConfigIpV6Address(ipAddress=_text_of(a, tags["ipAddress"]),
                                    prefixLength=_int_of(a, tags["prefixLength"]))
            for a in v6.findall(tags["ipV6Address"])
        )),
    )


def _route_config(route: ET.Element | None, tags: Tags) -> HostIpRouteConfig | None:
    if route is None:
        return None
    return HostIpRouteConfig(defaultGateway=_text_of(route, tags["defaultGateway"]),
                             ipV6DefaultGateway=_text_of(route, tags["ipV6DefaultGateway"]))


def _read_stacks(val: ET.Element, tags: Tags) -> list[HostNetStackInstance]:
    return [
        HostNetStackInstance(key=_text_of(e, tags["key"]),
                             ipRouteConfig=_route_config(e.find(tags["ipRouteConfig"]), tags))
        for e in val
    ]


def _read_portgroups(val: ET.Element, tags: Tags) -> list[HostPortGroup]:
    groups = []
    for element in val:
        spec = element.find(tags["spec"])
        groups.append(HostPortGroup(None if spec is None else HostPortGroupSpec(_text_of(spec, tags["name"]))))
    return groups


def _read_net_configs(val: ET.Element, tags: Tags) -> list[VirtualNicManagerNetConfig]:
    configs = []
    for element in val:
        selected = tuple(_text(e) for e in element.findall(tags["selectedVnic"]))
        # a candidate only names the device of a selected key: with none selected, none is read
        candidates = tuple(
            HostVirtualNic(device=_text_of(c, tags["device"]), key=_text_of(c, tags["key"]))
            for c in element.findall(tags["candidateVnic"])
        ) if selected else ()
        configs.append(VirtualNicManagerNetConfig(nicType=_text_of(element, tags["nicType"]),
                                                  candidateVnic=candidates, selectedVnic=selected))
    return configs


def _read_services(val: ET.Element, tags: Tags) -> HostServiceInfo:
    services = []
    for element in val.findall(tags["service"]):
        running = _text_of(element, tags["running"])
        services.append(HostService(key=_text_of(element, tags["key"]),
                                    running=None if running is None else _bool(running)))
    return HostServiceInfo(tuple(services))


READERS: Mapping[str, Callable[[ET.Element, Tags], Any]] = {
    "parent": _read_ref,
    "configManager.serviceSystem": _read_ref,
    "network": _read_refs,
    "vm": _read_refs,
    "runtime.inMaintenanceMode": _read_bool,
    "config.network.vnic": _read_vnics,
    "config.network.netStackInstance": _read_stacks,
    "config.network.portgroup": _read_portgroups,
    "config.virtualNicManagerInfo.netConfig": _read_net_configs,
    "config.service": _read_services,
}
TEXT_PATHS = frozenset({"name", "runtime.connectionState", "config.lockdownMode"})  # read as text
