"""The data the HTML report's script draws from: compact, interned, every host text made printable.

Shape (``payload``): ``kinds`` (one per verdict label: colour, cell code, count), ``hosts`` (names),
``matrices`` (per address family: endpoints ``[host index, vmk, ip, mtu]`` grouped by host, and pairs as
arrays, see :data:`PAIR_FIELDS`), ``strings`` (the interned texts that pair arrays point to, -1 = none).
Raw vmkping output is kept for every pair that did not pass; for passing pairs only while their total stays
under :data:`RAW_BUDGET` characters (a 16,000-pair report stays a few megabytes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reports.next_steps import command_lines, index_steps, step_title, steps_of
from reports.view import SHORT_CODES, Matrix, describe, matrices, printable, reason_label
from validator.limits import PASSING_RAW_BUDGET
from validator.models import PairResult, PairStatus, Reason
from validator.report import Report

PAIR_FIELDS = (
    "src", "dst", "kind", "detail", "loss", "rtt_min", "rtt_avg", "rtt_max",
    "ttl", "routed", "mtu_tested", "mtu_ok", "max_mtu", "raw", "next",
)  # fmt: skip
RAW_BUDGET = PASSING_RAW_BUDGET  # characters of raw output shown for passing pairs, all together (a run keeps no more)
RAW_PER_PAIR = 8_000  # characters of raw output kept per pair

# label -> (fill, ink): fill of the cell, colour of text drawn on it
PASS_COLORS = ("#2f9e44", "#ffffff")
ERROR_COLORS = ("#495057", "#ffffff")
REASON_COLORS: dict[Reason, tuple[str, str]] = {
    Reason.PATH_MTU: ("#f59f00", "#1f1500"),
    Reason.LOCAL_MTU: ("#e8590c", "#ffffff"),
    Reason.NO_ROUTE: ("#e03131", "#ffffff"),
    Reason.UNREACHABLE: ("#a61e4d", "#ffffff"),
    Reason.ARP: ("#f06595", "#2b0010"),
    Reason.LOSS: ("#fcc419", "#1f1500"),
    Reason.VMK_DOWN: ("#7048e8", "#ffffff"),
    Reason.UNKNOWN_VMK: ("#1c7ed6", "#ffffff"),
    Reason.HOST_ERROR: ERROR_COLORS,
    Reason.PARSE_ERROR: ("#868e96", "#ffffff"),
}
FAIL_COLORS = ("#c92a2a", "#ffffff")


class Strings:
    """An interning table: each distinct text stored once, referred to by index."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def ref(self, text: str) -> int:
        if not text:
            return -1
        if text not in self._index:
            self._index[text] = len(self.items)
            self.items.append(text)
        return self._index[text]


def _kind(pair: PairResult) -> dict[str, Any]:
    label = "pass" if pair.status is PairStatus.PASS else reason_label(pair)
    if pair.status is PairStatus.PASS:
        code, (fill, ink) = "ok", PASS_COLORS
    elif pair.status is PairStatus.ERROR:
        code, (fill, ink) = "ERR", REASON_COLORS.get(pair.reason, ERROR_COLORS) if pair.reason else ERROR_COLORS
    elif pair.reason is None:
        code, (fill, ink) = "fail", FAIL_COLORS
    else:
        code, (fill, ink) = SHORT_CODES.get(pair.reason, pair.reason.value), REASON_COLORS.get(pair.reason, FAIL_COLORS)
    return {"label": label, "code": code, "fill": fill, "ink": ink, "pass": pair.status is PairStatus.PASS, "n": 0}


def _raw(pair: PairResult) -> str:
    parts = [f"[{key}]\n{value.rstrip()}" for key, value in pair.raw.items()]
    text = printable("\n\n".join(parts), keep_newlines=True)
    if len(text) > RAW_PER_PAIR:
        text = text[:RAW_PER_PAIR] + f"\n... ({len(text) - RAW_PER_PAIR} more characters)"
    return text


def _num(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _ordered_endpoints(m: Matrix) -> list[tuple[str, str]]:
    """The matrix endpoints with each host's vmks next to each other, hosts in first-seen order."""
    by_host: dict[str, list[tuple[str, str]]] = {}
    for ep in m.endpoints:
        by_host.setdefault(ep[0], []).append(ep)
    return [ep for eps in by_host.values() for ep in eps]


def _keep_pass_raw(pairs: Sequence[PairResult]) -> bool:
    total = sum(len(v) for p in pairs if p.status is PairStatus.PASS for v in p.raw.values())
    return total <= RAW_BUDGET


def payload(report: Report) -> dict[str, Any]:
    """Everything the page's script needs, as JSON-able data (see the module doc)."""
    strings = Strings()
    kinds: dict[str, dict[str, Any]] = {}
    host_index: dict[str, int] = {}
    for host in report.hosts:
        host_index.setdefault(host.name, len(host_index))
    mtus = {(h.name, v.name): v.mtu for h in report.hosts for v in h.vmks}
    keep_pass_raw = _keep_pass_raw(report.pairs)
    steps = steps_of(report)
    step_index = index_steps(steps)
    out_matrices = []
    for m in matrices(report):
        endpoints = _ordered_endpoints(m)
        index = {ep: i for i, ep in enumerate(endpoints)}
        ips: dict[tuple[str, str], str] = {}
        rows = []
        for (src, dst), pair in m.pairs.items():
            ips[src], ips[dst] = str(pair.plan.src_ip), str(pair.plan.dst_ip)
            kind = _kind(pair)
            entry = kinds.setdefault(kind["label"], kind)
            entry["n"] += 1
            passed = pair.status is PairStatus.PASS
            detail = printable(pair.detail) if passed else describe(pair).removeprefix(kind["label"]).lstrip(" -")
            raw = _raw(pair) if (not passed or keep_pass_raw) else ""
            rows.append(
                [
                    index[src], index[dst], list(kinds).index(kind["label"]), strings.ref(detail),
                    _num(pair.loss_pct), _num(pair.rtt_min_ms), _num(pair.rtt_avg_ms), _num(pair.rtt_max_ms),
                    pair.ttl, _flag(pair.routed), pair.mtu_tested, _flag(pair.mtu_ok), pair.max_mtu,
                    strings.ref(raw), step_index.for_pair(pair),
                ]
            )  # fmt: skip
        for name, _ in endpoints:
            host_index.setdefault(name, len(host_index))
        out_matrices.append(
            {
                "family": m.family.value,
                "title": "IPv4" if m.family.value == "ipv4" else "IPv6",
                "eps": [[host_index[h], printable(v), ips.get((h, v), ""), mtus.get((h, v))] for h, v in endpoints],
                "pairs": rows,
                "mtus": sorted({p.mtu_tested for p in m.pairs.values() if p.mtu_tested}),
            }
        )
    return {
        "kinds": list(kinds.values()),
        "hosts": [printable(name) for name in host_index],
        "matrices": out_matrices,
        "strings": strings.items,
        "passRaw": keep_pass_raw,
        "fields": list(PAIR_FIELDS),
        "steps": [{"title": step_title(s), "lines": [f"{label}: {text}" for label, text in command_lines(s)]}
                  for s in steps],
    }
