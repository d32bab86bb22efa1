"""The one entry point for a whole validation: :func:`validate`.

The CLI, the demo, the pytest plugin and user code all call it; none of them rebuilds the pipeline.
"""

from __future__ import annotations

import threading

from validator.discovery import Discoverer
from validator.errors import Interrupted, UsageError
from validator.esxcli_discovery import EsxcliDiscoverer
from validator.inventory import Inventory
from validator.options import RunOptions, checked_options
from validator.prober import Prober
from validator.progress import ProgressCallback, ProgressTracker, ignore_progress
from validator.report import Report
from validator.runner import run_validation
from validator.ssh_settings import resolve_password
from validator.transport import Connector, SshConnector


def validate(
    inventory: Inventory,
    *,
    options: RunOptions | None = None,
    password: str | None = None,
    connector: Connector | None = None,
    discoverer: Discoverer | None = None,
    prober: Prober | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> Report:
    """Validate the vMotion mesh of the inventory's hosts and return the report.

    Every option and check name is checked before any host is touched (:class:`~validator.errors.UsageError`).
    The inventory's ``ssh.command_timeout`` bounds each discovery session (probe sessions end after a silence
    derived from the probe options instead) and its ``[checks]`` table gives the thresholds (unless
    ``options.check_settings`` is set). The SSH password is ``password`` or else the
    environment variable the inventory names (:class:`~validator.errors.InventoryError` when it is named but
    unset); nothing prompts. ``connector`` (how to reach a host) and ``discoverer`` (how to describe one)
    default to SSH and esxcli; ``prober`` (how to probe, :mod:`validator.prober`) to the vmkping batch over
    those SSH sessions. With ``options.via == "api"`` a prober is required
    (:func:`validator.vcenter.run.validate_vcenter` builds the vSphere API one) and, unless ``connector`` is
    given, no SSH connection is opened. ``progress`` receives a :class:`~validator.progress.ProgressEvent` per step
    and per pair, the moment the pair's result is read. Host failures are results in the report, never
    exceptions.

    Ctrl-C (``KeyboardInterrupt`` in the calling thread) or setting ``cancel`` stops every session within about a
    second and ends the remote work; :class:`~validator.errors.Interrupted` is then raised carrying the partial
    report (``report.interrupted`` set, the pairs without an outcome ``not-probed``): write it, then exit 130.
    """
    checked = checked_options(options or RunOptions())
    if checked.via != "ssh" and prober is None:
        raise UsageError(f"probe path {checked.via!r} needs its prober (for 'api': vCenter, --vcenter)")
    if connector is None and checked.via == "ssh":
        secret = password if password is not None else resolve_password(inventory.ssh)
        connector = SshConnector(inventory.ssh, secret)
    tracker = ProgressTracker(progress or ignore_progress, len(inventory.hosts))
    netstack = checked.probe.netstack
    tracker.note(f"validating {len(inventory.hosts)} host(s) from {inventory.path} on the {netstack} stack")
    report = run_validation(
        inventory.hosts,
        connector=connector,
        discoverer=discoverer or EsxcliDiscoverer(),
        options=checked,
        tracker=tracker,
        check_settings=checked.check_settings or inventory.check_settings,
        prober=prober,
        cancel=cancel,
    )
    if report.interrupted:
        raise Interrupted(report)
    return report
