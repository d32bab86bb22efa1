"""esxcli through vCenter at the SOAP level: the bodies of its calls and the reading of their answers (pure).

pyVmomi ships no ``vmodl.reflect`` types, so the two calls esxcli needs are posted as SOAP bodies of their
own, on the cookie of the pyVmomi session that logged in (the way govc and PowerCLI send them):

1. ``HostSystem.RetrieveManagedMethodExecuter`` -> a reference to the host's method executer (its type is
   echoed back, never assumed);
2. ``ReflectManagedMethodExecuter.ExecuteSoap(moid="ha-cli-handler-network-diag", version="urn:vim25/5.0",
   method="vim.EsxCLI.network.diag.ping", argument=[{name, val="<name>value</name>"}])``.

Every argument value is validated (the same rules as the vmkping command line) and XML-escaped twice (once
inside ``val``, once in the body). SOAP faults become typed errors (:class:`~validator.errors.VCenterSessionError`
for an expired session, ``VCenterHostError``, ``VCenterPrivilegeError``). The calls are posted by
:mod:`validator.vcenter.soap_client`, on the session cookie :mod:`validator.vcenter.soap` reads of pyVmomi.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

from validator import limits
from validator.errors import (
    CommandValueError,
    VCenterApiError,
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
    parse_xml,
)
from validator.models import Family
from validator.prober import Ping
from validator.vcenter.soap import SOAP_HEAD, SOAP_TAIL, SoapFault, read_fault

DIAG_MOID = "ha-cli-handler-network-diag"
DIAG_VERSION = "urn:vim25/5.0"
PING_METHOD = "vim.EsxCLI.network.diag.ping"


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
