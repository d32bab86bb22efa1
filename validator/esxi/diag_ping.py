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


def ping_outcome(result: SoapResult, *, payload: int | None = None, skip: int = 0) -> ProbeOutcome:
    """One ``network diag ping`` answer -> its statistics, or the failure it shows (raw text kept).

    ``skip``: the first packets of the run were a warm-up riding on it (see :func:`read_ping`).
    """
    raw = result.raw
    if result.response is None:
        return fault_outcome(result, raw)
    try:
        return read_ping(parse_xml(result.response), payload, skip)
    except AnswerError as exc:
        return ProbeFailure(Reason.PARSE_ERROR, f"cannot read the esxcli network diag ping answer: {exc}", raw)


def read_ping(document: ET.Element, payload: int | None = None, skip: int = 0) -> PingStats:
    """A ``VimEsxCLInetworkdiagpingVMKPing`` document -> :class:`PingStats`; AnswerError when the shape is not.

    The document is walked once: each element's direct children are read into a name -> text mapping.
    With ``skip`` = N, the first N packets (``ICMPSeq`` below N) were a warm-up that rode on this ping: the
    statistics are those of the packets after them, as if the warm-up had been a ping of its own (their
    replies, TTLs and round trips from the traces; a failed send of an unanswered warm-up dropped).
    """
    declared = local_name_of_type(document.get(XSI_TYPE))
    if declared is not None and declared != PING_TYPE:
        raise AnswerError(f"result of type {declared!r}, not {PING_TYPE}")
    summary: dict[str, str] | None = None
    traces: list[dict[str, str]] = []
    for child in document:
        name = local_name(child.tag)
        if name == "Summary":
            if summary is None:
                summary = _fields(child)
        elif name == "Trace":
            traces.append(_fields(child))
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
    if skip:
        return _after_warmup(summary, traces, transmitted=transmitted, received=received, skip=skip, payload=payload)
    computed = 100.0 * (transmitted - received) / transmitted if transmitted else 0.0
    rtt = _round_trips(summary) if received else None
    return PingStats(
        target=summary.get("HostAddr") or "",
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


def _after_warmup(summary: dict[str, str], traces: list[dict[str, str]], *, transmitted: int, received: int,
                  skip: int, payload: int | None) -> PingStats:
    """The statistics of the packets after the first ``skip`` (a warm-up that rode on the ping)."""
    replies = [t for t in traces if not t.get("Detail") and t.get("Dup") != "true"]
    if replies:
        seqs = [_count(t, "ICMPSeq") for t in replies]
        if any(seq is None for seq in seqs):
            raise AnswerError("a reply Trace without an ICMPSeq")
        mine = [t for t, seq in zip(replies, seqs, strict=True) if seq is not None and seq >= skip]
        warm_answered = len(mine) < len(replies)
    else:  # no reply traces (a host that sends none): the warm-up is taken as the packet lost first
        mine = []
        warm_answered = received >= transmitted
    sent = max(0, transmitted - skip)
    got = min(len(mine) if replies else max(0, received - skip * warm_answered), sent)
    failed = [t for t in traces if t.get("Detail")]
    errors = list(_send_errors(failed))
    if not warm_answered and errors:
        errors = errors[skip:]
    ttls = tuple(_reply_ttls(mine))
    rtt = _trace_round_trips(mine) if mine else (_round_trips(summary) if got and not replies else None)
    return PingStats(
        target=summary.get("HostAddr") or "",
        payload=DEFAULT_PAYLOAD if payload is None else payload,
        transmitted=sent,
        received=got,
        loss_pct=100.0 * (sent - got) / sent if sent else 0.0,
        errors=tuple(errors),
        ttls=ttls,
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


_LOCAL_NAMES: dict[str, str] = {}  # tag -> local name: a ping answer has a dozen distinct tags


def _fields(element: ET.Element) -> dict[str, str]:
    """The stripped text of ``element``'s direct children by local name (the first of each name)."""
    out: dict[str, str] = {}
    names = _LOCAL_NAMES
    for child in element:
        tag = child.tag
        name = names.get(tag) if isinstance(tag, str) else ""
        if name is None:
            name = tag.rpartition("}")[2]
            if len(names) < 1024:
                names[tag] = name
        if name not in out:
            out[name] = (child.text or "").strip()
    return out


def _count(fields: dict[str, str], name: str) -> int | None:
    text = fields.get(name)
    if not text:
        return None
    if not (len(text) <= 12 and text.isascii() and text.isdigit()):
        raise AnswerError(f"{name} is not a count: {one_line(text)!r}")
    return int(text)


def _round_trips(summary: dict[str, str]) -> tuple[float, float, float] | None:
    """(min, avg, max) in ms: the microsecond fields, else the millisecond ones, else None."""
    for suffix, scale in (("", 1000.0), ("MS", 1.0)):
        values = [_count(summary, f"Roundtrip{kind}{suffix}") for kind in ("Min", "Avg", "Max")]
        if all(v is not None for v in values):
            low, avg, high = (float(v) / scale for v in values if v is not None)
            return low, avg, high
    return None


def _trace_round_trips(replies: list[dict[str, str]]) -> tuple[float, float, float] | None:
    """(min, avg, max) in ms of the replies' own round trips (microseconds, else milliseconds), else None."""
    times = []
    for trace in replies:
        micros = _count(trace, "RoundtripTime")
        if micros is not None:
            times.append(micros / 1000.0)
        elif (millis := _count(trace, "RoundtripTimeMS")) is not None:
            times.append(float(millis))
    if not times:
        return None
    return min(times), round(sum(times) / len(times), 3), max(times)


def _send_errors(traces: Iterable[dict[str, str]]) -> Iterator[str]:
    for trace in traces:
        detail = trace.get("Detail")
        if detail and (match := _SENDTO_RE.fullmatch(detail)):
            yield one_line(match.group(1) if match.group(1) is not None else match.group(2))


def _reply_ttls(traces: Iterable[dict[str, str]]) -> Iterator[int]:
    for trace in traces:
        if trace.get("Detail"):
            continue  # a failed send, not a reply
        if trace.get("Dup") == "true":
            continue
        ttl = _count(trace, "TTL")
        if ttl is not None:
            if ttl > 255:
                raise AnswerError(f"TTL {ttl} out of range")
            yield ttl
