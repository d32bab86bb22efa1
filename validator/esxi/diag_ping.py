"""Read the answer of ``esxcli network diag ping`` called through the vSphere API (pure).

``ExecuteSoap`` returns a result holding either ``response``, an XML document
``<obj xsi:type="VimEsxCLInetworkdiagpingVMKPing">`` (a ``Summary`` and one ``Trace`` per packet), or
``fault`` (``faultMsg`` and ``faultDetail``, a ``VimEsxCLICLIFault`` with one ``errMsg`` per line, bare or
wrapped). :func:`ping_outcome` turns either into the :data:`~validator.classify.ProbeOutcome` the vmkping
output gives over SSH, so both paths are judged by the same classifier:

- counts from ``Summary`` (``Recieved``, the spelling hosts fill, or ``Received``), round trips in
  microseconds (``Roundtrip*``, else the ``*MS`` fields), reply TTLs from the traces;
- a trace whose ``Detail`` reads ``sendto() failed (REASON)`` adds REASON to ``PingStats.errors``;
- an esxcli fault naming an unknown interface or a stack that is not configured becomes the same
  :class:`~validator.classify.ProbeFailure` as over SSH; any other fault is a ``host-error`` naming it;
- anything else (no summary, inconsistent counts, not XML, a DTD) is a ``parse-error`` with the raw text kept.

Every element is read by its local name, so namespace prefixes (``<reflect:response>``) do not matter.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from validator.classify import NETSTACK_MISSING_DETAIL, ProbeFailure, ProbeOutcome
from validator.models import PingStats, Reason

PING_TYPE = "VimEsxCLInetworkdiagpingVMKPing"
CLI_FAULT_TYPE = "VimEsxCLICLIFault"
MAX_DOCUMENT = 1 << 20  # characters; a ping answer is a few kilobytes
MAX_RAW = 16 * 1024  # characters of an answer kept in the report
MAX_MESSAGE = 300  # characters of a fault message quoted in a pair's detail
DEFAULT_PAYLOAD = 56
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"

_SENDTO_RE = re.compile(r"(?:.*\b)?sendto(?:\(\) failed \((.*)\)|: (.*))")
_UNKNOWN_IF_RE = re.compile(r"Unknown interface '([^']{0,64})'")
_NO_STACK_RE = re.compile(r"vmkernel stack not configured", re.IGNORECASE)
_INT_RE = re.compile(r"[0-9]{1,12}")


class AnswerError(ValueError):
    """An answer that is not a ping result of the expected shape."""


@dataclass(frozen=True, slots=True)
class SoapResult:
    """An ``ExecuteSoap`` result: the response document, or the fault (message and detail document)."""

    response: str | None = None
    fault_msg: str | None = None
    fault_detail: str | None = None

    @property
    def raw(self) -> str:
        """The answer's text as kept in a report (cut at :data:`MAX_RAW` characters)."""
        if self.response is not None:
            text = self.response
        else:
            text = "\n".join(t for t in (self.fault_msg, self.fault_detail) if t)
        return text if len(text) <= MAX_RAW else text[:MAX_RAW] + "\n[... cut]"


def local_name(tag: object) -> str:
    """An element's name without its namespace (``{urn:vim25}Summary`` -> ``Summary``)."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def parse_xml(text: str) -> ET.Element:
    """An XML document from an untrusted source: no DTD (so no entities), bounded size; AnswerError else."""
    if len(text) > MAX_DOCUMENT:
        raise AnswerError(f"answer of {len(text)} characters (at most {MAX_DOCUMENT})")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise AnswerError("answer carries a document type declaration")
    try:
        return ET.fromstring(text)  # noqa: S314 - DTDs refused above, size bounded
    except ET.ParseError as exc:
        raise AnswerError(f"not XML ({exc})") from None


def children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    """Direct children of ``element`` with local name ``name``."""
    return (child for child in element if local_name(child.tag) == name)


def child_text(element: ET.Element, name: str) -> str | None:
    """The stripped text of the first direct child named ``name`` (None when absent)."""
    for child in children(element, name):
        return (child.text or "").strip()
    return None


def ping_outcome(result: SoapResult, *, payload: int | None = None) -> ProbeOutcome:
    """One ``network diag ping`` answer -> its statistics, or the failure it shows (raw text kept)."""
    raw = result.raw
    if result.response is None:
        return fault_outcome(result, raw)
    try:
        return read_ping(parse_xml(result.response), payload)
    except AnswerError as exc:
        return ProbeFailure(Reason.PARSE_ERROR, f"cannot read the esxcli network diag ping answer: {exc}", raw)


def read_ping(document: ET.Element, payload: int | None = None) -> PingStats:
    """A ``VimEsxCLInetworkdiagpingVMKPing`` document -> :class:`PingStats`; AnswerError when the shape is not."""
    declared = local_name_of_type(document.get(XSI_TYPE))
    if declared is not None and declared != PING_TYPE:
        raise AnswerError(f"result of type {declared!r}, not {PING_TYPE}")
    summary = next(children(document, "Summary"), None)
    if summary is None:
        raise AnswerError("no Summary element")
    transmitted = _count(summary, "Transmitted")
    if transmitted is None:
        raise AnswerError("no Transmitted count in the Summary")
    spellings = [n for n in (_count(summary, "Recieved"), _count(summary, "Received")) if n is not None]
    if not spellings:
        raise AnswerError("no Recieved/Received count in the Summary")
    received = max(spellings)
    if received > transmitted:
        raise AnswerError(f"inconsistent Summary: {received} received of {transmitted} transmitted")
    lost = _count(summary, "PacketLost")
    if lost is not None and lost > 100:
        raise AnswerError(f"inconsistent Summary: {lost}% packet loss")
    computed = 100.0 * (transmitted - received) / transmitted if transmitted else 0.0
    traces = list(children(document, "Trace"))
    rtt = _round_trips(summary) if received else None
    return PingStats(
        target=child_text(summary, "HostAddr") or "",
        payload=DEFAULT_PAYLOAD if payload is None else payload,
        transmitted=transmitted,
        received=received,
        loss_pct=float(lost) if lost is not None and received < transmitted else computed,
        errors=tuple(_send_errors(traces)),
        ttls=tuple(_reply_ttls(traces)),
        rtt_min_ms=rtt[0] if rtt else None,
        rtt_avg_ms=rtt[1] if rtt else None,
        rtt_max_ms=rtt[2] if rtt else None,
    )


def fault_outcome(result: SoapResult, raw: str) -> ProbeFailure:
    """An esxcli fault -> the failure it names (unknown interface, stack missing), else a host error."""
    lines = fault_lines(result)
    for line in lines:
        if match := _UNKNOWN_IF_RE.search(line):
            return ProbeFailure(Reason.UNKNOWN_VMK, f"unknown interface {match.group(1)!r}", raw)
        if _NO_STACK_RE.search(line):
            return ProbeFailure(Reason.NETSTACK_MISSING, NETSTACK_MISSING_DETAIL, raw)
    said = "; ".join(lines) or "a fault without a message"
    return ProbeFailure(Reason.HOST_ERROR, f"esxcli network diag ping failed: {one_line(said)}", raw)


def fault_lines(result: SoapResult) -> list[str]:
    """The fault's ``errMsg`` lines wherever they sit in ``faultDetail``, else ``faultMsg``."""
    lines: list[str] = []
    if result.fault_detail:
        try:
            detail = parse_xml(result.fault_detail)
        except AnswerError:
            detail = None
        if detail is not None:
            lines = [(e.text or "").strip() for e in detail.iter() if local_name(e.tag) == "errMsg"]
    lines = [line for line in lines if line]
    if not lines and result.fault_msg and result.fault_msg.strip():
        lines = [result.fault_msg.strip()]
    return lines


def local_name_of_type(value: str | None) -> str | None:
    """An ``xsi:type`` value without its prefix (``vim25:VimEsxCLI...`` -> ``VimEsxCLI...``)."""
    return value.strip().rpartition(":")[2] if value else None


def one_line(text: str) -> str:
    """``text`` on one line, at most :data:`MAX_MESSAGE` characters, control characters escaped."""
    flat = " ".join(text.split())
    shown = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in flat)
    return shown if len(shown) <= MAX_MESSAGE else shown[: MAX_MESSAGE - 3] + "..."


def _count(element: ET.Element, name: str) -> int | None:
    text = child_text(element, name)
    if text is None or text == "":
        return None
    if not _INT_RE.fullmatch(text):
        raise AnswerError(f"{name} is not a count: {one_line(text)!r}")
    return int(text)


def _round_trips(summary: ET.Element) -> tuple[float, float, float] | None:
    """(min, avg, max) in ms: the microsecond fields, else the millisecond ones, else None."""
    for suffix, scale in (("", 1000.0), ("MS", 1.0)):
        values = [_count(summary, f"Roundtrip{kind}{suffix}") for kind in ("Min", "Avg", "Max")]
        if all(v is not None for v in values):
            low, avg, high = (float(v) / scale for v in values if v is not None)
            return low, avg, high
    return None


def _send_errors(traces: Iterable[ET.Element]) -> Iterator[str]:
    for trace in traces:
        detail = child_text(trace, "Detail")
        if detail and (match := _SENDTO_RE.fullmatch(detail)):
            yield one_line(match.group(1) if match.group(1) is not None else match.group(2))


def _reply_ttls(traces: Iterable[ET.Element]) -> Iterator[int]:
    for trace in traces:
        if child_text(trace, "Detail"):
            continue  # a failed send, not a reply
        if child_text(trace, "Dup") == "true":
            continue
        ttl = _count(trace, "TTL")
        if ttl is not None:
            if ttl > 255:
                raise AnswerError(f"TTL {ttl} out of range")
            yield ttl
