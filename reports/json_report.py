"""The JSON report (schema ``vmotion-validator/report/v1``), its schema, and the way back to a Report.

The keys of the v1 contract never change meaning; keys may be added. :data:`SCHEMA` is a JSON Schema
(draft 2020-12) of the contract: the v1 core keys are required, the added ones (``family``, ``detail``,
``addresses``, ``netstack``...) are described but optional, so a core-only document still loads.
:func:`validate` checks a document against the subset of JSON Schema that SCHEMA uses (type, required,
properties, items, enum, const, additionalProperties), so no dependency is needed. :func:`from_dict`
rebuilds a :class:`Report` (for baseline diffs); raw outputs are kept only for failed/error pairs and
for hosts that failed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from ipaddress import ip_address, ip_interface
from typing import Any

from validator.errors import ValidatorError
from validator.models import (
    REPORT_SCHEMA,
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
    Report,
    Severity,
    Vmk,
)


class ReportFormatError(ValidatorError, ValueError):
    """A JSON report does not follow the schema (``path`` says where)."""

    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def _nullable(kind: str | list[str]) -> dict[str, Any]:
    kinds = [kind] if isinstance(kind, str) else kind
    return {"type": [*kinds, "null"]}


def _enum(values: list[str], nullable: bool = False) -> dict[str, Any]:
    return {"type": ["string", "null"] if nullable else "string", "enum": values + ([None] if nullable else [])}


_VMK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "ip", "prefix", "mtu", "netstack", "enabled", "gateway", "tags"],
    "properties": {
        "name": {"type": "string"},
        "ip": _nullable("string"),
        "prefix": _nullable("integer"),
        "mtu": {"type": "integer"},
        "netstack": {"type": "string"},
        "enabled": {"type": "boolean"},
        "gateway": _nullable("string"),
        "tags": {"type": "array", "items": {"type": "string"}},
        "addresses": {"type": "array", "items": {"type": "string"}},
        "portgroup": _nullable("string"),
        "mac": _nullable("string"),
    },
}

_HOST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "address", "status", "error", "gateway", "vmks"],
    "properties": {
        "name": {"type": "string"},
        "address": {"type": "string"},
        "status": _enum([s.value for s in HostStatus]),
        "error": _nullable("string"),
        "gateway": _nullable("string"),
        "vmks": {"type": "array", "items": _VMK_SCHEMA},
        "gateway6": _nullable("string"),
        "netstack": {"type": "string"},
        "netstack_present": {"type": "boolean"},
        "netstacks": {"type": "array", "items": {"type": "string"}},
        "other_vmks": {"type": "array", "items": _VMK_SCHEMA},
        "raw": {"type": "object"},
    },
}

_PAIR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "src_host",
        "src_vmk",
        "src_ip",
        "dst_host",
        "dst_vmk",
        "dst_ip",
        "status",
        "reason",
        "reachable",
        "loss_pct",
        "rtt_avg_ms",
        "ttl",
        "routed",
        "mtu_tested",
        "mtu_ok",
        "max_mtu",
    ],
    "properties": {
        "src_host": {"type": "string"},
        "src_vmk": {"type": "string"},
        "src_ip": {"type": "string"},
        "dst_host": {"type": "string"},
        "dst_vmk": {"type": "string"},
        "dst_ip": {"type": "string"},
        "status": _enum([s.value for s in PairStatus]),
        "reason": _enum([r.value for r in Reason], nullable=True),
        "reachable": _nullable("boolean"),
        "loss_pct": _nullable("number"),
        "rtt_avg_ms": _nullable("number"),
        "ttl": _nullable("integer"),
        "routed": _nullable("boolean"),
        "mtu_tested": _nullable("integer"),
        "mtu_ok": _nullable("boolean"),
        "max_mtu": _nullable("integer"),
        "family": _enum([f.value for f in Family]),
        "detail": _nullable("string"),
        "rtt_min_ms": _nullable("number"),
        "rtt_max_ms": _nullable("number"),
        "planned_mtu": {"type": "integer"},
        "routed_by": _enum(["ttl", "subnet"], nullable=True),
        "src_prefix": _nullable("integer"),
        "raw": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}

_FINDING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["check", "severity", "host", "vmk", "message"],
    "properties": {
        "check": {"type": "string"},
        "severity": _enum([s.value for s in Severity]),
        "host": _nullable("string"),
        "vmk": _nullable("string"),
        "message": {"type": "string"},
    },
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://vmotion-validator.invalid/schemas/report-v1.json",
    "title": REPORT_SCHEMA,
    "type": "object",
    "required": ["schema", "started_at", "duration_s", "hosts", "pairs", "findings", "summary"],
    "properties": {
        "schema": {"type": "string", "const": REPORT_SCHEMA},
        "started_at": {"type": "string"},
        "duration_s": {"type": "number"},
        "netstack": {"type": "string"},
        "hosts": {"type": "array", "items": _HOST_SCHEMA},
        "pairs": {"type": "array", "items": _PAIR_SCHEMA},
        "findings": {"type": "array", "items": _FINDING_SCHEMA},
        "summary": {
            "type": "object",
            "required": ["pairs", "pass", "fail", "error", "verdict"],
            "properties": {
                "pairs": {"type": "integer"},
                "pass": {"type": "integer"},
                "fail": {"type": "integer"},
                "error": {"type": "integer"},
                "verdict": _enum(["pass", "fail"]),
                "findings_error": {"type": "integer"},
            },
        },
    },
}

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _is(value: object, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[kind])


def validate(doc: object, schema: Mapping[str, Any] = SCHEMA, path: str = "$") -> None:
    """Raise :class:`ReportFormatError` unless ``doc`` follows ``schema`` (the subset SCHEMA uses)."""
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(doc, k) for k in kinds):
            raise ReportFormatError(f"expected {' or '.join(kinds)}, got {type(doc).__name__}", path)
    if "const" in schema and doc != schema["const"]:
        raise ReportFormatError(f"expected {schema['const']!r}, got {doc!r}", path)
    if "enum" in schema and doc not in schema["enum"]:
        raise ReportFormatError(f"{doc!r} is not one of {schema['enum']}", path)
    if isinstance(doc, dict):
        for key in schema.get("required", ()):
            if key not in doc:
                raise ReportFormatError(f"missing key {key!r}", path)
        for key, sub in schema.get("properties", {}).items():
            if key in doc:
                validate(doc[key], sub, f"{path}.{key}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, value in doc.items():
                if key not in schema.get("properties", {}):
                    validate(value, extra, f"{path}.{key}")
    if isinstance(doc, list) and "items" in schema:
        for i, item in enumerate(doc):
            validate(item, schema["items"], f"{path}[{i}]")


# --- Report -> dict ---------------------------------------------------------------------------------


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


def _host(host: HostInfo) -> dict[str, Any]:
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
    }
    if not host.ok and host.raw:
        d["raw"] = dict(host.raw)
    return d


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
        "detail": pair.detail,
        "rtt_min_ms": pair.rtt_min_ms,
        "rtt_max_ms": pair.rtt_max_ms,
        "planned_mtu": p.mtu,
        "routed_by": pair.routed_by,
        "src_prefix": p.src_prefix,
    }
    if pair.status is not PairStatus.PASS:
        d["raw"] = dict(pair.raw)
    return d


def _finding(f: Finding) -> dict[str, Any]:
    return {"check": f.check, "severity": f.severity.value, "host": f.host, "vmk": f.vmk, "message": f.message}


def to_dict(report: Report) -> dict[str, Any]:
    """The report as plain JSON-able data, following :data:`SCHEMA`."""
    s = report.summary
    return {
        "schema": report.schema,
        "started_at": report.started_at,
        "duration_s": report.duration_s,
        "netstack": report.netstack,
        "hosts": [_host(h) for h in report.hosts],
        "pairs": [_pair(p) for p in report.pairs],
        "findings": [_finding(f) for f in report.findings],
        "summary": {
            "pairs": s.pairs,
            "pass": s.passed,
            "fail": s.failed,
            "error": s.errors,
            "verdict": s.verdict,
            "findings_error": s.findings_error,
        },
    }


def render(report: Report) -> str:
    """The JSON report text (indented, UTF-8 safe, newline-terminated)."""
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"


# --- dict -> Report ---------------------------------------------------------------------------------


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
        raw=dict(d.get("raw", {})),
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


def from_dict(d: Mapping[str, Any]) -> Report:
    """Rebuild a Report from :func:`to_dict` output; :class:`ReportFormatError` when it is not one."""
    validate(dict(d))
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
        )
    except ValueError as exc:  # a bad address
        raise ReportFormatError(str(exc)) from exc


def loads(text: str) -> Report:
    """A Report from JSON report text."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportFormatError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ReportFormatError(f"expected a JSON object, got {type(data).__name__}")
    return from_dict(data)
