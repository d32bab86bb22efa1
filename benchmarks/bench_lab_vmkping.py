"""Benchmark: the CPU of one emulated vmkping of the lab against the bare nsenter + ping it runs.

    sudo flock /tmp/vmv-bench.lock .venv/bin/python benchmarks/bench_lab_vmkping.py [--calls 200] [--bin DIR ...]

Brings up the tiny two-host topology of the lab_bin tests (tests/lab_bin/topo.py, own namespaces,
always torn down), then for each case runs the lab's ``vmkping`` (dash as sh, as the SSH session
would) CALLS times in a row and the same ping as a bare ``nsenter --net=... ping`` CALLS times, and
prints the CPU (user + system of the children, all processes of each call) per call. The cases: a
healthy routed IPv4 and IPv6 vmkping (-c 3) and a DF vmkping above the path MTU (router errors, then
local EMSGSIZE: the translator's slow path). ``--bin DIR`` (repeatable) measures the vmkping of
another copy of validator/lab/bin too (e.g. an older commit's, from ``git show``), in the same
run, so that both see the same machine. A figure printer, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.lab_bin import topo

BIN = Path(__file__).resolve().parents[1] / "validator" / "lab" / "bin"

# name, vmkping arguments (after the common ones), the same ping's own arguments
CASES = [
    ("healthy IPv4", ["198.18.2.11"], ["-4", "-s", "56", "-M", "dont", "-I", "vmk1", "--", "198.18.2.11"]),
    ("healthy IPv6", ["-6", "2001:db8:2::11"], ["-6", "-s", "56", "-M", "dont", "-I", "vmk1", "--", "2001:db8:2::11"]),
    ("DF above the path MTU", ["-d", "-s", "8972", "198.18.2.11"],
     ["-4", "-s", "8972", "-M", "do", "-I", "vmk1", "--", "198.18.2.11"]),
]


def cpu_ms(argv: list[str], env: dict[str, str]) -> float:
    """CPU (user + system) of one call: the process and every descendant it waited for (wait4)."""
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return (usage.ru_utime + usage.ru_stime) * 1000


def measure(variants: dict[str, list[str]], env: dict[str, str], calls: int) -> dict[str, list[float]]:
    """Each variant CALLS times, interleaved (one call of each in turn): all see the same machine."""
    found: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(calls):
        for name, argv in variants.items():
            found[name].append(cpu_ms(argv, env))
    return found


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200, help="calls per case and per side (default 200)")
    parser.add_argument("--count", type=int, default=3, help="pings per call (-c, default 3)")
    parser.add_argument("--interval", default="0.02", help="-i of each call (default 0.02)")
    parser.add_argument("--bin", type=Path, action="append", default=[], metavar="DIR",
                        help="another directory holding vmkping, vmkping.awk and vmvlib.awk to measure as well")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 2
    tag = f"b{os.getpid()}"
    common = ["-c", str(args.count), "-i", args.interval, "-W", "1"]
    print(f"before: {uptime()}")
    with tempfile.TemporaryDirectory(prefix="vmv-bench-vmkping-") as tmp:
        try:
            t = topo.up(tag, Path(tmp))
            hostdir = t.hostdir("esxa")
            ns = t.hosts["esxa"].ns_vmotion
            env = {"VMV_HOSTDIR": str(hostdir), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
            bins = [BIN, *(b.resolve() for b in args.bin)]
            bare = ["nsenter", f"--net=/run/netns/{ns}", "ping", "-n", *common]
            for _name, _vargs, pargs in CASES:  # warm caches, ARP/ND, the path MTU
                subprocess.run(bare + pargs, env=env, capture_output=True, check=False)
            print(f"{args.calls} calls per figure, -c {args.count} -i {args.interval}, interleaved; "
                  "CPU ms per call (user + system, the call and its children): median (10th percentile)")
            print(f"{'case':<22} {'vmkping':<28} {'vmkping':>13} {'nsenter+ping':>13} {'emulation':>10}")
            for name, vargs, pargs in CASES:
                variants = {"floor": bare + pargs}
                for b in bins:
                    variants[str(b)] = ["sh", str(b / "vmkping"), "++netstack=vmotion", "-I", "vmk1", *common, *vargs]
                found = measure(variants, env, args.calls)
                floor = statistics.median(found.pop("floor"))
                for b in bins:
                    xs = sorted(found[str(b)])
                    label = "validator/lab/bin" if b == BIN else str(b)
                    med = statistics.median(xs)
                    fig = f"{med:.2f} ({xs[len(xs) // 10]:.2f})"
                    print(f"{name:<22} {label:<28} {fig:>13} {floor:>13.2f} {med - floor:>10.2f}")
        finally:
            topo.down(tag)
    print(f"after:  {uptime()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
