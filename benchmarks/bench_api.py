"""Benchmark: the same healthy generated lab validated over SSH and through the vSphere API (the simulator).

    sudo .venv/bin/python benchmarks/bench_api.py                      # 16 hosts x 2 vmks
    sudo .venv/bin/python benchmarks/bench_api.py --hosts 8 --api-concurrency 8

Prints, for one lab in one run: the wall time of the whole validation over SSH (``validate -i``: connect,
esxcli discovery, the mesh) and through the API (vCenter login and retrieval, the mesh as esxcli network diag
ping calls relayed by the simulator, which runs the lab's vmkping), their ratio, the SOAP calls per pair, and
the validator process's CPU per probe (per ExecuteSoap call: one ping step) and per pair in each mode. Goals:
every pair passes, ratio API/SSH <= 1.5, <= 1 ms validator CPU per probe. A figure printer: nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.engine.labs import lab_toml, new_prefix
from validator.api import validate
from validator.inventory import Inventory, load_inventory
from validator.lab.api import lab_down, lab_up
from validator.lab.topology import load_topology
from validator.lab.vcsim import running_vcsim, vcenter_model
from validator.options import DEFAULT_CONCURRENCY, ProbeOptions, RunOptions
from validator.report import Report
from validator.ssh_settings import SshSettings
from validator.vcenter.api_prober import ApiProber, api_prober
from validator.vcenter.connect import vcenter_session
from validator.vcenter.discoverer import VCenterOnlyDiscoverer
from validator.vcenter.inventory import inventory_from_vcenter
from validator.vcenter.retrieve import retrieve_hosts
from validator.vcenter.settings import VCenterSettings
from validator.vcenter.soap_http import Multiplexer


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CallCpu:
    """CPU time of the API path's I/O threads (each sends, reads and parses its vCenter's calls, and judges each
    finished pair), summed over threads."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()
        original = Multiplexer._loop

        def timed(mux: Multiplexer) -> None:
            try:
                original(mux)
            finally:
                with self._lock:
                    self.seconds += time.thread_time()

        setattr(Multiplexer, "_loop", timed)  # noqa: B010 - the benchmark times the I/O thread in place


def measured(run: Callable[[], Report]) -> tuple[Report, float, float]:
    """The report, its wall time and the validator process's CPU time."""
    cpu0, t0 = own_cpu(), time.monotonic()
    report = run()
    return report, time.monotonic() - t0, own_cpu() - cpu0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=16)
    parser.add_argument("--vmks", type=int, default=2)
    parser.add_argument("--ssh-concurrency", type=int, default=DEFAULT_CONCURRENCY["ssh"])
    parser.add_argument("--api-concurrency", type=int, default=DEFAULT_CONCURRENCY["api"])
    args = parser.parse_args()
    ssh_options = RunOptions(probe=ProbeOptions(concurrency=args.ssh_concurrency), checks=())
    api_options = RunOptions(probe=ProbeOptions(concurrency=args.api_concurrency), checks=(), via="api")
    probers: list[ApiProber] = []
    in_calls = CallCpu()
    with tempfile.TemporaryDirectory(prefix="vmv-bench-api-") as scratch:
        state = Path(scratch) / "lab"
        source = Path(scratch) / "lab.toml"
        source.write_text(lab_toml(args.hosts, args.vmks, new_prefix("vmvb")), encoding="utf-8")
        topology = load_topology(source)
        lab = lab_up(topology, state)
        try:
            inventory = load_inventory(lab.inventory)
            ssh, ssh_s, ssh_cpu = measured(lambda: validate(inventory, options=ssh_options, password=lab.password()))
            with running_vcsim(vcenter_model(lab.topology, lab.paths), Path(scratch) / "vcsim") as vc:
                settings = VCenterSettings(host=vc.host, port=vc.port, username=vc.username, ca_file=vc.ca_file)

                def through_api() -> Report:
                    with vcenter_session(settings, vc.password) as si:
                        hosts = retrieve_hosts(si, settings)
                        prober = api_prober(si, settings, vc.password, hosts, api_options.probe.netstack)
                        probers.append(prober)
                        base = Inventory(path=Path("vcenter"), ssh=SshSettings(), hosts=())
                        return validate(inventory_from_vcenter(base, hosts), options=api_options,
                                        discoverer=VCenterOnlyDiscoverer(hosts), prober=prober)

                api, api_s, api_cpu = measured(through_api)
        finally:
            lab_down(state)
    calls = probers[0].calls
    executers = len(api.hosts)
    pings = calls - executers  # one RetrieveManagedMethodExecuter per host, the rest one ping step each
    for name, report in (("ssh", ssh), ("api", api)):
        passed = sum(1 for p in report.pairs if p.status.value == "pass")
        print(f"{name}: hosts={len(report.hosts)} pairs={len(report.pairs)} passed={passed}")
        for pair in report.pairs:
            if pair.status.value != "pass":
                plan = pair.plan
                print(f"  not passing: {plan.src_host}:{plan.src_vmk} -> {plan.dst_host}:{plan.dst_vmk} "
                      f"{pair.status.value} {pair.reason} {pair.detail}")
    pairs = len(api.pairs)
    steps = 3 * len(ssh.pairs)  # warm-up, reachability, DF: the pings each mode sends per pair when all pass
    print(f"concurrency             ssh {args.ssh_concurrency}, api {args.api_concurrency}")
    print(f"SSH mode wall time      {ssh_s:7.2f} s   validator CPU {ssh_cpu:6.2f} s  "
          f"({1000 * ssh_cpu / steps:.2f} ms per probe, {1000 * ssh_cpu / len(ssh.pairs):.2f} ms per pair)")
    print(f"API mode wall time      {api_s:7.2f} s   validator CPU {api_cpu:6.2f} s  "
          f"({1000 * api_cpu / pings:.2f} ms per probe, {1000 * api_cpu / pairs:.2f} ms per pair)")
    print(f"  of which the I/O thread {in_calls.seconds:5.2f} s   ({1000 * in_calls.seconds / pings:.2f} ms per probe: "
          "send, read and parse one ExecuteSoap, judge the pair)")
    print(f"ratio API/SSH           {api_s / ssh_s:7.2f}")
    print(f"SOAP calls              {calls} ({calls / pairs:.3f} per pair: {pings} ExecuteSoap, "
          f"{executers} RetrieveManagedMethodExecuter)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
