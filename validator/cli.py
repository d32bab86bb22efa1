"""Command line: ``vmotion-validator validate|report|demo|checks|lab``; a thin caller of :func:`validator.validate`.

Exit codes: 0 every pair passed, 1 any pair failed or errored (or nothing could be validated), 2 bad usage,
a bad inventory or an unreadable report, 130 interrupted.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from validator.api import validate
from validator.cli_lab import add_lab_parser
from validator.errors import Interrupted, InventoryError, ReportFormatError, UsageError, ValidatorError
from validator.inventory import load_inventory
from validator.models import VMOTION_NETSTACK, Reason
from validator.options import ProbeOptions, RunOptions
from validator.progress_display import progress_display
from validator.report import Report, load_report

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
DEFAULT_FORMATS = ("table",)
DEFAULT_FILE_FORMATS = ("table", "json", "markdown")  # with -o DIR: the table on stdout, json + markdown files


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except (InventoryError, UsageError, ReportFormatError) as exc:
        print(f"vmotion-validator: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValidatorError as exc:
        print(f"vmotion-validator: error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print("vmotion-validator: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vmotion-validator",
        description="Prove a vSphere cluster's L3 vMotion network: full-mesh vmkping on the vMotion TCP/IP stack.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    validate_cmd = sub.add_parser("validate", help="validate the vMotion mesh of the hosts in an inventory")
    validate_cmd.add_argument("-i", "--inventory", required=True, type=Path, help="inventory TOML file")
    add_run_arguments(validate_cmd)
    add_output_arguments(validate_cmd)
    validate_cmd.set_defaults(func=cmd_validate)

    report = sub.add_parser("report", help="re-render a saved report.json (touches no host)")
    report.add_argument("report", type=Path, help="a report.json written by validate -o DIR")
    add_output_arguments(report, run=False)
    report.set_defaults(func=cmd_report)

    demo = sub.add_parser("demo", help="lab up (demo topology), full validation, report, lab down (needs root)")
    demo.add_argument("--topology", type=Path, default=None, help="lab topology (default: samples/lab/demo.toml)")
    demo.add_argument("--state", type=Path, default=None, help="lab state directory (default: a temporary one)")
    add_run_arguments(demo)
    add_output_arguments(demo, default_output=Path("demo-report"))
    demo.set_defaults(func=cmd_demo)

    checks = sub.add_parser("checks", help="list the configuration checks")
    checks.set_defaults(func=cmd_checks)

    add_lab_parser(sub)
    return parser


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = ProbeOptions()
    probe = parser.add_argument_group("probing")
    probe.add_argument("--netstack", default=VMOTION_NETSTACK, help="TCP/IP stack to probe (default: vmotion)")
    probe.add_argument("--count", type=int, default=defaults.count, help="packets per probe (default 3)")
    probe.add_argument("--interval", type=float, default=defaults.interval, help="seconds between packets (0.2)")
    probe.add_argument("--timeout", type=float, default=defaults.timeout, help="seconds to wait for a reply (1)")
    probe.add_argument("--concurrency", type=int, default=defaults.concurrency,
                       help="parallel probes per source host (default 32)")
    probe.add_argument("--mtu", type=int, default=None, help="test this MTU instead of each pair's smaller vmk MTU")
    probe.add_argument("--discover-mtu", action="store_true", help="bisect the largest MTU passing with DF")
    probe.add_argument("--no-warmup", action="store_true", help="skip the ARP/ND warm-up packet")
    probe.add_argument("--checks", default=None, help="comma-separated checks to run (default: all)")
    probe.add_argument("--cross-cluster", action="store_true",
                       help="plan pairs across clusters too (default: within each cluster)")
    probe.add_argument("--ask-password", action="store_true",
                       help="prompt for the SSH password (instead of ssh.password_env)")
    probe.add_argument("--strict", action="store_true", help="also exit 1 on error-severity findings")
    probe.add_argument("--debug", action="store_true",
                       help="log the SSH library's debug messages (paramiko) on stderr")


def add_output_arguments(
    parser: argparse.ArgumentParser, default_output: Path | None = None, run: bool = True
) -> None:
    out = parser.add_argument_group("output")
    out.add_argument("--format", default=None,
                     help="comma-separated formats: table, json, markdown (default: table; with -o DIR also "
                          "json and markdown files)")
    out.add_argument("-o", "--output", type=Path, default=default_output, help="write one file per format here")
    out.add_argument("--width", type=int, default=None, help="terminal width for the table (default: detected)")
    out.add_argument("--color", action="store_true", help="colour the table")
    if run:
        out.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def run_options(args: argparse.Namespace) -> RunOptions:
    """Run options from the command line; :func:`validator.validate` checks them before any host is touched."""
    checks = tuple(c.strip() for c in args.checks.split(",") if c.strip()) if args.checks else None
    probe = ProbeOptions(
        netstack=args.netstack,
        count=args.count,
        interval=args.interval,
        timeout=args.timeout,
        concurrency=args.concurrency,
        mtu=args.mtu,
        warmup=not args.no_warmup,
    )
    return RunOptions(probe=probe, discover_mtu=args.discover_mtu, checks=checks, cross_cluster=args.cross_cluster)


def output_formats(args: argparse.Namespace) -> tuple[str, ...]:
    """The formats asked for (checked): ``--format``, else the table (plus json and markdown with ``-o``)."""
    from reports import parse_formats

    if args.format is not None:
        return parse_formats(args.format)
    return DEFAULT_FILE_FORMATS if args.output is not None else DEFAULT_FORMATS


def prepare_output(output: Path | None) -> None:
    """Make sure ``-o DIR`` can be written before any host is touched."""
    if output is None:
        return
    if output.exists() and not output.is_dir():
        raise UsageError(f"-o {output}: exists and is not a directory")
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"-o {output}: cannot create the directory: {exc.strerror or exc}") from None
    if not os.access(output, os.W_OK | os.X_OK):
        raise UsageError(f"-o {output}: directory is not writable")


def cmd_validate(args: argparse.Namespace) -> int:
    inventory = load_inventory(args.inventory)
    formats = output_formats(args)
    prepare_output(args.output)
    options = run_options(args)
    set_debug(args.debug)
    password = getpass.getpass(f"SSH password for {inventory.ssh.username}: ") if args.ask_password else None
    progress, display = progress_display(args.quiet)
    try:
        report = validate(inventory, options=options, password=password, progress=progress)
    except Interrupted as stopped:
        if display is not None:
            display.close()
        summary = stopped.report.summary
        print(f"vmotion-validator: interrupted; writing what was measured ({summary.pairs - not_probed(stopped.report)}"
              f" of {summary.pairs} pairs)", file=sys.stderr)
        emit_reports(stopped.report, args, formats)
        return EXIT_INTERRUPTED
    finally:
        if display is not None:
            display.close()
    emit_reports(report, args, formats)
    return report.exit_code(strict=args.strict)


def not_probed(report: Report) -> int:
    return sum(1 for p in report.pairs if p.reason is Reason.NOT_PROBED)


def set_debug(debug: bool) -> None:
    """``--debug``: the SSH library's log on stderr; otherwise it never reaches the terminal."""
    if debug:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)


def cmd_report(args: argparse.Namespace) -> int:
    formats = output_formats(args)
    report = load_report(args.report)
    prepare_output(args.output)
    emit_reports(report, args, formats)
    return EXIT_OK


def emit_reports(report: Report, args: argparse.Namespace, formats: Sequence[str]) -> None:
    """Print the formats on stdout (only the table when files are written) and write files with ``-o``."""
    from reports import render, write_reports

    width = max(80, args.width or shutil.get_terminal_size((120, 40)).columns)
    for name in formats:
        if args.output is None or name == "table":
            text = render(report, name, width=width, color=args.color)
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
    if args.output is not None:
        for path in write_reports(report, args.output, formats):
            print(f"wrote {path}", file=sys.stderr)


def cmd_checks(_args: argparse.Namespace) -> int:
    from checks import all_checks

    for name, chk in all_checks().items():
        print(f"{name:24} {chk.description}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from validator.lab.demo import default_topology, run_demo

    formats = output_formats(args)
    prepare_output(args.output)
    set_debug(args.debug)
    progress, display = progress_display(args.quiet)
    try:
        outcome = run_demo(args.topology or default_topology(), args.state, run_options(args), progress)
    finally:
        if display is not None:
            display.close()
    emit_reports(outcome.report, args, formats)
    print()
    if outcome.mismatches:
        print(f"demo: {len(outcome.mismatches)} verdict(s) differ from the lab's ground truth:")
        for mismatch in outcome.mismatches:
            print(f"  {mismatch}")
        return EXIT_FAIL
    summary = outcome.report.summary
    print(
        f"demo: all {summary.pairs} pair verdicts match the faults the lab engineered "
        f"({summary.failed} fail, {summary.errors} error by design); lab torn down."
    )
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
