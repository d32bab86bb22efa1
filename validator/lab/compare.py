"""Compare a validation report with the ground truth the lab engineered (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.models import PairResult, PairStatus
from validator.report import Report

PairKey = tuple[str, str, str, str, str]


@dataclass(frozen=True)
class Mismatch:
    key: PairKey
    field: str
    expected: object
    actual: object

    def __str__(self) -> str:
        src_host, src_vmk, dst_host, dst_vmk, family = self.key
        return (
            f"{src_host}:{src_vmk} -> {dst_host}:{dst_vmk} ({family}): {self.field} "
            f"expected {self.expected!r}, got {self.actual!r}"
        )


def load_ground_truth(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    pairs: list[dict[str, Any]] = data["pairs"]
    return pairs


def compare_with_ground_truth(report: Report, truth: Sequence[Mapping[str, Any]]) -> list[Mismatch]:
    """Every difference between the report's pairs and the lab's expected verdicts."""
    actual = {r.plan.key: r for r in report.pairs}
    expected = {_truth_key(t): t for t in truth}
    mismatches: list[Mismatch] = []
    for key in sorted(expected.keys() - actual.keys()):
        mismatches.append(Mismatch(key, "pair", "planned", "missing from the report"))
    for key in sorted(actual.keys() - expected.keys()):
        mismatches.append(Mismatch(key, "pair", "absent", "present in the report"))
    for key in sorted(expected.keys() & actual.keys()):
        mismatches.extend(_compare_pair(key, expected[key], actual[key]))
    return mismatches


def _truth_key(truth: Mapping[str, Any]) -> PairKey:
    return (truth["src_host"], truth["src_vmk"], truth["dst_host"], truth["dst_vmk"], truth["family"])


def _compare_pair(key: PairKey, truth: Mapping[str, Any], result: PairResult) -> list[Mismatch]:
    found: list[Mismatch] = []
    status = result.status.value
    reason = result.reason.value if result.reason is not None else None
    if status != truth["expected_status"]:
        found.append(Mismatch(key, "status", truth["expected_status"], status))
    if reason != truth.get("expected_reason"):
        found.append(Mismatch(key, "reason", truth.get("expected_reason"), reason))
    checkable = result.status is not PairStatus.ERROR and result.reachable and result.routed is not None
    if checkable and result.routed != truth["routed"]:
        found.append(Mismatch(key, "routed", truth["routed"], result.routed))
    if result.max_mtu is not None and truth.get("max_mtu") is not None and result.max_mtu != truth["max_mtu"]:
        found.append(Mismatch(key, "max_mtu", truth["max_mtu"], result.max_mtu))
    return found
