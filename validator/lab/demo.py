"""``vmotion-validator demo``: lab up, full validation through :func:`validator.validate`, lab down, and
every verdict compared with the lab's ground truth."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from validator.api import validate
from validator.inventory import load_inventory
from validator.lab.api import running_lab
from validator.lab.compare import compare_with_ground_truth, load_ground_truth
from validator.options import RunOptions
from validator.progress import ProgressCallback
from validator.report import Report

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class DemoOutcome:
    """The run's report, and every verdict that differs from what the lab engineered (empty: all match)."""

    report: Report
    mismatches: tuple[str, ...]


def default_topology() -> Path:
    """samples/lab/demo.toml of this checkout, else of the current directory."""
    for base in (_PROJECT_ROOT, Path.cwd()):
        candidate = base / "samples" / "lab" / "demo.toml"
        if candidate.exists():
            return candidate
    return Path("samples/lab/demo.toml")


def run_demo(
    topology: Path, state: Path | None, options: RunOptions, progress: ProgressCallback | None = None
) -> DemoOutcome:
    """Build the lab, validate it, compare with its ground truth, and tear it down (also on failure)."""
    with tempfile.TemporaryDirectory(prefix="vmv-demo-") as scratch:
        state_dir = state or Path(scratch) / "lab"
        with running_lab(topology, state_dir) as lab:
            inventory = load_inventory(lab.inventory)
            report = validate(inventory, options=options, password=lab.password(), progress=progress)
            mismatches = compare_with_ground_truth(report, load_ground_truth(lab.ground_truth))
    return DemoOutcome(report=report, mismatches=tuple(str(m) for m in mismatches))
