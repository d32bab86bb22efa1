"""Small builders for the model values, with lab-like defaults (RFC 2544 198.18.0.0/15 addresses).

Addressing used by :func:`make_cluster`: host ``i`` (1-based) is ``esxNN`` with its vMotion vmks in
``198.19.i.0/24`` (vmk ``j`` at ``.10+j``), stack gateway ``198.19.i.1``; with ``ipv6=True`` also
``2001:db8:i::10+j/64``, gateway ``2001:db8:i::1``. Every host is its own subnet, so every pair is routed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import ip_address, ip_interface
from typing import Any

from validator.models import (
    VMOTION_NETSTACK,
    Family,
    Finding,
    HostInfo,
    HostStatus,
    IPAddress,
    PairPlan,
    PairResult,
    PairStatus,
    Reason,
    Severity,
    Vmk,
)
from validator.planner import pair_plan, plan_mesh
from validator.report import Report

STARTED_AT = "2025-01-01T12:00:00+00:00"


def _addr(value: str | IPAddress | None) -> IPAddress | None:
    return ip_address(value) if isinstance(value, str) else value


def make_vmk(
    name: str = "vmk1",
    ip: str | None = "198.19.1.11/24",
    *,
    ipv6: str | None = None,
    mtu: int = 9000,
    netstack: str = VMOTION_NETSTACK,
    enabled: bool = True,
    gateway: str | None = None,
    tags: Sequence[str] = ("VMotion",),
    addresses: Sequence[str] | None = None,
    portgroup: str | None = None,
    mac: str | None = None,
) -> Vmk:
    """A vmk; ``addresses`` (``"ip/prefix"`` strings) replaces ``ip`` + ``ipv6`` when given."""
    addrs = list(addresses) if addresses is not None else [a for a in (ip, ipv6) if a]
    return Vmk(
        name=name,
        netstack=netstack,
        mtu=mtu,
        enabled=enabled,
        addresses=tuple(ip_interface(a) for a in addrs),
        gateway=_addr(gateway),
        tags=tuple(tags),
        portgroup=portgroup,
        mac=mac,
    )


def make_host(
    name: str = "esx01",
    vmks: Sequence[Vmk] | None = None,
    *,
    address: str | None = None,
    status: HostStatus = HostStatus.OK,
    error: str | None = None,
    gateway: str | None = "198.19.1.1",
    gateway6: str | None = None,
    other_vmks: Sequence[Vmk] = (),
    netstack: str = VMOTION_NETSTACK,
    netstack_present: bool = True,
    netstacks: Sequence[str] | None = None,
    raw: dict[str, str] | None = None,
) -> HostInfo:
    """A host; ``vmks=None`` gives one default vmk, a failed status gives no vmks and no gateway."""
    failed = status is not HostStatus.OK
    if vmks is None:
        vmks = () if failed else (make_vmk(),)
    return HostInfo(
        name=name,
        address=address or f"{name}.lab.example",
        status=status,
        error=error,
        netstack=netstack,
        netstack_present=netstack_present,
        gateway=None if failed else _addr(gateway),
        gateway6=None if failed else _addr(gateway6),
        vmks=tuple(vmks),
        other_vmks=tuple(other_vmks),
        netstacks=tuple(netstacks)
        if netstacks is not None
        else (("defaultTcpipStack", netstack) if not failed else ()),
        raw=raw or {},
    )


def make_plan(
    src: HostInfo, src_vmk: Vmk | str, dst: HostInfo, dst_vmk: Vmk | str, family: Family = Family.IPV4
) -> PairPlan:
    """The plan between two vmks of two hosts (vmks may be given by name)."""
    s = _find_vmk(src, src_vmk)
    d = _find_vmk(dst, dst_vmk)
    plan = pair_plan(src.name, s, dst.name, d, family)
    assert plan is not None, f"{s.name} or {d.name} has no {family} address"
    return plan


def _find_vmk(host: HostInfo, vmk: Vmk | str) -> Vmk:
    if isinstance(vmk, Vmk):
        return vmk
    return next(v for v in host.vmks if v.name == vmk)


def make_result(
    plan: PairPlan,
    status: PairStatus = PairStatus.PASS,
    reason: Reason | None = None,
    **overrides: Any,
) -> PairResult:
    """A result with plausible fields for its status and reason; keyword overrides win."""
    routed = overrides.pop("routed", None)
    if routed is None and status is PairStatus.PASS:
        bits = 24 if plan.family is Family.IPV4 else 64  # the factories' subnets
        routed = ip_interface(f"{plan.src_ip}/{bits}").network != ip_interface(f"{plan.dst_ip}/{bits}").network
    fields: dict[str, Any] = {}
    replied = dict(reachable=True, loss_pct=0.0, rtt_min_ms=0.2, rtt_avg_ms=0.3, rtt_max_ms=0.5, mtu_tested=plan.mtu)
    if status is PairStatus.PASS:
        fields = dict(replied, ttl=63 if routed else 64, mtu_ok=True)
    elif status is PairStatus.FAIL:
        if reason in (Reason.PATH_MTU, Reason.LOCAL_MTU):
            fields = dict(replied, ttl=63, mtu_ok=False, max_mtu=1500 if reason is Reason.PATH_MTU else None)
            routed = True if routed is None else routed
        elif reason is Reason.LOSS:
            fields = dict(reachable=True, loss_pct=33.3, rtt_min_ms=0.2, rtt_avg_ms=0.3, rtt_max_ms=0.5, ttl=63)
        else:
            fields = dict(reachable=False, loss_pct=100.0)
        reason = reason or Reason.UNREACHABLE
        fields.setdefault(
            "raw", {"reach": f"PING {plan.dst_ip}: 56 data bytes\n3 packets transmitted, 0 packets received"}
        )
    else:
        reason = reason or Reason.HOST_ERROR
        fields = dict(raw={"error": "channel closed"})
    fields.update(overrides)
    return PairResult(plan=plan, status=status, reason=reason, routed=routed, **fields)


def make_pair(
    src: HostInfo,
    src_vmk: Vmk | str,
    dst: HostInfo,
    dst_vmk: Vmk | str,
    status: PairStatus = PairStatus.PASS,
    reason: Reason | None = None,
    *,
    family: Family = Family.IPV4,
    **overrides: Any,
) -> PairResult:
    """Plan + result in one call."""
    return make_result(make_plan(src, src_vmk, dst, dst_vmk, family), status, reason, **overrides)


def make_cluster(
    n_hosts: int = 3,
    vmks_per_host: int = 1,
    *,
    mtu: int = 9000,
    ipv6: bool = False,
    prefix: str = "esx",
) -> list[HostInfo]:
    """``n_hosts`` reachable hosts, each with ``vmks_per_host`` vMotion vmks in its own /24 (see module doc)."""
    hosts = []
    for i in range(1, n_hosts + 1):
        vmks = [
            make_vmk(
                f"vmk{j}",
                f"198.19.{i}.{10 + j}/24",
                ipv6=f"2001:db8:{i:x}::{10 + j:x}/64" if ipv6 else None,
                mtu=mtu,
            )
            for j in range(1, vmks_per_host + 1)
        ]
        hosts.append(
            make_host(
                f"{prefix}{i:02d}",
                vmks,
                address=f"10.0.0.{i}",
                gateway=f"198.19.{i}.1",
                gateway6=f"2001:db8:{i:x}::1" if ipv6 else None,
            )
        )
    return hosts


def full_mesh(
    hosts: Sequence[HostInfo], families: Iterable[Family] = (Family.IPV4,), **overrides: Any
) -> list[PairResult]:
    """Every vmk to every vmk of every other host (the real planner), all passing unless overridden."""
    fams = set(families)
    return [make_result(plan, **overrides) for plan in plan_mesh(hosts) if plan.family in fams]


def make_finding(
    check: str = "gateway",
    severity: Severity = Severity.WARNING,
    message: str = "something to look at",
    host: str | None = "esx01",
    vmk: str | None = None,
) -> Finding:
    return Finding(check=check, severity=severity, message=message, host=host, vmk=vmk)


def make_report(
    hosts: Sequence[HostInfo] | None = None,
    pairs: Sequence[PairResult] | None = None,
    findings: Sequence[Finding] = (),
    *,
    started_at: str = STARTED_AT,
    duration_s: float = 1.2,
    netstack: str = VMOTION_NETSTACK,
) -> Report:
    """A report; ``hosts=None`` is a 3-host cluster, ``pairs=None`` its passing full mesh."""
    hosts = make_cluster() if hosts is None else hosts
    pairs = full_mesh(hosts) if pairs is None else pairs
    return Report(
        started_at=started_at,
        duration_s=duration_s,
        netstack=netstack,
        hosts=tuple(hosts),
        pairs=tuple(pairs),
        findings=tuple(findings),
    )


def replace_pair(pairs: Sequence[PairResult], new: PairResult) -> list[PairResult]:
    """``pairs`` with the pair of the same key replaced by ``new``."""
    return [new if p.plan.key == new.plan.key else p for p in pairs]
