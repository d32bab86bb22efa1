"""esxcli through vCenter at the SOAP level: the only place that knows the wire format and pyVmomi's internals.

pyVmomi ships no ``vmodl.reflect`` types, so the two calls esxcli needs are posted as SOAP bodies of their
own, on the cookie of the pyVmomi session that logged in (the way govc and PowerCLI send them):

1. ``HostSystem.RetrieveManagedMethodExecuter`` -> a reference to the host's method executer (its type is
   echoed back, never assumed);
2. ``ReflectManagedMethodExecuter.ExecuteSoap(moid="ha-cli-handler-network-diag", version="urn:vim25/5.0",
   method="vim.EsxCLI.network.diag.ping", argument=[{name, val="<name>value</name>"}])``.

Every argument value is validated (the same rules as the vmkping command line) and XML-escaped twice (once
inside ``val``, once in the body). Each call is bounded by its own timeout. SOAP faults become typed errors
(:class:`~validator.errors.VCenterSessionError` for an expired session, ``VCenterHostError``,
``VCenterPrivilegeError``, ``VCenterCallTimeout``, ``VCenterConnectError``); a session that expired is
logged in again once. pyVmomi is relied on for two things only, checked by a test: the ``_stub`` of a
service instance and the ``cookie`` its stub keeps after login.
"""

from __future__ import annotations

import math
import re
import socket
import ssl
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any, TypeVar
from xml.sax.saxutils import escape

from validator import limits
from validator.errors import (
    CommandValueError,
    VCenterApiError,
    VCenterCallTimeout,
    VCenterConnectError,
    VCenterError,
    VCenterHostError,
    VCenterPrivilegeError,
    VCenterSessionError,
)
from validator.esxi import commands
from validator.esxi.diag_ping import (
    MAX_DOCUMENT,
    AnswerError,
    SoapResult,
    child_text,
    children,
    local_name,
    one_line,
    parse_xml,
)
from validator.models import Family
from validator.prober import Ping
from validator.vcenter.connect import map_error
from validator.vcenter.settings import DEFAULT_PORT as DEFAULT_HTTPS_PORT
from validator.vcenter.settings import VCenterSettings
from validator.vcenter.soap_http import Channel, Exchange, HttpError, Multiplexer, StaleConnection, request_prefix

SOAP_PATH = "/sdk"
SOAP_ACTION = "urn:vim25/7.0"
COOKIE_NAME = "vmware_soap_session"
DIAG_MOID = "ha-cli-handler-network-diag"
DIAG_VERSION = "urn:vim25/5.0"
PING_METHOD = "vim.EsxCLI.network.diag.ping"
MAX_ANSWER = 1 << 20  # bytes of one SOAP answer
SESSION_RETRIES = 3  # times one call is sent again on a new session after vCenter said its session expired
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
SOAP_HEAD = (  # every request body: the envelope around one call
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    f'xmlns:xsi="{_XSI}"><soapenv:Body>'
)
SOAP_TAIL = "</soapenv:Body></soapenv:Envelope>"
_Answer = TypeVar("_Answer")


@dataclass(frozen=True, slots=True)
class MoRef:
    """A managed object reference as vCenter returned it."""

    type: str
    value: str


# ------------------------------------------------------------------------------------------ requests


def _moref(ref: MoRef) -> str:
    return f'<_this type="{escape(ref.type, {chr(34): "&quot;"})}">{escape(ref.value)}</_this>'


def retrieve_executer_body(host_moid: str) -> bytes:
    """The body of ``HostSystem.RetrieveManagedMethodExecuter`` for the host ``host_moid``."""
    this = _moref(MoRef("HostSystem", host_moid))
    call = f'<RetrieveManagedMethodExecuter xmlns="urn:vim25">{this}</RetrieveManagedMethodExecuter>'
    return f"{SOAP_HEAD}{call}{SOAP_TAIL}".encode()


def ping_arguments(ping: Ping, netstack: str) -> list[tuple[str, str]]:
    """``network diag ping`` arguments, in the command's parameter order; CommandValueError for a bad value."""
    address = commands.validate_ip(ping.dst)
    if Family.of(address) is not ping.family:
        raise CommandValueError(f"destination {address} is not {ping.family.value}")
    try:
        count = limits.COUNT.check_int(ping.count)
        interval = limits.INTERVAL.check(ping.interval) if ping.interval else None
        wait = max(1, math.ceil(limits.TIMEOUT.check(ping.timeout))) if ping.timeout else None
        size = limits.PAYLOAD.check_int(ping.size) if ping.size is not None else None
    except ValueError as exc:
        raise CommandValueError(str(exc)) from None
    if not isinstance(ping.df, bool):
        raise CommandValueError(f"df must be a bool, got {ping.df!r}")
    args = [("count", str(count))]
    if ping.df:
        args.append(("df", "true"))
    args += [("host", str(address)), ("interface", commands.validate_vmk(ping.vmk))]
    if interval is not None:
        args.append(("interval", f"{float(interval):.3f}".rstrip("0").rstrip(".")))
    args.append(("ipv6" if ping.family is Family.IPV6 else "ipv4", "true"))
    args.append(("netstack", commands.validate_netstack(netstack)))
    if size is not None:
        args.append(("size", str(size)))
    if wait is not None:
        args.append(("wait", str(wait)))
    return args


def execute_soap_body(executer: MoRef, ping: Ping, netstack: str) -> bytes:
    """The body of ``ExecuteSoap`` running one ``network diag ping``; CommandValueError for a bad value."""
    return _execute_head(executer) + ping_argument_xml(ping, netstack) + _EXECUTE_TAIL


def ping_argument_xml(ping: Ping, netstack: str) -> bytes:
    """The ``argument`` elements of one ping (validated, each ``val`` escaped); CommandValueError for a bad value."""
    return "".join(
        f"<argument><name>{name}</name><val>{escape(f'<{name}>{escape(value)}</{name}>')}</val></argument>"
        for name, value in ping_arguments(ping, netstack)
    ).encode()


def _execute_head(executer: MoRef) -> bytes:
    return (f'{SOAP_HEAD}<ExecuteSoap xmlns="urn:vim25">{_moref(executer)}<moid>{DIAG_MOID}</moid>'
            f"<version>{DIAG_VERSION}</version><method>{PING_METHOD}</method>").encode()


_EXECUTE_TAIL = f"</ExecuteSoap>{SOAP_TAIL}".encode()


class ExecuteSoapBodies:
    """``ExecuteSoap`` bodies, each distinct ping's arguments validated and escaped once.

    Every source host sends the same pings to a peer (same address, same vmk names, same sizes), so a run's
    bodies differ only in the executer: its part is built once per host, each ping's once per run. Thread-safe
    (a race builds the same bytes twice).
    """

    def __init__(self, netstack: str) -> None:
        self._netstack = netstack
        self._arguments: dict[Ping, bytes] = {}
        self._heads: dict[MoRef, bytes] = {}

    def body(self, executer: MoRef, ping: Ping) -> bytes:
        """The body running ``ping`` on ``executer``'s host; CommandValueError for a bad value (never cached)."""
        arguments = self._arguments.get(ping)
        if arguments is None:
            arguments = self._arguments[ping] = ping_argument_xml(ping, self._netstack)
        head = self._heads.get(executer)
        if head is None:
            head = self._heads[executer] = _execute_head(executer)
        return head + arguments + _EXECUTE_TAIL


# ------------------------------------------------------------------------------------------ answers


@dataclass(frozen=True, slots=True)
class SoapFault:
    """A SOAP fault: vim type (``NotAuthenticated``, ``HostNotConnected``...), message, privilege if named."""

    kind: str
    message: str
    privilege: str | None = None


def read_answer(data: bytes) -> ET.Element:
    """The response element in a SOAP envelope; the fault as a typed error (:func:`fault_error`)."""
    try:
        envelope = parse_xml(data.decode("utf-8", errors="replace"))
    except AnswerError as exc:
        raise VCenterApiError(f"not a SOAP answer: {exc}") from None
    body = next(children(envelope, "Body"), None)
    first = next(iter(body), None) if body is not None else None
    if first is None:
        raise VCenterApiError("not a SOAP answer: no Body element")
    if local_name(first.tag) == "Fault":
        raise fault_error(read_fault(first))
    return first


def read_fault(fault: ET.Element) -> SoapFault:
    """A SOAP ``Fault`` element -> its vim type, message and privilege."""
    message = child_text(fault, "faultstring") or ""
    detail = next(children(fault, "detail"), None)
    kind, privilege = "", None
    if detail is not None and (first := next(iter(detail), None)) is not None:
        declared = first.get(f"{{{_XSI}}}type")
        kind = declared.rpartition(":")[2] if declared else local_name(first.tag).removesuffix("Fault")
        privilege = next((e.text.strip() for e in first.iter() if local_name(e.tag) == "privilegeId" and e.text), None)
    return SoapFault(kind or "SoapFault", one_line(message), privilege)


def fault_error(fault: SoapFault) -> VCenterError:
    """The project's error for a SOAP fault (one line; the host and vCenter are named by the caller)."""
    said = f"{fault.kind}: {fault.message}" if fault.message else fault.kind
    if fault.kind == "NotAuthenticated":
        return VCenterSessionError(f"session no longer valid ({said})")
    if fault.kind == "NoPermission":
        privilege = f"privilege {fault.privilege}" if fault.privilege else "a privilege"
        return VCenterPrivilegeError(f"the vCenter user lacks {privilege} to run esxcli on the host ({said})",
                                     fault.privilege)
    if fault.kind in ("HostNotConnected", "HostNotReachable", "NotSupportedHost", "ManagedObjectNotFound"):
        return VCenterHostError(f"vCenter cannot run esxcli on the host ({said})")
    return VCenterApiError(said)


def executer_from(answer: ET.Element) -> MoRef:
    """The ``returnval`` of ``RetrieveManagedMethodExecuter``: the executer's type and id, as given."""
    ref = next(children(answer, "returnval"), None)
    value = (ref.text or "").strip() if ref is not None else ""
    kind = (ref.get("type") or "").strip() if ref is not None else ""
    if not value or not kind or len(value) > 200 or len(kind) > 100:
        raise VCenterApiError("RetrieveManagedMethodExecuter answered no method executer")
    return MoRef(kind, value)


def soap_result_from(answer: ET.Element) -> SoapResult:
    """The ``returnval`` of ``ExecuteSoap``: its ``response``, or its ``fault`` message and detail."""
    ret = next(children(answer, "returnval"), None)
    if ret is None:
        return SoapResult(fault_msg="ExecuteSoap answered no result")
    response = child_text(ret, "response")
    fault = next(children(ret, "fault"), None)
    if fault is not None and not response:
        return SoapResult(fault_msg=child_text(fault, "faultMsg") or "", fault_detail=child_text(fault, "faultDetail"))
    if response is None:
        return SoapResult(fault_msg="ExecuteSoap answered neither a response nor a fault")
    return SoapResult(response=response)


# The answer of ExecuteSoap in the one shape the simulator and a plain SOAP stack write: the envelope holds
# nothing but the escaped response document. Read without building the envelope's tree; anything else (a
# prefix, a fault, a character reference other than those Go's and common escapers write, a control character,
# a carriage return the XML parser would normalise) takes the full parse, so both ways read every answer alike.
_PLAIN_RESULT = re.compile(
    rb'<\?xml version="1\.0" encoding="UTF-8"\?>\s*'
    rb'<soapenv:Envelope(?: [A-Za-z:]+="[^"<>&]*")* xmlns:soapenv="http://schemas\.xmlsoap\.org/soap/envelope/"'
    rb'(?: [A-Za-z:]+="[^"<>&]*")*>\s*<soapenv:Body>\s*<ExecuteSoapResponse xmlns="urn:vim25">\s*<returnval>\s*'
    rb"<response>([^<]*)</response>\s*</returnval>\s*</ExecuteSoapResponse>\s*</soapenv:Body>\s*</soapenv:Envelope>\s*"
)
_CONTROL = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])  # not XML characters; \r is normalised
_NOT_PLAIN = (b"\r", b"\xef\xbf\xbe", b"\xef\xbf\xbf", b"]]>")  # a CR, U+FFFE, U+FFFF, a CDATA end
_REFERENCES = ((b"&lt;", b"<"), (b"&gt;", b">"), (b"&quot;", b'"'), (b"&apos;", b"'"), (b"&#34;", b'"'),
               (b"&#39;", b"'"), (b"&#x9;", b"\t"), (b"&#xA;", b"\n"), (b"&#xD;", b"\r"))  # and &amp;, last


def _unescaped(text: bytes) -> str | None:
    """Escaped character data as the XML parser reads it, or None when it holds anything else than the
    references above and &amp; (or is not UTF-8, or holds a character the parser refuses or changes)."""
    if len(text.translate(None, _CONTROL)) != len(text) or any(bad in text for bad in _NOT_PLAIN):
        return None
    for reference, character in _REFERENCES:
        if reference in text:
            text = text.replace(reference, character)
    if text.count(b"&") != text.count(b"&amp;"):
        return None  # another reference, or a bare &
    try:
        return text.replace(b"&amp;", b"&").decode("utf-8")
    except UnicodeDecodeError:
        return None


def execute_soap_result(data: bytes) -> SoapResult:
    """The result of an ``ExecuteSoap`` answer (:func:`soap_result_from` of :func:`read_answer`, faster)."""
    match = _PLAIN_RESULT.fullmatch(data) if len(data) <= MAX_DOCUMENT else None
    if match is not None and (response := _unescaped(match.group(1))) is not None:
        return SoapResult(response=response.strip())
    return soap_result_from(read_answer(data))


# ------------------------------------------------------------------------------------------ session


def session_cookie(service_instance: Any) -> str:
    """The ``Cookie`` header of the pyVmomi session (its stub keeps the login's ``Set-Cookie``)."""
    stub = getattr(service_instance, "_stub", None)
    header = getattr(stub, "cookie", None)
    if not isinstance(header, str) or not header:
        raise VCenterApiError("the vCenter session has no cookie (pyVmomi's stub changed, or not logged in)")
    try:
        morsel = SimpleCookie(header).get(COOKIE_NAME)
    except CookieError:
        morsel = None
    value = morsel.value if morsel is not None else ""
    if not value or any(c in value for c in '\r\n";'):
        raise VCenterApiError("the vCenter session cookie is not usable")
    return f'{COOKIE_NAME}="{value}"'


class Session:
    """The session's cookie, and one new login when vCenter says the cookie expired.

    ``relogin`` returns a new logged-in service instance; those are logged out at :meth:`close` (the first
    one belongs to whoever logged in).
    """

    def __init__(self, service_instance: Any, relogin: Callable[[], Any]) -> None:
        self._cookie = session_cookie(service_instance)
        self._relogin = relogin
        self._lock = threading.Lock()
        self._own: list[Any] = []
        self._failed: VCenterError | None = None
        self.logins = 0

    @property
    def cookie(self) -> str:
        return self._cookie

    def renew(self, stale: str) -> str:
        """A valid cookie after ``stale`` was refused: logs in again once per expired cookie."""
        with self._lock:
            if self._failed is not None:
                raise self._failed
            if self._cookie != stale:
                return self._cookie
            try:
                fresh = self._relogin()
            except VCenterError as exc:
                self._failed = VCenterSessionError(f"the session expired and logging in again failed: {exc}")
                raise self._failed from None
            self._own.append(fresh)
            self._cookie = session_cookie(fresh)
            self.logins += 1
            return self._cookie

    def close(self) -> None:
        from validator.vcenter.connect import disconnect

        for service_instance in self._own:
            disconnect(service_instance)
        self._own.clear()


# ------------------------------------------------------------------------------------------ transport


class SoapClient:
    """Posts SOAP bodies to vCenter on keep-alive connections, one call per connection at a time.

    Thread-safe. :meth:`abort` breaks the calls in flight of one group (a host) or of all, so a cancelled run
    does not wait for answers.
    """

    def __init__(self, settings: VCenterSettings, session: Session, context: ssl.SSLContext) -> None:
        self._settings = settings
        self._session = session
        self._context = context
        self._host_header = settings.endpoint.removesuffix(f":{DEFAULT_HTTPS_PORT}")
        self._tls: ssl.SSLSession | None = None  # resumed by every new connection
        self._idle: list[Channel] = []
        self._busy: dict[int, tuple[str, Channel]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._head: tuple[str, bytes] = ("", b"")  # (cookie, the request head up to Content-Length's value)
        self._mux: Multiplexer | None = None  # the I/O thread of submitted calls, started with the first
        self.calls = 0

    def call(self, body: bytes, timeout: float, group: str = "") -> ET.Element:
        """The answer's response element; typed errors for faults, timeouts and lost connections."""
        return self.call_reading(body, timeout, read_answer, group)

    def call_reading(self, body: bytes, timeout: float, read: Callable[[bytes], _Answer], group: str = "") -> _Answer:
        """The answer as ``read`` makes it of the body's bytes (raising the typed error of a SOAP fault)."""
        cookie = self._session.cookie
        for _ in range(SESSION_RETRIES):
            try:
                return self._post(body, cookie, timeout, group, read)
            except VCenterSessionError:
                cookie = self._session.renew(cookie)  # one login per expired cookie, shared by every call
        return self._post(body, cookie, timeout, group, read)

    def submit(self, body: bytes, timeout: float, read: Callable[[bytes], _Answer],
               done: Callable[[_Answer | VCenterError], None], group: str = "") -> None:
        """Post ``body`` without waiting: ``done`` gets the answer as ``read`` makes it, or the typed error.

        The calls submitted share one I/O thread (:class:`~validator.vcenter.soap_http.Multiplexer`); ``done``
        runs there (or, after a login again, on the thread that logged in), so it must be quick. A session that
        expired is logged in again as :meth:`call` does, and the call sent again.
        """
        self._submit(body, timeout, read, done, group=group, cookie=self._session.cookie, expired=0)

    def _submit(self, body: bytes, timeout: float, read: Callable[[bytes], _Answer],
                done: Callable[[_Answer | VCenterError], None], *, group: str, cookie: str, expired: int) -> None:
        def answered(outcome: tuple[int, bytes] | BaseException) -> None:
            if isinstance(outcome, BaseException):
                done(self._error(outcome, timeout))
                return
            status, data = outcome
            with self._lock:
                self.calls += 1
            if status not in (200, 500):
                done(VCenterApiError(f"HTTP status {status} from the SOAP endpoint"))
                return
            try:
                answer = read(data)
            except VCenterSessionError as exc:
                if expired >= SESSION_RETRIES:
                    done(exc)
                    return
                threading.Thread(target=again, daemon=True, name="vcenter-login").start()
                return
            except VCenterError as exc:
                done(exc)
                return
            done(answer)

        def again() -> None:
            try:
                fresh = self._session.renew(cookie)  # one login per expired cookie, shared by every call
            except VCenterError as exc:
                done(exc)
                return
            self._submit(body, timeout, read, done, group=group, cookie=fresh, expired=expired + 1)

        with self._lock:
            closed = self._closed
            if self._mux is None and not closed:
                self._mux = Multiplexer(self._settings.host, self._settings.port, self._context, MAX_ANSWER,
                                        session=lambda: self._tls)  # resumed from the calls made before
            mux = self._mux
        if closed or mux is None:
            done(VCenterConnectError(f"vCenter {self._settings.endpoint}: the run's vCenter client is closed"))
            return
        mux.submit(Exchange(self._request(body, cookie), time.monotonic() + timeout, group, answered))

    def _error(self, exc: BaseException, timeout: float) -> VCenterError:
        """The typed error of a submitted call's failure (as :meth:`_post` maps them)."""
        if isinstance(exc, TimeoutError):
            return VCenterCallTimeout(f"no answer within {timeout:.0f}s")
        if isinstance(exc, HttpError):
            return VCenterApiError(f"not an HTTP answer from the SOAP endpoint: {exc}")
        if isinstance(exc, ssl.SSLError):
            return map_error(exc, self._settings)
        if isinstance(exc, VCenterError):
            return exc
        return self._lost(exc)

    def abort(self, group: str | None = None) -> None:
        """Break the calls in flight (of ``group``, or all): they raise, or their ``done`` gets an error, at once."""
        with self._lock:
            victims = [channel for g, channel in self._busy.values() if group is None or g == group]
            mux = self._mux
        for channel in victims:
            with suppress(OSError):
                channel.sock.shutdown(socket.SHUT_RDWR)
        if mux is not None:
            mux.abort(group)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            mux = self._mux
        for channel in idle:
            channel.close()
        self.abort()
        if mux is not None:
            mux.close()
        self._session.close()

    def _request(self, body: bytes, cookie: str) -> bytes:
        """Head and body of one POST; the head is built once per session cookie."""
        known, head = self._head
        if known != cookie:
            headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": SOAP_ACTION, "Cookie": cookie}
            head = request_prefix(self._host_header, SOAP_PATH, headers)
            self._head = (cookie, head)
        return b"%s%d\r\n\r\n%s" % (head, len(body), body)

    def _post(self, body: bytes, cookie: str, timeout: float, group: str, read: Callable[[bytes], _Answer]) -> _Answer:
        request = self._request(body, cookie)
        deadline = time.monotonic() + timeout
        for attempt in (1, 2):
            channel = self._channel(timeout)
            key = id(channel)
            with self._lock:
                self._busy[key] = (group, channel)
            try:
                status, data, keep = channel.post(request, deadline, MAX_ANSWER)
            except (StaleConnection, BrokenPipeError, ConnectionResetError) as exc:
                channel.close()
                if channel.served and attempt == 1:
                    continue  # a keep-alive connection vCenter had closed: once more on a new one
                raise self._lost(exc) from None
            except TimeoutError:
                channel.close()
                raise VCenterCallTimeout(f"no answer within {timeout:.0f}s") from None
            except HttpError as exc:
                channel.close()
                raise VCenterApiError(f"not an HTTP answer from the SOAP endpoint: {exc}") from None
            except OSError as exc:
                channel.close()
                raise self._lost(exc) from None
            finally:
                with self._lock:
                    self._busy.pop(key, None)
            self._release(channel, keep)
            if status not in (200, 500):
                raise VCenterApiError(f"HTTP status {status} from the SOAP endpoint")
            return read(data)
        raise AssertionError("unreachable")

    def _channel(self, timeout: float) -> Channel:
        with self._lock:
            if self._closed:
                raise VCenterConnectError(f"vCenter {self._settings.endpoint}: the run's vCenter client is closed")
            if self._idle:
                return self._idle.pop()
            session = self._tls
        try:
            channel = Channel.open(self._settings.host, self._settings.port, self._context, timeout, session)
        except ssl.SSLError as exc:
            raise map_error(exc, self._settings) from None
        except TimeoutError:
            raise VCenterConnectError(f"vCenter {self._settings.endpoint}: timed out connecting") from None
        except OSError as exc:
            raise self._lost(exc) from None
        return channel

    def _release(self, channel: Channel, keep: bool) -> None:
        with self._lock:
            self.calls += 1
            if self._tls is None and channel.sock.session is not None:
                self._tls = channel.sock.session
            if keep and not self._closed:
                self._idle.append(channel)
                return
        channel.close()

    def _lost(self, exc: BaseException) -> VCenterError:
        mapped = map_error(exc, self._settings)
        if isinstance(mapped, VCenterConnectError):
            return VCenterConnectError(f"{mapped} (connection to vCenter lost)")
        return mapped
