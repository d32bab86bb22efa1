"""The ``fix-script`` subcommand: write the next steps of a saved report as one shell script per host."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_DIR = Path("fix-scripts")


def add_fix_script_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``fix-script REPORT.json [-o DIR]``."""
    cmd = subparsers.add_parser(
        "fix-script",
        help="write the next steps of a saved report as a reviewable shell script per host (nothing is run)",
        description="Write one commented shell script per host (set -eu, each command with the finding or "
                    "failing pairs it fixes) from a report.json, for review and use in the change window. "
                    "Nothing is run on any host.",
    )
    cmd.add_argument("report", type=Path, help="a report.json written by validate -o DIR")
    cmd.add_argument("-o", "--output", type=Path, default=DEFAULT_DIR,
                     help=f"directory to write the scripts into (default: {DEFAULT_DIR})")
    cmd.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from reports import write_atomic
    from validator.cli import prepare_output
    from validator.fix_script import fix_files
    from validator.report import load_report

    report = load_report(args.report)
    files = fix_files(report)
    if not files:
        print("nothing to fix: every pair passed and there is no finding")
        return 0
    prepare_output(args.output)
    for item in files:
        path = args.output / item.name
        write_atomic(path, item.text)
        print(f"wrote {path}", file=sys.stderr)
    scripts = [f for f in files if f.host is not None]
    commands = sum(f.commands for f in scripts)
    print(f"{len(scripts)} host script(s) with {commands} command(s) in {args.output}: review them, then run each "
          "on its host in the change window (nothing has been run)")
    return 0
