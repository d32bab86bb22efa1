"""``vmotion-validator lab up|down|status``: what the lab subcommands do (their arguments: validator/cli_lab.py).

Exit codes: 0 ok; 1 the lab could not be built/torn down, or its state directory is busy (another up/down/
status holds its lock: nothing is wrong with the command, running it again later succeeds); 2 bad usage,
topology or state directory path (not a directory, not writable), or a machine that cannot run a lab (not
Linux, not root).
"""

from __future__ import annotations

import argparse
import json
import sys

from validator.errors import LabError
from validator.lab.api import LabHostError, lab_down, lab_status, lab_up
from validator.lab.generate import generate_topology
from validator.lab.state import StatePathError
from validator.lab.topology import Topology, load_topology

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2


def run_lab(args: argparse.Namespace) -> int:
    """Run one lab action; errors become one line on stderr and an exit code."""
    try:
        if args.lab_action == "up":
            return _up(args)
        if args.lab_action == "down":
            lab_down(args.state, prefix=args.prefix)
            return EXIT_OK
        return _status(args)
    except (LabHostError, StatePathError) as exc:
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
        cpu_ms, delay_ms = args.vmkping_cpu_ms, args.vmkping_delay_ms
        if cpu_ms is not None or delay_ms is not None:
            topo = topo.with_vmkping_cost(topo.lab.vmkping_cpu_ms if cpu_ms is None else cpu_ms,
                                          topo.lab.vmkping_delay_ms if delay_ms is None else delay_ms)
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
