"""Compare two reports of one cluster (a baseline and a later run): what regressed, what was fixed.

Pairs are matched by (src_host, src_vmk, dst_host, dst_vmk, family). A pair *regressed* when it passed
before and fails or errors now, or when the MTU it proves went down: a passing pair tested at a lower
MTU, or a lower discovered max MTU. A pair is *fixed* when it failed or errored before and passes now,
*changed* when it fails in both but for another reason. Pairs, hosts, vmks and findings present in only
one report are listed as added/removed (new/gone). vmks are compared only on hosts that were reachable
in both runs (an unreachable host's vmks are unknown, not removed). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from validator.errors import IncomparableReportsError
from validator.models import Finding, HostInfo, PairResult, PairStatus, Vmk
from validator.report import Report, Summary

PairKey = tuple[str, str, str, str, str]


def verdict(pair: PairResult) -> str:
    """``pass``, the reason of a failure (``path-mtu``), or ``error (host-error)``."""
    if pair.status is PairStatus.PASS:
        return "pass"
    reason = pair.reason.value if pair.reason else pair.status.value
    return f"error ({reason})" if pair.status is PairStatus.ERROR else reason


def _side(pair: PairResult | None) -> dict[str, Any] | None:
    if pair is None:
        return None
    return {
        "status": pair.status.value,
        "reason": pair.reason.value if pair.reason else None,
        "mtu_tested": pair.mtu_tested,
        "max_mtu": pair.max_mtu,
    }


@dataclass(frozen=True)
class PairChange:
    """One pair in the diff: its state before and after (None where it was not planned) and why it is listed."""

    key: PairKey
    before: PairResult | None
    after: PairResult | None
    why: str

    @property
    def src_host(self) -> str:
        return self.key[0]

    @property
    def dst_host(self) -> str:
        return self.key[2]

    @property
    def current(self) -> PairResult:
        """The newest state of the pair (the before state of a removed pair)."""
        pair = self.after or self.before
        assert pair is not None
        return pair

    def to_dict(self) -> dict[str, Any]:
        src_host, src_vmk, dst_host, dst_vmk, family = self.key
        return {
            "src_host": src_host,
            "src_vmk": src_vmk,
            "dst_host": dst_host,
            "dst_vmk": dst_vmk,
            "family": family,
            "before": _side(self.before),
            "after": _side(self.after),
            "why": self.why,
        }


@dataclass(frozen=True)
class HostRef:
    name: str
    address: str

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.name, "address": self.address}


@dataclass(frozen=True)
class VmkRef:
    """A vmk of a host, identified by name and its (non link-local) addresses."""

    host: str
    vmk: str
    addresses: tuple[str, ...]

    @property
    def address(self) -> str | None:
        return self.addresses[0] if self.addresses else None

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.host, "vmk": self.vmk, "address": self.address, "addresses": list(self.addresses)}


def _finding_dict(f: Finding) -> dict[str, Any]:
    return {"check": f.check, "severity": f.severity.value, "host": f.host, "vmk": f.vmk, "message": f.message}


def _summary_dict(s: Summary) -> dict[str, Any]:
    return {"pairs": s.pairs, "pass": s.passed, "fail": s.failed, "error": s.errors, "verdict": s.verdict}


@dataclass(frozen=True)
class ReportDiff:
    """Everything that differs between ``before`` and ``after``, each list in report order."""

    before: Report
    after: Report
    regressions: tuple[PairChange, ...] = ()
    fixes: tuple[PairChange, ...] = ()
    changed: tuple[PairChange, ...] = ()  # failing in both, for another reason
    added: tuple[PairChange, ...] = ()
    removed: tuple[PairChange, ...] = ()
    hosts_added: tuple[HostRef, ...] = ()
    hosts_removed: tuple[HostRef, ...] = ()
    vmks_added: tuple[VmkRef, ...] = ()
    vmks_removed: tuple[VmkRef, ...] = ()
    findings_new: tuple[Finding, ...] = ()
    findings_gone: tuple[Finding, ...] = ()

    @property
    def has_regressions(self) -> bool:
        return bool(self.regressions)

    @property
    def counts(self) -> dict[str, int]:
        """How many items each list holds, by its JSON name."""
        lists: Mapping[str, tuple[object, ...]] = {
            "regressions": self.regressions,
            "fixes": self.fixes,
            "changed": self.changed,
            "added": self.added,
            "removed": self.removed,
            "hosts_added": self.hosts_added,
            "hosts_removed": self.hosts_removed,
            "vmks_added": self.vmks_added,
            "vmks_removed": self.vmks_removed,
            "findings_new": self.findings_new,
            "findings_gone": self.findings_gone,
        }
        return {name: len(items) for name, items in lists.items()}

    def to_dict(self) -> dict[str, Any]:
        """One JSON-able object: every list, the two runs, and summary counts."""
        return {
            "netstack": self.after.netstack,
            "before": {"started_at": self.before.started_at, "summary": _summary_dict(self.before.summary)},
            "after": {"started_at": self.after.started_at, "summary": _summary_dict(self.after.summary)},
            "regressions": [c.to_dict() for c in self.regressions],
            "fixes": [c.to_dict() for c in self.fixes],
            "changed": [c.to_dict() for c in self.changed],
            "added": [c.to_dict() for c in self.added],
            "removed": [c.to_dict() for c in self.removed],
            "hosts_added": [h.to_dict() for h in self.hosts_added],
            "hosts_removed": [h.to_dict() for h in self.hosts_removed],
            "vmks_added": [v.to_dict() for v in self.vmks_added],
            "vmks_removed": [v.to_dict() for v in self.vmks_removed],
            "findings_new": [_finding_dict(f) for f in self.findings_new],
            "findings_gone": [_finding_dict(f) for f in self.findings_gone],
            "summary": {**self.counts, "has_regressions": self.has_regressions},
        }


def check_comparable(before: Report, after: Report) -> None:
    """Raise :class:`IncomparableReportsError` unless both reports share schema and netstack."""
    if before.schema != after.schema:
        raise IncomparableReportsError(
            f"cannot compare reports of different schemas: before is {before.schema!r}, after is {after.schema!r}"
        )
    if before.netstack != after.netstack:
        raise IncomparableReportsError(
            f"cannot compare runs on different netstacks: before probed {before.netstack!r}, "
            f"after probed {after.netstack!r}"
        )


def _lower(old: int | None, new: int | None) -> bool:
    return old is not None and new is not None and new < old


def classify_pair(before: PairResult, after: PairResult) -> tuple[str, str] | None:
    """``(list name, why)`` for a pair in both reports, or None when nothing worth listing changed."""
    old, new = verdict(before), verdict(after)
    was_ok, is_ok = before.status is PairStatus.PASS, after.status is PairStatus.PASS
    if was_ok and not is_ok:
        return "regressions", f"{old} -> {new}"
    if not was_ok and is_ok:
        return "fixes", f"{old} -> {new}"
    if was_ok and _lower(before.mtu_tested, after.mtu_tested):
        return "regressions", f"passes at a lower MTU: {before.mtu_tested} -> {after.mtu_tested}"
    if _lower(before.max_mtu, after.max_mtu):
        return "regressions", f"max MTU {before.max_mtu} -> {after.max_mtu}" + (
            f" ({old} -> {new})" if old != new else ""
        )
    if not was_ok and old != new:
        return "changed", f"{old} -> {new}"
    return None


def _pairs_by_key(report: Report) -> dict[PairKey, PairResult]:
    return {p.plan.key: p for p in report.pairs}


def _vmk_ref(host: str, vmk: Vmk) -> VmkRef:
    addresses = tuple(str(a) for a in vmk.addresses if not a.ip.is_link_local)
    return VmkRef(host, vmk.name, addresses)


def _vmk_changes(before: Iterable[HostInfo], after: Iterable[HostInfo]) -> tuple[list[VmkRef], list[VmkRef]]:
    """(added, removed) vmks on hosts reachable in both runs."""
    old = {h.name: h for h in before if h.ok}
    added: list[VmkRef] = []
    removed: list[VmkRef] = []
    for host in after:
        previous = old.get(host.name)
        if previous is None or not host.ok:
            continue
        was = [_vmk_ref(host.name, v) for v in previous.vmks]
        now = [_vmk_ref(host.name, v) for v in host.vmks]
        added += [v for v in now if v not in was]
        removed += [v for v in was if v not in now]
    return added, removed


def _finding_key(f: Finding) -> tuple[str, str | None, str | None, str]:
    return (f.check, f.host, f.vmk, f.message)


def diff_reports(before: Report, after: Report) -> ReportDiff:
    """What changed from ``before`` to ``after``; :class:`IncomparableReportsError` when they cannot be compared."""
    check_comparable(before, after)
    old, new = _pairs_by_key(before), _pairs_by_key(after)
    lists: dict[str, list[PairChange]] = {"regressions": [], "fixes": [], "changed": [], "added": [], "removed": []}
    for key, pair in new.items():
        if key not in old:
            lists["added"].append(PairChange(key, None, pair, f"new pair: {verdict(pair)}"))
            continue
        outcome = classify_pair(old[key], pair)
        if outcome is not None:
            name, why = outcome
            lists[name].append(PairChange(key, old[key], pair, why))
    lists["removed"] = [
        PairChange(k, p, None, f"no longer planned (was {verdict(p)})") for k, p in old.items() if k not in new
    ]

    old_hosts, new_hosts = {h.name for h in before.hosts}, {h.name for h in after.hosts}
    vmks_added, vmks_removed = _vmk_changes(before.hosts, after.hosts)
    old_findings, new_findings = {_finding_key(f) for f in before.findings}, {_finding_key(f) for f in after.findings}
    return ReportDiff(
        before=before,
        after=after,
        regressions=tuple(lists["regressions"]),
        fixes=tuple(lists["fixes"]),
        changed=tuple(lists["changed"]),
        added=tuple(lists["added"]),
        removed=tuple(lists["removed"]),
        hosts_added=tuple(HostRef(h.name, h.address) for h in after.hosts if h.name not in old_hosts),
        hosts_removed=tuple(HostRef(h.name, h.address) for h in before.hosts if h.name not in new_hosts),
        vmks_added=tuple(vmks_added),
        vmks_removed=tuple(vmks_removed),
        findings_new=tuple(f for f in after.findings if _finding_key(f) not in old_findings),
        findings_gone=tuple(f for f in before.findings if _finding_key(f) not in new_findings),
    )
