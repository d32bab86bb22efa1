"""Pieces of vmkping that need no namespace: the awk helpers (vmvlib.awk), the iputils -> ESXi
translation (vmkping.awk fed canned iputils output) and vmkping's argument checks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from . import topo
from .conftest import BIN, run_bin

# ------------------------------------------------------------------------------------- vmvlib.awk


def awk_lib(tmp_path: Path, body: str) -> list[str]:
    driver = tmp_path / "driver.awk"
    driver.write_text("BEGIN {\n" + body + "\n}\n")
    proc = subprocess.run(
        ["awk", "-f", str(BIN / "vmvlib.awk"), "-f", str(driver)], capture_output=True, text=True, check=True
    )
    return proc.stdout.splitlines()


@pytest.mark.parametrize(
    ("prefix", "mask"),
    [
        (0, "0.0.0.0"),
        (8, "255.0.0.0"),
        (21, "255.255.248.0"),
        (24, "255.255.255.0"),
        (30, "255.255.255.252"),
        (32, "255.255.255.255"),
    ],
)
def test_mask4(tmp_path: Path, prefix: int, mask: str) -> None:
    assert awk_lib(tmp_path, f"print vl_mask4({prefix})") == [mask]


def test_net4_bcast4_in4(tmp_path: Path) -> None:
    out = awk_lib(
        tmp_path,
        """
        print vl_net4("198.19.2.11", 24, "net"); print vl_net4("198.19.2.11", 24, "bcast")
        print vl_net4("198.19.13.200", 20, "net"); print vl_net4("198.19.13.200", 20, "bcast")
        print vl_in4("198.19.2.1", "198.19.2.11", 24), vl_in4("198.19.3.1", "198.19.2.11", 24)
        print vl_ip4("1.2.3", o), vl_ip4("1.2.3.256", o), vl_ip4("1.2.3.4", o)
    """,
    )
    assert out == ["198.19.2.0", "198.19.2.255", "198.19.0.0", "198.19.15.255", "1 0", "0 0 1"]


@pytest.mark.parametrize(
    ("addr", "canon"),
    [
        ("2001:db8:0:0:0:0:0:11", "2001:db8::11"),
        ("2001:DB8::0011", "2001:db8::11"),
        ("::", "::"),
        ("::1", "::1"),
        ("fe80::", "fe80::"),
        ("2001:db8:0:1:0:0:0:0", "2001:db8:0:1::"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  # the longest zero run is compressed
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  # on a tie, the first
        ("2001:db8:1:2:3:4:0:6", "2001:db8:1:2:3:4:0:6"),  # a single zero group stays
        ("::ffff:198.18.0.1", "::ffff:c612:1"),
    ],
)
def test_canon6(tmp_path: Path, addr: str, canon: str) -> None:
    import ipaddress

    assert awk_lib(tmp_path, f'print vl_canon6("{addr}")') == [canon]
    assert canon == str(ipaddress.IPv6Address(addr))


@pytest.mark.parametrize(
    ("addr", "prefix"),
    [
        ("2001:db8:1::11", 64),
        ("2001:db8:abcd:12ff::5", 48),
        ("2001:db8:7:8:9:a:b:c", 127),
        ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 57),
        ("2001:db8::1", 0),
        ("2001:db8::1", 128),
    ],
)
def test_net6_matches_ipaddress(tmp_path: Path, addr: str, prefix: int) -> None:
    import ipaddress

    want = str(ipaddress.IPv6Network(f"{addr}/{prefix}", strict=False).network_address)
    assert awk_lib(tmp_path, f'print vl_net6("{addr}", {prefix})') == [want]


def test_ll6_and_invalid(tmp_path: Path) -> None:
    out = awk_lib(
        tmp_path,
        """
        print vl_ll6("00:50:56:6a:7c:2e"); print vl_ll6("02:00:00:00:00:01")
        print vl_ip6("1:2:3", h), vl_ip6("1::2::3", h), vl_ip6("12345::1", h), vl_ip6("g::1", h)
        print vl_in6("2001:db8:1::1", "2001:db8:1::11", 64), vl_in6("2001:db8:2::1", "2001:db8:1::11", 64)
    """,
    )
    assert out == ["fe80::250:56ff:fe6a:7c2e", "fe80::ff:fe00:1", "0 0 0 0", "1 0"]


# ------------------------------------------------------------------------------------ vmkping.awk


def translate(hosts: topo.Topology, ping_output: str, **variables: str) -> tuple[int, str]:
    v = {
        "host": "198.18.2.11",
        "count": "3",
        "size": "56",
        "fam": "4",
        "vmk": "vmk1",
        "srcip": "198.18.1.11",
        "stack": "vmotion",
        "ns": "",
        "hostdir": str(hosts.hostdir("esxa")),
        "forced": "",
        **variables,
    }
    argv = ["awk", "-f", str(BIN / "vmvlib.awk"), "-f", str(BIN / "vmkping.awk")]
    for key, value in v.items():
        argv += ["-v", f"{key}={value}"]
    proc = subprocess.run(argv, input=ping_output, capture_output=True, text=True, check=False)
    assert proc.stderr == ""
    return proc.returncode, proc.stdout


OK3 = """PING 198.18.2.11 (198.18.2.11) from 198.18.1.11 vmk1: 8972(9000) bytes of data.
8980 bytes from 198.18.2.11: icmp_seq=1 ttl=62 time=0.345 ms
8980 bytes from 198.18.2.11: icmp_seq=2 ttl=62 time=1.2 ms
8980 bytes from 198.18.2.11: icmp_seq=3 ttl=62 time=0.298 ms

--- 198.18.2.11 ping statistics ---
3 packets transmitted, 3 received, 0% packet loss, time 2003ms
rtt min/avg/max/mdev = 0.298/0.614/1.200/0.425 ms
"""


def test_translate_replies(hosts: topo.Topology) -> None:
    rc, out = translate(hosts, OK3, size="8972")
    assert rc == 0
    assert out == (
        "PING 198.18.2.11 (198.18.2.11): 8972 data bytes\n"
        "8980 bytes from 198.18.2.11: icmp_seq=0 ttl=62 time=0.345 ms\n"
        "8980 bytes from 198.18.2.11: icmp_seq=1 ttl=62 time=1.200 ms\n"
        "8980 bytes from 198.18.2.11: icmp_seq=2 ttl=62 time=0.298 ms\n"
        "\n"
        "--- 198.18.2.11 ping statistics ---\n"
        "3 packets transmitted, 3 packets received, 0% packet loss\n"
        "round-trip min/avg/max = 0.298/0.614/1.200 ms\n"
    )


def test_translate_ipv6_replies_carry_no_hop_limit(hosts: topo.Topology) -> None:
    """ESXi prints IPv6 replies without ttl=/hlim=: "64 bytes from 2001:db8::5: icmp_seq=0 time=0.190 ms"."""
    text = """PING 2001:db8:2::11(2001:db8:2::11) from 2001:db8:1::11 vmk1: 56 data bytes
64 bytes from 2001:db8:2::11: icmp_seq=1 ttl=62 time=0.19 ms
64 bytes from 2001:db8:2::11: icmp_seq=2 ttl=62 time=0.2 ms
64 bytes from 2001:db8:2::11: icmp_seq=2 ttl=62 time=0.3 ms (DUP!)

--- 2001:db8:2::11 ping statistics ---
2 packets transmitted, 2 received, +1 duplicates, 0% packet loss, time 1001ms
rtt min/avg/max/mdev = 0.190/0.195/0.200/0.005 ms
"""
    rc, out = translate(hosts, text, host="2001:db8:2::11", fam="6", srcip="2001:db8:1::11", count="2")
    assert rc == 0
    assert out == (
        "PING 2001:db8:2::11 (2001:db8:2::11): 56 data bytes\n"
        "64 bytes from 2001:db8:2::11: icmp_seq=0 time=0.190 ms\n"
        "64 bytes from 2001:db8:2::11: icmp_seq=1 time=0.200 ms\n"
        "64 bytes from 2001:db8:2::11: icmp_seq=1 time=0.300 ms (DUP!)\n"
        "\n"
        "--- 2001:db8:2::11 ping statistics ---\n"
        "2 packets transmitted, 2 packets received, 0% packet loss\n"
        "round-trip min/avg/max = 0.190/0.195/0.200 ms\n"
    )


def test_translate_partial_loss_fraction(hosts: topo.Topology) -> None:
    text = """PING 198.18.2.11 (198.18.2.11) 56(84) bytes of data.
64 bytes from 198.18.2.11: icmp_seq=2 ttl=62 time=0.5 ms
64 bytes from 198.18.2.11: icmp_seq=2 ttl=62 time=0.6 ms (DUP!)

--- 198.18.2.11 ping statistics ---
3 packets transmitted, 1 received, +1 duplicates, 66.6667% packet loss, time 2003ms
"""
    rc, out = translate(hosts, text, vmk="", srcip="")
    assert rc == 0
    lines = out.splitlines()
    assert lines[1] == "64 bytes from 198.18.2.11: icmp_seq=1 ttl=62 time=0.500 ms"
    assert lines[2] == "64 bytes from 198.18.2.11: icmp_seq=1 ttl=62 time=0.600 ms (DUP!)"
    assert "3 packets transmitted, 1 packets received, 66.7% packet loss" in lines
    assert lines[-1] == "round-trip min/avg/max = 0.500/0.500/0.500 ms"
    _, out = translate(
        hosts, text.replace("icmp_seq=2 ttl=62 time=0.6 ms (DUP!)", "icmp_seq=3 ttl=62 time=0.6 ms"), vmk="", srcip=""
    )
    assert "3 packets transmitted, 2 packets received, 33.3% packet loss" in out


def test_translate_router_errors_are_loss_only(hosts: topo.Topology) -> None:
    text = """PING 198.18.2.11 (198.18.2.11) from 198.18.1.11 vmk1: 8972(9000) bytes of data.
From 198.18.1.1 icmp_seq=1 Frag needed and DF set (mtu = 1500)
ping: local error: message too long, mtu=1500
ping: local error: message too long, mtu=1500

--- 198.18.2.11 ping statistics ---
3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 2003ms
"""
    rc, out = translate(hosts, text, size="8972")
    assert rc == 1
    assert out == (
        "PING 198.18.2.11 (198.18.2.11): 8972 data bytes\n\n--- 198.18.2.11 ping statistics ---\n"
        "3 packets transmitted, 0 packets received, 100% packet loss\n"
    )


def test_translate_local_message_too_long(hosts: topo.Topology) -> None:
    text = """PING 198.18.2.11 (198.18.2.11) from 198.18.1.11 vmk1: 8973(9001) bytes of data.
ping: local error: message too long, mtu=9000
ping: local error: message too long, mtu=9000

--- 198.18.2.11 ping statistics ---
3 packets transmitted, 0 received, +2 errors, 100% packet loss, time 2003ms
"""
    rc, out = translate(hosts, text, size="8973")
    assert rc == 1
    assert out.count("sendto() failed (Message too long)\n") == 3  # one per requested packet
    assert "3 packets transmitted, 0 packets received, 100% packet loss" in out
    assert "round-trip" not in out
    # IPv6: 48 bytes of headers; 8952 fits a 9000 vmk, so EMSGSIZE there came from a path MTU
    v6 = text.replace("198.18.2.11", "2001:db8:2::11").replace("198.18.1.11", "2001:db8:1::11")
    _, out = translate(hosts, v6, host="2001:db8:2::11", fam="6", srcip="2001:db8:1::11", size="8952")
    assert "sendto()" not in out
    _, out = translate(hosts, v6, host="2001:db8:2::11", fam="6", srcip="2001:db8:1::11", size="8953")
    assert out.count("sendto() failed (Message too long)") == 3


def test_translate_message_too_long_without_interface_uses_egress_vmk(hosts: topo.Topology) -> None:
    text = "ping: local error: message too long, mtu=1500\n" * 3
    # esxa default stack: vmk0 MTU 1500 -> 1473 + 28 is too long
    _, out = translate(hosts, text, host="198.18.0.12", vmk="", srcip="", stack="defaultTcpipStack", size="1473")
    assert out.count("sendto() failed (Message too long)") == 3
    # vmotion stack, off-link destination: the gateway's vmk1 (MTU 9000) -> a path MTU, not local
    _, out = translate(hosts, text, host="198.18.2.11", vmk="", srcip="", size="1473")
    assert "sendto()" not in out


def test_translate_own_unreachable_is_host_down(hosts: topo.Topology) -> None:
    text = """PING 198.18.0.99 (198.18.0.99) 56(84) bytes of data.
From 198.18.0.11 icmp_seq=1 Destination Host Unreachable
From 198.18.0.11 icmp_seq=2 Destination Host Unreachable

--- 198.18.0.99 ping statistics ---
3 packets transmitted, 0 received, +2 errors, 100% packet loss, time 2003ms
"""
    rc, out = translate(hosts, text, host="198.18.0.99", vmk="", srcip="", stack="defaultTcpipStack")
    assert rc == 1
    assert out.count("sendto() failed (Host is down)") == 3
    # the same message from a router is only loss
    _, out = translate(hosts, text.replace("From 198.18.0.11", "From 198.18.1.1"), host="198.18.0.99")
    assert "sendto()" not in out
    v6 = "From 2001:db8::11 icmp_seq=1 Destination unreachable: Address unreachable\n"
    _, out = translate(hosts, v6, host="2001:db8::99", fam="6", vmk="", srcip="", count="1", stack="defaultTcpipStack")
    assert out.count("sendto() failed (Host is down)") == 1


def test_translate_connect_unreachable(hosts: topo.Topology) -> None:
    rc, out = translate(hosts, "ping: connect: Network is unreachable\n", vmk="", srcip="", count="4")
    assert rc == 1
    assert out == (
        "PING 198.18.2.11 (198.18.2.11): 56 data bytes\n"
        + "sendto() failed (Network is unreachable)\n" * 4
        + "\n--- 198.18.2.11 ping statistics ---\n4 packets transmitted, 0 packets received, 100% packet loss\n"
    )


def test_translate_forced_down(hosts: topo.Topology) -> None:
    rc, out = translate(hosts, "", vmk="vmk2", forced="down", count="2")
    assert rc == 1
    assert out.splitlines()[1:3] == ["sendto() failed (Network is down)"] * 2


def test_translate_unknown_host(hosts: topo.Topology) -> None:
    rc, out = translate(
        hosts, "ping: nosuch.example: Name or service not known\n", host="nosuch.example", vmk="", srcip=""
    )
    assert rc == 1
    assert out == "ping: cannot resolve nosuch.example: Unknown host\n"


def test_translate_stderr_before_header(hosts: topo.Topology) -> None:
    """stderr lines may overtake the header in the pipe: the header still comes first."""
    text = (
        "ping: local error: message too long, mtu=9000\n"
        "PING 198.18.2.11 (198.18.2.11) from 198.18.1.11 vmk1: 9000(9028) bytes of data.\n"
    )
    _, out = translate(hosts, text, size="9000", count="1")
    assert out.splitlines()[:2] == [
        "PING 198.18.2.11 (198.18.2.11): 9000 data bytes",
        "sendto() failed (Message too long)",
    ]


# ------------------------------------------------------------------------------ vmkping arguments


def test_unknown_interface(hosts: topo.Topology) -> None:
    for args in (
        ["-I", "vmk9", "198.18.2.11"],
        ["-I", "vmk1", "198.18.2.11"],  # vmk1: vmotion stack
        ["++netstack=vmotion", "-I", "vmk0", "198.18.2.11"],
    ):
        res = run_bin("vmkping", hosts.hostdir("esxa"), *args)
        assert res.rc == 1
        assert res.out == f"Unknown interface '{args[-2]}': Invalid argument\n"


@pytest.mark.parametrize("stack", [["++netstack=nosuch"], ["-S", "nosuch"], ["++netstack=vmotion", "-S", "nosuch"]])
def test_unknown_netstack(hosts: topo.Topology, stack: list[str]) -> None:
    """ESXi prints this line and nothing else for a stack the host does not have."""
    res = run_bin("vmkping", hosts.hostdir("esxa"), *stack, "-I", "vmk1", "198.18.2.11")
    assert res.rc == 1
    assert res.out == "*** vmkernel stack not configured ***\n"
    assert res.err == ""


def test_disabled_vmk_without_namespace(hosts: topo.Topology) -> None:
    """A disabled vmk never reaches ping (so this runs anywhere)."""
    res = run_bin("vmkping", hosts.hostdir("esxa"), "-S", "vmotion", "-I", "vmk2", "-c", "2", "198.18.2.11")
    assert res.rc == 1
    assert res.lines == [
        "PING 198.18.2.11 (198.18.2.11): 56 data bytes",
        "sendto() failed (Network is down)",
        "sendto() failed (Network is down)",
        "",
        "--- 198.18.2.11 ping statistics ---",
        "2 packets transmitted, 0 packets received, 100% packet loss",
    ]


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["-c"],
        ["-c", "x", "1.2.3.4"],
        ["-c", "0", "1.2.3.4"],
        ["-s", "-1", "1.2.3.4"],
        ["-z", "1.2.3.4"],
        ["-i", "1.2.3", "1.2.3.4"],
        ["1.2.3.4", "5.6.7.8"],
    ],
)
def test_bad_arguments(hosts: topo.Topology, args: list[str]) -> None:
    res = run_bin("vmkping", hosts.hostdir("esxa"), *args)
    assert res.rc == 1
    assert "Usage: vmkping" in res.out


def test_missing_hostdir() -> None:
    proc = subprocess.run(
        ["env", "-u", "VMV_HOSTDIR", "sh", str(BIN / "vmkping"), "1.2.3.4"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1
    assert "VMV_HOSTDIR" in proc.stderr


@pytest.mark.parametrize("name", ["vmkping", "esxcli"])
def test_posix_sh_syntax(name: str) -> None:
    subprocess.run(["dash", "-n", str(BIN / name)], check=True)
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed")
    proc = subprocess.run(["shellcheck", "-s", "sh", str(BIN / name)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout
