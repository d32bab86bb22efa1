"""A tiny throwaway topology for testing the lab's emulated ESXi commands (validator/lab/bin).

Two emulated hosts, each with a default-stack and a vmotion-stack namespace, and a router:

    esxa default  vmk0 198.18.0.11/24 2001:db8::11/64 mtu 1500 ──── esxb default vmk0 198.18.0.12/24
                  (no gateway: the default stack cannot reach the vmotion networks)
    esxa vmotion  vmk1 198.18.1.11/24 2001:db8:1::11/64 mtu 9000 ── router r1 ra 198.18.1.1 (mtu 9000)
                  vmk2 198.18.3.11/24 mtu 9000, disabled (link down, enabled=false)
                  vmk3 198.18.4.11/24 mtu 9000, enabled in the files but its link has no carrier
                  gateway 198.18.1.1 / 2001:db8:1::1
    r1 rm 198.18.9.1/24 ── r2 rm 198.18.9.2/24: the small-MTU hop (mtu 1500, 2001:db8:9::/64)
    r2 rb 198.18.2.1/24 2001:db8:2::1/64 (mtu 9000) ── esxb vmk1
    esxb vmotion  vmk1 198.18.2.11/24 2001:db8:2::11/64 mtu 9000, gateway 198.18.2.1 / 2001:db8:2::1

Namespace names start with ``vmvbt-``; addresses stay inside 198.18.0.0/15 and 2001:db8::/32.
Run ``python tests/lab_bin/topo.py up DIR`` / ``down DIR`` for manual experiments.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

NS_PREFIX = "vmvbt-"


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, text=True)


@dataclass
class Vmk:
    name: str
    stack: str
    ns: str
    portgroup: str
    mac: str
    mtu: int
    enabled: bool
    ipv4: str = "-"
    prefix4: str = "-"
    gw4: str = "-"
    ipv6: str = "-"
    tags: str = "-"
    port_id: int = 0

    def row(self) -> str:
        fields = [
            self.name,
            self.stack,
            self.ns,
            self.portgroup,
            self.mac,
            str(self.mtu),
            "true" if self.enabled else "false",
            self.ipv4,
            self.prefix4,
            self.gw4,
            self.ipv6,
            self.tags,
            str(self.port_id),
        ]
        return "\t".join(fields)


@dataclass
class Host:
    name: str
    ns_default: str
    ns_vmotion: str
    vmks: list[Vmk] = field(default_factory=list)
    stacks: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    variant: str | None = None

    def write(self, state: Path) -> Path:
        hostdir = state / "hosts" / self.name
        hostdir.mkdir(parents=True, exist_ok=True)
        (hostdir / "host.env").write_text(
            f"VMV_HOST='{self.name}'\nVMV_NS_DEFAULT='{self.ns_default}'\n"
            f"VMV_NS_VMOTION='{self.ns_vmotion}'\nVMV_HOSTDIR='{hostdir}'\nVMV_BIN='{state / 'bin'}'\n"
        )
        (hostdir / "vmks.tsv").write_text("".join(v.row() + "\n" for v in self.vmks))
        (hostdir / "netstacks.tsv").write_text("".join("\t".join(s) + "\n" for s in self.stacks))
        if self.variant:
            (hostdir / "variant").write_text(self.variant + "\n")
        return hostdir


@dataclass
class Topology:
    tag: str
    state: Path
    hosts: dict[str, Host]
    namespaces: list[str]

    def hostdir(self, host: str) -> Path:
        return self.state / "hosts" / host


def _names(tag: str) -> dict[str, str]:
    base = f"{NS_PREFIX}{tag}"
    return {
        "a": f"{base}-a",
        "av": f"{base}-a-vm",
        "b": f"{base}-b",
        "bv": f"{base}-b-vm",
        "r1": f"{base}-r1",
        "r2": f"{base}-r2",
    }


def describe(tag: str, state: Path) -> Topology:
    """The hosts' data files (what the lab builder would write), without touching the kernel."""
    n = _names(tag)
    a = Host("esxa", n["a"], n["av"])
    a.vmks = [
        Vmk(
            "vmk0",
            "defaultTcpipStack",
            n["a"],
            "Management Network",
            "00:50:56:6a:00:00",
            1500,
            True,
            "198.18.0.11",
            "24",
            "-",
            "2001:db8::11/64",
            "Management",
            33554436,
        ),
        Vmk(
            "vmk1",
            "vmotion",
            n["av"],
            "vMotion-A",
            "00:50:56:6a:00:01",
            9000,
            True,
            "198.18.1.11",
            "24",
            "-",
            "2001:db8:1::11/64",
            "VMotion",
            33554437,
        ),
        Vmk(
            "vmk2",
            "vmotion",
            n["av"],
            "vMotion-B",
            "00:50:56:6a:00:02",
            9000,
            False,
            "198.18.3.11",
            "24",
            "198.18.3.1",
            "-",
            "VMotion,faultToleranceLogging",
            33554438,
        ),
        Vmk(
            "vmk3",
            "vmotion",
            n["av"],
            "vMotion-C",
            "00:50:56:6a:00:03",
            9000,
            True,
            "198.18.4.11",
            "24",
            "-",
            "-",
            "-",
            33554439,
        ),
    ]
    a.stacks = [
        ("defaultTcpipStack", n["a"], "-", "-", "vmk0"),
        ("vmotion", n["av"], "198.18.1.1", "2001:db8:1::1", "vmk1"),
    ]
    b = Host("esxb", n["b"], n["bv"], variant="legacy")
    b.vmks = [
        Vmk(
            "vmk0",
            "defaultTcpipStack",
            n["b"],
            "Management Network",
            "00:50:56:6b:00:00",
            1500,
            True,
            "198.18.0.12",
            "24",
            "-",
            "2001:db8::12/64",
            "Management",
            33554436,
        ),
        Vmk(
            "vmk1",
            "vmotion",
            n["bv"],
            "vMotion-A",
            "00:50:56:6b:00:01",
            9000,
            True,
            "198.18.2.11",
            "24",
            "-",
            "2001:db8:2::11/64",
            "VMotion",
            33554437,
        ),
    ]
    b.stacks = [
        ("defaultTcpipStack", n["b"], "-", "-", "vmk0"),
        ("vmotion", n["bv"], "198.18.2.1", "2001:db8:2::1", "vmk1"),
    ]
    return Topology(tag, state, {"esxa": a, "esxb": b}, list(n.values()))


def _sysctls(ns: str, *settings: str) -> None:
    for s in settings:
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", s)


def up(tag: str, state: Path) -> Topology:
    topo = describe(tag, state)
    n = _names(tag)
    created: list[str] = []
    try:
        for ns in topo.namespaces:
            sh("ip", "netns", "add", ns)
            created.append(ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            _sysctls(ns, "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
        for r in ("r1", "r2"):
            _sysctls(n[r], "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
        ip = "ip"
        # management on-link pair
        sh(ip, "link", "add", "vmk0", "netns", n["a"], "type", "veth", "peer", "name", "vmk0", "netns", n["b"])
        # esxa vmk1 <-> r1 ra (9000); r1 rm <-> r2 rm (1500); r2 rb (9000) <-> esxb vmk1 (9000)
        sh(ip, "link", "add", "vmk1", "netns", n["av"], "type", "veth", "peer", "name", "ra", "netns", n["r1"])
        sh(ip, "link", "add", "rm", "netns", n["r1"], "type", "veth", "peer", "name", "rm", "netns", n["r2"])
        sh(ip, "link", "add", "rb", "netns", n["r2"], "type", "veth", "peer", "name", "vmk1", "netns", n["bv"])
        # esxa vmk2: disabled; vmk3: enabled but no carrier (its peer stays down)
        sh(ip, "link", "add", "vmk2", "netns", n["av"], "type", "veth", "peer", "name", "dead2", "netns", n["r1"])
        sh(ip, "link", "add", "vmk3", "netns", n["av"], "type", "veth", "peer", "name", "dead3", "netns", n["r1"])
        for host in topo.hosts.values():
            for v in host.vmks:
                sh(ip, "-n", v.ns, "link", "set", v.name, "address", v.mac, "mtu", str(v.mtu))
                # Fast ARP/ND failure: 3 probes 50 ms apart instead of 3 x 1 s.
                _sysctls(
                    v.ns, f"net.ipv4.neigh.{v.name}.retrans_time_ms=50", f"net.ipv6.neigh.{v.name}.retrans_time_ms=50"
                )
                if v.ipv4 != "-":
                    sh(ip, "-n", v.ns, "addr", "add", f"{v.ipv4}/{v.prefix4}", "dev", v.name)
                if v.ipv6 != "-":
                    for a6 in v.ipv6.split(","):
                        sh(ip, "-n", v.ns, "addr", "add", a6, "dev", v.name, "nodad")
                if v.enabled:
                    sh(ip, "-n", v.ns, "link", "set", v.name, "up")
        for r, dev, mtu, a4, a6 in (
            ("r1", "ra", 9000, "198.18.1.1/24", "2001:db8:1::1/64"),
            ("r1", "rm", 1500, "198.18.9.1/24", "2001:db8:9::1/64"),
            ("r2", "rm", 1500, "198.18.9.2/24", "2001:db8:9::2/64"),
            ("r2", "rb", 9000, "198.18.2.1/24", "2001:db8:2::1/64"),
        ):
            sh(ip, "-n", n[r], "link", "set", dev, "mtu", str(mtu), "up")
            sh(ip, "-n", n[r], "addr", "add", a4, "dev", dev)
            sh(ip, "-n", n[r], "addr", "add", a6, "dev", dev, "nodad")
        sh(ip, "-n", n["r1"], "route", "add", "198.18.2.0/24", "via", "198.18.9.2")
        sh(ip, "-n", n["r1"], "route", "add", "2001:db8:2::/64", "via", "2001:db8:9::2")
        sh(ip, "-n", n["r2"], "route", "add", "198.18.1.0/24", "via", "198.18.9.1")
        sh(ip, "-n", n["r2"], "route", "add", "2001:db8:1::/64", "via", "2001:db8:9::1")
        for host in topo.hosts.values():
            for key, ns, gw4, gw6, _first in host.stacks:
                del key
                if gw4 != "-":
                    sh(ip, "-n", ns, "route", "add", "default", "via", gw4)
                if gw6 != "-":
                    sh(ip, "-6", "-n", ns, "route", "add", "default", "via", gw6)
            host.write(state)
    except BaseException:
        for ns in reversed(created):
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)
        raise
    return topo


def down(tag: str) -> None:
    for ns in _names(tag).values():
        if os.path.exists(f"/run/netns/{ns}"):
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)


def main(argv: list[str]) -> int:
    cmd, state = argv[0], Path(argv[1]).resolve()
    tag = argv[2] if len(argv) > 2 else "man"
    if cmd == "up":
        topo = up(tag, state)
        print(json.dumps({"namespaces": topo.namespaces, "state": str(state)}))
    else:
        down(tag)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
