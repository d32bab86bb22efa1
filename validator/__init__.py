"""vmotion-validator: prove a vSphere cluster's L3 vMotion network before trusting it with a migration.

The public API::

    import validator

    inventory = validator.load_inventory("cluster.toml")
    report = validator.validate(inventory, options=validator.RunOptions(discover_mtu=True))
    for pair in report.failing_pairs():
        print(pair.plan.src_host, pair.plan.dst_host, pair.reason)
    raise SystemExit(report.exit_code(strict=True))

Names are imported on first use, so ``import validator.models`` (or the lab, or a report format) does not
pull in the SSH engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from validator.api import validate
    from validator.discovery import Discoverer, HostContext
    from validator.errors import (
        InventoryError,
        ReportFormatError,
        TransportError,
        UsageError,
        ValidatorError,
    )
    from validator.inventory import Inventory, InventoryHost, load_inventory
    from validator.models import CheckSettings, Finding, HostInfo, PairPlan, PairResult, PairStatus, Reason, Severity
    from validator.options import ProbeOptions, RunOptions
    from validator.progress import ProgressEvent
    from validator.report import Report, load_report
    from validator.transport import CommandResult, Connector, Executor

_EXPORTS: dict[str, str] = {
    "CheckSettings": "validator.models",
    "CommandResult": "validator.transport",
    "Connector": "validator.transport",
    "Discoverer": "validator.discovery",
    "Executor": "validator.transport",
    "Finding": "validator.models",
    "HostContext": "validator.discovery",
    "HostInfo": "validator.models",
    "Inventory": "validator.inventory",
    "InventoryError": "validator.errors",
    "InventoryHost": "validator.inventory",
    "PairPlan": "validator.models",
    "PairResult": "validator.models",
    "PairStatus": "validator.models",
    "ProbeOptions": "validator.options",
    "ProgressEvent": "validator.progress",
    "Reason": "validator.models",
    "Report": "validator.report",
    "ReportFormatError": "validator.errors",
    "RunOptions": "validator.options",
    "Severity": "validator.models",
    "TransportError": "validator.errors",
    "UsageError": "validator.errors",
    "ValidatorError": "validator.errors",
    "load_inventory": "validator.inventory",
    "load_report": "validator.report",
    "validate": "validator.api",
}

__all__ = [
    "CheckSettings",
    "CommandResult",
    "Connector",
    "Discoverer",
    "Executor",
    "Finding",
    "HostContext",
    "HostInfo",
    "Inventory",
    "InventoryError",
    "InventoryHost",
    "PairPlan",
    "PairResult",
    "PairStatus",
    "ProbeOptions",
    "ProgressEvent",
    "Reason",
    "Report",
    "ReportFormatError",
    "RunOptions",
    "Severity",
    "TransportError",
    "UsageError",
    "ValidatorError",
    "load_inventory",
    "load_report",
    "validate",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'validator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
