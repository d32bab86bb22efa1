"""Generated labs of the engine's tests and benchmarks: own prefix, a free management subnet, always torn down."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from validator.lab.api import LabState, running_lab
from validator.lab.generate import generate_toml

GENERATED_MGMT = "198.18.255."


def free_mgmt_octet() -> int:
    """A third octet N with 198.18.N.0/24 not routed in the root namespace (other labs may be up)."""
    routes = subprocess.run(["ip", "-4", "route", "show"], capture_output=True, text=True, check=True).stdout
    used = {line.split(".")[2] for line in routes.splitlines() if line.startswith("198.18.")}
    free = [n for n in range(128, 250) if str(n) not in used]
    if not free:
        raise RuntimeError("no free 198.18.N.0/24 management subnet")
    return free[secrets.randbelow(len(free))]


def lab_toml(hosts: int, vmks: int, prefix: str) -> str:
    """A healthy generated lab under ``prefix`` on a free management subnet."""
    return generate_toml(hosts, vmks, prefix=prefix).replace(GENERATED_MGMT, f"198.18.{free_mgmt_octet()}.")


def new_prefix(stem: str = "vmve") -> str:
    return f"{stem}{secrets.randbelow(1000):03d}"


@contextmanager
def engine_lab(hosts: int, vmks: int, folder: Path, stem: str = "vmve") -> Iterator[LabState]:
    """A generated lab for the block; torn down on every way out, also when the block fails."""
    topology = folder / "lab.toml"
    topology.write_text(lab_toml(hosts, vmks, new_prefix(stem)), encoding="utf-8")
    with running_lab(topology, folder / "state", log=lambda _m: None) as lab:
        yield lab


def netns_pids(namespaces: list[str]) -> dict[str, list[int]]:
    """The processes in each of these network namespaces (``ip netns pids``)."""
    found = {}
    for ns in namespaces:
        out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True, check=False).stdout
        found[ns] = [int(p) for p in out.split()]
    return found


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""
