"""Benchmark: the HTML report of a 64-host x 2-vmk cluster (16,128 directed pairs) in headless Chromium.

    .venv/bin/python benchmarks/bench_html.py                 # 64 x 2, plus the demo-lab report
    .venv/bin/python benchmarks/bench_html.py --hosts 32 --vmks 4 --runs 5 --keep /tmp/big.html

Prints the render time in Python, the file size, and the load-and-render time in the browser: the page's
own clock (performance.now() when it has drawn every matrix, from navigation start) and the wall time from
the driver's navigation to the page's ready flag. A figure printer, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reports import html
from tests.browser.chromium import chromium, missing_reason, open_report
from tests.factories import full_mesh, make_cluster, make_finding, make_host, make_report, make_result
from validator.models import HostStatus, PairResult, PairStatus, Reason, Severity
from validator.report import Report, load_report

DEMO = Path(__file__).resolve().parents[1] / "samples" / "reports" / "demo-report.json"


def _ping(dst: str, payload: int, sent: int, received: int, *, ttl: int = 63, rtt: float = 0.0) -> str:
    lines = [f"PING {dst} ({dst}): {payload} data bytes"]
    lines += [
        f"{payload + 8} bytes from {dst}: icmp_seq={i} ttl={ttl} time={rtt + i * 0.011:.3f} ms" for i in range(received)
    ]
    loss = 100 * (sent - received) // sent
    lines += [
        "",
        f"--- {dst} ping statistics ---",
        f"{sent} packets transmitted, {received} packets received, {loss}% packet loss",
    ]
    if received:
        lines.append(f"round-trip min/avg/max = {rtt:.3f}/{rtt + 0.011:.3f}/{rtt + 0.022:.3f} ms")
    return "\n".join(lines) + "\n"  # fmt: skip


def _result(pair: PairResult, rng: random.Random, reason: Reason | None) -> PairResult:
    """``pair`` as a pass or the given failure, with vmkping-like raw output."""
    plan, dst = pair.plan, str(pair.plan.dst_ip)
    rtt = rng.uniform(0.08, 0.6)
    reach = _ping(dst, 56, 3, 3, rtt=rtt)
    df = _ping(dst, plan.mtu - 28, 3, 3, rtt=rtt)
    if reason is None:
        return make_result(plan, raw={"reach": reach, "df": df}, rtt_avg_ms=round(rtt, 3))
    if reason is Reason.PATH_MTU:
        detail = f"DF packets of {plan.mtu} bytes lost while small packets pass: a hop's MTU is below {plan.mtu}"
        raw = {"reach": reach, "df": _ping(dst, plan.mtu - 28, 3, 0)}
    elif reason is Reason.NO_ROUTE:
        detail = "'Network is unreachable': no route to the peer (vmotion stack gateway missing or wrong)"
        raw = {"reach": f"PING {dst} ({dst}): 56 data bytes\nsendto() failed (Network is unreachable)\n"}
    elif reason is Reason.VMK_DOWN:
        detail = "'Network is down': the source vmk is administratively down"
        raw = {"reach": f"PING {dst} ({dst}): 56 data bytes\nsendto() failed (Network is down)\n"}
    elif reason is Reason.LOSS:
        detail = "3 sent, 2 replies: 33% loss"
        raw = {"reach": _ping(dst, 56, 3, 2, rtt=rtt)}
    else:
        detail = f"3 sent, 0 replies: the peer is down or filtered, or {plan.dst_host} has no route back"
        raw = {"reach": _ping(dst, 56, 3, 0)}
    return make_result(plan, PairStatus.FAIL, reason, detail=detail, raw=raw)  # fmt: skip


def big_report(n_hosts: int = 64, vmks: int = 2, seed: int = 7) -> Report:
    """A cluster of racks of 8 hosts: rack 3's uplink MTU is 1500 (path-mtu), one host has no gateway,
    one vmk is down, one host is unreachable, and a sprinkle of loss and blackholed pairs."""
    rng = random.Random(seed)
    hosts = make_cluster(n_hosts, vmks)
    down_host = hosts[-1].name
    hosts[-1] = make_host(down_host, status=HostStatus.UNREACHABLE, error="cannot connect to 10.0.0.64:22: timed out")
    no_gw, vmk_down = hosts[12].name, (hosts[19].name, "vmk2")
    rack = {h.name: i // 8 for i, h in enumerate(hosts)}
    pairs = []
    for pair in full_mesh(make_cluster(n_hosts, vmks)):
        p = pair.plan
        if p.src_host == down_host:
            pairs.append(make_result(p, PairStatus.ERROR, Reason.HOST_ERROR, detail="source host not reachable"))
            continue
        reason = None
        if (p.src_host, p.src_vmk) == vmk_down:
            reason = Reason.VMK_DOWN
        elif p.src_host == no_gw:
            reason = Reason.NO_ROUTE
        elif (rack[p.src_host] == 3) != (rack[p.dst_host] == 3):
            reason = Reason.PATH_MTU
        elif rng.random() < 0.01:
            reason = Reason.LOSS
        elif rng.random() < 0.005:
            reason = Reason.UNREACHABLE
        pairs.append(_result(pair, rng, reason))
    findings = [
        make_finding("host_unreachable", Severity.ERROR, f"{down_host}: unreachable", host=down_host),
        make_finding("gateway", Severity.ERROR, f"{no_gw}: no IPv4 default gateway on the vmotion stack", host=no_gw),
        make_finding("vmk_disabled", Severity.WARNING, f"{vmk_down[0]}:vmk2 is disabled", *vmk_down),
    ]
    return make_report(hosts, pairs, findings, duration_s=61.8)


def measure(report: Report, runs: int, keep: Path | None) -> None:
    t = time.perf_counter()
    text = html.render(report)
    render_s = time.perf_counter() - t
    path = keep or Path(tempfile.mkdtemp(prefix="vmv-bench-")) / "report.html"
    path.write_text(text, encoding="utf-8")
    size = path.stat().st_size
    print(f"  pairs {len(report.pairs)}, hosts {len(report.hosts)}")
    print(f"  render (python)   {render_s * 1000:8.0f} ms")
    print(f"  file size         {size / 1e6:8.2f} MB ({size} bytes)")
    page_ms, wall_ms = [], []
    with chromium() as driver:
        for _ in range(runs):
            driver.get("about:blank")
            t = time.perf_counter()
            open_report(driver, path)
            wall_ms.append((time.perf_counter() - t) * 1000)
            page_ms.append(float(driver.execute_script("return window.vmv.renderMs")))
    print(f"  load+render (page, performance.now at ready)   median {statistics.median(page_ms):6.0f} ms "
          f"(runs: {', '.join(f'{v:.0f}' for v in page_ms)})")  # fmt: skip
    print(f"  load+render (wall, navigation to ready flag)   median {statistics.median(wall_ms):6.0f} ms "
          f"(runs: {', '.join(f'{v:.0f}' for v in wall_ms)})")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hosts", type=int, default=64)
    parser.add_argument("--vmks", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the generated report here")
    args = parser.parse_args()
    reason = missing_reason()
    if reason:
        print(f"bench_html: {reason}", file=sys.stderr)
        return 2
    print(f"{args.hosts} hosts x {args.vmks} vmks:")
    measure(big_report(args.hosts, args.vmks), args.runs, args.keep)
    print("demo lab (samples/reports/demo-report.json):")
    measure(load_report(DEMO), args.runs, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
