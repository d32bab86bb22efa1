"""Cost of esxcli network diag ping through the simulator's vSphere API, against the lab's own vmkping.

    .venv/bin/python benchmarks/bench_esxcli_api.py [--calls 60] [--parallel 1,4,8]    (root: builds a lab)

Brings up samples/lab/mini.toml (own prefix) and the simulator bound to it, then prints: the lab's vmkping run
directly (1 packet, what SSH runs), the same through ExecuteSoap one at a time (the API's overhead per call),
calls per second with N calls in flight, and the simulator's own CPU per call (its children excluded).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.lab.conftest import quiet, sample_topology
from tests.vcsim.client import host_moids
from tests.vcsim.soap import SoapSession, ping_answer
from validator.lab.api import running_lab
from validator.lab.vcsim import VcsimEndpoint, build_vcsim, running_vcsim, vcenter_model

SOURCE, TARGET = "mini-a1", "198.19.10.12"  # on-link, mini-a1:vmk1 -> mini-a2:vmk1
ARGS = {"host": TARGET, "interface": "vmk1", "netstack": "vmotion", "count": 1, "wait": "1"}


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (children excluded)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def direct(binding: dict[str, str], calls: int) -> float:
    env = {"VMV_HOSTDIR": binding["host_dir"], "PATH": os.environ["PATH"]}
    argv = [binding["vmkping"], "++netstack=vmotion", "-I", "vmk1", "-c", "1", "-W", "1", TARGET]
    started = time.perf_counter()
    for _ in range(calls):
        subprocess.run(argv, env=env, capture_output=True, check=True)
    return (time.perf_counter() - started) / calls


def through_api(vc: VcsimEndpoint, moid: str, calls: int, parallel: int) -> tuple[float, float]:
    """Wall seconds for the calls with `parallel` in flight, and the simulator's CPU seconds per call."""
    sessions = [SoapSession(vc) for _ in range(parallel)]
    executers = []
    for s in sessions:
        s.login()
        executers.append(s.executer(moid))

    def worker(i: int) -> None:
        for _ in range(calls // parallel):
            result = ping_answer(sessions[i].execute(executers[i], ARGS))
            assert result.document is not None, result

    cpu = cpu_seconds(vc.pid)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(worker, range(parallel)))
    wall = time.perf_counter() - started
    done = calls // parallel * parallel
    for s in sessions:
        s.close()
    return wall / done, (cpu_seconds(vc.pid) - cpu) / done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--parallel", default="1,4,8")
    options = parser.parse_args()
    binary = build_vcsim()
    with (
        tempfile.TemporaryDirectory(prefix="vmv-bench-api-") as tmp,
        running_lab(sample_topology("mini"), Path(tmp) / "lab", log=quiet) as lab,
    ):
        model = vcenter_model(lab.topology, lab.paths)
        binding = next(h["lab"] for h in model["hosts"] if h["name"] == SOURCE)
        with running_vcsim(model, Path(tmp) / "vcsim", binary=binary) as vc:
            moid = host_moids(vc)[SOURCE]
            through_api(vc, moid, 4, 1)  # warm: ARP, TLS, page cache
            alone = direct(binding, options.calls)
            print(f"lab vmkping run directly: {alone * 1000:.1f} ms per call")
            for parallel in (int(p) for p in options.parallel.split(",")):
                per_call, cpu = through_api(vc, moid, options.calls, parallel)
                extra = f", {(per_call - alone) * 1000:+.1f} ms over the direct run" if parallel == 1 else ""
                print(f"ExecuteSoap, {parallel} in flight: {1 / per_call:.0f} calls/s "
                      f"({per_call * 1000:.1f} ms per call{extra}); simulator CPU {cpu * 1000:.2f} ms per call")


if __name__ == "__main__":
    main()
