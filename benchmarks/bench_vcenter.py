"""Time the one PropertyCollector retrieval of every host, at 50 and 500 simulated hosts.

    .venv/bin/python benchmarks/bench_vcenter.py [--hosts 50,500] [--vms 2]

Prints, per size: simulator start-up, retrieval time (login excluded), and the SOAP calls it made.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.vcenter.calls import count_calls
from tests.vcenter.helpers import settings_for
from tests.vcenter.models import scale_model
from validator.lab.vcsim import build_vcsim, running_vcsim
from validator.vcenter.connect import vcenter_session
from validator.vcenter.retrieve import retrieve_hosts


def bench(hosts: int, vms: int, repeat: int) -> None:
    binary = build_vcsim()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        with running_vcsim(scale_model(hosts, vms), Path(tmp), binary=binary, timeout=600) as vc:
            ready = time.monotonic() - started
            settings = settings_for(vc)
            with vcenter_session(settings, vc.password) as si:
                times = []
                for _ in range(repeat):
                    calls = count_calls(si)
                    clock = time.perf_counter()
                    found = retrieve_hosts(si, settings)
                    times.append(time.perf_counter() - clock)
                    calls = calls.copy()
    assert len(found) == hosts
    summary = ", ".join(f"{name} {n}" for name, n in sorted(calls.items()))
    print(f"{hosts:4d} hosts ({hosts * vms} VMs): simulator ready in {ready:.1f}s; retrieval best "
          f"{min(times) * 1000:.0f} ms, median {sorted(times)[len(times) // 2] * 1000:.0f} ms; calls: {summary}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", default="50,500")
    parser.add_argument("--vms", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for size in (int(n) for n in args.hosts.split(",")):
        bench(size, args.vms, args.repeat)


if __name__ == "__main__":
    main()
