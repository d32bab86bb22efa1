"""vmkping and esxcli of the lab against real namespaces (root only; see conftest.net).

Each command runs as the SSH session would: inside the host's default-stack namespace, with dash as
sh and VMV_HOSTDIR set; vmkping switches to the netstack's namespace itself.
"""

from __future__ import annotations

import re
import resource
import subprocess
import time

import pytest

from . import topo
from .conftest import BIN, Result, run_bin

pytestmark = pytest.mark.lab

REPLY = re.compile(r"(\d+) bytes from (\S+): icmp_seq=(\d+) ttl=(\d+) time=(\d+\.\d{3}) ms")
REPLY6 = re.compile(r"(\d+) bytes from (\S+): icmp_seq=(\d+) time=(\d+\.\d{3}) ms")  # no hop limit on ESXi


def vmkping(t: topo.Topology, host: str, *args: str) -> Result:
    h = t.hosts[host]
    return run_bin("vmkping", t.hostdir(host), *args, netns=h.ns_default)


def fast(*args: str) -> list[str]:
    return ["-c", "3", "-i", "0.2", "-W", "1", *args]


def replies6(res: Result) -> list[tuple[int, str, int]]:
    out = []
    for line in res.lines:
        m = REPLY6.fullmatch(line)
        if m:
            out.append((int(m.group(1)), m.group(2), int(m.group(3))))
    return out


def replies(res: Result) -> list[tuple[int, str, int, int]]:
    out = []
    for line in res.lines:
        m = REPLY.fullmatch(line)
        if m:
            out.append((int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))))
    return out


def check_shape(res: Result, host: str, size: int, sent: int, received: int) -> None:
    """Header, blank line, statistics and round-trip exactly as ESXi prints them."""
    lines = res.lines
    assert lines[0] == f"PING {host} ({host}): {size} data bytes", res
    i = lines.index(f"--- {host} ping statistics ---")
    assert lines[i - 1] == ""
    loss = (sent - received) * 100 / sent
    loss_s = f"{loss:.0f}" if loss == int(loss) else f"{loss:.1f}"
    assert lines[i + 1] == f"{sent} packets transmitted, {received} packets received, {loss_s}% packet loss"
    if received:
        assert re.fullmatch(r"round-trip min/avg/max = \d+\.\d{3}/\d+\.\d{3}/\d+\.\d{3} ms", lines[i + 2])
        assert len(lines) == i + 3
        assert res.rc == 0
    else:
        assert len(lines) == i + 2
        assert res.rc == 1
    assert res.err == ""


def errors(res: Result) -> list[str]:
    return [line for line in res.lines if line.startswith("sendto()")]


# ---------------------------------------------------------------------------------------- replies


def test_onlink_reply_format(net: topo.Topology) -> None:
    res = vmkping(net, "esxa", *fast("198.18.0.12"))
    check_shape(res, "198.18.0.12", 56, 3, 3)
    assert replies(res) == [(64, "198.18.0.12", seq, 64) for seq in range(3)]  # seq from 0, ttl 64 on-link
    assert errors(res) == []


def test_onlink_df_full_mtu(net: topo.Topology) -> None:
    res = vmkping(net, "esxa", *fast("-I", "vmk0", "-d", "-s", "1472", "198.18.0.12"))
    check_shape(res, "198.18.0.12", 1472, 3, 3)
    assert {r[0] for r in replies(res)} == {1480}  # bytes = payload + 8


@pytest.mark.parametrize("stack", [["++netstack=vmotion"], ["-S", "vmotion"]])
def test_routed_reply_lower_ttl(net: topo.Topology, stack: list[str]) -> None:
    res = vmkping(net, "esxa", *stack, *fast("-I", "vmk1", "198.18.2.11"))
    check_shape(res, "198.18.2.11", 56, 3, 3)
    assert [r[3] for r in replies(res)] == [62, 62, 62]  # two routers


def test_routed_without_interface(net: topo.Topology) -> None:
    res = vmkping(net, "esxa", "++netstack=vmotion", *fast("-d", "-s", "1472", "198.18.2.11"))
    check_shape(res, "198.18.2.11", 1472, 3, 3)


def test_default_count_and_ttl_option(net: topo.Topology) -> None:
    res = vmkping(net, "esxa", "-i", "0.2", "-t", "5", "198.18.0.12")
    check_shape(res, "198.18.0.12", 56, 3, 3)
    res = vmkping(net, "esxa", "++netstack=vmotion", *fast("-t", "1", "198.18.2.11"))  # dies at r1
    check_shape(res, "198.18.2.11", 56, 3, 0)
    assert errors(res) == []


# --------------------------------------------------------------------------------- local failures


def test_message_too_long_per_packet(net: topo.Topology) -> None:
    res = vmkping(net, "esxa", *fast("-I", "vmk0", "-d", "-s", "1473", "198.18.0.12"))
    check_shape(res, "198.18.0.12", 1473, 3, 0)
    assert errors(res) == ["sendto() failed (Message too long)"] * 3
    res = vmkping(net, "esxa", "++netstack=vmotion", *fast("-I", "vmk1", "-d", "-s", "8973", "198.18.2.11"))
    assert errors(res) == ["sendto() failed (Message too long)"] * 3
    check_shape(res, "198.18.2.11", 8973, 3, 0)


def test_without_df_large_packets_fragment(net: topo.Topology) -> None:
    res = vmkping(net, "esxa", *fast("-I", "vmk0", "-s", "4000", "198.18.0.12"))
    check_shape(res, "198.18.0.12", 4000, 3, 3)


@pytest.mark.parametrize("iface", [[], ["-I", "vmk0"]])
def test_network_unreachable_without_gateway(net: topo.Topology, iface: list[str]) -> None:
    # esxa's default stack has no gateway: the vmotion networks are unreachable from it
    res = vmkping(net, "esxa", *fast(*iface, "198.18.2.11"))
    check_shape(res, "198.18.2.11", 56, 3, 0)
    assert errors(res) == ["sendto() failed (Network is unreachable)"] * 3


@pytest.mark.parametrize(("iface", "dead"), [([], "198.18.0.98"), (["-I", "vmk0"], "198.18.0.99")])
def test_host_is_down_onlink(net: topo.Topology, iface: list[str], dead: str) -> None:
    start = time.monotonic()
    res = vmkping(net, "esxa", *fast(*iface, dead))
    assert time.monotonic() - start < 5
    check_shape(res, dead, 56, 3, 0)
    assert errors(res) == ["sendto() failed (Host is down)"] * 3


def test_plain_vmkping_from_vmotion_vmk_fails(net: topo.Topology) -> None:
    res = vmkping(net, "esxa", *fast("-I", "vmk1", "198.18.2.11"))
    assert (res.rc, res.out) == (1, "Unknown interface 'vmk1': Invalid argument\n")
    res = vmkping(net, "esxa", *fast("-I", "vmk9", "198.18.2.11"))
    assert (res.rc, res.out) == (1, "Unknown interface 'vmk9': Invalid argument\n")
    res = vmkping(net, "esxa", "++netstack=nosuch", *fast("198.18.2.11"))
    assert res.rc == 1 and res.lines == ["*** vmkernel stack not configured ***"]


@pytest.mark.parametrize("dest", ["198.18.2.11", "2001:db8:2::11"])
@pytest.mark.parametrize("vmk", ["vmk2", "vmk3"])  # vmk2: disabled; vmk3: no carrier
def test_network_is_down(net: topo.Topology, vmk: str, dest: str) -> None:
    res = vmkping(net, "esxa", "-S", "vmotion", *fast("-I", vmk, dest))
    check_shape(res, dest, 56, 3, 0)
    assert errors(res) == ["sendto() failed (Network is down)"] * 3


def test_network_is_down_admin_down_link(net: topo.Topology) -> None:
    """The files say enabled but the link is administratively down (a fault injected in the kernel)."""
    ns = net.hosts["esxa"].ns_vmotion
    subprocess.run(["ip", "-n", ns, "link", "set", "vmk3", "down"], check=True)
    try:
        res = vmkping(net, "esxa", "-S", "vmotion", *fast("-I", "vmk3", "198.18.2.11"))
    finally:
        subprocess.run(["ip", "-n", ns, "link", "set", "vmk3", "up"], check=True)
    assert errors(res) == ["sendto() failed (Network is down)"] * 3


# ------------------------------------------------------------------------------------- path MTU


def cached_pmtu(ns: str, dest: str) -> str:
    return subprocess.run(["ip", "-n", ns, "route", "get", dest], capture_output=True, text=True, check=True).stdout


def test_path_mtu_is_loss_without_errors_even_when_cached(net: topo.Topology) -> None:
    ns = net.hosts["esxa"].ns_vmotion
    args = ["++netstack=vmotion", *fast("-I", "vmk1", "-d", "-s", "8972", "198.18.2.11")]
    first = vmkping(net, "esxa", *args)
    check_shape(first, "198.18.2.11", 8972, 3, 0)
    assert errors(first) == []
    # the router's Frag needed taught the kernel a 1500 path MTU ...
    assert "mtu 1500" in cached_pmtu(ns, "198.18.2.11")
    # ... which must not turn the next run into local errors
    second = vmkping(net, "esxa", *args)
    assert second.out == first.out
    # what fits the 1500 hop passes, and without DF the big packet is fragmented
    check_shape(
        vmkping(net, "esxa", "++netstack=vmotion", *fast("-I", "vmk1", "-d", "-s", "1472", "198.18.2.11")),
        "198.18.2.11",
        1472,
        3,
        3,
    )
    res = vmkping(net, "esxa", "++netstack=vmotion", *fast("-I", "vmk1", "-s", "8972", "198.18.2.11"))
    check_shape(res, "198.18.2.11", 8972, 3, 3)
    assert {r[0] for r in replies(res)} == {8980}


def test_path_mtu_ipv6(net: topo.Topology) -> None:
    args = ["++netstack=vmotion", *fast("-I", "vmk1", "-d", "-s", "8952", "2001:db8:2::11")]
    first = vmkping(net, "esxa", *args)
    second = vmkping(net, "esxa", *args)
    for res in (first, second):
        check_shape(res, "2001:db8:2::11", 8952, 3, 0)
        assert errors(res) == []
    res = vmkping(net, "esxa", "++netstack=vmotion", *fast("-I", "vmk1", "-d", "-s", "8953", "2001:db8:2::11"))
    assert errors(res) == ["sendto() failed (Message too long)"] * 3
    res = vmkping(net, "esxa", "++netstack=vmotion", *fast("-I", "vmk1", "-d", "-s", "1452", "2001:db8:2::11"))
    check_shape(res, "2001:db8:2::11", 1452, 3, 3)


# ------------------------------------------------------------------------------------------- IPv6


def test_ipv6(net: topo.Topology) -> None:
    """IPv6 replies as ESXi prints them: no ttl=/hlim= (routed or not, the reply does not say)."""
    res = vmkping(net, "esxa", *fast("-I", "vmk0", "2001:db8::12"))
    check_shape(res, "2001:db8::12", 56, 3, 3)
    assert replies6(res) == [(64, "2001:db8::12", seq) for seq in range(3)]
    res = vmkping(net, "esxa", "++netstack=vmotion", *fast("-6", "-I", "vmk1", "2001:db8:2::11"))
    check_shape(res, "2001:db8:2::11", 56, 3, 3)
    assert replies6(res) == [(64, "2001:db8:2::11", seq) for seq in range(3)]
    res = vmkping(net, "esxb", "++netstack=vmotion", *fast("-I", "vmk1", "2001:db8:1::11"))
    check_shape(res, "2001:db8:1::11", 56, 3, 3)
    assert replies(res) == [] and len(replies6(res)) == 3


def test_ipv6_failures(net: topo.Topology) -> None:
    res = vmkping(net, "esxa", *fast("-I", "vmk0", "2001:db8::99"))
    assert errors(res) == ["sendto() failed (Host is down)"] * 3
    res = vmkping(net, "esxa", *fast("2001:db8:2::11"))
    assert errors(res) == ["sendto() failed (Network is unreachable)"] * 3
    res = vmkping(net, "esxa", *fast("-I", "vmk0", "-d", "-s", "1453", "2001:db8::12"))
    assert errors(res) == ["sendto() failed (Message too long)"] * 3


def test_runs_within_its_time_bound(net: topo.Topology) -> None:
    start = time.monotonic()
    res = vmkping(net, "esxa", "++netstack=vmotion", "-c", "2", "-i", "0.2", "-W", "1", "198.18.7.7")
    assert time.monotonic() - start < 2 * 0.2 + 1 + 2
    check_shape(res, "198.18.7.7", 56, 2, 0)


# ------------------------------------------------------------------------------------------ esxcli


def test_esxcli_in_the_session_namespace_matches_the_kernel(net: topo.Topology) -> None:
    h = net.hosts["esxa"]
    res = run_bin(
        "esxcli", net.hostdir("esxa"), "network", "ip", "interface", "ipv6", "address", "list", netns=h.ns_default
    )
    assert res.rc == 0
    listed = {(line.split()[0], line.split()[1]) for line in res.lines[2:]}
    kernel = set()
    for v in h.vmks:
        if v.ipv6 == "-":
            continue
        out = subprocess.run(
            ["ip", "-n", v.ns, "-6", "-o", "addr", "show", "dev", v.name], capture_output=True, text=True, check=True
        ).stdout
        kernel |= {(v.name, m) for m in re.findall(r"inet6 ([0-9a-f:]+)/", out)}
    assert listed == kernel  # same link-local (EUI-64 from the MAC) and global addresses
    res = run_bin(
        "esxcli",
        net.hostdir("esxa"),
        "--formatter=csv",
        "network",
        "ip",
        "route",
        "ipv4",
        "list",
        "-N",
        "vmotion",
        netns=h.ns_default,
    )
    nets = {line.split(",")[0] for line in res.lines[1:]}
    kernel_routes = subprocess.run(
        ["ip", "-n", h.ns_vmotion, "-4", "-o", "route", "show", "proto", "kernel"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert {r.split()[0].split("/")[0] for r in kernel_routes.splitlines()} <= nets


# --------------------------------------------------------------------------------------------- cost


def cpu_ms(argv: list[str], env: dict[str, str], n: int) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(n):
        subprocess.run(argv, env=env, capture_output=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000 / n


def test_cost_per_call_stays_small(net: topo.Topology) -> None:
    """Guard against a Python (or other heavy) start per command: ~50 ms of CPU each on a small box."""
    env = {"VMV_HOSTDIR": str(net.hostdir("esxa")), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    ping = cpu_ms(["sh", str(BIN / "vmkping"), "-c", "1", "++netstack=vmotion", "-I", "vmk1", "198.18.2.11"], env, 5)
    esxcli = cpu_ms(["sh", str(BIN / "esxcli"), "network", "ip", "interface", "list"], env, 5)
    assert ping < 40, ping
    assert esxcli < 25, esxcli


def test_a_slow_host_burns_the_cpu_its_cost_file_asks_for(net: topo.Topology) -> None:
    """The topology's vmkping_cpu_ms: each call spends that much CPU before it pings, and still pings."""
    hostdir = net.hostdir("esxa")
    env = {"VMV_HOSTDIR": str(hostdir), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    argv = ["sh", str(BIN / "vmkping"), "-c", "1", "++netstack=vmotion", "-I", "vmk1", "198.18.2.11"]
    (hostdir / "cost").write_text("120\t0\n")
    try:
        burnt = cpu_ms(argv, env, 2)
        res = vmkping(net, "esxa", "++netstack=vmotion", *fast("-I", "vmk1", "198.18.2.11"))
    finally:
        (hostdir / "cost").unlink()
    assert burnt >= 120, burnt
    check_shape(res, "198.18.2.11", 56, 3, 3)


def test_a_terminated_vmkping_ends_at_once_with_its_ping(net: topo.Topology) -> None:
    """A probe stopped at its deadline (TERM) ends now, not when its ping would have."""
    h = net.hosts["esxa"]
    argv = ["ip", "netns", "exec", h.ns_default, "env", f"VMV_HOSTDIR={net.hostdir('esxa')}", "sh",
            str(BIN / "vmkping"), "-c", "60", "-i", "0.5", "-I", "vmk1", "++netstack=vmotion", "198.18.2.11"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    with proc.stdout:
        assert proc.stdout.readline().startswith(b"PING ")  # it runs, its ping is sending
        proc.terminate()
        assert proc.wait(timeout=10) == 143
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and b"198.18.2.11" in subprocess.run(
            ["ip", "netns", "exec", h.ns_vmotion, "ps", "-eo", "args"], capture_output=True, check=False).stdout:
        time.sleep(0.1)
    assert b"-c 60" not in subprocess.run(["ps", "-eo", "args"], capture_output=True, check=False).stdout
    proc.stdout.close()
