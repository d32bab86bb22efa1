"""Command line: ``vmotion-validator validate|demo|checks|lab``.

Exit codes: 0 every pair passed, 1 any pair failed or errored (or nothing could be validated),
2 bad usage or a bad inventory.
"""

from __future__ import annotations

import argparse
import getpass
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from validator.errors import InventoryError, UsageError, ValidatorError
from validator.inventory import Inventory, load_inventory, resolve_password
from validator.models import VMOTION_NETSTACK, Report
from validator.probe import ProbeOptions
from validator.runner import RunOptions, run_validation
from validator.transport import SshConnector

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except (InventoryError, UsageError) as exc:
        print(f"vmotion-validator: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValidatorError as exc:
        print(f"vmotion-validator: error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print("vmotion-validator: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vmotion-validator",
        description="Prove a vSphere cluster's L3 vMotion network: full-mesh vmkping on the vMotion TCP/IP stack.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    validate = sub.add_parser("validate", help="validate the vMotion mesh of the hosts in an inventory")
    validate.add_argument("-i", "--inventory", required=True, type=Path, help="inventory TOML file")
    add_run_arguments(validate)
    validate.set_defaults(func=cmd_validate)

    demo = sub.add_parser("demo", help="lab up (demo topology), full validation, report, lab down (needs root)")
    demo.add_argument("--topology", type=Path, default=None, help="lab topology (default: samples/lab/demo.toml)")
    demo.add_argument("--state", type=Path, default=None, help="lab state directory (default: a temporary one)")
    add_run_arguments(demo, default_output=Path("demo-report"))
    demo.set_defaults(func=cmd_demo)

    checks = sub.add_parser("checks", help="list the configuration checks")
    checks.set_defaults(func=cmd_checks)

    from validator.lab.cli import add_lab_parser

    add_lab_parser(sub)
    return parser


def add_run_arguments(parser: argparse.ArgumentParser, default_output: Path | None = None) -> None:
    probe = parser.add_argument_group("probing")
    probe.add_argument("--netstack", default=VMOTION_NETSTACK, help="TCP/IP stack to probe (default: vmotion)")
    probe.add_argument("--count", type=int, default=3, help="packets per probe (default 3)")
    probe.add_argument("--interval", type=float, default=0.2, help="seconds between packets (default 0.2)")
    probe.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for a reply (default 1)")
    probe.add_argument("--concurrency", type=int, default=32, help="parallel probes per source host (default 32)")
    probe.add_argument("--mtu", type=int, default=None, help="test this MTU instead of each pair's smaller vmk MTU")
    probe.add_argument("--discover-mtu", action="store_true", help="bisect the largest MTU passing with DF")
    probe.add_argument("--no-warmup", action="store_true", help="skip the ARP/ND warm-up packet")
    probe.add_argument("--checks", default=None, help="comma-separated checks to run (default: all)")
    out = parser.add_argument_group("output")
    out.add_argument("-o", "--output", type=Path, default=default_output, help="write report.json and report.md here")
    out.add_argument("--width", type=int, default=None, help="terminal width for the matrix (default: detected)")
    out.add_argument("--color", action="store_true", help="colour the terminal report")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    out.add_argument(
        "--ask-password", action="store_true", help="prompt for the SSH password (instead of ssh.password_env)"
    )
    out.add_argument("--strict", action="store_true", help="also exit 1 on error-severity findings")


def run_options(args: argparse.Namespace) -> RunOptions:
    """Validated run options from the command line (UsageError on nonsense)."""
    if not 1 <= args.count <= 100:
        raise UsageError("--count must be 1..100")
    if not 0.01 <= args.interval <= 10:
        raise UsageError("--interval must be 0.01..10 seconds")
    if not 0.1 <= args.timeout <= 60:
        raise UsageError("--timeout must be 0.1..60 seconds")
    if not 1 <= args.concurrency <= 256:
        raise UsageError("--concurrency must be 1..256")
    if args.mtu is not None and not 576 <= args.mtu <= 9216:
        raise UsageError("--mtu must be 576..9216")
    checks = tuple(c.strip() for c in args.checks.split(",") if c.strip()) if args.checks else None
    if checks:
        from checks import CHECKS

        unknown = [c for c in checks if c not in CHECKS]
        if unknown:
            raise UsageError(f"unknown check(s) {', '.join(unknown)}; known: {', '.join(sorted(CHECKS))}")
    probe = ProbeOptions(
        netstack=_netstack(args.netstack),
        count=args.count,
        interval=args.interval,
        timeout=args.timeout,
        concurrency=args.concurrency,
        mtu=args.mtu,
        warmup=not args.no_warmup,
    )
    return RunOptions(probe=probe, discover_mtu=args.discover_mtu, checks=checks)


def _netstack(name: str) -> str:
    from validator.esxi.commands import validate_netstack

    try:
        return validate_netstack(name)
    except ValueError as exc:
        raise UsageError(f"--netstack: {exc}") from None


def cmd_validate(args: argparse.Namespace) -> int:
    inventory = load_inventory(args.inventory)
    options = with_inventory(run_options(args), inventory)
    report = validate_inventory(inventory, options, args)
    return finish(report, args)


def with_inventory(options: RunOptions, inventory: Inventory) -> RunOptions:
    """Options completed from the inventory (the SSH command timeout bounds every probe session)."""
    probe = replace(options.probe, command_timeout=inventory.ssh.command_timeout)
    return replace(options, probe=probe)


def validate_inventory(inventory: Inventory, options: RunOptions, args: argparse.Namespace) -> Report:
    """Resolve the secret, then run; nothing is sent before the inventory is valid."""
    if args.ask_password:
        password: str | None = getpass.getpass(f"SSH password for {inventory.ssh.username}: ")
    else:
        password = resolve_password(inventory.ssh)
    connector = SshConnector(inventory.ssh, password)
    progress = _progress(args.quiet)
    progress(f"validating {len(inventory.hosts)} host(s) from {inventory.path} on the {options.probe.netstack} stack")
    return run_validation(inventory.hosts, connector, options, progress)


def finish(report: Report, args: argparse.Namespace) -> int:
    """Print the terminal report, write files, and turn the verdict into an exit code."""
    from reports import terminal, write_reports

    width = args.width or shutil.get_terminal_size((120, 40)).columns
    print(terminal.render(report, width=max(80, width), color=args.color))
    if args.output is not None:
        for path in write_reports(report, args.output, ("json", "markdown")):
            print(f"wrote {path}", file=sys.stderr)
    summary = report.summary
    if summary.verdict != "pass":
        return EXIT_FAIL
    if args.strict and summary.findings_error:
        return EXIT_FAIL
    return EXIT_OK


def cmd_checks(_args: argparse.Namespace) -> int:
    from checks import CHECKS

    for name in sorted(CHECKS):
        print(f"{name:24} {CHECKS[name].description}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from validator.lab.demo import run_demo

    return run_demo(args)


def _progress(quiet: bool) -> Callable[[str], None]:
    start = time.monotonic()

    def emit(message: str) -> None:
        if not quiet:
            print(f"[{time.monotonic() - start:6.1f}s] {message}", file=sys.stderr, flush=True)

    return emit


if __name__ == "__main__":
    raise SystemExit(main())
