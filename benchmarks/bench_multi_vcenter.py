"""Two simulated vCenters of 500 hosts x 2 vMotion vmks: plan sizes and retrieval time, no probing.

    .venv/bin/python benchmarks/bench_multi_vcenter.py [--hosts 500] [--vms 2] [--repeat 5] [--profile]
        [--page-size N]

Prints: the pairs of a migration plan between the two vCenters (``--from vc1 --to vc2``: both ways plus each
side's cluster mesh, and between only) beside the full mesh of the same hosts (``--cross-cluster``); the time
to read both vCenters at once (login included, one retrieval each, in parallel) and one alone (login excluded);
and the floor: the same SOAP requests replayed raw, one after the other, over the session's connection, the
responses read and not parsed; once, the same pages read by pyVmomi's data objects. ``--profile`` prints where
one retrieval spends its time beyond that floor.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.vcenter.helpers import settings_for
from tests.vcenter.models import scale_model
from validator.lab.vcsim import build_vcsim, running_vcsims
from validator.migration import plan_size
from validator.models import MigrationPlan
from validator.vcenter import collector_soap, retrieve
from validator.vcenter._vmomi import vim
from validator.vcenter.connect import vcenter_session
from validator.vcenter.discoverer import host_info_from_vcenter
from validator.vcenter.multi import members_of, read_vcenters
from validator.vcenter.retrieve import reference, retrieve_hosts, soap_filter_spec
from validator.vcenter.targets import VCenterTarget

_TOKEN = re.compile(rb"<token>([^<]+)</token>")


def recorded_calls(si: Any, settings: Any) -> list[str]:
    """The PropertyCollector calls one retrieval posts, in order (method names)."""
    calls: list[str] = []

    def watch(instance: Any, method: str, request: bytes, answer: bytes) -> None:
        if instance is si:
            calls.append(method)

    collector_soap.WATCHERS.append(watch)
    try:
        retrieve_hosts(si, settings)
    finally:
        collector_soap.WATCHERS.remove(watch)
    return calls


def replay(si: Any, calls: list[str]) -> int:
    """Send the same requests as raw SOAP, one after the other, on a connection pyVmomi's session already has
    open (a fresh ContainerView, as the retrieval makes); read every byte, parse nothing but the page token.
    Returns the bytes read."""
    stub = si._stub
    content = si.RetrieveContent()
    action = collector_soap.soap_action(si, content.about.apiVersion)
    headers = {"Cookie": stub.cookie, "SOAPAction": action, "Content-Type": "text/xml; charset=utf-8"}
    collector = reference(content.propertyCollector)
    view = content.viewManager.CreateContainerView(container=content.rootFolder, type=[vim.HostSystem],
                                                   recursive=True)
    total = 0
    token: bytes | None = None
    try:
        for method in calls:
            if method == "ContinueRetrievePropertiesEx":
                if token is None:
                    break
                body = collector_soap.continue_body(collector, token.decode())
            else:
                body = collector_soap.retrieve_body(collector, soap_filter_spec(view), retrieve.PAGE_SIZE)
            conn = stub.GetConnection()
            conn.request("POST", stub.path, body, headers)
            response = conn.getresponse()
            data = response.read()
            stub.ReturnConnection(conn)
            if response.status != 200:
                raise RuntimeError(f"replay: HTTP {response.status}: {data[:300]!r}")
            total += len(data)
            found = _TOKEN.search(data)
            token = found.group(1) if found else None
    finally:
        view.DestroyView()
    return total


def median(times: list[float]) -> float:
    return sorted(times)[len(times) // 2]


def best(times: list[float]) -> str:
    return f"best {min(times) * 1000:.0f} ms, median {median(times) * 1000:.0f} ms"


def bench(hosts: int, vms: int, repeat: int, profile: bool, page_size: int | None) -> None:
    if page_size:
        retrieve.PAGE_SIZE = page_size
    binary = build_vcsim()
    models = {"vc1": scale_model(hosts, vms), "vc2": scale_model(hosts, vms)}
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        with running_vcsims(models, Path(tmp), binary=binary, timeout=900) as vcs:
            print(f"2 simulators x {hosts} hosts ({hosts * vms} VMs each) ready in {time.monotonic() - started:.1f}s")
            targets = [VCenterTarget(name, settings_for(vc)) for name, vc in vcs.items()]
            passwords = {name: vc.password for name, vc in vcs.items()}
            both = []
            for _ in range(repeat):
                clock = time.perf_counter()
                with ExitStack() as stack:
                    reads = read_vcenters(targets, passwords, stack)
                both.append(time.perf_counter() - clock)
            assert all(r.ok and len(r.hosts) == hosts for r in reads)
            members = members_of(reads, qualify=True)
            infos = [host_info_from_vcenter(m.host) for m in members]
            sides = {label: tuple(m.host.name for m in members if m.vcenter == label) for label in vcs}
            clock = time.perf_counter()
            size = plan_size(infos, MigrationPlan("vc1", "vc2", sides["vc1"], sides["vc2"]))
            between = plan_size(infos, MigrationPlan("vc1", "vc2", sides["vc1"], sides["vc2"], within=False))
            planned = time.perf_counter() - clock
            print(f"plan --from vc1 --to vc2: {size.total:,} pairs ({size.between:,} between both ways + "
                  f"{size.within:,} within the clusters); --between-only: {between.total:,}; --one-way "
                  f"--between-only: {between.between // 2:,}; full mesh (--cross-cluster): {size.full_mesh:,} "
                  f"[counted in {planned * 1000:.0f} ms]")
            print(f"both vCenters read in parallel (login + one retrieval each): {best(both)}")

            settings = targets[0].settings
            with vcenter_session(settings, vcs["vc1"].password) as si:
                calls = recorded_calls(si, settings)
                alone, floor = [], []
                for _ in range(repeat):
                    clock = time.perf_counter()
                    retrieve_hosts(si, settings)
                    alone.append(time.perf_counter() - clock)
                    clock = time.perf_counter()
                    size_bytes = replay(si, calls)
                    floor.append(time.perf_counter() - clock)
                print(f"one vCenter, retrieval (login excluded): {best(alone)}")
                clock = time.perf_counter()
                retrieve_hosts(si, settings, pyvmomi=True)
                print(f"one vCenter, the same pages read by pyVmomi's data objects (once, for comparison): "
                      f"{(time.perf_counter() - clock) * 1000:.0f} ms")
                print(f"one vCenter, the same {len(calls)} PropertyCollector request(s) replayed raw "
                      f"({size_bytes / 1e6:.1f} MB read, not parsed): {best(floor)}; retrieval / floor = "
                      f"{min(alone) / min(floor):.2f} (best), {median(alone) / median(floor):.2f} (median)")
                with ThreadPoolExecutor(2) as pool:
                    clock = time.perf_counter()
                    list(pool.map(lambda _: replay(si, calls), range(2)))
                    print(f"the floor twice at once (as two vCenters would be): "
                          f"{(time.perf_counter() - clock) * 1000:.0f} ms")
                if profile:
                    profiler = cProfile.Profile()
                    profiler.runcall(retrieve_hosts, si, settings)
                    stats = pstats.Stats(profiler)
                    stats.sort_stats("cumulative").print_stats(12)
                    stats.sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--vms", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--page-size", type=int, default=None, help="objects per page (default: the retrieval's)")
    args = parser.parse_args()
    bench(args.hosts, args.vms, args.repeat, args.profile, args.page_size)


if __name__ == "__main__":
    main()
