"""The outcome of one validation run, and its JSON form (schema ``vmotion-validator/report/v1``).

The keys of the v1 contract never change meaning; keys may be added. The contract is a JSON Schema file
shipped in the package (``validator/schemas/report-v1.json``): the v1 core keys are required, the added ones
(``family``, ``detail``, ``addresses``, ``netstack``...) are described but optional, so a core-only
document still loads. Raw outputs are kept only for failed/error pairs and for hosts that failed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from ipaddress import ip_address, ip_interface
from pathlib import Path
from typing import Any

import jsonschema

from validator.errors import ReportFormatError
from validator.models import (
    REPORT_SCHEMA,
    VMOTION_NETSTACK,
    ConnectionState,
    ExpectedVmk,
    Family,
    Finding,
    GatewayProbe,
    HostInfo,
    HostStatus,
    IPAddress,
    LockdownMode,
    PairPlan,
    PairResult,
    PairStatus,
    Reason,
    Severity,
    VCenterFacts,
    VCenterStack,
    VCenterVm,
    VCenterVmk,
    Vmk,
)
from validator.pacing import HostPace
from validator.textfile import read_user_file

SCHEMA_FILE = "report-v1.json"


@dataclass(frozen=True)
class Summary:
    pairs: int
    passed: int
    failed: int
    errors: int
    findings_error: int = 0

    @property
    def verdict(self) -> str:
        return "pass" if self.failed == 0 and self.errors == 0 and self.pairs > 0 else "fail"


@dataclass(frozen=True)
class Report:
    """Everything one validation run produced."""

    started_at: str
    duration_s: float
    netstack: str
    hosts: tuple[HostInfo, ...]
    pairs: tuple[PairResult, ...]
    findings: tuple[Finding, ...] = ()
    schema: str = REPORT_SCHEMA
    interrupted: bool = False  # stopped (Ctrl-C) before every pair was probed: those are ``not-probed``
    probe: str = "ssh"  # the probe path that measured the pairs: "ssh" (vmkping) or "api" (vSphere API)
    pacing: tuple[HostPace, ...] = ()  # per source host: its concurrency as it adapted (absent in old reports)

    @property
    def summary(self) -> Summary:
        """Pair counts by status, error findings, and the verdict."""
        statuses = [p.status for p in self.pairs]
        return Summary(
            pairs=len(statuses),
            passed=statuses.count(PairStatus.PASS),
            failed=statuses.count(PairStatus.FAIL),
            errors=statuses.count(PairStatus.ERROR),
            findings_error=sum(1 for f in self.findings if f.severity is Severity.ERROR),
        )

    def failing_pairs(self) -> tuple[PairResult, ...]:
        """Every pair that did not pass (fail or error), in report order."""
        return tuple(p for p in self.pairs if p.status is not PairStatus.PASS)

    def exit_code(self, strict: bool = False) -> int:
        """0 when every pair passed; 1 when any pair failed or errored, when nothing could be validated, or
        (``strict``) when a check reported an error-severity finding."""
        summary = self.summary
        if summary.verdict != "pass" or (strict and summary.findings_error):
            return 1
        return 0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data following the report schema (``validator/schemas/report-v1.json``)."""
        return _report_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """Rebuild a report from :meth:`to_dict` data; :class:`ReportFormatError` when it does not follow
        the schema."""
        return _report_from_dict(data)


# --- Report -> dict


def _str(value: object | None) -> str | None:
    return None if value is None else str(value)


def _vmk(vmk: Vmk) -> dict[str, Any]:
    return {
        "name": vmk.name,
        "ip": _str(vmk.ip),
        "prefix": vmk.prefix,
        "mtu": vmk.mtu,
        "netstack": vmk.netstack,
        "enabled": vmk.enabled,
        "gateway": _str(vmk.gateway),
        "tags": list(vmk.tags),
        "addresses": [str(a) for a in vmk.addresses],
        "portgroup": vmk.portgroup,
        "mac": vmk.mac,
    }


def _expected(vmk: ExpectedVmk) -> dict[str, Any]:
    return {"name": vmk.name, "addresses": [str(a) for a in vmk.addresses], "mtu": vmk.mtu}


def host_to_dict(host: HostInfo) -> dict[str, Any]:
    """One host as the report's ``hosts`` entries hold it."""
    d: dict[str, Any] = {
        "name": host.name,
        "address": host.address,
        "status": host.status.value,
        "error": host.error,
        "gateway": _str(host.gateway),
        "vmks": [_vmk(v) for v in host.vmks],
        "gateway6": _str(host.gateway6),
        "netstack": host.netstack,
        "netstack_present": host.netstack_present,
        "netstacks": list(host.netstacks),
        "other_vmks": [_vmk(v) for v in host.other_vmks],
        "cluster": host.cluster,
        "expected_vmks": None if host.expected_vmks is None else [_expected(v) for v in host.expected_vmks],
    }
    if host.gateway_probes:
        d["gateway_probes"] = [_gateway_probe(g) for g in host.gateway_probes]
    if host.vcenter is not None:
        d["vcenter"] = _vcenter(host.vcenter)
    if not host.ok and host.raw:
        d["raw"] = dict(host.raw)
    return d


def _gateway_probe(probe: GatewayProbe) -> dict[str, Any]:
    return {
        "vmk": probe.vmk,
        "family": probe.family.value,
        "gateway": str(probe.gateway),
        "mtu": probe.mtu,
        "reachable": probe.reachable,
        "mtu_ok": probe.mtu_ok,
        "detail": probe.detail,
    }


def _vcenter(facts: VCenterFacts) -> dict[str, Any]:
    return {
        "connection_state": facts.connection_state.value,
        "in_maintenance": facts.in_maintenance,
        "lockdown_mode": facts.lockdown_mode.value,
        "ssh_running": facts.ssh_running,
        "datacenter": facts.datacenter,
        "vmks": [
            {
                "name": v.name,
                "netstack": v.netstack,
                "mtu": v.mtu,
                "addresses": [str(a) for a in v.addresses],
                "gateway": _str(v.gateway),
                "services": list(v.services),
                "portgroup": v.portgroup,
                "mac": v.mac,
            }
            for v in facts.vmks
        ],
        "netstacks": [
            {"key": s.key, "gateway": _str(s.gateway), "gateway6": _str(s.gateway6)} for s in facts.netstacks
        ],
        "portgroups": list(facts.portgroups),
        "vms": [{"name": vm.name, "networks": list(vm.networks)} for vm in facts.vms],
    }


def _pair(pair: PairResult) -> dict[str, Any]:
    p = pair.plan
    d: dict[str, Any] = {
        "src_host": p.src_host,
        "src_vmk": p.src_vmk,
        "src_ip": str(p.src_ip),
        "dst_host": p.dst_host,
        "dst_vmk": p.dst_vmk,
        "dst_ip": str(p.dst_ip),
        "status": pair.status.value,
        "reason": pair.reason.value if pair.reason else None,
        "reachable": pair.reachable,
        "loss_pct": pair.loss_pct,
        "rtt_avg_ms": pair.rtt_avg_ms,
        "ttl": pair.ttl,
        "routed": pair.routed,
        "mtu_tested": pair.mtu_tested,
        "mtu_ok": pair.mtu_ok,
        "max_mtu": pair.max_mtu,
        "family": p.family.value,
        "planned_mtu": p.mtu,
    }
    optional = {
        "detail": pair.detail,
        "rtt_min_ms": pair.rtt_min_ms,
        "rtt_max_ms": pair.rtt_max_ms,
        "routed_by": pair.routed_by,
        "src_prefix": p.src_prefix,
    }
    d.update((key, value) for key, value in optional.items() if value is not None)  # absent means null
    if pair.status is not PairStatus.PASS and pair.raw:
        d["raw"] = dict(pair.raw)
    return d


def finding_to_dict(f: Finding) -> dict[str, Any]:
    """One finding as the report's ``findings`` entries hold it."""
    return {"check": f.check, "severity": f.severity.value, "host": f.host, "vmk": f.vmk, "message": f.message}


def _report_to_dict(report: Report, pairs: bool = True) -> dict[str, Any]:
    s = report.summary
    return {
        "schema": report.schema,
        "started_at": report.started_at,
        "duration_s": report.duration_s,
        "netstack": report.netstack,
        "interrupted": report.interrupted,
        "probe": report.probe,
        "pacing": [p.to_dict() for p in report.pacing],
        "hosts": [host_to_dict(h) for h in report.hosts],
        "pairs": [_pair(p) for p in report.pairs] if pairs else [],
        "findings": [finding_to_dict(f) for f in report.findings],
        "remediation": _remediation(report),
        "summary": {
            "pairs": s.pairs,
            "pass": s.passed,
            "fail": s.failed,
            "error": s.errors,
            "verdict": s.verdict,
            "findings_error": s.findings_error,
        },
    }


def _remediation(report: Report) -> list[dict[str, Any]]:
    """The report's next steps (computed from it: an older report without them gets them too)."""
    from validator.remediation import for_report

    return [step.to_dict() for step in for_report(report)]


def iter_report_json(report: Report) -> Iterator[str]:
    """The JSON report in pieces: indented, one line per pair, so a million pairs never sit in memory as text
    or as dicts at once."""
    doc = _report_to_dict(report, pairs=False)
    yield "{\n"
    for n, (key, value) in enumerate(doc.items()):
        yield f"  {json.dumps(key)}: "
        if key == "pairs" and report.pairs:
            yield "[\n"
            for i, pair in enumerate(report.pairs):
                yield ("    " if i == 0 else ",\n    ") + json.dumps(_pair(pair), ensure_ascii=False,
                                                                     separators=(",", ":"))
            yield "\n  ]"
        elif key == "remediation" and value:  # one line per step: its pair list may be long
            yield "[\n    " + ",\n    ".join(json.dumps(step, ensure_ascii=False, separators=(",", ":"))
                                          for step in value) + "\n  ]"
        else:
            yield json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        yield ",\n" if n < len(doc) - 1 else "\n"
    yield "}\n"


# --- dict -> Report


def _ip(value: str | None) -> IPAddress | None:
    return None if value is None else ip_address(value)


def _vmk_from(d: Mapping[str, Any]) -> Vmk:
    addresses = [ip_interface(a) for a in d.get("addresses", ())]
    if not addresses and d["ip"] is not None:  # a writer that only knew the v1 core keys
        addresses = [ip_interface(f"{d['ip']}/{d['prefix']}" if d["prefix"] is not None else d["ip"])]
    return Vmk(
        name=d["name"],
        netstack=d["netstack"],
        mtu=d["mtu"],
        enabled=d["enabled"],
        addresses=tuple(addresses),
        gateway=_ip(d["gateway"]),
        tags=tuple(d["tags"]),
        portgroup=d.get("portgroup"),
        mac=d.get("mac"),
    )


def _expected_from(d: Mapping[str, Any]) -> ExpectedVmk:
    return ExpectedVmk(name=d["name"], addresses=tuple(ip_interface(a) for a in d["addresses"]), mtu=d["mtu"])


def _pace_from(d: Mapping[str, Any]) -> HostPace:
    return HostPace(host=str(d["host"]), start=int(d["start"]), lowest=int(d["lowest"]), final=int(d["final"]),
                    sessions=int(d.get("sessions", 0)), timed_out=int(d.get("timed_out", 0)))


def _host_from(d: Mapping[str, Any], netstack: str) -> HostInfo:
    return HostInfo(
        name=d["name"],
        address=d["address"],
        status=HostStatus(d["status"]),
        error=d["error"],
        netstack=d.get("netstack", netstack),
        netstack_present=d.get("netstack_present", True),
        gateway=_ip(d["gateway"]),
        gateway6=_ip(d.get("gateway6")),
        vmks=tuple(_vmk_from(v) for v in d["vmks"]),
        other_vmks=tuple(_vmk_from(v) for v in d.get("other_vmks", ())),
        netstacks=tuple(d.get("netstacks", ())),
        cluster=d.get("cluster"),
        expected_vmks=None if d.get("expected_vmks") is None else tuple(_expected_from(v) for v in d["expected_vmks"]),
        vcenter=_vcenter_from(d["vcenter"]) if d.get("vcenter") is not None else None,
        gateway_probes=tuple(_gateway_probe_from(g) for g in d.get("gateway_probes", ())),
        raw=dict(d.get("raw", {})),
    )


def _gateway_probe_from(d: Mapping[str, Any]) -> GatewayProbe:
    return GatewayProbe(
        vmk=d["vmk"],
        family=Family(d["family"]),
        gateway=ip_address(d["gateway"]),
        mtu=d["mtu"],
        reachable=d["reachable"],
        mtu_ok=d.get("mtu_ok"),
        detail=d.get("detail"),
    )


def _vcenter_from(d: Mapping[str, Any]) -> VCenterFacts:
    return VCenterFacts(
        connection_state=ConnectionState(d["connection_state"]),
        in_maintenance=d["in_maintenance"],
        lockdown_mode=LockdownMode(d["lockdown_mode"]),
        ssh_running=d["ssh_running"],
        datacenter=d.get("datacenter"),
        vmks=tuple(
            VCenterVmk(
                name=v["name"],
                netstack=v["netstack"],
                mtu=v["mtu"],
                addresses=tuple(ip_interface(a) for a in v["addresses"]),
                gateway=_ip(v.get("gateway")),
                services=tuple(v["services"]),
                portgroup=v.get("portgroup"),
                mac=v.get("mac"),
            )
            for v in d["vmks"]
        ),
        netstacks=tuple(
            VCenterStack(key=n["key"], gateway=_ip(n.get("gateway")), gateway6=_ip(n.get("gateway6")))
            for n in d.get("netstacks", ())
        ),
        portgroups=tuple(d.get("portgroups", ())),
        vms=tuple(VCenterVm(name=vm["name"], networks=tuple(vm["networks"])) for vm in d.get("vms", ())),
    )


def _pair_from(d: Mapping[str, Any]) -> PairResult:
    src_ip = ip_address(d["src_ip"])
    plan = PairPlan(
        src_host=d["src_host"],
        src_vmk=d["src_vmk"],
        src_ip=src_ip,
        dst_host=d["dst_host"],
        dst_vmk=d["dst_vmk"],
        dst_ip=ip_address(d["dst_ip"]),
        family=Family(d["family"]) if d.get("family") else Family.of(src_ip),
        mtu=d.get("planned_mtu") or d["mtu_tested"] or 0,
        src_prefix=d.get("src_prefix"),
    )
    return PairResult(
        plan=plan,
        status=PairStatus(d["status"]),
        reason=Reason(d["reason"]) if d["reason"] else None,
        detail=d.get("detail"),
        reachable=d["reachable"],
        loss_pct=d["loss_pct"],
        rtt_min_ms=d.get("rtt_min_ms"),
        rtt_avg_ms=d["rtt_avg_ms"],
        rtt_max_ms=d.get("rtt_max_ms"),
        ttl=d["ttl"],
        routed=d["routed"],
        routed_by=d.get("routed_by"),
        mtu_tested=d["mtu_tested"],
        mtu_ok=d["mtu_ok"],
        max_mtu=d["max_mtu"],
        raw=dict(d.get("raw", {})),
    )


def _report_from_dict(d: Mapping[str, Any]) -> Report:
    check_schema(d)
    netstack = d.get("netstack", VMOTION_NETSTACK)
    try:
        return Report(
            started_at=d["started_at"],
            duration_s=float(d["duration_s"]),
            netstack=netstack,
            hosts=tuple(_host_from(h, netstack) for h in d["hosts"]),
            pairs=tuple(_pair_from(p) for p in d["pairs"]),
            findings=tuple(
                Finding(
                    check=f["check"],
                    severity=Severity(f["severity"]),
                    message=f["message"],
                    host=f["host"],
                    vmk=f["vmk"],
                )
                for f in d["findings"]
            ),
            schema=d["schema"],
            interrupted=bool(d.get("interrupted", False)),
            probe=str(d.get("probe", "ssh")),
            pacing=tuple(_pace_from(p) for p in d.get("pacing", ())),
        )
    except ValueError as exc:  # a bad address
        raise ReportFormatError(str(exc)) from exc


@cache
def report_schema() -> dict[str, Any]:
    """The report's JSON Schema (draft 2020-12), read from the package."""
    text = resources.files("validator").joinpath("schemas", SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def check_schema(data: object) -> None:
    """Raise :class:`ReportFormatError` naming the first place where ``data`` breaks the report schema."""
    validator = jsonschema.Draft202012Validator(report_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        message = error.message if len(error.message) <= 200 else error.message[:200] + "..."
        raise ReportFormatError(f"{where}: {message}")


def report_from_json(text: str) -> Report:
    """A report from JSON text; :class:`ReportFormatError` when it is not JSON or not a report."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportFormatError(f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise ReportFormatError("not a report: JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise ReportFormatError(f"expected a JSON object, got {type(data).__name__}")
    schema = data.get("schema")
    if schema != REPORT_SCHEMA:
        raise ReportFormatError(f"schema {schema!r} is not {REPORT_SCHEMA}")
    try:
        return Report.from_dict(data)
    except (RecursionError, OverflowError) as exc:
        raise ReportFormatError(f"not a report: {type(exc).__name__}") from None


def load_report(path: str | Path) -> Report:
    """Read a saved ``report.json``; :class:`ReportFormatError` naming the file and the problem."""
    path = Path(path)
    text = read_user_file(path, ReportFormatError, "report")
    try:
        return report_from_json(text)
    except ReportFormatError as exc:
        raise ReportFormatError(f"{path}: not a vmotion-validator report: {exc}") from None
