"""Command line: ``vmotion-validator validate|discover|report|demo|checks|lab``; a thin caller of the API.

Exit codes: 0 every pair passed, 1 any pair failed or errored (or nothing could be validated), 2 bad usage,
a bad inventory, an unreadable report, a vCenter that cannot be used or a Python module that is not installed,
3 incomplete (one of several vCenters could not be read), 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reports.view import printable
from validator.api import validate
from validator.cli_fix_script import add_fix_script_parser
from validator.cli_lab import add_lab_parser
from validator.cli_vcenters import add_migration_arguments, validate_several, wants_several
from validator.errors import (
    Interrupted,
    InventoryError,
    ReportFormatError,
    UsageError,
    ValidatorError,
    VCenterError,
)
from validator.inventory import Inventory, load_inventory
from validator.models import VMOTION_NETSTACK, Reason
from validator.options import DEFAULT_CONCURRENCY, PROBE_PATHS, ProbeOptions, RunOptions
from validator.progress_display import progress_display
from validator.report import Report, load_report
from validator.ssh_settings import SshSettings

if TYPE_CHECKING:
    from validator.vcenter.settings import VCenterSettings

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
        with debug_logging(getattr(args, "debug", False)):
            return int(args.func(args))
    except (InventoryError, UsageError, ReportFormatError, VCenterError) as exc:
        print(f"vmotion-validator: error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except ValidatorError as exc:
        print(f"vmotion-validator: error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_FAIL
    except Interrupted as stopped:
        return write_interrupted(stopped.report, args)
    except KeyboardInterrupt:
        print("vmotion-validator: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ModuleNotFoundError as exc:
        print(f"vmotion-validator: error: {missing_module(exc)}", file=sys.stderr)
        return EXIT_USAGE


def missing_module(exc: ModuleNotFoundError) -> str:
    """One line for a module that is not installed: which one, and how to get it."""
    name = exc.name or "a module"
    return (f"the Python module {printable(name)!r} is not installed; reinstall vmotion-validator with its "
            "dependencies (pip install . in its source tree)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vmotion-validator",
        description="Prove a vSphere cluster's L3 vMotion network: full-mesh vmkping on the vMotion TCP/IP stack.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    validate_cmd = sub.add_parser("validate", help="validate the vMotion mesh of the hosts in an inventory")
    validate_cmd.add_argument("-i", "--inventory", type=Path, default=None,
                              help="inventory TOML file (optional with --vcenter)")
    add_run_arguments(validate_cmd)
    add_vcenter_arguments(validate_cmd, validate=True)
    add_migration_arguments(validate_cmd)
    add_output_arguments(validate_cmd)
    validate_cmd.set_defaults(func=cmd_validate)

    discover = sub.add_parser("discover", help="describe vCenter's hosts and their vmks (touches no host)")
    discover.add_argument("-i", "--inventory", type=Path, default=None,
                          help="inventory with a [vcenter] table (and [checks] thresholds)")
    discover.add_argument("--netstack", default=VMOTION_NETSTACK, help="TCP/IP stack probed (default: vmotion)")
    discover.add_argument("--checks", default=None, help="comma-separated checks to run (default: all)")
    discover.add_argument("-o", "--output", type=Path, default=None, help="write DIR/discovery.json")
    add_vcenter_arguments(discover, validate=False)
    discover.set_defaults(func=cmd_discover)

    report = sub.add_parser("report", help="re-render a saved report.json (touches no host)")
    report.add_argument("report", type=Path, help="a report.json written by validate -o DIR")
    add_output_arguments(report, run=False)
    report.set_defaults(func=cmd_report)

    demo = sub.add_parser("demo", help="lab up (demo topology), full validation, report, lab down (needs root)")
    demo.add_argument("--topology", type=Path, default=None, help="lab topology (default: samples/lab/demo.toml)")
    demo.add_argument("--state", type=Path, default=None, help="lab state directory (default: a temporary one)")
    demo.add_argument("--vcenter", action="store_true",
                      help="also serve the topology from the vCenter simulator and discover the hosts through it")
    add_run_arguments(demo)
    add_output_arguments(demo, default_output=Path("demo-report"))
    demo.set_defaults(func=cmd_demo)

    diff = sub.add_parser("diff", help="compare two saved reports: regressions, fixes, what was added or removed")
    diff.add_argument("before", type=Path, help="the baseline report.json (before the change)")
    diff.add_argument("after", type=Path, help="the report.json after the change")
    diff.add_argument("--format", default="table", help="comma-separated: table, json, markdown (first is printed)")
    diff.add_argument("-o", "--output", type=Path, default=None, help="write diff.txt/diff.json/diff.md here")
    diff.set_defaults(func=cmd_diff)

    checks = sub.add_parser("checks", help="list the configuration checks")
    checks.set_defaults(func=cmd_checks)

    add_fix_script_parser(sub)
    add_lab_parser(sub)
    return parser


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = ProbeOptions()
    probe = parser.add_argument_group("probing")
    probe.add_argument("--netstack", default=VMOTION_NETSTACK, help="TCP/IP stack to probe (default: vmotion)")
    probe.add_argument("--count", type=int, default=defaults.count, help="packets per probe (default 3)")
    probe.add_argument("--interval", type=float, default=defaults.interval, help="seconds between packets (0.2)")
    probe.add_argument("--timeout", type=float, default=defaults.timeout, help="seconds to wait for a reply (1)")
    probe.add_argument("--via", choices=PROBE_PATHS, default=None,
                       help="probe path: ssh (vmkping over SSH, the default) or api (esxcli network diag ping "
                            "through vCenter: no SSH at all; needs --vcenter or a [vcenter] table)")
    probe.add_argument("--concurrency", type=int, default=None,
                       help=f"parallel probes per source host (default {DEFAULT_CONCURRENCY['ssh']} over SSH, "
                            f"{DEFAULT_CONCURRENCY['api']} through the API)")
    probe.add_argument("--mtu", type=int, default=None, help="test this MTU instead of each pair's smaller vmk MTU")
    probe.add_argument("--discover-mtu", action="store_true", help="bisect the largest MTU passing with DF")
    probe.add_argument("--no-warmup", action="store_true", help="skip the ARP/ND warm-up packet")
    probe.add_argument("--no-confirm", action="store_true",
                       help="report a failure from one probe (default: unreachable, loss, arp and path-mtu pairs "
                            "are probed once more first)")
    probe.add_argument("--checks", default=None, help="comma-separated checks to run (default: all)")
    probe.add_argument("--cross-cluster", action="store_true",
                       help="plan pairs across clusters too (default: within each cluster)")
    probe.add_argument("--ask-password", action="store_true",
                       help="prompt for the SSH password (instead of ssh.password_env)")
    probe.add_argument("--strict", action="store_true", help="also exit 1 on error-severity findings")
    probe.add_argument("--debug", action="store_true",
                       help="log the SSH library's debug messages (paramiko) on stderr")
    probe.add_argument("--baseline", type=Path, default=None,
                       help="a report.json from before the change: print what got worse; exit 1 only on regressions")


def add_vcenter_arguments(parser: argparse.ArgumentParser, validate: bool) -> None:
    from validator.vcenter.settings import DEFAULT_PASSWORD_ENV

    vc = parser.add_argument_group("vCenter (the source of hosts)")
    vc.add_argument("--vcenter", metavar="HOST[:PORT]", action="append", default=[],
                    help="take the hosts from this vCenter (repeatable: several vCenters; or a [[vcenter]] name)")
    vc.add_argument("--vc-user", default=None, help="vCenter user (default administrator@vsphere.local)")
    vc.add_argument("--vc-password-env", metavar="VAR", default=None,
                    help=f"environment variable holding the vCenter password (default {DEFAULT_PASSWORD_ENV})")
    vc.add_argument("--vc-ask-password", action="store_true", help="prompt for the vCenter password")
    tls = vc.add_mutually_exclusive_group()
    tls.add_argument("--vc-ca-file", type=Path, default=None, help="CA bundle to verify vCenter's certificate")
    tls.add_argument("--insecure", action="store_true", help="do NOT verify vCenter's certificate")
    vc.add_argument("--datacenter", default=None, help="only this datacenter")
    vc.add_argument("--cluster", action="append", default=[], help="only this cluster (repeatable)")
    vc.add_argument("--host", action="append", default=[], help="only this host (repeatable)")
    if validate:
        vc.add_argument("--enable-ssh", action="store_true",
                        help="start TSM-SSH where it is stopped, for the run only (stopped again afterwards)")


def add_output_arguments(
    parser: argparse.ArgumentParser, default_output: Path | None = None, run: bool = True
) -> None:
    out = parser.add_argument_group("output")
    out.add_argument("--format", default=None,
                     help="comma-separated formats: table, json, markdown, junit, html, csv (default: table; "
                          "with -o DIR also json and markdown files; csv writes pairs.csv and findings.csv)")
    out.add_argument("-o", "--output", type=Path, default=default_output, help="write one file per format here")
    out.add_argument("--width", type=int, default=None, help="terminal width for the table (default: detected)")
    out.add_argument("--color", action="store_true", help="colour the table")
    if run:
        out.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def run_options(args: argparse.Namespace, via: str = "ssh") -> RunOptions:
    """Run options from the command line; :func:`validator.validate` checks them before any host is touched."""
    checks = tuple(c.strip() for c in args.checks.split(",") if c.strip()) if args.checks else None
    probe = ProbeOptions(
        netstack=args.netstack,
        count=args.count,
        interval=args.interval,
        timeout=args.timeout,
        concurrency=args.concurrency if args.concurrency is not None else DEFAULT_CONCURRENCY[via],
        mtu=args.mtu,
        warmup=not args.no_warmup,
    )
    return RunOptions(probe=probe, discover_mtu=args.discover_mtu, checks=checks, cross_cluster=args.cross_cluster,
                      confirm_failures=not args.no_confirm, via=via)


def probe_path(args: argparse.Namespace, settings: VCenterSettings | None) -> str:
    """``--via``, else the [vcenter] table's ``probe``, else SSH; the API path needs vCenter."""
    via = args.via or (settings.probe if settings is not None else None) or "ssh"
    if via == "api" and settings is None:
        raise UsageError("--via api needs vCenter (--vcenter HOST[:PORT] or a [vcenter] table)")
    if via == "api" and args.ask_password:
        raise UsageError("--ask-password asks for an SSH password; --via api opens no SSH connection")
    return str(via)


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


def load_cli_inventory(args: argparse.Namespace) -> Inventory | None:
    """``-i INVENTORY`` if given; with ``--vcenter`` its ``[[hosts]]`` are optional (vCenter supplies them)."""
    if args.inventory is None:
        return None
    return load_inventory(args.inventory, hosts_from_vcenter=bool(args.vcenter))


def vcenter_settings(args: argparse.Namespace, inventory: Inventory | None) -> VCenterSettings | None:
    """The vCenter settings of the inventory's [vcenter] table overridden by the options; None: no vCenter."""
    from validator.vcenter.settings import settings_from_cli

    settings = settings_from_cli(
        inventory.vcenter if inventory is not None else None,
        server=single_vcenter(args), username=args.vc_user, password_env=args.vc_password_env, ca_file=args.vc_ca_file,
        insecure=args.insecure, datacenter=args.datacenter, clusters=args.cluster, hosts=args.host,
    )
    if settings is not None and settings.insecure:
        print(f"vmotion-validator: WARNING: not verifying the TLS certificate of vCenter {settings.endpoint} "
              "(--insecure)", file=sys.stderr)
    return settings


def single_vcenter(args: argparse.Namespace) -> str | None:
    """The one ``--vcenter`` given (None: none); several belong to :mod:`validator.cli_vcenters`."""
    if len(args.vcenter) > 1:
        raise UsageError("several --vcenter are read by validate only")
    return args.vcenter[0] if args.vcenter else None


def vcenter_password(args: argparse.Namespace, settings: VCenterSettings) -> str:
    from validator.vcenter.settings import resolve_vc_password

    if args.vc_ask_password:
        return getpass.getpass(f"vCenter password for {settings.username}@{settings.endpoint}: ")
    return resolve_vc_password(settings)


def cmd_discover(args: argparse.Namespace) -> int:
    from validator.vcenter.run import discover_vcenter
    from validator.vcenter.table import discovery_text

    inventory = load_cli_inventory(args)
    settings = vcenter_settings(args, inventory)
    if settings is None:
        raise UsageError("discover needs --vcenter HOST[:PORT] (or an inventory with a [vcenter] table)")
    prepare_output(args.output)
    checks = tuple(c.strip() for c in args.checks.split(",") if c.strip()) if args.checks else None
    discovery = discover_vcenter(
        settings, vcenter_password(args, settings), netstack=args.netstack, checks=checks,
        check_settings=inventory.check_settings if inventory is not None else None,
    )
    sys.stdout.write(discovery_text(discovery.hosts, discovery.findings))
    if args.output is not None:
        path = args.output / "discovery.json"
        path.write_text(json.dumps(discovery.to_dict(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    if args.inventory is None and not args.vcenter:
        raise UsageError("validate needs -i INVENTORY or --vcenter HOST[:PORT]")
    inventory = load_cli_inventory(args)
    if wants_several(args, inventory):
        return validate_several(args, inventory)
    settings = vcenter_settings(args, inventory)
    via = probe_path(args, settings)
    if settings is not None:
        return validate_from_vcenter(args, inventory, settings, via)
    if args.enable_ssh:
        raise UsageError("--enable-ssh needs vCenter (--vcenter or a [vcenter] table)")
    assert inventory is not None
    formats = output_formats(args)
    baseline = load_report(args.baseline) if args.baseline is not None else None
    prepare_output(args.output)
    options = run_options(args, via)
    password = getpass.getpass(f"SSH password for {inventory.ssh.username}: ") if args.ask_password else None
    progress, display = progress_display(args.quiet)
    try:
        report = validate(inventory, options=options, password=password, progress=progress)
    finally:
        if display is not None:
            display.close()
    return finish_run(report, args, formats, baseline)


def finish_run(report: Report, args: argparse.Namespace, formats: Sequence[str], baseline: Report | None) -> int:
    """Print and write the report; the exit code (against the baseline when one is given)."""
    emit_reports(report, args, formats)
    if baseline is not None:
        from validator.diff_cli import compare

        return compare(baseline, report, ("table", "json", "markdown") if args.output else ("table",), args.output)
    return report.exit_code(strict=args.strict)


def write_interrupted(report: Report, args: argparse.Namespace) -> int:
    """Ctrl-C: print and write what was measured (``interrupted`` set), then exit 130."""
    measured = sum(1 for p in report.pairs if p.reason is not Reason.NOT_PROBED)
    print(f"vmotion-validator: interrupted; writing what was measured ({measured} of {len(report.pairs)} pairs)",
          file=sys.stderr)
    emit_reports(report, args, output_formats(args))
    return EXIT_INTERRUPTED


@contextlib.contextmanager
def debug_logging(debug: bool) -> Iterator[None]:
    """``--debug``: the SSH library's log on stderr while the command runs; otherwise it never reaches the
    terminal. The handler goes when the command ends, so a transport thread that logs later (its EOF) writes
    nowhere rather than into a stream that may be closed by then."""
    if not debug:
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def validate_from_vcenter(
    args: argparse.Namespace, inventory: Inventory | None, settings: VCenterSettings, via: str
) -> int:
    from validator.vcenter.run import validate_vcenter

    base = inventory or Inventory(path=Path(f"vcenter {settings.endpoint}"), ssh=SshSettings(), hosts=())
    if via == "api" and args.enable_ssh:
        raise UsageError("--enable-ssh has no use with --via api: no SSH connection is opened")
    formats = output_formats(args)
    baseline = load_report(args.baseline) if args.baseline is not None else None
    prepare_output(args.output)
    options = run_options(args, via)
    vc_password = vcenter_password(args, settings)
    password = getpass.getpass(f"SSH password for {base.ssh.username}: ") if args.ask_password else None
    progress, display = progress_display(args.quiet)
    try:
        report = validate_vcenter(
            base, settings, vc_password, options=options, ssh_password=password, enable_ssh=args.enable_ssh,
            progress=progress, notify=lambda line: print(line, flush=True),
        )
    finally:
        if display is not None:
            display.close()
    return finish_run(report, args, formats, baseline)


def cmd_diff(args: argparse.Namespace) -> int:
    from validator.diff_cli import run_diff

    names = tuple(n.strip() for n in args.format.split(",") if n.strip())
    return run_diff(args.before, args.after, names, args.output)


def cmd_report(args: argparse.Namespace) -> int:
    formats = output_formats(args)
    report = load_report(args.report)
    prepare_output(args.output)
    emit_reports(report, args, formats)
    return EXIT_OK


def emit_reports(report: Report, args: argparse.Namespace, formats: Sequence[str]) -> None:
    """Print the formats on stdout (only the table when files are written) and write files with ``-o``."""
    from reports import get_format, write_reports

    width = max(80, args.width or shutil.get_terminal_size((120, 40)).columns)
    for name in formats:
        if args.output is None or name == "table":
            get_format(name).write_to(report, sys.stdout, width=width, color=args.color)
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

    via = args.via or "ssh"
    if via == "api" and not args.vcenter:
        raise UsageError("demo --via api needs --vcenter (the simulator relays the probes)")
    formats = output_formats(args)
    prepare_output(args.output)
    progress, display = progress_display(args.quiet)
    try:
        outcome = run_demo(args.topology or default_topology(), args.state, run_options(args, via), progress,
                           vcenter=args.vcenter, notify=lambda line: print(line, flush=True))
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
