"""The ``lab`` subcommand's arguments; the lab itself is imported only when a lab command runs."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_lab_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``lab`` with its ``up``, ``down`` and ``status`` subcommands."""
    lab = subparsers.add_parser(
        "lab",
        help="build or remove an emulated ESXi lab (network namespaces + sshd; Linux, root)",
        description="Emulated ESXi hosts in network namespaces, reachable over SSH, with engineered faults.",
    )
    actions = lab.add_subparsers(dest="lab_action", metavar="{up,down,status}", required=True)
    up = actions.add_parser("up", help="build the lab described by a topology (or a generated one)")
    source = up.add_mutually_exclusive_group(required=True)
    source.add_argument("--topology", type=Path, help="topology TOML (see samples/lab/demo.toml)")
    source.add_argument("--hosts", type=int, help="generate N healthy hosts instead of reading a topology")
    up.add_argument("--vmks", type=int, default=2, help="vmotion vmks per generated host (default 2)")
    up.add_argument("--racks", type=int, default=None, help="racks for generated hosts (default: 8 hosts/rack)")
    up.add_argument("--prefix", default=None, help="override the topology's name prefix")
    up.add_argument("--vmkping-cpu-ms", type=int, default=None, metavar="MS",
                    help="every emulated vmkping burns MS of CPU first: a saturated host (default: the topology's)")
    up.add_argument("--vmkping-delay-ms", type=int, default=None, metavar="MS",
                    help="every emulated vmkping sleeps MS first: a slow host (default: the topology's)")
    _state(up)
    down = actions.add_parser("down", help="remove the lab recorded in the state directory")
    _state(down)
    down.add_argument("--prefix", default=None, help="sweep this prefix even without a lab record")
    status = actions.add_parser("status", help="show what the lab record says and what is running")
    _state(status)
    status.add_argument("--json", action="store_true", help="print JSON")
    lab.set_defaults(func=_run_lab)


def _state(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state", type=Path, required=True, help="state directory (inventory, keys, records)")


def _run_lab(args: argparse.Namespace) -> int:
    from validator.lab.cli import run_lab

    return run_lab(args)
