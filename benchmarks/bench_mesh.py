"""Benchmark: full-mesh validation of a generated lab of N hosts x K vmks, against the floor.

    sudo .venv/bin/python benchmarks/bench_mesh.py --hosts 8 --vmks 2
    sudo .venv/bin/python benchmarks/bench_mesh.py --hosts 32 --vmks 2
    sudo .venv/bin/python benchmarks/bench_mesh.py --hosts 32 --vmkping-cpu-ms 50 --no-floor   # saturated hosts

Prints: lab up/down time, wall time of the full mesh through SSH (discovery + probes), the probe phase
alone, the floor (the same pings run directly in the namespaces, all pairs in parallel, no SSH, no
emulation), the ratio, SSH sessions per host, CPU time of the machine during the mesh, and peak RSS
of the validator process. A figure printer, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.engine.labs import lab_toml, new_prefix
from validator.api import validate
from validator.inventory import load_inventory
from validator.lab.api import lab_down, lab_up
from validator.lab.topology import load_topology
from validator.models import HostTarget, PairResult
from validator.options import ProbeOptions, RunOptions
from validator.report import Report
from validator.transport import SshConnector, SshExecutor


class CountingConnector:
    """Wraps the SSH connector to count sessions per host."""

    def __init__(self, inner: SshConnector) -> None:
        self.inner = inner
        self.executors: dict[str, SshExecutor] = {}

    def connect(self, target: HostTarget) -> SshExecutor:
        executor = self.inner.connect(target)
        self.executors[target.name] = executor
        return executor


def floor_commands(report: Report, prefix: str, options: ProbeOptions) -> list[str]:
    """The validator's per-pair probe chain, as plain pings in the source namespace."""
    chains = []
    for pair in report.pairs:
        plan = pair.plan
        ns = f"/run/netns/{prefix}-{plan.src_host}-vmotion"
        ping = f"nsenter --net={ns} ping -n -q -I {plan.src_vmk} -W {options.timeout:g}"
        payload = (pair.mtu_tested or plan.mtu) - plan.family.header_bytes
        chains.append(
            f"{ping} -c 1 {plan.dst_ip} >/dev/null; "
            f"{ping} -c {options.count} -i {options.interval:g} {plan.dst_ip} >/dev/null; "
            f"{ping} -c {options.count} -i {options.interval:g} -M do -s {payload} {plan.dst_ip} >/dev/null"
        )
    return chains


def run_floor(chains: list[str]) -> float:
    start = time.monotonic()
    procs = [subprocess.Popen(["sh", "-c", chain]) for chain in chains]
    for proc in procs:
        proc.wait()
    return time.monotonic() - start


def cpu_seconds() -> float:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = sum(int(x) for x in fields[:3])  # user, nice, system
    return ticks / 100.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--vmks", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=ProbeOptions().concurrency)
    parser.add_argument("--keep", action="store_true", help="leave the lab up")
    parser.add_argument("--vmkping-cpu-ms", type=int, default=0, help="CPU every emulated vmkping burns first")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor (direct pings)")
    args = parser.parse_args()
    options = ProbeOptions(concurrency=args.concurrency)
    with tempfile.TemporaryDirectory(prefix="vmv-bench-") as scratch:
        state = Path(scratch) / "lab"
        source = Path(scratch) / "lab.toml"
        source.write_text(lab_toml(args.hosts, args.vmks, new_prefix("vmvb")), encoding="utf-8")
        topology = load_topology(source)  # own prefix, a free management subnet: other labs may be up
        if args.vmkping_cpu_ms:
            topology = topology.with_vmkping_cost(cpu_ms=args.vmkping_cpu_ms)
        t0 = time.monotonic()
        lab_up(topology, state)
        up_s = time.monotonic() - t0
        try:
            inventory = load_inventory(state / "inventory.toml")
            password = (state / "password").read_text().strip()
            connector = CountingConnector(SshConnector(inventory.ssh, password))
            phases: list[tuple[float, str]] = []
            self0 = resource.getrusage(resource.RUSAGE_SELF)
            cpu0, t1 = cpu_seconds(), time.monotonic()
            report = validate(inventory, options=RunOptions(probe=options, checks=()), connector=connector,
                              progress=lambda e: phases.append((time.monotonic(), e.message)))
            mesh_s = time.monotonic() - t1
            mesh_cpu = cpu_seconds() - cpu0
            self1 = resource.getrusage(resource.RUSAGE_SELF)
            own_cpu = (self1.ru_utime - self0.ru_utime) + (self1.ru_stime - self0.ru_stime)
            probe_start = next((t for t, m in phases if m.startswith("probing")), t1)
            probe_s = t1 + mesh_s - probe_start
            rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            chains = floor_commands(report, topology.lab.prefix, options)
            cpu1 = cpu_seconds()
            floor_s = float("nan") if args.no_floor else run_floor(chains)
            floor_cpu = cpu_seconds() - cpu1
            sessions = sorted(e.sessions for e in connector.executors.values())
        finally:
            t2 = time.monotonic()
            if not args.keep:
                lab_down(state)
            down_s = time.monotonic() - t2
    passed = sum(1 for p in report.pairs if _passed(p))
    # the vmkpings whose output came back: a passing pair ran its three (warm-up, reachability, DF; a large run
    # keeps no raw output of passing pairs), the others as many as they kept
    probes = sum(3 if _passed(p) else len(p.raw) for p in report.pairs)
    print(f"hosts={args.hosts} vmks/host={args.vmks} pairs={len(report.pairs)} passed={passed} "
          f"concurrency={args.concurrency} vmkping_cpu_ms={args.vmkping_cpu_ms}")
    print(f"lab up                  {up_s:7.2f} s")
    print(f"full mesh (validator)   {mesh_s:7.2f} s   machine CPU {mesh_cpu:6.2f} s")
    print(f"  of which probe phase  {probe_s:7.2f} s")
    print(f"  validator process CPU {own_cpu:7.2f} s   (the rest is sshd, the emulated commands, ping)")
    print(f"  validator CPU / probe {own_cpu / max(1, probes) * 1000:7.3f} ms ({probes} vmkpings read)")
    windows = [(p.lowest, p.final) for p in report.pacing]
    if windows:
        print(f"concurrency per host    lowest {min(w[0] for w in windows)} final {min(w[1] for w in windows)}"
              f"..{max(w[1] for w in windows)}, {sum(p.timed_out for p in report.pacing)} probe(s) timed out")
    print(f"floor (direct pings)    {floor_s:7.2f} s   machine CPU {floor_cpu:6.2f} s")
    print(f"ratio mesh/floor        {mesh_s / floor_s:7.2f}   (probe phase/floor {probe_s / floor_s:.2f})")
    print(f"SSH sessions per host   min {sessions[0]} max {sessions[-1]}")
    print(f"peak RSS (validator)    {rss_mb:7.1f} MiB")
    print(f"lab down                {down_s:7.2f} s")
    for pair in [p for p in report.pairs if not _passed(p)][:20]:
        if not _passed(pair):
            plan = pair.plan
            print(f"  not passing: {plan.src_host}:{plan.src_vmk} -> {plan.dst_host}:{plan.dst_vmk} "
                  f"{pair.status.value} {pair.reason} {pair.detail}")
            for step, text in pair.raw.items():
                print(f"    [{step}] " + text.strip().replace("\n", "\n    "))
    return 0


def _passed(pair: PairResult) -> bool:
    return pair.status.value == "pass"


if __name__ == "__main__":
    raise SystemExit(main())
