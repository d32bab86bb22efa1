"""Every sample in samples/esxi-output parses to the right values; readers and edge cases."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from pathlib import Path

import pytest

from validator.errors import ParseError
from validator.esxi import parsers as p
from validator.esxi import tables as t
from validator.models import Family, PingStats

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "esxi-output"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def test_every_sample_is_documented_and_tested() -> None:
    sources = sample("SOURCES.md")
    this_file = Path(__file__).read_text()
    for path in SAMPLES.iterdir():
        if path.name == "SOURCES.md":
            continue
        assert f"`{path.name}`" in sources or path.stem.rsplit("-", 1)[0] in sources, path.name
        assert path.name in this_file, f"{path.name} has no test"


# ------------------------------------------------------------------------------------ vmkping


def test_vmkping_ok_routed() -> None:
    stats = p.parse_vmkping(sample("vmkping-ok-routed.txt"))
    assert stats.target == "198.19.2.11"
    assert stats.payload == 8972
    assert (stats.transmitted, stats.received, stats.loss_pct) == (3, 3, 0.0)
    assert stats.ttls == (61, 61, 61)
    assert stats.ttl == 61
    assert (stats.rtt_min_ms, stats.rtt_avg_ms, stats.rtt_max_ms) == (0.298, 0.315, 0.345)
    assert stats.errors == ()


def test_vmkping_ok_onlink() -> None:
    stats = p.parse_vmkping(sample("vmkping-ok-onlink.txt"))
    assert (stats.target, stats.payload, stats.received, stats.ttl) == ("198.19.1.12", 56, 3, 64)
    assert stats.rtt_avg_ms == 0.160


def test_vmkping_nsx_without_round_trip_line() -> None:
    stats = p.parse_vmkping(sample("vmkping-nsx-df-1572.txt"))
    assert (stats.target, stats.payload, stats.transmitted, stats.received) == ("10.44.44.22", 1572, 1, 1)
    assert stats.ttls == (64,)
    assert stats.rtt_min_ms is None and stats.rtt_avg_ms is None and stats.rtt_max_ms is None


@pytest.mark.parametrize(
    ("name", "error", "payload"),
    [
        ("vmkping-df-too-long.txt", "Message too long", 8972),
        ("vmkping-no-route.txt", "Network is unreachable", 56),
        ("vmkping-host-down.txt", "Host is down", 56),
        ("vmkping-vmk-down.txt", "Network is down", 56),
    ],
)
def test_vmkping_local_failures(name: str, error: str, payload: int) -> None:
    stats = p.parse_vmkping(sample(name))
    assert stats.errors == (error, error, error)
    assert (stats.transmitted, stats.received, stats.loss_pct) == (3, 0, 100.0)
    assert stats.payload == payload
    assert stats.ttls == () and stats.ttl is None and stats.rtt_avg_ms is None


def test_vmkping_path_mtu_loss_has_no_error() -> None:
    stats = p.parse_vmkping(sample("vmkping-path-mtu-loss.txt"))
    assert (stats.payload, stats.transmitted, stats.received, stats.loss_pct) == (8972, 3, 0, 100.0)
    assert stats.errors == () and stats.ttls == ()


def test_vmkping_partial_loss_fractional() -> None:
    stats = p.parse_vmkping(sample("vmkping-partial-loss.txt"))
    assert (stats.transmitted, stats.received, stats.loss_pct) == (3, 2, 33.3)
    assert stats.ttls == (61, 61)
    assert stats.rtt_max_ms == 0.412


def test_vmkping_unknown_vmk() -> None:
    text = sample("vmkping-unknown-vmk.txt")
    with pytest.raises(p.UnknownInterfaceError) as info:
        p.parse_vmkping(text)
    assert info.value.interface == "vmk9"
    assert info.value.raw == text
    assert isinstance(info.value, ParseError)


def test_vmkping_ipv6() -> None:
    stats = p.parse_vmkping(sample("vmkping-ipv6.txt"))
    assert (stats.target, stats.payload, stats.received) == ("2001:db8:1::11", 8952, 3)
    assert stats.ttls == () and stats.ttl is None
    assert stats.rtt_max_ms == 0.4


def test_vmkping_ipv6_reply_without_hop_limit() -> None:
    """ESXi's IPv6 replies carry no ttl=/hlim=: three replies, no TTL, nothing refused."""
    stats = p.parse_vmkping(sample("vmkping-ipv6-no-hlim.txt"))
    assert (stats.target, stats.payload, stats.transmitted, stats.received, stats.loss_pct) == (
        "2001:db8::5", 56, 3, 3, 0.0,
    )  # fmt: skip
    assert stats.ttls == () and stats.ttl is None and stats.errors == ()
    assert (stats.rtt_min_ms, stats.rtt_avg_ms, stats.rtt_max_ms) == (0.19, 0.202, 0.214)


def test_vmkping_netstack_missing() -> None:
    text = sample("vmkping-netstack-missing.txt")
    with pytest.raises(p.NetstackMissingError) as info:
        p.parse_vmkping(text)
    assert info.value.raw == text
    assert isinstance(info.value, ParseError)
    with pytest.raises(p.NetstackMissingError):
        p.parse_vmkping("\r\n*** vmkernel stack not configured ***\r\n")


def test_vmkping_public_vcf9_df_too_long() -> None:
    """ESXi 9 (VCF 9 lab notes): DF packet above the vmk MTU, one sendto() line per packet."""
    stats = p.parse_vmkping(sample("vmkping-public-vcf9-df-too-long.txt"))
    assert (stats.target, stats.payload, stats.transmitted, stats.received, stats.loss_pct) == (
        "192.168.6.1", 1500, 3, 0, 100.0,
    )  # fmt: skip
    assert stats.errors == ("Message too long",) * 3
    assert stats.ttls == () and stats.rtt_avg_ms is None


def test_vmkping_public_onlink_vmk0() -> None:
    stats = p.parse_vmkping(sample("vmkping-public-onlink-vmk0.txt"))
    assert (stats.target, stats.payload, stats.transmitted, stats.received) == ("192.168.1.22", 56, 2, 2)
    assert stats.ttls == (64, 64)
    assert (stats.rtt_min_ms, stats.rtt_avg_ms, stats.rtt_max_ms) == (0.406, 0.494, 0.583)


def test_vmkping_ipv6_hlim_and_comma() -> None:
    stats = p.parse_vmkping(sample("vmkping-ipv6-hlim.txt"))
    assert stats.target == "2001:db8:2::12"
    assert stats.ttls == (64, 64, 64)
    assert (stats.rtt_min_ms, stats.rtt_avg_ms, stats.rtt_max_ms) == (0.233, 0.241, 0.251)


def test_vmkping_linux_style() -> None:
    stats = p.parse_vmkping(sample("vmkping-linux-style.txt"))
    assert (stats.target, stats.payload, stats.transmitted, stats.received) == ("198.19.2.11", 56, 2, 2)
    assert stats.ttls == (62, 62)
    assert stats.rtt_avg_ms == 0.077


def test_vmkping_busybox_sendto_and_duplicates() -> None:
    text = (
        "PING 10.0.0.2 (10.0.0.2): 56 data bytes\n"
        "ping: sendto: Network is unreachable\n"
        "64 bytes from 10.0.0.2: seq=1 ttl=64 time=0.1 ms\n"
        "64 bytes from 10.0.0.2: seq=1 ttl=64 time=0.2 ms (DUP!)\n\n"
        "--- 10.0.0.2 ping statistics ---\n"
        "2 packets transmitted, 1 packets received, 1 duplicates, 50% packet loss\n"
    )
    stats = p.parse_vmkping(text)
    assert stats.errors == ("Network is unreachable",)
    assert stats.ttls == (64, 64)
    assert (stats.transmitted, stats.received, stats.loss_pct) == (2, 1, 50.0)


def test_vmkping_crlf_and_noise_lines() -> None:
    text = sample("vmkping-ok-routed.txt").replace("\n", "\r\n")
    text = "Warning: something\r\n" + text + "Request timeout for icmp_seq 9\r\n"
    assert p.parse_vmkping(text).received == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "header"),
        ("   \n", "header"),
        ("garbage\n", "header"),
        ("PING 1.2.3.4 (1.2.3.4): 56 data bytes\n", "statistics"),
        ("3 packets transmitted, 3 packets received, 0% packet loss\n", "header"),
        (
            "PING 1.2.3.4 (1.2.3.4): 56 data bytes\n3 packets transmitted, 4 packets received, 0% packet loss\n",
            "inconsistent",
        ),
        (
            "PING 1.2.3.4 (1.2.3.4): 56 data bytes\n3 packets transmitted, 3 packets received, 101% packet loss\n",
            "inconsistent",
        ),
        (
            "PING 1.2.3.4 (1.2.3.4): 56 data bytes\nPING 1.2.3.4 (1.2.3.4): 56 data bytes\n"
            "1 packets transmitted, 1 packets received, 0% packet loss\n",
            "two PING",
        ),
        (
            "PING 1.2.3.4 (1.2.3.4): 56 data bytes\n64 bytes from 1.2.3.4: icmp_seq=0 ttl=6.4 time=1 ms\n"
            "1 packets transmitted, 1 packets received, 0% packet loss\n",
            "fractional ttl",
        ),
        (
            "PING 1.2.3.4 (1.2.3.4): 56 data bytes\n64 bytes from 1.2.3.4: hello\n"
            "1 packets transmitted, 1 packets received, 0% packet loss\n",
            "icmp_seq or time",
        ),
        (
            "PING 1.2.3.4 (1.2.3.4): 56 data bytes\n1 packets transmitted, 1 packets received, 0% packet loss\n"
            "1 packets transmitted, 1 packets received, 0% packet loss\n",
            "two statistics",
        ),
    ],
)
def test_vmkping_refuses(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message) as info:
        p.parse_vmkping(text)
    assert info.value.raw == text


def test_vmkping_refuses_non_text() -> None:
    with pytest.raises(ParseError):
        p.parse_vmkping(None)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ netstack list

NETSTACKS = (
    p.NetstackEntry("defaultTcpipStack", "defaultTcpipStack", "4660"),
    p.NetstackEntry("vmotion", "vmotion", "4660"),
)


@pytest.mark.parametrize("name", ["esxcli-netstack-list.txt", "esxcli-netstack-list.csv", "esxcli-netstack-list.xml"])
def test_netstack_list(name: str) -> None:
    assert p.parse_netstack_list(sample(name)) == NETSTACKS


def test_netstack_list_public() -> None:
    assert p.parse_netstack_list(sample("esxcli-netstack-list-public.txt")) == NETSTACKS[:1]


# ----------------------------------------------------------------------------- interface list

INTERFACES = (
    p.InterfaceEntry(
        name="vmk0", mac="00:50:56:61:0a:01", enabled=True, portset="vSwitch0", portgroup="Management Network",
        netstack="defaultTcpipStack", mtu=1500, port_id=33554436, vds_name=None,
    ),
    p.InterfaceEntry(
        name="vmk1", mac="00:50:56:68:1a:01", enabled=True, portset="DvsPortset-0", portgroup=None,
        netstack="vmotion", mtu=9000, port_id=67108875, vds_name="dvs-lab",
    ),
    p.InterfaceEntry(
        name="vmk2", mac="00:50:56:6c:2b:02", enabled=False, portset="vSwitch1", portgroup="vMotion-A",
        netstack="vmotion", mtu=1500, port_id=50331660, vds_name=None,
    ),
)  # fmt: skip


@pytest.mark.parametrize(
    "name", ["esxcli-interface-list.txt", "esxcli-interface-list.csv", "esxcli-interface-list.xml"]
)
def test_interface_list(name: str) -> None:
    assert p.parse_interface_list(sample(name)) == INTERFACES


def test_interface_list_esxi8_excerpt() -> None:
    (entry,) = p.parse_interface_list(sample("esxcli-interface-list-esxi8.txt"))
    assert entry == p.InterfaceEntry(
        name="vmk0", mac=None, enabled=True, portset=None, portgroup="Management Network",
        netstack="defaultTcpipStack", mtu=9000, port_id=67108875, vds_name=None,
    )  # fmt: skip


def test_interface_list_public_captures() -> None:
    """Real ESXi 7 and 9 output: every field of today's releases (VDS, Opaque, RXDispQueue, URPF)."""
    assert p.parse_interface_list(sample("esxcli-interface-list-public-esxi7.txt")) == (
        p.InterfaceEntry(
            name="vmk0", mac="00:50:56:6c:01:11", enabled=True, portset="vSwitch0", portgroup="Management",
            netstack="defaultTcpipStack", mtu=1500, port_id=33554443, vds_name=None,
        ),
    )  # fmt: skip
    assert p.parse_interface_list(sample("esxcli-interface-list-public-vsan.txt")) == (
        p.InterfaceEntry(
            name="vmk0", mac="34:40:b5:b0:08:28", enabled=True, portset="vSwitch0", portgroup="Management Network",
            netstack="defaultTcpipStack", mtu=1500, port_id=33554442, vds_name=None,
        ),
        p.InterfaceEntry(
            name="vmk2", mac="00:50:56:62:76:bd", enabled=True, portset="vSwitch1", portgroup="VSAN",
            netstack="defaultTcpipStack", mtu=1500, port_id=50331656, vds_name=None,
        ),
    )  # fmt: skip
    assert p.parse_interface_list(sample("esxcli-interface-list-public-esxi9.txt")) == (
        p.InterfaceEntry(
            name="vmk0", mac="00:50:56:9f:78:3b", enabled=True, portset="vSwitch0", portgroup="Management Network",
            netstack="defaultTcpipStack", mtu=9000, port_id=67108875, vds_name=None,
        ),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("vmk1\n   Name: vmk1\n   Netstack Instance: vmotion\n", "mtu"),
        ("vmk1\n   Name: vmk1\n   MTU: 9000\n", "netstackinstance"),
        ("vmk1\n   Name: vmk1\n   Netstack Instance: vmotion\n   MTU: big\n", "integer"),
        ("vmk1\n   Name: vmk1\n   Netstack Instance: vmotion\n   MTU: \u0669\u0660\u0660\u0660\n", "integer"),
        ("vmk1\n   Name: vmk1\n   Netstack Instance: vmotion\n   MTU: 9000\n   Enabled: maybe\n", "true/false"),
        ("vmk1\n   Name: vmk2\n   Netstack Instance: vmotion\n   MTU: 9000\n", "names itself"),
        ("vmk1\n   Name: vmk1\n   Name: vmk1\n", "repeated"),
        ("vmk1\n   no colon here\n", "Key: value"),
        ("vmk1\nvmk2\n   Name: vmk2\n", "no 'Key: value'"),
    ],
)
def test_interface_list_refuses(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        p.parse_interface_list(text)


# ---------------------------------------------------------------------------------- ipv4 get

VMK1_V4 = p.Ipv4Entry(
    name="vmk1", address=IPv4Address("198.19.1.11"), netmask=IPv4Address("255.255.255.0"), prefix=24,
    broadcast=IPv4Address("198.19.1.255"), address_type="STATIC", gateway=None, dhcp_dns=False,
)  # fmt: skip
VMK2_V4 = p.Ipv4Entry(
    name="vmk2", address=IPv4Address("198.19.3.11"), netmask=IPv4Address("255.255.255.128"), prefix=25,
    broadcast=IPv4Address("198.19.3.127"), address_type="STATIC", gateway=IPv4Address("198.19.3.1"),
    dhcp_dns=False,
)  # fmt: skip
VMK3_V4 = p.Ipv4Entry(
    name="vmk3", address=None, netmask=None, prefix=None, broadcast=None, address_type="NONE", gateway=None,
    dhcp_dns=False,
)  # fmt: skip


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("esxcli-ipv4-get-legacy.txt", (VMK1_V4,)),
        ("esxcli-ipv4-get-gateway.txt", (VMK1_V4,)),
        ("esxcli-ipv4-get-multi.txt", (VMK1_V4, VMK2_V4, VMK3_V4)),
        ("esxcli-ipv4-get.csv", (VMK1_V4,)),
        ("esxcli-ipv4-get-reordered.csv", (VMK2_V4.__class__(**{**VMK2_V4.__dict__, "gateway": None}), VMK3_V4)),
        ("esxcli-ipv4-get.xml", (VMK1_V4, VMK2_V4)),
    ],
)
def test_ipv4_get(name: str, expected: tuple[p.Ipv4Entry, ...]) -> None:
    assert p.parse_ipv4_get(sample(name)) == expected


def test_ipv4_get_without_rule_public_excerpts() -> None:
    (old,) = p.parse_ipv4_get(sample("esxcli-ipv4-get-norule.txt"))
    assert (old.name, old.address, old.prefix, old.gateway, old.dhcp_dns) == (
        "vmk0", IPv4Address("192.168.5.116"), 24, None, False,
    )  # fmt: skip
    (new,) = p.parse_ipv4_get(sample("esxcli-ipv4-get-gateway-norule.txt"))
    assert (new.address, new.broadcast, new.address_type, new.gateway) == (
        IPv4Address("192.168.1.11"), IPv4Address("192.168.1.255"), "STATIC", IPv4Address("192.168.1.1"),
    )  # fmt: skip


def test_ipv4_get_public_captures() -> None:
    assert p.parse_ipv4_get(sample("esxcli-ipv4-get-public-gateway.txt")) == (
        p.Ipv4Entry(
            name="vmk0", address=IPv4Address("192.168.1.11"), netmask=IPv4Address("255.255.255.0"), prefix=24,
            broadcast=IPv4Address("192.168.1.255"), address_type="STATIC", gateway=IPv4Address("192.168.1.1"),
            dhcp_dns=False,
        ),
    )  # fmt: skip
    vmk0, vmk2 = p.parse_ipv4_get(sample("esxcli-ipv4-get-public-vsan.txt"))
    assert (vmk0.name, vmk0.address, vmk0.prefix, vmk0.broadcast, vmk0.gateway, vmk0.dhcp_dns) == (
        "vmk0", IPv4Address("10.65.17.33"), 24, IPv4Address("10.65.17.255"), None, False,
    )  # fmt: skip
    assert (vmk2.name, vmk2.address, vmk2.prefix, vmk2.broadcast, vmk2.address_type) == (
        "vmk2", IPv4Address("192.168.17.33"), 24, IPv4Address("192.168.17.255"), "STATIC",
    )  # fmt: skip


def test_ipv4_get_columns_by_name_not_position() -> None:
    text = (
        "DHCP DNS  Name   IPv4 Netmask     IPv4 Address\n"
        "--------  -----  ---------------  ------------\n"
        "   false  vmk12  255.255.252.0    10.1.2.3\n"
    )
    (entry,) = p.parse_ipv4_get(text)
    assert (entry.name, entry.address, entry.prefix, entry.dhcp_dns) == ("vmk12", IPv4Address("10.1.2.3"), 22, False)
    assert entry.broadcast is None and entry.gateway is None and entry.address_type == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Name  IPv4 Address\n----  ------------\nvmk1  198.19.1.11\n", "ipv4netmask"),
        ("Name  IPv4 Address  IPv4 Netmask\nvmk1  198.19.1.300  255.255.255.0\n", "IPv4 Address"),
        ("Name  IPv4 Address  IPv4 Netmask\nvmk1  198.19.1.3    255.0.255.0\n", "non-contiguous"),
        ("Name  IPv4 Address  IPv4 Netmask\nvmk1  198.19.1.3    0.0.0.255\n", "non-contiguous"),
        ("Name  IPv4 Address  IPv4 Netmask\n      198.19.1.3    255.0.0.0\n", "name"),
    ],
)
def test_ipv4_get_refuses(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        p.parse_ipv4_get(text)


# ---------------------------------------------------------------------------- ipv6 addresses

IPV6 = (
    p.Ipv6Entry("vmk0", IPv6Address("fe80::250:56ff:fe6a:7c2e"), 64, "STATIC", "PREFERRED"),
    p.Ipv6Entry("vmk1", IPv6Address("2001:db8:1::11"), 64, "STATIC", "PREFERRED"),
)


@pytest.mark.parametrize(
    "name", ["esxcli-ipv6-address-list.txt", "esxcli-ipv6-address-list.csv", "esxcli-ipv6-address-list.xml"]
)
def test_ipv6_address_list(name: str) -> None:
    assert p.parse_ipv6_address_list(sample(name)) == IPV6


@pytest.mark.parametrize(
    "text",
    [
        "Interface  Address  Netmask\nvmk1       2001:db8::1  129\n",
        "Interface  Address      Netmask\nvmk1       198.19.1.1   24\n",
        "Interface  Address      Netmask\nvmk1       2001:db8::1  /64\n",
    ],
)
def test_ipv6_address_list_refuses(text: str) -> None:
    with pytest.raises(ParseError):
        p.parse_ipv6_address_list(text)


# ------------------------------------------------------------------------------------- routes

ROUTES4 = (
    p.RouteEntry("default", "0.0.0.0", IPv4Address("198.19.1.1"), "vmk1", "MANUAL"),
    p.RouteEntry("198.19.1.0", "255.255.255.0", None, "vmk1", "MANUAL"),
)
ROUTES6 = (
    p.RouteEntry("default", "0", IPv6Address("2001:db8:1::1"), "vmk1", "MANUAL"),
    p.RouteEntry("2001:db8:1::", "64", None, "vmk1", "MANUAL"),
)


@pytest.mark.parametrize(
    "name", ["esxcli-route-ipv4-list.txt", "esxcli-route-ipv4-list-reordered.csv", "esxcli-route-ipv4-list.xml"]
)
def test_route_ipv4_list(name: str) -> None:
    routes = p.parse_route_ipv4_list(sample(name))
    assert routes == ROUTES4
    assert p.parse_route_list(sample(name)) == ROUTES4
    assert routes[0].is_default and routes[0].family is Family.IPV4 and routes[0].prefix == 0
    assert routes[1].destination == IPv4Network("198.19.1.0/24") and not routes[1].is_default
    assert p.default_gateway(routes) == IPv4Address("198.19.1.1")


def test_route_ipv4_list_public_excerpt() -> None:
    routes = p.parse_route_ipv4_list(sample("esxcli-route-ipv4-list-norule.txt"))
    assert routes == (p.RouteEntry("default", "0.0.0.0", IPv4Address("192.168.5.1"), "vmk0", "MANUAL"),)


@pytest.mark.parametrize("name", ["esxcli-route-ipv6-list.txt", "esxcli-route-ipv6-list-aligned.txt"])
def test_route_ipv6_list(name: str) -> None:
    routes = p.parse_route_ipv6_list(sample(name))
    assert routes == ROUTES6
    assert routes[0].family is Family.IPV6 and routes[0].is_default
    assert routes[1].destination == IPv6Network("2001:db8:1::/64")
    assert p.default_gateway(routes) == IPv6Address("2001:db8:1::1")
    assert p.default_gateway(routes, Family.IPV4) is None


def test_route_family_enforced() -> None:
    with pytest.raises(ParseError, match="ipv6 route"):
        p.parse_route_ipv4_list(sample("esxcli-route-ipv6-list.txt"))
    with pytest.raises(ParseError, match="ipv4 route"):
        p.parse_route_ipv6_list(sample("esxcli-route-ipv4-list.txt"))


def test_default_gateway_skips_on_link_default() -> None:
    routes = (
        p.RouteEntry("default", "0.0.0.0", None, "vmk1", "MANUAL"),
        p.RouteEntry("default", "0.0.0.0", IPv4Address("10.0.0.1"), "vmk2", "MANUAL"),
    )
    assert p.default_gateway(routes) == IPv4Address("10.0.0.1")
    assert p.default_gateway(()) is None


@pytest.mark.parametrize(
    "text",
    [
        "Network  Netmask    Gateway\n10.0.0.0  255.0.255.0  0.0.0.0\n",
        "Network  Netmask  Gateway\n10.0.0.0  64       0.0.0.0\n",
        "Network  Netmask        Gateway\n10.0.0.0  255.255.255.0  2001:db8::1\n",
        "Network      Netmask  Gateway\n2001:db8::   129      ::\n",
        "Network  Netmask\nbogus    0.0.0.0\n",
        "Netmask  Gateway\n0.0.0.0  10.0.0.1\n",
    ],
)
def test_route_list_refuses(text: str) -> None:
    with pytest.raises(ParseError):
        p.parse_route_list(text)


# --------------------------------------------------------------------------------------- tags


@pytest.mark.parametrize(
    ("name", "tags"),
    [
        ("esxcli-tag-get.txt", ("VMotion",)),
        ("esxcli-tag-get-multi.txt", ("Management", "VMotion")),
        ("esxcli-tag-get-none.txt", ()),
        ("esxcli-tag-get.xml", ("Management", "VMotion")),
        ("esxcli-tag-get.csv", ("Management", "VMotion")),
    ],
)
def test_tags(name: str, tags: tuple[str, ...]) -> None:
    assert p.parse_tags(sample(name)) == tags


@pytest.mark.parametrize(
    "text",
    [
        "",
        "VMotion,\n",
        "   Tag: VMotion\n",
        "   Tags: A\n   Tags: B\n",
        "<output/>",
        "Tags,Name,\nA,b,\n",
        "Name,\nA,\n",
    ],
)
def test_tags_refuses(text: str) -> None:
    with pytest.raises(ParseError):
        p.parse_tags(text)


# ------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("esxcli-error-unknown-command.txt", "Unknown command or namespace network ip bogus"),
        ("esxcli-error-unknown-netstack.txt", "Netstack instance 'nosuch' not found"),
        ("esxcli-error-unknown-interface.txt", "Interface 'vmk9' not found"),
    ],
)
@pytest.mark.parametrize(
    "parser",
    [
        p.parse_netstack_list, p.parse_interface_list, p.parse_ipv4_get, p.parse_ipv6_address_list,
        p.parse_route_list, p.parse_tags,
    ],
)  # fmt: skip
def test_esxcli_errors(name: str, message: str, parser: object) -> None:
    text = sample(name)
    with pytest.raises(p.EsxcliError) as info:
        parser(text)  # type: ignore[operator]
    assert info.value.message == message
    assert info.value.raw == text


@pytest.mark.parametrize(
    "parser",
    [p.parse_netstack_list, p.parse_interface_list, p.parse_ipv4_get, p.parse_ipv6_address_list, p.parse_route_list],
)
@pytest.mark.parametrize("text", ["", "\n\n", "<output><root><list type='structure'></list></root></output>"])
def test_list_parsers_read_empty_lists(parser: object, text: str) -> None:
    assert parser(text) == ()  # type: ignore[operator]


@pytest.mark.parametrize("parser", [p.parse_ipv4_get, p.parse_ipv6_address_list, p.parse_route_list])
def test_table_parsers_read_header_only(parser: object) -> None:
    assert parser("Interface  Address  Netmask\n---------  -------  -------\n") == ()  # type: ignore[operator]


# ------------------------------------------------------------------------------------ readers


def test_read_table_rule_spans_and_right_alignment() -> None:
    rows = t.read_table(sample("esxcli-ipv6-address-list.txt"))
    assert rows[0] == {
        "interface": "vmk0", "address": "fe80::250:56ff:fe6a:7c2e", "netmask": "64", "type": "STATIC",
        "status": "PREFERRED",
    }  # fmt: skip


def test_read_table_cells_with_spaces_and_empty_cells() -> None:
    text = (
        "Name  Portgroup           MTU   Note\n"
        "----  ------------------  ----  ----\n"
        "vmk0  Management Network  1500\n"
        "vmk1                      9000  x\n"
    )
    assert t.read_table(text) == [
        {"name": "vmk0", "portgroup": "Management Network", "mtu": "1500", "note": ""},
        {"name": "vmk1", "portgroup": "", "mtu": "9000", "note": "x"},
    ]


def test_read_table_header_names_without_rule() -> None:
    text = "Name  IPv4 Address   DHCP DNS\nvmk0  192.168.5.116     false\n"
    assert t.read_table(text) == [{"name": "vmk0", "ipv4address": "192.168.5.116", "dhcpdns": "false"}]


@pytest.mark.parametrize(
    "text",
    [
        "----  ----\nName  MTU\n",
        "Name  Name\n----  ----\nvmk0  1\n",
        "Name  MTU\n----  ---\nvmk0  1\n----  ---\n",
        "A  B\n-  -  -\n1  2  3\n",
    ],
)
def test_read_table_refuses(text: str) -> None:
    with pytest.raises(ParseError):
        t.read_table(text)


def test_read_blocks() -> None:
    blocks = t.read_blocks(sample("esxcli-netstack-list.txt"))
    assert blocks == [
        ("defaultTcpipStack", {"key": "defaultTcpipStack", "name": "defaultTcpipStack", "state": "4660"}),
        ("vmotion", {"key": "vmotion", "name": "vmotion", "state": "4660"}),
    ]
    assert t.read_blocks("   Tags: \n") == [("", {"tags": ""})]
    assert t.read_blocks("vmk1\n   MAC Address: 00:50:56:68:1a:01\n") == [("vmk1", {"macaddress": "00:50:56:68:1a:01"})]


def test_read_csv_quoting_trailing_commas_and_order() -> None:
    text = 'B,A,\r\n"x, y",1,\r\n"say ""hi""",2\r\n'
    assert t.read_csv(text) == [{"b": "x, y", "a": "1"}, {"b": 'say "hi"', "a": "2"}]


@pytest.mark.parametrize("text", ["A,B,\n1,2,3,\n", "A,B,\n1\n", "A,,B\n1,2,3\n", "A,A\n1,2\n", 'A,B\n"1,2\n'])
def test_read_csv_refuses(text: str) -> None:
    with pytest.raises(ParseError):
        t.read_csv(text)


def test_detect_format() -> None:
    assert t.detect_format(sample("esxcli-ipv4-get.csv"), "table") == "csv"
    assert t.detect_format(sample("esxcli-ipv4-get.xml"), "table") == "xml"
    assert t.detect_format(sample("esxcli-ipv4-get-legacy.txt"), "table") == "table"
    assert t.detect_format(sample("esxcli-netstack-list.txt"), "blocks") == "blocks"
    assert t.detect_format(sample("esxcli-netstack-list.csv"), "blocks") == "csv"


@pytest.mark.parametrize(
    "text",
    [
        # trailing slash in the namespace, no <root>
        '<?xml version="1.0" ?><output xmlns="http://www.vmware.com/Products/ESX/5.0/esxcli/">'
        '<list type="structure"><structure typeName="X"><field name="Key"><string>vmotion</string></field>'
        "</structure></list></output>",
        # esxcli: prefix, <struct>
        '<esxcli:output xmlns:esxcli="http://www.vmware.com/Products/ESX/5.0/esxcli/"><esxcli:list type="struct">'
        '<esxcli:struct type="X"><esxcli:field name="Key"><esxcli:string>vmotion</esxcli:string></esxcli:field>'
        "</esxcli:struct></esxcli:list></esxcli:output>",
        # no namespace, a single structure under <output>
        '<output><structure typeName="X"><field name="Key"><string> vmotion </string></field></structure></output>',
    ],
)
def test_read_xml_variants(text: str) -> None:
    assert t.read_xml_records(text) == [{"key": "vmotion"}]


def test_read_xml_nested_structures_are_not_records() -> None:
    text = (
        "<output><list><structure><field name='Name'><string>a</string></field>"
        "<field name='Sub'><structure><field name='Name'><string>b</string></field></structure></field>"
        "</structure></list></output>"
    )
    assert [r["name"] for r in t.read_xml_records(text)] == ["a"]


@pytest.mark.parametrize(
    "text",
    [
        '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaa">]><output>&a;</output>',
        "<output><list>",
        "<html><body/></html>",
        "<output><structure><field><string>x</string></field></structure></output>",
        "<output><structure><field name='a'/><field name='A'/></structure></output>",
        "<",
    ],
)
def test_read_xml_refuses(text: str) -> None:
    with pytest.raises(ParseError):
        t.read_xml_records(text)


def test_read_xml_strings() -> None:
    assert t.read_xml_strings(sample("esxcli-tag-get.xml")) == ["Management", "VMotion"]
    with pytest.raises(ParseError):
        t.read_xml_strings("<output><list><integer>1</integer></list></output>")
    with pytest.raises(ParseError):
        t.read_xml_strings("<output><root/></output>")


def test_read_xml_spec_shape_example() -> None:
    assert t.read_xml_records(sample("esxcli-xml-shape.xml")) == [
        {"name": "vmk1", "ipv4address": "198.19.1.11", "mtu": "9000", "enabled": "true"}
    ]


@pytest.mark.parametrize(
    "reader", [t.read_table, t.read_blocks, t.read_csv, t.read_xml_records, t.read_xml_strings, p.parse_ipv4_get]
)
@pytest.mark.parametrize("value", [None, b"Name\n", 3])
def test_readers_refuse_non_text(reader: object, value: object) -> None:
    with pytest.raises(ParseError):
        reader(value)  # type: ignore[operator]


def test_norm_key() -> None:
    assert t.norm_key("IPv4 Address") == t.norm_key("IPv4Address") == "ipv4address"
    assert t.norm_key("Netstack  Instance") == "netstackinstance"


# ------------------------------------------------------------------ every sample, parametrised

V4, V6 = IPv4Address, IPv6Address
_PARSERS: tuple[tuple[str, Callable[[str], object]], ...] = (
    ("vmkping-", p.parse_vmkping),
    ("esxcli-netstack-list", p.parse_netstack_list),
    ("esxcli-interface-list", p.parse_interface_list),
    ("esxcli-ipv4-get", p.parse_ipv4_get),
    ("esxcli-ipv6-address-list", p.parse_ipv6_address_list),
    ("esxcli-route-ipv4-list", p.parse_route_ipv4_list),
    ("esxcli-route-ipv6-list", p.parse_route_ipv6_list),
    ("esxcli-tag-get", p.parse_tags),
    ("esxcli-error-", p.parse_interface_list),
    ("esxcli-xml-shape", t.read_xml_records),
)
_LOCAL = ("198.19.2.11", 56, 3, 0, 100.0)
_IF3 = (("vmk0", True, "defaultTcpipStack", 1500), ("vmk1", True, "vmotion", 9000), ("vmk2", False, "vmotion", 1500))
_V4_1 = (("vmk1", V4("198.19.1.11"), 24, None),)
_V4_2 = (("vmk2", V4("198.19.3.11"), 25, V4("198.19.3.1")),)
_V6 = (("vmk0", V6("fe80::250:56ff:fe6a:7c2e"), 64), ("vmk1", V6("2001:db8:1::11"), 64))
_NS = (("defaultTcpipStack", "defaultTcpipStack", "4660"), ("vmotion", "vmotion", "4660"))
_R4 = (("default", "0.0.0.0", V4("198.19.1.1"), "vmk1"), ("198.19.1.0", "255.255.255.0", None, "vmk1"))
_R6 = (("default", "0", V6("2001:db8:1::1"), "vmk1"), ("2001:db8:1::", "64", None, "vmk1"))
_TOO_LONG = ("Message too long",) * 3

# file -> what its parser returns (summarised), or (exception type, message) for what it refuses
EVERY_SAMPLE: dict[str, object] = {
    "esxcli-error-unknown-command.txt": (p.EsxcliError, "Unknown command or namespace network ip bogus"),
    "esxcli-error-unknown-interface.txt": (p.EsxcliError, "Interface 'vmk9' not found"),
    "esxcli-error-unknown-netstack.txt": (p.EsxcliError, "Netstack instance 'nosuch' not found"),
    "esxcli-interface-list-esxi8.txt": (("vmk0", True, "defaultTcpipStack", 9000),),
    "esxcli-interface-list-public-esxi7.txt": (("vmk0", True, "defaultTcpipStack", 1500),),
    "esxcli-interface-list-public-esxi9.txt": (("vmk0", True, "defaultTcpipStack", 9000),),
    "esxcli-interface-list-public-vsan.txt": (
        ("vmk0", True, "defaultTcpipStack", 1500), ("vmk2", True, "defaultTcpipStack", 1500),
    ),
    "esxcli-interface-list.csv": _IF3,
    "esxcli-interface-list.txt": _IF3,
    "esxcli-interface-list.xml": _IF3,
    "esxcli-ipv4-get-gateway-norule.txt": (("vmk0", V4("192.168.1.11"), 24, V4("192.168.1.1")),),
    "esxcli-ipv4-get-gateway.txt": _V4_1,
    "esxcli-ipv4-get-legacy.txt": _V4_1,
    "esxcli-ipv4-get-multi.txt": _V4_1 + _V4_2 + (("vmk3", None, None, None),),
    "esxcli-ipv4-get-norule.txt": (("vmk0", V4("192.168.5.116"), 24, None),),
    "esxcli-ipv4-get-public-gateway.txt": (("vmk0", V4("192.168.1.11"), 24, V4("192.168.1.1")),),
    "esxcli-ipv4-get-public-vsan.txt": (("vmk0", V4("10.65.17.33"), 24, None), ("vmk2", V4("192.168.17.33"), 24, None)),
    "esxcli-ipv4-get-reordered.csv": (("vmk2", V4("198.19.3.11"), 25, None), ("vmk3", None, None, None)),
    "esxcli-ipv4-get.csv": _V4_1,
    "esxcli-ipv4-get.xml": _V4_1 + _V4_2,
    "esxcli-ipv6-address-list.csv": _V6,
    "esxcli-ipv6-address-list.txt": _V6,
    "esxcli-ipv6-address-list.xml": _V6,
    "esxcli-netstack-list-public.txt": _NS[:1],
    "esxcli-netstack-list.csv": _NS,
    "esxcli-netstack-list.txt": _NS,
    "esxcli-netstack-list.xml": _NS,
    "esxcli-route-ipv4-list-norule.txt": (("default", "0.0.0.0", V4("192.168.5.1"), "vmk0"),),
    "esxcli-route-ipv4-list-reordered.csv": _R4,
    "esxcli-route-ipv4-list.txt": _R4,
    "esxcli-route-ipv4-list.xml": _R4,
    "esxcli-route-ipv6-list-aligned.txt": _R6,
    "esxcli-route-ipv6-list.txt": _R6,
    "esxcli-tag-get-multi.txt": ("Management", "VMotion"),
    "esxcli-tag-get-none.txt": (),
    "esxcli-tag-get.csv": ("Management", "VMotion"),
    "esxcli-tag-get.txt": ("VMotion",),
    "esxcli-tag-get.xml": ("Management", "VMotion"),
    "esxcli-xml-shape.xml": [{"name": "vmk1", "ipv4address": "198.19.1.11", "mtu": "9000", "enabled": "true"}],
    "vmkping-df-too-long.txt": (("198.19.2.11", 8972, 3, 0, 100.0), _TOO_LONG, ()),
    "vmkping-host-down.txt": (("198.19.1.13", 56, 3, 0, 100.0), ("Host is down",) * 3, ()),
    "vmkping-ipv6-hlim.txt": (("2001:db8:2::12", 56, 3, 3, 0.0), (), (64, 64, 64)),
    "vmkping-ipv6-no-hlim.txt": (("2001:db8::5", 56, 3, 3, 0.0), (), ()),
    "vmkping-ipv6.txt": (("2001:db8:1::11", 8952, 3, 3, 0.0), (), ()),
    "vmkping-linux-style.txt": (("198.19.2.11", 56, 2, 2, 0.0), (), (62, 62)),
    "vmkping-netstack-missing.txt": (p.NetstackMissingError, "vmkernel stack not configured"),
    "vmkping-no-route.txt": (_LOCAL, ("Network is unreachable",) * 3, ()),
    "vmkping-nsx-df-1572.txt": (("10.44.44.22", 1572, 1, 1, 0.0), (), (64,)),
    "vmkping-ok-onlink.txt": (("198.19.1.12", 56, 3, 3, 0.0), (), (64, 64, 64)),
    "vmkping-ok-routed.txt": (("198.19.2.11", 8972, 3, 3, 0.0), (), (61, 61, 61)),
    "vmkping-partial-loss.txt": (("198.19.2.11", 56, 3, 2, 33.3), (), (61, 61)),
    "vmkping-path-mtu-loss.txt": (("198.19.2.11", 8972, 3, 0, 100.0), (), ()),
    "vmkping-public-onlink-vmk0.txt": (("192.168.1.22", 56, 2, 2, 0.0), (), (64, 64)),
    "vmkping-public-vcf9-df-too-long.txt": (("192.168.6.1", 1500, 3, 0, 100.0), _TOO_LONG, ()),
    "vmkping-unknown-vmk.txt": (p.UnknownInterfaceError, "unknown interface 'vmk9'"),
    "vmkping-vmk-down.txt": (_LOCAL, ("Network is down",) * 3, ()),
}  # fmt: skip


def _summary(value: object) -> object:
    """The parsed values a sample is checked on, in plain tuples."""
    if isinstance(value, PingStats):
        head = (value.target, value.payload, value.transmitted, value.received, value.loss_pct)
        return (head, value.errors, value.ttls)
    if not isinstance(value, tuple):
        return value
    out: list[object] = []
    for item in value:
        if isinstance(item, p.InterfaceEntry):
            out.append((item.name, item.enabled, item.netstack, item.mtu))
        elif isinstance(item, p.Ipv4Entry):
            out.append((item.name, item.address, item.prefix, item.gateway))
        elif isinstance(item, p.Ipv6Entry):
            out.append((item.interface, item.address, item.prefix))
        elif isinstance(item, p.NetstackEntry):
            out.append((item.key, item.name, item.state))
        elif isinstance(item, p.RouteEntry):
            out.append((item.network, item.netmask_or_prefix, item.gateway, item.interface))
        else:
            out.append(item)
    return tuple(out)


def _parser_for(name: str) -> Callable[[str], object]:
    return next(parser for prefix, parser in _PARSERS if name.startswith(prefix))


@pytest.mark.parametrize(
    "path", sorted(f for f in SAMPLES.iterdir() if f.name != "SOURCES.md"), ids=lambda f: f.name
)
def test_every_sample_parses_to_its_values(path: Path) -> None:
    assert path.name in EVERY_SAMPLE, f"{path.name}: add its parsed values to EVERY_SAMPLE"
    expected = EVERY_SAMPLE[path.name]
    parse = _parser_for(path.name)
    text = path.read_text()
    if isinstance(expected, tuple) and len(expected) == 2 and isinstance(expected[0], type):
        error, message = expected
        with pytest.raises(error) as info:
            parse(text)
        assert message in str(info.value)
        assert isinstance(info.value, ParseError) and info.value.raw == text
        return
    assert _summary(parse(text)) == expected
