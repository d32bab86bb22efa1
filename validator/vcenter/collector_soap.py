"""The host retrieval at the SOAP level: ``RetrievePropertiesEx`` and its ``ContinueRetrievePropertiesEx`` pages.

pyVmomi builds a data object for every element of an answer (a page of 500 hosts is some 100,000 elements, most
of them the full VMkernel NICs repeated under every service's ``candidateVnic``), which costs many times what the
server takes to send it. So the two calls are posted as SOAP bodies of their own, on the cookie of the pyVmomi
session (as :mod:`validator.vcenter.esxcli_soap` posts esxcli), and each answer is read with ElementTree by local
name into :class:`~validator.vcenter.mapping.RawObject` records whose values are the small records of
:mod:`validator.vcenter.vim_records`: only what the mapping reads is looked at.

Answers are untrusted: a page is at most :data:`MAX_PAGE` bytes with no DTD, a value at most :data:`MAX_TEXT`
characters, numbers are bounded, and the retrieval at most :data:`MAX_PAGES` pages. SOAP faults become the
project's typed errors (:func:`retrieval_error`).
"""

from __future__ import annotations

import gc
import http.client
import re
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from validator.errors import (
    VCenterApiError,
    VCenterAuthError,
    VCenterCallTimeout,
    VCenterError,
    VCenterSessionError,
)
from validator.esxi.diag_ping import local_name
from validator.vcenter.connect import map_error, ssl_context
from validator.vcenter.esxcli_soap import SOAP_PATH, SoapFault, read_fault
from validator.vcenter.mapping import RawObject
from validator.vcenter.settings import VCenterSettings
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
MAX_PAGES = 10_000  # pages of one retrieval
MAX_TEXT = 4096  # characters of one value
MAX_INT = 1 << 31
PEEK_BYTES = 64 * 1024  # bytes of an answer's head searched for its page token
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    f'xmlns:xsi="{_XSI}"><soapenv:Body>'
)
_TAIL = "</soapenv:Body></soapenv:Envelope>"


class AnswerShapeError(VCenterApiError):
    """A retrieval answer that is not what vCenter sends (not XML, a DTD, too large, a bad value)."""


# ------------------------------------------------------------------------------------------ requests


@dataclass(frozen=True)
class Traversal:
    """A TraversalSpec: from objects of ``type`` along ``path``, then the traversals named in ``then``."""

    name: str
    type: str
    path: str
    then: tuple[Traversal | str, ...] = ()  # a str names a traversal already declared (a SelectionSpec)


@dataclass(frozen=True)
class FilterSpec:
    """A PropertyFilterSpec rooted at one object: what to walk, and which properties of which types to read."""

    root: ManagedObjectReference
    traversals: tuple[Traversal, ...]
    properties: Mapping[str, Sequence[str]]  # managed object type -> property paths
    skip_root: bool = True
    report_missing: bool = False


def _selection(spec: Traversal | str) -> str:
    if isinstance(spec, str):
        return f'<selectSet><name>{escape(spec)}</name></selectSet>'
    inner = "".join(_selection(s) for s in spec.then)
    return (
        f'<selectSet xsi:type="TraversalSpec"><name>{escape(spec.name)}</name><type>{escape(spec.type)}</type>'
        f"<path>{escape(spec.path)}</path><skip>false</skip>{inner}</selectSet>"
    )


def _this(ref: ManagedObjectReference, element: str = "_this") -> str:
    return f"<{element} type={quoteattr(ref.type)}>{escape(ref.value)}</{element}>"


def filter_spec_xml(spec: FilterSpec) -> str:
    """The ``specSet`` element of ``spec`` (element order as the WSDL's sequences)."""
    props = "".join(
        f"<propSet><type>{escape(kind)}</type><all>false</all>"
        + "".join(f"<pathSet>{escape(p)}</pathSet>" for p in paths)
        + "</propSet>"
        for kind, paths in spec.properties.items()
    )
    traversals = "".join(_selection(t) for t in spec.traversals)
    skip = "true" if spec.skip_root else "false"
    report = "true" if spec.report_missing else "false"
    return (
        f"<specSet>{props}<objectSet>{_this(spec.root, 'obj')}<skip>{skip}</skip>{traversals}</objectSet>"
        f"<reportMissingObjectsInResults>{report}</reportMissingObjectsInResults></specSet>"
    )


def retrieve_body(collector: ManagedObjectReference, spec: FilterSpec, max_objects: int) -> bytes:
    """The body of ``PropertyCollector.RetrievePropertiesEx`` for ``spec``, pages of ``max_objects``."""
    call = (
        f'<RetrievePropertiesEx xmlns="urn:vim25">{_this(collector)}{filter_spec_xml(spec)}'
        f"<options><maxObjects>{int(max_objects)}</maxObjects></options></RetrievePropertiesEx>"
    )
    return f"{_HEAD}{call}{_TAIL}".encode()


def continue_body(collector: ManagedObjectReference, token: str) -> bytes:
    """The body of ``PropertyCollector.ContinueRetrievePropertiesEx`` for the page ``token``."""
    call = (
        f'<ContinueRetrievePropertiesEx xmlns="urn:vim25">{_this(collector)}<token>{escape(token)}</token>'
        "</ContinueRetrievePropertiesEx>"
    )
    return f"{_HEAD}{call}{_TAIL}".encode()


# ------------------------------------------------------------------------------------------ answers


@dataclass(frozen=True)
class Page:
    """One answer: its objects, and the token of the next page (None on the last)."""

    objects: list[RawObject]
    token: str | None = None


def read_page(data: bytes) -> Page:
    """A ``RetrievePropertiesEx`` / ``ContinueRetrievePropertiesEx`` answer; a fault as a typed error."""
    answer = _response(data)
    returnval = _first(answer, "returnval")
    if returnval is None:  # vCenter answers an empty result with no returnval
        return Page([])
    objects = []
    token = None
    for child in returnval:
        name = _name(child.tag)
        if name == "objects":
            objects.append(_object(child))
        elif name == "token":
            token = _text(child) or None
    return Page(objects, token)


def retrieval_error(fault: SoapFault, where: str, username: str) -> VCenterError:
    """The project's error for a fault of the retrieval (one line, naming the vCenter)."""
    said = f"{fault.kind}: {fault.message}" if fault.message else fault.kind
    if fault.kind == "NotAuthenticated":
        return VCenterSessionError(f"{where}: session no longer valid ({said})")
    if fault.kind == "NoPermission":
        return VCenterAuthError(f"{where}: user {username} lacks a privilege ({fault.privilege})")
    return VCenterApiError(f"{where}: {said}")


class SoapFaultError(VCenterApiError):
    """A SOAP fault in a retrieval answer (the caller names the vCenter: :func:`retrieval_error`)."""

    def __init__(self, fault: SoapFault) -> None:
        super().__init__(f"{fault.kind}: {fault.message}")
        self.fault = fault


def _response(data: bytes) -> ET.Element:
    if len(data) > MAX_PAGE:
        raise AnswerShapeError(f"an answer of {len(data)} bytes (at most {MAX_PAGE})")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise AnswerShapeError("the answer carries a document type declaration")
    try:
        envelope = ET.fromstring(data)  # noqa: S314 - DTDs refused above, size bounded
    except ET.ParseError as exc:
        raise AnswerShapeError(f"not a SOAP answer: not XML ({exc})") from None
    body = _first(envelope, "Body")
    first = next(iter(body), None) if body is not None else None
    if first is None:
        raise AnswerShapeError("not a SOAP answer: no Body element")
    if _name(first.tag) == "Fault":
        raise SoapFaultError(read_fault(first))
    return first


_NAMES: dict[str, str] = {}  # qualified tag -> local name (bounded: vCenter uses a few dozen)


def _name(tag: str) -> str:
    name = _NAMES.get(tag)
    if name is None:
        name = local_name(tag)
        if len(_NAMES) < 1024:
            _NAMES[tag] = name
    return name


def _first(element: ET.Element, name: str) -> ET.Element | None:
    for child in element:
        if _name(child.tag) == name:
            return child
    return None


def _text(element: ET.Element) -> str:
    text = element.text or ""
    if len(text) > MAX_TEXT:
        raise AnswerShapeError(f"a value of {len(text)} characters (at most {MAX_TEXT})")
    return text


def _int(element: ET.Element) -> int:
    text = _text(element).strip()
    try:
        value = int(text)
    except ValueError:
        raise AnswerShapeError(f"not an integer: {text[:40]!r}") from None
    if not -MAX_INT <= value < MAX_INT:
        raise AnswerShapeError(f"an integer out of range: {value}")
    return value


def _bool(element: ET.Element) -> bool:
    text = _text(element).strip()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise AnswerShapeError(f"not a boolean: {text[:40]!r}")


def _ref(element: ET.Element) -> ManagedObjectReference:
    return ManagedObjectReference(type=(element.get("type") or "")[:MAX_TEXT], value=_text(element))


def _refs(val: ET.Element) -> list[ManagedObjectReference]:
    return [_ref(e) for e in val if _name(e.tag) == "ManagedObjectReference"]


def _object(content: ET.Element) -> RawObject:
    obj: ManagedObjectReference | None = None
    props: dict[str, Any] = {}
    for child in content:
        name = _name(child.tag)
        if name == "obj":
            obj = _ref(child)
        elif name == "propSet":
            path, val = None, None
            for part in child:
                part_name = _name(part.tag)
                if part_name == "name":
                    path = _text(part)
                elif part_name == "val":
                    val = part
            if path is not None and val is not None:
                reader = _READERS.get(path, _read_text)
                props[path] = reader(val)
    if obj is None:
        raise AnswerShapeError("an object without its reference")
    return RawObject(type=obj.type, id=obj.value, props=props)


def _read_text(val: ET.Element) -> str:
    return _text(val)


def _read_bool(val: ET.Element) -> bool:
    return _bool(val)


def _read_vnics(val: ET.Element) -> list[HostVirtualNic]:
    return [_vnic(e) for e in val]


def _vnic(element: ET.Element) -> HostVirtualNic:
    device = key = portgroup = None
    spec = None
    for child in element:
        name = _name(child.tag)
        if name == "device":
            device = _text(child)
        elif name == "key":
            key = _text(child)
        elif name == "portgroup":
            portgroup = _text(child)
        elif name == "spec":
            spec = _vnic_spec(child)
    return HostVirtualNic(device=device, key=key, portgroup=portgroup, spec=spec)


def _vnic_spec(element: ET.Element) -> HostVirtualNicSpec:
    ip = mac = mtu = stack = dv_port = route_spec = None
    for child in element:
        name = _name(child.tag)
        if name == "ip":
            ip = _ip_config(child)
        elif name == "mac":
            mac = _text(child)
        elif name == "mtu":
            mtu = _int(child)
        elif name == "netStackInstanceKey":
            stack = _text(child)
        elif name == "distributedVirtualPort":
            key = _first(child, "portgroupKey")
            dv_port = DistributedVirtualSwitchPortConnection(_text(key) if key is not None else None)
        elif name == "ipRouteSpec":
            route = _first(child, "ipRouteConfig")
            route_spec = HostVirtualNicIpRouteSpec(_route_config(route) if route is not None else None)
    return HostVirtualNicSpec(ip=ip, mac=mac, mtu=mtu, netStackInstanceKey=stack, distributedVirtualPort=dv_port,
                              ipRouteSpec=route_spec)


def _ip_config(element: ET.Element) -> HostIpConfig:
    address = mask = v6 = None
    for child in element:
        name = _name(child.tag)
        if name == "ipAddress":
            address = _text(child)
        elif name == "subnetMask":
            mask = _text(child)
        elif name == "ipV6Config":
            v6 = HostIpConfigIpV6AddressConfiguration(
                tuple(_ipv6_address(e) for e in child if _name(e.tag) == "ipV6Address"))
    return HostIpConfig(ipAddress=address, subnetMask=mask, ipV6Config=v6)


def _ipv6_address(element: ET.Element) -> HostIpConfigIpV6Address:
    address, prefix = None, None
    for child in element:
        name = _name(child.tag)
        if name == "ipAddress":
            address = _text(child)
        elif name == "prefixLength":
            prefix = _int(child)
    return HostIpConfigIpV6Address(ipAddress=address, prefixLength=prefix)


def _route_config(element: ET.Element) -> HostIpRouteConfig:
    gateway = gateway6 = None
    for child in element:
        name = _name(child.tag)
        if name == "defaultGateway":
            gateway = _text(child)
        elif name == "ipV6DefaultGateway":
            gateway6 = _text(child)
    return HostIpRouteConfig(defaultGateway=gateway, ipV6DefaultGateway=gateway6)


def _read_stacks(val: ET.Element) -> list[HostNetStackInstance]:
    stacks = []
    for element in val:
        key, route = None, None
        for child in element:
            name = _name(child.tag)
            if name == "key":
                key = _text(child)
            elif name == "ipRouteConfig":
                route = _route_config(child)
        stacks.append(HostNetStackInstance(key=key, ipRouteConfig=route))
    return stacks


def _read_portgroups(val: ET.Element) -> list[HostPortGroup]:
    groups = []
    for element in val:
        spec = _first(element, "spec")
        name = _first(spec, "name") if spec is not None else None
        groups.append(HostPortGroup(
            spec=HostPortGroupSpec(_text(name) if name is not None else None) if spec is not None else None))
    return groups


def _read_net_configs(val: ET.Element) -> list[VirtualNicManagerNetConfig]:
    configs = []
    for element in val:
        nic_type = None
        candidates: list[ET.Element] = []
        selected: list[str] = []
        for child in element:
            name = _name(child.tag)
            if name == "nicType":
                nic_type = _text(child)
            elif name == "selectedVnic":
                selected.append(_text(child))
            elif name == "candidateVnic":
                candidates.append(child)
        # a candidate matters only to name the device of a selected key: none selected, none read
        vnics = tuple(_candidate(c) for c in candidates) if selected else ()
        configs.append(VirtualNicManagerNetConfig(nicType=nic_type, candidateVnic=vnics, selectedVnic=tuple(selected)))
    return configs


def _candidate(element: ET.Element) -> HostVirtualNic:
    device = key = None
    for child in element:
        name = _name(child.tag)
        if name == "device":
            device = _text(child)
        elif name == "key":
            key = _text(child)
            if device is not None:
                break
    return HostVirtualNic(device=device, key=key)


def _read_services(val: ET.Element) -> HostServiceInfo:
    services = []
    for element in val:
        if _name(element.tag) != "service":
            continue
        key, running = None, None
        for child in element:
            name = _name(child.tag)
            if name == "key":
                key = _text(child)
            elif name == "running":
                running = _bool(child)
                if key is not None:
                    break  # the fields after it are not read
        services.append(HostService(key=key, running=running))
    return HostServiceInfo(tuple(services))


def _read_ref(val: ET.Element) -> ManagedObjectReference:
    return _ref(val)


_READERS: Mapping[str, Callable[[ET.Element], Any]] = {
    "parent": _read_ref,
    "configManager.serviceSystem": _read_ref,
    "network": _refs,
    "vm": _refs,
    "runtime.inMaintenanceMode": _read_bool,
    "config.network.vnic": _read_vnics,
    "config.network.netStackInstance": _read_stacks,
    "config.network.portgroup": _read_portgroups,
    "config.virtualNicManagerInfo.netConfig": _read_net_configs,
    "config.service": _read_services,
}


def read_pages(pages: Iterable[bytes]) -> list[RawObject]:
    """Every object of a sequence of answers (for tests and samples)."""
    return [o for data in pages for o in read_page(data).objects]


def peek_token(data: bytes, limit: int = PEEK_BYTES) -> str | None:
    """The page token, read from the head of an answer only (it comes before the objects: RetrieveResult is
    ``token`` then ``objects``); None when the head shows no token, or is not what an answer starts with."""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    try:
        for offset in range(0, min(len(data), limit), 4096):
            parser.feed(data[offset:offset + 4096])
            for event_and_element in parser.read_events():
                event, element = event_and_element[0], event_and_element[-1]
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


# ------------------------------------------------------------------------------------------ transport


class _GcPause:
    """Who holds the collector paused, so that the last to leave resumes it (and only if it ran before)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.resume = False


_GC_PAUSE = _GcPause()


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused for the block (the retrieval's burst of acyclic allocations: a page's
    element tree and its records), then resumed as it was; safe when retrievals of several threads overlap.

    Without the pause, the collector runs hundreds of times over one retrieval of 500 hosts and walks the growing
    trees each time (about a third of the retrieval's time)."""
    pause = _GC_PAUSE
    with pause.lock:
        if pause.holders == 0:
            pause.resume = gc.isenabled()
            gc.disable()
        pause.holders += 1
    try:
        yield
    finally:
        with pause.lock:
            pause.holders -= 1
            if pause.holders == 0 and pause.resume:
                gc.enable()


Watcher = Callable[[Any, str, bytes, bytes], None]
WATCHERS: list[Watcher] = []  # called with (service instance, method, request, answer) after every call


class Connection:
    """One keep-alive HTTPS connection to vCenter's SOAP endpoint, carrying the pages of one retrieval.

    A request is sent (:meth:`send`) before the previous answer is read, and its answer fetched later
    (:meth:`receive`): vCenter prepares the next page while this one is parsed. Answers are read whole, at
    most :data:`MAX_PAGE` bytes; socket operations time out as pyVmomi's do (``connect_timeout``).
    """

    def __init__(self, settings: VCenterSettings, service_instance: Any, cookie: str, soap_action: str) -> None:
        self._settings = settings
        self._service_instance = service_instance
        self._headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": soap_action, "Cookie": cookie}
        self._http = http.client.HTTPSConnection(settings.host, settings.port, timeout=settings.connect_timeout,
                                                 context=ssl_context(settings))
        self._sent: tuple[str, bytes] | None = None
        self.calls = 0

    def send(self, method: str, body: bytes) -> None:
        try:
            self._http.request("POST", SOAP_PATH, body, self._headers)
        except Exception as exc:
            raise self._error(method, exc) from None
        self._sent = (method, body)

    def receive(self) -> bytes:
        """The answer to the request sent (a fault raised as :class:`SoapFaultError`, else its bytes)."""
        if self._sent is None:
            raise AssertionError("receive() before send()")
        method, body = self._sent
        self._sent = None
        try:
            response = self._http.getresponse()
            length = response.getheader("Content-Length")
            if length is not None and length.strip().isdigit() and int(length) > MAX_PAGE:
                raise AnswerShapeError(f"an answer of {int(length)} bytes (at most {MAX_PAGE})")
            data = response.read(MAX_PAGE + 1)
            if len(data) > MAX_PAGE:
                raise AnswerShapeError(f"an answer of more than {MAX_PAGE} bytes")
            if not response.isclosed():
                response.read()  # the end of a chunked answer
        except VCenterError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise self._error(method, exc) from None
        self.calls += 1
        for watcher in WATCHERS:
            watcher(self._service_instance, method, body, data)
        if response.status not in (200, 500):
            raise VCenterApiError(f"vCenter {self._settings.endpoint}: HTTP status {response.status} from the SOAP "
                                  f"endpoint ({method})")
        return data

    def close(self) -> None:
        self._http.close()

    def _error(self, method: str, exc: BaseException) -> VCenterError:
        if isinstance(exc, TimeoutError | socket.timeout):
            return VCenterCallTimeout(f"vCenter {self._settings.endpoint}: no answer to {method} within "
                                      f"{self._settings.connect_timeout:.0f}s")
        return map_error(exc, self._settings)


_SOAP_ACTION_RE = re.compile(r"^urn:vim25/[0-9A-Za-z._-]{1,40}$")


def soap_action(service_instance: Any, api_version: str | None) -> str:
    """The ``SOAPAction`` of the session's calls: the API version pyVmomi agreed on with vCenter (so answers are
    of the same version as pyVmomi's), else the version vCenter reports."""
    stub = getattr(service_instance, "_stub", None)
    agreed = str(getattr(stub, "versionId", "") or "").strip('"')
    if _SOAP_ACTION_RE.match(agreed):
        return agreed
    reported = f"urn:vim25/{api_version}"
    if _SOAP_ACTION_RE.match(reported):
        return reported
    raise VCenterApiError("no vSphere API version to call the PropertyCollector with")


def retrieve(connection: Connection, collector: ManagedObjectReference, spec: FilterSpec,
             page_size: int) -> list[RawObject]:
    """Every object of ``spec``: ``RetrievePropertiesEx``, then ``ContinueRetrievePropertiesEx`` while vCenter
    gives a token. The next page is asked for as soon as its token is seen, before this page is parsed."""
    connection.send("RetrievePropertiesEx", retrieve_body(collector, spec, page_size))
    objects: list[RawObject] = []
    for _ in range(MAX_PAGES):
        data = connection.receive()
        ahead = peek_token(data)
        if ahead is not None:
            connection.send("ContinueRetrievePropertiesEx", continue_body(collector, ahead))
        page = read_page(data)
        objects.extend(page.objects)
        if page.token != ahead:
            if ahead is not None:
                raise AnswerShapeError("the page token read ahead is not the answer's")
            connection.send("ContinueRetrievePropertiesEx", continue_body(collector, page.token or ""))
        if page.token is None:
            return objects
    raise AnswerShapeError(f"more than {MAX_PAGES} pages")
