"""Generated topologies for benchmarks: N healthy hosts with K vmotion vmks (MTU 9000), racks of up to 8.

    python -m validator.lab.generate --hosts 32 --vmks 2 > samples/lab/big.toml

Addressing: rack r (1-based) uses 198.19.r.0/24 and 2001:db8:r::/64 (when --ipv6), gateway .1; host j
(1-based within its rack) gets 198.19.r.(10*k + j) on vmkk; management 198.18.255.(10 + host number).
"""

from __future__ import annotations

import argparse
import math
import sys

from validator.errors import LabError
from validator.lab.topology import DEFAULT_PREFIX, MAX_HOSTS, Topology, parse_topology_text

MAX_PER_RACK = 8
MAX_VMKS = 24


def rack_count(hosts: int, racks: int | None) -> int:
    needed = math.ceil(hosts / MAX_PER_RACK)
    if racks is None:
        return needed
    if racks < needed or racks > hosts:
        raise LabError(f"--racks {racks}: {hosts} hosts need between {needed} and {hosts} racks (at most 8 per rack)")
    return racks


def generate_toml(
    hosts: int, vmks: int, racks: int | None = None, *, prefix: str = DEFAULT_PREFIX, ipv6: bool = False
) -> str:
    """The TOML text of a healthy lab (pure)."""
    if not 1 <= hosts <= MAX_HOSTS:
        raise LabError(f"--hosts {hosts}: must be 1..{MAX_HOSTS}")
    if not 1 <= vmks <= MAX_VMKS:
        raise LabError(f"--vmks {vmks}: must be 1..{MAX_VMKS}")
    count = rack_count(hosts, racks)
    width = 3 if hosts >= 100 else 2
    lines = [
        f"# generated: python -m validator.lab.generate --hosts {hosts} --vmks {vmks} --racks {count}"
        + (" --ipv6" if ipv6 else ""),
        "[lab]",
        f'prefix = "{prefix}"',
        'mgmt_subnet = "198.18.255.0/24"',
    ]
    for r in range(1, count + 1):
        lines += ["", "[[racks]]", f'name = "r{r}"', f'subnet = "198.19.{r}.0/24"', f'gateway = "198.19.{r}.1"']
        if ipv6:
            lines += [f'subnet6 = "2001:db8:{r:x}::/64"', f'gateway6 = "2001:db8:{r:x}::1"']
        lines += ["mtu = 9000", "uplink_mtu = 9000"]
    for n in range(1, hosts + 1):
        rack = (n - 1) % count + 1
        slot = (n - 1) // count + 1
        lines += [
            "",
            "[[hosts]]",
            f'name = "esx{n:0{width}d}"',
            f'rack = "r{rack}"',
            f'mgmt_ip = "198.18.255.{10 + n}"',
            f'gateway = "198.19.{rack}.1"',
        ]
        if ipv6:
            lines.append(f'gateway6 = "2001:db8:{rack:x}::1"')
        for k in range(1, vmks + 1):
            lines += ["", "  [[hosts.vmks]]", f'  name = "vmk{k}"', f'  ip = "198.19.{rack}.{10 * k + slot}/24"']
            if ipv6:
                lines.append(f'  ip6 = "2001:db8:{rack:x}::{10 * k + slot:x}/64"')
            lines.append("  mtu = 9000")
    return "\n".join(lines) + "\n"


def generate_topology(hosts: int, vmks: int, racks: int | None = None, *, ipv6: bool = False) -> Topology:
    text = generate_toml(hosts, vmks, racks, ipv6=ipv6)
    return parse_topology_text(text, f"<generated --hosts {hosts} --vmks {vmks}>")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m validator.lab.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, required=True)
    parser.add_argument("--vmks", type=int, default=2)
    parser.add_argument("--racks", type=int, default=None)
    parser.add_argument("--ipv6", action="store_true", help="dual-stack vmks")
    args = parser.parse_args(argv)
    try:
        text = generate_toml(args.hosts, args.vmks, args.racks, ipv6=args.ipv6)
        parse_topology_text(text)
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
