"""Command builders: exact command lines, validation refusals, quoting."""

from __future__ import annotations

import shlex
from ipaddress import IPv4Address, IPv6Address

import pytest

from validator.errors import CommandValueError
from validator.esxi import commands as c
from validator.models import Family

INJECTIONS = [
    "vmk1;reboot",
    "vmk1 && reboot",
    "vmk1|sh",
    "$(reboot)",
    "`reboot`",
    "vmk1\n",
    "vmk1\nreboot",
    "vmk1'",
    'vmk1"',
    "vmk1 ",
    " vmk1",
    "vmk1>x",
    "-I",
    "",
]


# ------------------------------------------------------------------------------- validation


@pytest.mark.parametrize("name", ["vmk0", "vmk1", "vmk10", "vmk9999"])
def test_validate_vmk_accepts(name: str) -> None:
    assert c.validate_vmk(name) == name


@pytest.mark.parametrize("name", [*INJECTIONS, "vmk", "vmk10000", "VMK1", "vmk-1", "vmk\uff11", "vmk\u0663", None, 1])
def test_validate_vmk_refuses(name: object) -> None:
    with pytest.raises(CommandValueError):
        c.validate_vmk(name)


@pytest.mark.parametrize("name", ["vmotion", "defaultTcpipStack", "vSphereProvisioning", "a", "stack_2-b", "x" * 64])
def test_validate_netstack_accepts(name: str) -> None:
    assert c.validate_netstack(name) == name


@pytest.mark.parametrize(
    "name", [*INJECTIONS[:-2], "", "1stack", "_x", "x" * 65, "vmotion;reboot", "vmo tion", "vmotion\n", None]
)
def test_validate_netstack_refuses(name: object) -> None:
    with pytest.raises(CommandValueError):
        c.validate_netstack(name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("198.19.1.11", IPv4Address("198.19.1.11")),
        ("2001:db8:1::11", IPv6Address("2001:db8:1::11")),
        ("fe80::1", IPv6Address("fe80::1")),
        (IPv4Address("10.0.0.1"), IPv4Address("10.0.0.1")),
    ],
)
def test_validate_ip_accepts(text: object, expected: object) -> None:
    assert c.validate_ip(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "198.19.1.1 && rm -rf /",
        "198.19.1.1;reboot",
        "$(x)",
        "`x`",
        "198.19.1.1\n",
        " 198.19.1.1",
        "198.19.1.1/24",
        "198.019.1.1",  # leading zero: ambiguous (octal)
        "fe80::1%vmk0",  # scoped
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "ff02::1",
        "255.255.255.255",
        "::ffff:198.19.1.1",  # IPv4-mapped
        "host.example",
        "",
        "1.2.3",
        "\u0661\u0669\u0668.\u0661\u0669.\u0661.\u0661",  # non-ASCII digits
        None,
        3232235777,
    ],
)
def test_validate_ip_refuses(text: object) -> None:
    with pytest.raises(CommandValueError):
        c.validate_ip(text)


def test_command_value_error_is_value_error() -> None:
    with pytest.raises(ValueError):
        c.validate_vmk("vmk1;reboot")


# ---------------------------------------------------------------------------------- vmkping


def test_vmkping_full_example() -> None:
    cmd = c.vmkping("198.19.2.11", netstack="vmotion", vmk="vmk1", count=3, interval=0.2, timeout=1, size=8972, df=True)
    assert cmd == "vmkping ++netstack=vmotion -I vmk1 -c 3 -i 0.2 -W 1 -s 8972 -d 198.19.2.11"


def test_vmkping_minimal() -> None:
    assert c.vmkping("198.19.2.11", netstack=None, vmk=None) == "vmkping -c 3 198.19.2.11"


def test_vmkping_ipv6_adds_dash_6() -> None:
    cmd = c.vmkping(IPv6Address("2001:db8:1::11"), netstack="vmotion", vmk="vmk1", count=1, ttl=64)
    assert cmd == "vmkping -6 ++netstack=vmotion -I vmk1 -c 1 -t 64 2001:db8:1::11"


def test_vmkping_family_must_match() -> None:
    assert "-6" in c.vmkping("2001:db8::1", netstack=None, vmk=None, family=Family.IPV6)
    assert c.vmkping("198.19.1.1", netstack=None, vmk=None, family=Family.IPV4).endswith(" 198.19.1.1")
    with pytest.raises(CommandValueError):
        c.vmkping("198.19.1.1", netstack=None, vmk=None, family=Family.IPV6)
    with pytest.raises(CommandValueError):
        c.vmkping("2001:db8::1", netstack=None, vmk=None, family=Family.IPV4)
    with pytest.raises(CommandValueError):
        c.vmkping("2001:db8::1", netstack=None, vmk=None, family="ipv7")  # type: ignore[arg-type]


def test_vmkping_number_formatting() -> None:
    cmd = c.vmkping("198.19.1.1", netstack=None, vmk=None, interval=0.01, timeout=60.0)
    assert "-i 0.01 -W 60 " in cmd
    cmd = c.vmkping("198.19.1.1", netstack=None, vmk=None, interval=10, timeout=0.1)
    assert "-i 10 -W 1 " in cmd
    cmd = c.vmkping("198.19.1.1", netstack=None, vmk=None, interval=1 / 3)
    assert "-i 0.333 " in cmd


@pytest.mark.parametrize(
    ("timeout", "word"),
    [(0.1, "1"), (0.5, "1"), (1, "1"), (1.0, "1"), (1.2, "2"), (2.999, "3"), (3, "3"), (59.5, "60"), (60, "60")],
)
def test_vmkping_timeout_is_whole_seconds_rounded_up(timeout: float, word: str) -> None:
    """ESXi documents -W in seconds and every public example uses whole seconds: never send a fraction."""
    words = c.vmkping("198.19.1.1", netstack="vmotion", vmk="vmk1", timeout=timeout, interval=0.2).split()
    assert words[words.index("-W") + 1] == word
    assert words[words.index("-i") + 1] == "0.2"  # sub-second -i is accepted by ESXi and kept


def test_vmkping_words_survive_shell_split() -> None:
    cmd = c.vmkping("198.19.2.11", netstack="vmotion", vmk="vmk12", count=2, size=0, df=True)
    assert shlex.split(cmd) == [
        "vmkping",
        "++netstack=vmotion",
        "-I",
        "vmk12",
        "-c",
        "2",
        "-s",
        "0",
        "-d",
        "198.19.2.11",
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"count": 0},
        {"count": 101},
        {"count": True},
        {"count": 2.0},
        {"count": "3"},
        {"size": -1},
        {"size": 65508},
        {"size": 1.5},
        {"interval": 0.009},
        {"interval": 10.01},
        {"interval": float("nan")},
        {"interval": float("inf")},
        {"interval": "0.2"},
        {"timeout": 0.09},
        {"timeout": 61},
        {"timeout": True},
        {"ttl": 0},
        {"ttl": 256},
        {"df": 1},
        {"df": "yes"},
        {"vmk": "vmk1;reboot"},
        {"vmk": "$(x)"},
        {"netstack": "vmotion;reboot"},
        {"netstack": "vmotion --x"},
    ],
)
def test_vmkping_refuses(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"netstack": "vmotion", "vmk": "vmk1"}
    args.update(kwargs)
    with pytest.raises(CommandValueError):
        c.vmkping("198.19.1.1", **args)  # type: ignore[arg-type]


@pytest.mark.parametrize("dst", ["198.19.1.1 && rm -rf /", "$(x)", "198.19.1.1;reboot", "`id`", "-c 1000"])
def test_vmkping_refuses_injected_destination(dst: str) -> None:
    with pytest.raises(CommandValueError):
        c.vmkping(dst, netstack="vmotion", vmk="vmk1")


@pytest.mark.parametrize(("count", "size", "ttl"), [(1, 0, 1), (100, 65507, 255)])
def test_vmkping_range_edges_accepted(count: int, size: int, ttl: int) -> None:
    cmd = c.vmkping("198.19.1.1", netstack=None, vmk=None, count=count, size=size, ttl=ttl)
    assert f"-c {count} -s {size} -t {ttl} " in cmd


# ----------------------------------------------------------------------------------- esxcli


def test_esxcli_helpers() -> None:
    assert c.netstack_list() == "esxcli network ip netstack list"
    assert c.interface_list() == "esxcli network ip interface list"
    assert c.interface_list("vmotion") == "esxcli network ip interface list -N vmotion"
    assert c.ipv4_get() == "esxcli network ip interface ipv4 get"
    assert c.ipv4_get(netstack="vmotion") == "esxcli network ip interface ipv4 get -N vmotion"
    assert c.ipv4_get(vmk="vmk1") == "esxcli network ip interface ipv4 get -i vmk1"
    assert c.ipv4_get("vmotion", "vmk1") == "esxcli network ip interface ipv4 get -N vmotion -i vmk1"
    assert c.ipv6_address_list() == "esxcli network ip interface ipv6 address list"
    assert c.route_ipv4_list("vmotion") == "esxcli network ip route ipv4 list -N vmotion"
    assert c.route_ipv6_list("defaultTcpipStack") == "esxcli network ip route ipv6 list -N defaultTcpipStack"
    assert c.tag_get("vmk1") == "esxcli network ip interface tag get -i vmk1"


def test_esxcli_formatter() -> None:
    assert c.esxcli("network", "ip", "netstack", "list", formatter="xml") == (
        "esxcli --formatter=xml network ip netstack list"
    )
    assert (
        c.route_ipv4_list("vmotion", formatter="csv") == "esxcli --formatter=csv network ip route ipv4 list -N vmotion"
    )
    with pytest.raises(CommandValueError):
        c.esxcli("network", "ip", "netstack", "list", formatter="xml; reboot")
    with pytest.raises(CommandValueError):
        c.netstack_list(formatter="html")


@pytest.mark.parametrize(
    "word", ["ip;reboot", "ip list", "$(x)", "`x`", "a|b", "a&b", "a>b", "", "'", '"', "a\nb", "*", "~root"]
)
def test_esxcli_refuses_unsafe_words(word: str) -> None:
    with pytest.raises(CommandValueError):
        c.esxcli("network", word)


def test_esxcli_needs_words() -> None:
    with pytest.raises(CommandValueError):
        c.esxcli()


@pytest.mark.parametrize(
    "call",
    [
        lambda: c.interface_list("vmotion;reboot"),
        lambda: c.ipv4_get(vmk="vmk1 -N x"),
        lambda: c.route_ipv4_list("$(x)"),
        lambda: c.route_ipv6_list(""),
        lambda: c.tag_get("vmk1;reboot"),
        lambda: c.tag_get("eth0"),
    ],
)
def test_esxcli_helpers_refuse(call: object) -> None:
    with pytest.raises(CommandValueError):
        call()  # type: ignore[operator]


# ------------------------------------------------------------------------------------- MTU


@pytest.mark.parametrize(
    ("mtu", "family", "payload"),
    [(9000, Family.IPV4, 8972), (1500, Family.IPV4, 1472), (9000, Family.IPV6, 8952), (1500, Family.IPV6, 1452)],
)
def test_payload_for_mtu(mtu: int, family: Family, payload: int) -> None:
    assert c.payload_for_mtu(mtu, family) == payload
    assert c.mtu_for_payload(payload, family) == mtu


def test_payload_for_mtu_accepts_family_value() -> None:
    assert c.payload_for_mtu(9000, "ipv6") == 8952  # type: ignore[arg-type]


@pytest.mark.parametrize("mtu", [0, 67, 65536, -1, True, 9000.0, "9000"])
def test_payload_for_mtu_refuses(mtu: object) -> None:
    with pytest.raises(CommandValueError):
        c.payload_for_mtu(mtu, Family.IPV4)  # type: ignore[arg-type]


def test_mtu_for_payload_refuses() -> None:
    with pytest.raises(CommandValueError):
        c.mtu_for_payload(-1, Family.IPV4)
    with pytest.raises(CommandValueError):
        c.mtu_for_payload(100, "ipx")  # type: ignore[arg-type]
