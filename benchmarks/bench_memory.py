"""Benchmark: peak memory and report size of big runs.

    .venv/bin/python benchmarks/bench_memory.py                 # both scenarios, each in its own process
    .venv/bin/python benchmarks/bench_memory.py --scenario unreachable --hosts 1000
    sudo .venv/bin/python benchmarks/bench_memory.py --scenario lab --hosts 64 --vmks 2

``unreachable``: N hosts x 1 expected vmk that cannot be reached (an injected connector refuses every host at
once: nothing is sent anywhere; addresses are TEST-NET 198.18.0.0/15), so every pair is reported from the
inventory. ``lab``: a generated lab of N reachable hosts x K vmks (needs root). Prints pairs, peak RSS of the
process, the size of report.json (written as validate -o DIR writes it) and the wall time. A figure printer, not a test.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from ipaddress import ip_interface
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reports import write_reports
from validator.errors import ConnectError, Interrupted
from validator.inventory import Inventory, InventoryHost
from validator.models import ExpectedVmk, HostTarget
from validator.options import ProbeOptions, RunOptions
from validator.report import Report
from validator.ssh_settings import SshSettings


class RefusingConnector:
    """Every host refuses the connection at once (no packet leaves the machine)."""

    def connect(self, target: HostTarget) -> object:
        raise ConnectError(f"cannot connect to {target.address}:{target.port}: Connection refused", target.name)


def unreachable_inventory(hosts: int) -> Inventory:
    rows = []
    for n in range(hosts):
        mgmt = f"198.18.{n // 250}.{n % 250 + 1}"
        vmk = ExpectedVmk("vmk1", (ip_interface(f"198.19.{n // 250}.{n % 250 + 1}/16"),), 9000)
        rows.append(InventoryHost(HostTarget(f"esx{n:04d}", mgmt), (vmk,)))
    return Inventory(path=Path("bench-unreachable.toml"), ssh=SshSettings(), hosts=tuple(rows))


def run_unreachable(hosts: int) -> Report:
    from validator import validate

    return validate(unreachable_inventory(hosts), connector=RefusingConnector(),  # type: ignore[arg-type]
                    options=RunOptions(max_parallel_hosts=64))


def run_lab(hosts: int, vmks: int, concurrency: int) -> Report:
    from tests.engine.labs import engine_lab
    from validator import validate
    from validator.inventory import load_inventory

    with tempfile.TemporaryDirectory(prefix="vmv-benchmem-") as scratch, \
            engine_lab(hosts, vmks, Path(scratch), stem="vmvm") as lab:
        try:
            options = RunOptions(probe=ProbeOptions(concurrency=concurrency))
            return validate(load_inventory(lab.inventory), password=lab.password(), options=options)
        except Interrupted as stopped:
            return stopped.report


def measure(args: argparse.Namespace) -> int:
    start = time.monotonic()
    if args.scenario == "unreachable":
        report = run_unreachable(args.hosts)
    else:
        report = run_lab(args.hosts, args.vmks, args.concurrency)
    run_s = time.monotonic() - start
    with tempfile.TemporaryDirectory(prefix="vmv-benchmem-out-") as out:
        write_start = time.monotonic()
        (path,) = write_reports(report, Path(out), ["json"])
        write_s = time.monotonic() - write_start
        size_mb = path.stat().st_size / 1e6
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary = report.summary
    print(f"{args.scenario:12} hosts={args.hosts} pairs={summary.pairs} pass={summary.passed} "
          f"fail={summary.failed} error={summary.errors}  run {run_s:6.1f} s  peak RSS {peak_mb:7.1f} MiB  "
          f"report.json {size_mb:7.1f} MB (written in {write_s:.1f} s)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=("unreachable", "lab"))
    parser.add_argument("--hosts", type=int, default=None)
    parser.add_argument("--vmks", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=ProbeOptions().concurrency,
                        help="probes at once per host (every emulated host shares this machine's cores)")
    args = parser.parse_args()
    if args.scenario is not None:
        args.hosts = args.hosts or (1000 if args.scenario == "unreachable" else 64)
        return measure(args)
    for scenario, hosts in (("unreachable", 1000), ("lab", 64)):  # each in a fresh process: its own peak
        subprocess.run([sys.executable, __file__, "--scenario", scenario, "--hosts", str(hosts)], check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
