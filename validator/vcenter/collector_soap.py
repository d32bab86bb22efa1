"""The host retrieval at the SOAP level: ``RetrievePropertiesEx`` and its ``ContinueRetrievePropertiesEx`` pages.

pyVmomi builds a data object for every element of an answer (a page of 500 hosts is some 100,000 elements, most
of them the full VMkernel NICs repeated under every service's ``candidateVnic``), which costs many times what the
server takes to send it. So the two calls are posted as SOAP bodies of their own, on the cookie of the pyVmomi
session (as :mod:`validator.vcenter.soap_client` posts esxcli), over one keep-alive HTTPS connection, and each
answer is read by :mod:`validator.vcenter.collector_answer`. The next page is asked for as soon as its token is
seen at the head of an answer, so vCenter prepares it while this one is parsed.

The FilterSpec is described by plain values (:class:`FilterSpec`, :class:`Traversal`) and written as XML here.
SOAP faults become the project's typed errors (:func:`retrieval_error`).
"""

from __future__ import annotations

import gc
import http.client
import re
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from xml.sax.saxutils import escape, quoteattr

from validator.errors import (
    VCenterApiError,
    VCenterAuthError,
    VCenterCallTimeout,
    VCenterError,
    VCenterSessionError,
)
from validator.esxi.diag_ping import one_line
from validator.vcenter.collector_answer import MAX_PAGE, AnswerShapeError, peek_token, read_page
from validator.vcenter.connect import map_error, ssl_context
from validator.vcenter.mapping import RawObject
from validator.vcenter.settings import VCenterSettings
from validator.vcenter.soap import SOAP_HEAD, SOAP_PATH, SOAP_TAIL, SoapFault
from validator.vcenter.vim_records import ManagedObjectReference

MAX_PAGES = 10_000  # pages of one retrieval


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
        f"<propSet><type>{escape(kind)}</type>"
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
    return f"{SOAP_HEAD}{call}{SOAP_TAIL}".encode()


def continue_body(collector: ManagedObjectReference, token: str) -> bytes:
    """The body of ``PropertyCollector.ContinueRetrievePropertiesEx`` for the page ``token``."""
    call = (
        f'<ContinueRetrievePropertiesEx xmlns="urn:vim25">{_this(collector)}<token>{escape(token)}</token>'
        "</ContinueRetrievePropertiesEx>"
    )
    return f"{SOAP_HEAD}{call}{SOAP_TAIL}".encode()


# ------------------------------------------------------------------------------------------ faults


def retrieval_error(fault: SoapFault, where: str, username: str) -> VCenterError:
    """The project's error for a fault of the retrieval (one line, naming the vCenter)."""
    kind = one_line(fault.kind)[:80]
    said = f"{kind}: {fault.message}" if fault.message else kind
    if kind == "NotAuthenticated":
        return VCenterSessionError(f"{where}: session no longer valid ({said})")
    if kind == "NoPermission":
        privilege = f" ({one_line(fault.privilege)[:80]})" if fault.privilege else ""
        return VCenterAuthError(f"{where}: user {username} lacks a privilege{privilege}")
    return VCenterApiError(f"{where}: {said}")


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
        """The bytes of the answer to the request sent: status 200, or 500 with the SOAP fault (read later)."""
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


_SOAP_ACTION_RE = re.compile(r"urn:vim25/[0-9A-Za-z._-]{1,40}")


def soap_action(service_instance: Any, api_version: str | None) -> str:
    """The ``SOAPAction`` of the session's calls: the API version pyVmomi agreed on with vCenter (so answers are
    of the same version as pyVmomi's), else the version vCenter reports."""
    stub = getattr(service_instance, "_stub", None)
    agreed = str(getattr(stub, "versionId", "") or "").strip('"')
    if _SOAP_ACTION_RE.fullmatch(agreed):
        return agreed
    reported = f"urn:vim25/{api_version}"
    if _SOAP_ACTION_RE.fullmatch(reported):
        return reported
    raise VCenterApiError("no vSphere API version to call the PropertyCollector with")


class Channel(Protocol):
    """What :func:`retrieve` needs of a connection (:class:`Connection`)."""

    def send(self, method: str, body: bytes) -> None: ...

    def receive(self) -> bytes: ...


def retrieve(connection: Channel, collector: ManagedObjectReference, spec: FilterSpec,
             page_size: int) -> list[RawObject]:
    """Every object of ``spec``: ``RetrievePropertiesEx``, then ``ContinueRetrievePropertiesEx`` while vCenter
    gives a token (at most :data:`MAX_PAGES` pages). The next page is asked for as soon as its token is seen in
    the head of an answer, before the answer is parsed; a token only the parse finds is followed after it."""
    connection.send("RetrievePropertiesEx", retrieve_body(collector, spec, page_size))
    objects: list[RawObject] = []
    for _ in range(MAX_PAGES):
        data = connection.receive()
        ahead = peek_token(data)
        if ahead is not None:
            connection.send("ContinueRetrievePropertiesEx", continue_body(collector, ahead))
        page = read_page(data)
        if ahead is not None and page.token != ahead:
            raise AnswerShapeError(f"the page token read ahead ({ahead[:40]!r}) is not the answer's "
                                   f"({(page.token or '')[:40]!r})")
        objects.extend(page.objects)
        if page.token is None:
            return objects
        if ahead is None:
            connection.send("ContinueRetrievePropertiesEx", continue_body(collector, page.token))
    raise AnswerShapeError(f"more than {MAX_PAGES} pages")
