"""``validate`` over several vCenters, or a migration plan: ``--vcenter`` repeated, ``[[vcenter]]`` tables,
``--from SCOPE --to SCOPE`` (with ``--one-way``, ``--between-only``).

Exit code 3 when a vCenter could not be read (the run is incomplete), whatever its pairs say.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from validator.errors import UsageError
from validator.inventory import Inventory
from validator.prober import VIA_API, VIA_SSH
from validator.scope import parse_scope
from validator.ssh_settings import SshSettings

if TYPE_CHECKING:
    from validator.vcenter.targets import VCenterTarget

EXIT_INCOMPLETE = 3


def add_migration_arguments(parser: argparse.ArgumentParser) -> None:
    plan = parser.add_argument_group("migration plan (instead of the mesh; scopes need --vcenter)")
    plan.add_argument("--from", dest="from_scope", metavar="SCOPE", default=None,
                      help="source scope: VCENTER[/DATACENTER[/CLUSTER[/HOST,...]]], VCENTER as given to --vcenter")
    plan.add_argument("--to", dest="to_scope", metavar="SCOPE", default=None, help="target scope (same form)")
    plan.add_argument("--one-way", action="store_true", help="only source -> target pairs (default: both ways)")
    plan.add_argument("--between-only", action="store_true",
                      help="no pairs inside each side's clusters (default: each side also meshed within its clusters)")


def wants_several(args: argparse.Namespace, inventory: Inventory | None) -> bool:
    """Whether this run takes the several-vCenters path (more than one vCenter, or a migration plan)."""
    tables = inventory.vcenters if inventory is not None else ()
    several_tables = inventory is not None and inventory.vcenter is None and bool(tables)
    return len(args.vcenter) > 1 or several_tables or args.from_scope is not None or args.to_scope is not None


def validate_several(args: argparse.Namespace, inventory: Inventory | None) -> int:
    """Read every vCenter at once, validate (the mesh or the migration plan), print and write the report."""
    from validator import cli
    from validator.progress_display import progress_display
    from validator.report import load_report
    from validator.vcenter.multi import MigrationRequest, validate_vcenters
    from validator.vcenter.settings import resolve_vc_password
    from validator.vcenter.targets import SharedOptions, resolve_targets

    if args.datacenter or args.cluster or args.host:
        raise UsageError("--datacenter/--cluster/--host select within one vCenter; with several vCenters or a "
                         "migration plan use --from/--to scopes (or each [[vcenter]] table's filters)")
    if (args.from_scope is None) != (args.to_scope is None):
        raise UsageError("--from and --to go together")
    if (args.one_way or args.between_only) and args.from_scope is None:
        raise UsageError("--one-way and --between-only need --from and --to")
    if args.from_scope is not None and args.cross_cluster:
        raise UsageError("--cross-cluster plans the mesh; a migration plan (--from/--to) is its own plan")
    migration = None
    if args.from_scope is not None:
        try:
            migration = MigrationRequest(parse_scope(args.from_scope), parse_scope(args.to_scope),
                                         both_ways=not args.one_way, within=not args.between_only)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    entries = inventory.vcenters if inventory is not None else ()
    shared = SharedOptions(username=args.vc_user, password_env=args.vc_password_env, ca_file=args.vc_ca_file,
                           insecure=args.insecure)
    targets = resolve_targets(entries, args.vcenter, shared)
    if not targets:
        raise UsageError("validate needs --vcenter HOST[:PORT] (or [[vcenter]] tables)")
    for target in targets:
        if target.settings.insecure:
            print(f"vmotion-validator: WARNING: not verifying the TLS certificate of vCenter {target.label} "
                  f"({target.settings.endpoint})", file=sys.stderr)
    via = probe_path(args, targets)
    if via == VIA_API and args.enable_ssh:
        raise UsageError("--enable-ssh has no use with --via api: no SSH connection is opened")
    base = inventory or Inventory(path=Path("vcenter " + ", ".join(t.label for t in targets)), ssh=SshSettings(),
                                  hosts=())
    formats = cli.output_formats(args)
    baseline = load_report(args.baseline) if args.baseline is not None else None
    cli.prepare_output(args.output)
    options = cli.run_options(args, via)
    passwords = {
        t.label: getpass.getpass(f"vCenter password for {t.settings.username}@{t.label}: ") if args.vc_ask_password
        else resolve_vc_password(t.settings)
        for t in targets
    }
    password = getpass.getpass(f"SSH password for {base.ssh.username}: ") if args.ask_password else None
    progress, display = progress_display(args.quiet)
    try:
        outcome = validate_vcenters(
            base, targets, passwords, options=options, migration=migration, ssh_password=password,
            enable_ssh=args.enable_ssh, progress=progress, notify=lambda line: print(line, flush=True),
        )
    finally:
        if display is not None:
            display.close()
    code = cli.finish_run(outcome.report, args, formats, baseline)
    if not outcome.complete:
        names = ", ".join(r.target.label for r in outcome.failed)
        print(f"vmotion-validator: incomplete: vCenter {names} could not be read; its hosts were not validated",
              file=sys.stderr)
        return EXIT_INCOMPLETE
    return code


def probe_path(args: argparse.Namespace, targets: Sequence[VCenterTarget]) -> str:
    """``--via``, else the probe the vCenters' tables name (``probe = "api"``; unset: SSH), one path for the run."""
    if args.via is not None:
        via = str(args.via)
    else:
        paths = {t.settings.probe or VIA_SSH for t in targets}
        if len(paths) > 1:
            named = ", ".join(f"{t.label}: {t.settings.probe or VIA_SSH}" for t in targets)
            raise UsageError(f"the vCenters' tables name different probe paths ({named}): choose one with --via")
        via = paths.pop()
    if via == VIA_API and args.ask_password:
        raise UsageError("--ask-password asks for an SSH password; --via api opens no SSH connection")
    return via
