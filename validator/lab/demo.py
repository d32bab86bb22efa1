"""``vmotion-validator demo``: lab up, full validation, report, lab down - and proof against ground truth."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from validator.inventory import load_inventory
from validator.lab.compare import compare_with_ground_truth, load_ground_truth

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def default_topology() -> Path:
    """samples/lab/demo.toml of this checkout, else of the current directory."""
    for base in (_PROJECT_ROOT, Path.cwd()):
        candidate = base / "samples" / "lab" / "demo.toml"
        if candidate.exists():
            return candidate
    return Path("samples/lab/demo.toml")


def run_demo(args: argparse.Namespace) -> int:
    """Exit 0 when the run worked and every verdict matches what the lab engineered."""
    from validator.cli import EXIT_FAIL, EXIT_OK, finish, run_options, validate_inventory, with_inventory
    from validator.lab.api import running_lab

    options = run_options(args)
    topology = args.topology or default_topology()
    with tempfile.TemporaryDirectory(prefix="vmv-demo-") as scratch:
        state = args.state or Path(scratch) / "lab"
        with running_lab(topology, state):
            inventory = load_inventory(state / "inventory.toml")
            env_name = inventory.ssh.password_env
            if env_name and not os.environ.get(env_name):
                os.environ[env_name] = (state / "password").read_text(encoding="utf-8").strip()
            report = validate_inventory(inventory, with_inventory(options, inventory), args)
            finish(report, args)
            mismatches = compare_with_ground_truth(report, load_ground_truth(state / "ground_truth.json"))
    print()
    if mismatches:
        print(f"demo: {len(mismatches)} verdict(s) differ from the lab's ground truth:")
        for mismatch in mismatches:
            print(f"  {mismatch}")
        return EXIT_FAIL
    print(
        f"demo: all {len(report.pairs)} pair verdicts match the faults the lab engineered "
        f"({report.summary.failed} fail, {report.summary.errors} error by design); lab torn down.",
        file=sys.stdout,
    )
    return EXIT_OK
