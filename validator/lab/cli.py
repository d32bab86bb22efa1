"""``vmotion-validator lab up|down|status``: the command line of the lab (wired by validator/cli.py).

Exit codes: 0 ok, 1 the lab could not be built/torn down, 2 bad usage or topology, or a machine that cannot
run a lab (not Linux, not root).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from validator.errors import LabError
from validator.lab.api import LabHostError, lab_down, lab_status, lab_up
from validator.lab.generate import generate_topology
from validator.lab.topology import Topology, load_topology

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2


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
    _state(up)
    down = actions.add_parser("down", help="remove the lab recorded in the state directory")
    _state(down)
    down.add_argument("--prefix", default=None, help="sweep this prefix even without a lab record")
    status = actions.add_parser("status", help="show what the lab record says and what is running")
    _state(status)
    status.add_argument("--json", action="store_true", help="print JSON")
    lab.set_defaults(func=run_lab)


def _state(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state", type=Path, required=True, help="state directory (inventory, keys, records)")


def run_lab(args: argparse.Namespace) -> int:
    """Run one lab action; errors become one line on stderr and an exit code."""
    try:
        if args.lab_action == "up":
            return _up(args)
        if args.lab_action == "down":
            lab_down(args.state, prefix=args.prefix)
            return EXIT_OK
        return _status(args)
    except LabHostError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAIL


def _up(args: argparse.Namespace) -> int:
    try:
        topo: Topology
        if args.topology is not None:
            topo = load_topology(args.topology)
        else:
            topo = generate_topology(args.hosts, args.vmks, args.racks)
        if args.prefix is not None:
            topo = topo.with_prefix(args.prefix)
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    state = lab_up(topo, args.state)
    print(state.export_line)
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    status = lab_status(args.state)
    if args.json:
        print(json.dumps(status, indent=2))
        return EXIT_OK
    if status["state"] == "absent":
        print(f"no lab recorded in {status['state_dir']}")
        return EXIT_FAIL
    ns = status["namespaces"]
    health = "" if status["state"] == "down" else (" (healthy)" if status["healthy"] else " (NOT healthy)")
    print(f"lab {status['prefix']} in {status['state_dir']}: {status['state']}{health}, topology {status['topology']}")
    print(f"namespaces: {ns['present']}/{ns['expected']} present")
    for host in status["hosts"]:
        print(f"  {host['name']:<16} {host['address']}:{host['port']:<5} sshd {host['sshd']}")
    return EXIT_OK if status["healthy"] or status["state"] == "down" else EXIT_FAIL


def main(argv: list[str] | None = None) -> int:
    """``python -m validator.lab.cli [lab] up|down|status ...`` (until wired into vmotion-validator)."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] != ["lab"]:
        words.insert(0, "lab")
    parser = argparse.ArgumentParser(prog="python -m validator.lab.cli")
    add_lab_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(words)
    return run_lab(args)


if __name__ == "__main__":
    sys.exit(main())
