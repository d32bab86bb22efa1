"""Turn the vmkping outcomes of one pair into a verdict with a reason (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_interface

from validator.errors import ParseError
from validator.esxi import parsers
from validator.models import PairPlan, PairResult, PairStatus, PingStats, Reason

_COMMON_INITIAL_TTLS = (32, 64, 128, 255)

# 'sendto() failed (X)' messages -> reason, most specific first
_LOCAL_ERRORS: tuple[tuple[str, Reason], ...] = (
    ("network is down", Reason.VMK_DOWN),
    ("network is unreachable", Reason.NO_ROUTE),
    ("no route to host", Reason.NO_ROUTE),
    ("host is down", Reason.ARP),
    ("message too long", Reason.LOCAL_MTU),
)


@dataclass(frozen=True)
class ProbeFailure:
    """A probe that produced no usable statistics."""

    reason: Reason  # UNKNOWN_VMK, NETSTACK_MISSING, PARSE_ERROR or HOST_ERROR
    message: str
    raw: str = ""


ProbeOutcome = PingStats | ProbeFailure

NETSTACK_MISSING_DETAIL = (
    "'*** vmkernel stack not configured ***': the source host has no TCP/IP stack of the name probed; "
    "create the vMotion stack there (add a VMkernel adapter on the vMotion TCP/IP stack) or probe "
    "with --netstack naming the stack its vMotion vmks use"
)


def read_outcome(text: str) -> ProbeOutcome:
    """One vmkping output -> its statistics, or the failure it shows (raw text kept)."""
    try:
        return parsers.parse_vmkping(text)
    except parsers.UnknownInterfaceError as exc:
        return ProbeFailure(Reason.UNKNOWN_VMK, str(exc), text)
    except parsers.NetstackMissingError:
        return ProbeFailure(Reason.NETSTACK_MISSING, NETSTACK_MISSING_DETAIL, text)
    except ParseError as exc:
        return ProbeFailure(Reason.PARSE_ERROR, f"cannot parse vmkping output: {exc}", text)


def hops_from_ttl(ttl: int) -> int:
    """Router hops inferred from a reply TTL, assuming the sender started at a common initial TTL."""
    initial = next((t for t in _COMMON_INITIAL_TTLS if t >= ttl), 255)
    return initial - ttl


def local_error_reason(stats: PingStats) -> Reason | None:
    """The reason behind the first 'sendto() failed' line, if any."""
    for error in stats.errors:
        lowered = error.lower()
        for needle, reason in _LOCAL_ERRORS:
            if needle in lowered:
                return reason
    return None


def classify_pair(
    plan: PairPlan,
    reach: ProbeOutcome,
    mtu_probe: ProbeOutcome | None,
    mtu_tested: int,
    raw: dict[str, str] | None = None,
) -> PairResult:
    """Verdict for one directed pair from its reachability probe and its DF probe at ``mtu_tested``."""
    raw = raw or {}
    if isinstance(reach, ProbeFailure):
        return _failure_result(plan, reach, raw)
    routed, routed_by = _routed(plan, reach)
    status, reason, detail = PairStatus.PASS, None, None
    tested: int | None = None
    mtu_ok: bool | None = None
    reach_loss = reach.received < reach.transmitted
    if reach.received == 0:
        reason = local_error_reason(reach) or Reason.UNREACHABLE
        status, detail = PairStatus.FAIL, _reach_detail(reason, plan, reach)
    elif mtu_probe is None:
        if reach_loss:
            status, reason, detail = PairStatus.FAIL, Reason.LOSS, _loss_detail(reach)
    elif isinstance(mtu_probe, ProbeFailure):
        status, reason, detail = PairStatus.ERROR, mtu_probe.reason, f"MTU probe: {mtu_probe.message}"
        tested = mtu_tested
    else:
        tested, mtu_ok = mtu_tested, mtu_probe.received > 0
        if mtu_probe.received == 0 and local_error_reason(mtu_probe) is Reason.LOCAL_MTU:
            status, reason = PairStatus.FAIL, Reason.LOCAL_MTU
            detail = (
                f"DF {mtu_tested} refused by the source: 'Message too long' "
                f"(the vmk or its switch MTU is below {mtu_tested})"
            )
        elif mtu_probe.received == 0:
            status, reason = PairStatus.FAIL, Reason.PATH_MTU
            detail = (
                f"DF packets of {mtu_tested} bytes lost while small packets pass: a hop on the path "
                f"has an MTU below {mtu_tested}"
            )
        elif reach_loss or mtu_probe.received < mtu_probe.transmitted:
            status, reason = PairStatus.FAIL, Reason.LOSS
            detail = _loss_detail(reach if reach_loss else mtu_probe)
    return PairResult(
        plan=plan,
        status=status,
        reason=reason,
        detail=detail,
        reachable=reach.received > 0,
        loss_pct=reach.loss_pct,
        rtt_min_ms=reach.rtt_min_ms,
        rtt_avg_ms=reach.rtt_avg_ms,
        rtt_max_ms=reach.rtt_max_ms,
        ttl=reach.ttl,
        routed=routed,
        routed_by=routed_by,
        mtu_tested=tested,
        mtu_ok=mtu_ok,
        raw=raw,
    )


def error_result(plan: PairPlan, reason: Reason, message: str, raw: dict[str, str] | None = None) -> PairResult:
    """A pair that could not be probed at all (its source host failed)."""
    return PairResult(plan=plan, status=PairStatus.ERROR, reason=reason, detail=message, raw=raw or {})


def _failure_result(plan: PairPlan, failure: ProbeFailure, raw: dict[str, str]) -> PairResult:
    if failure.reason in (Reason.UNKNOWN_VMK, Reason.NETSTACK_MISSING):
        return PairResult(
            plan=plan, status=PairStatus.FAIL, reason=failure.reason, detail=failure.message,
            reachable=False, raw=raw,
        )
    return error_result(plan, failure.reason, failure.message, raw)


def _routed(plan: PairPlan, stats: PingStats) -> tuple[bool | None, str | None]:
    """Routed or not, and the evidence: the reply TTL, else (replies without one, as ESXi prints
    IPv6 replies) whether the destination lies outside the source vmk's subnet."""
    if stats.ttl is not None:
        return hops_from_ttl(stats.ttl) > 0, "ttl"
    if stats.received > 0 and plan.src_prefix is not None:
        try:
            subnet = ip_interface(f"{plan.src_ip}/{plan.src_prefix}").network
        except ValueError:
            return None, None
        return plan.dst_ip not in subnet, "subnet"
    return None, None


def _reach_detail(reason: Reason, plan: PairPlan, stats: PingStats) -> str:
    """Why nothing came back, worded for every vmk pair between the same two hosts."""
    if reason is Reason.NO_ROUTE:
        return (
            f"'Network is unreachable': {plan.src_host} has no route to the peer "
            f"(vmotion stack gateway missing or wrong)"
        )
    if reason is Reason.ARP:
        return "'Host is down': the peer does not answer ARP/ND on the local segment"
    if reason is Reason.VMK_DOWN:
        return "'Network is down': the source vmk is administratively down"
    if reason is Reason.LOCAL_MTU:
        return "'Message too long' even for small packets"
    return (
        f"{stats.transmitted} sent, 0 replies: the peer is down or filtered, or {plan.dst_host} "
        f"has no route back"
    )


def _loss_detail(stats: PingStats) -> str:
    return f"{stats.received}/{stats.transmitted} replies ({stats.loss_pct:g}% loss)"

