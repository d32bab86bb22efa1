"""Fixtures for the tests of the lab's emulated ESXi commands (validator/lab/bin).

- ``hosts``: the per-host data files of the tiny topology (no kernel state): esxcli tests and the
  vmkping argument tests run anywhere.
- ``net``: the same topology built for real with network namespaces (root only, skipped otherwise),
  always torn down, even when a test fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import topo

BIN = Path(__file__).resolve().parents[2] / "validator" / "lab" / "bin"


@dataclass(frozen=True)
class Result:
    rc: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


def run_bin(name: str, hostdir: Path, *args: str, netns: str | None = None, timeout: float = 30) -> Result:
    """Run validator/lab/bin/NAME with dash as ``sh``, as the SSH session would (VMV_HOSTDIR set)."""
    argv = ["env", f"VMV_HOSTDIR={hostdir}", "sh", str(BIN / name), *args]
    if netns is not None:
        argv = ["ip", "netns", "exec", netns, *argv]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def bin_dir() -> Path:
    return BIN


@pytest.fixture
def hosts(tmp_path: Path) -> topo.Topology:
    t = topo.describe("unit", tmp_path)
    for host in t.hosts.values():
        host.write(tmp_path)
    return t


def net_missing() -> str | None:
    if not sys.platform.startswith("linux"):
        return "needs Linux network namespaces"
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "ping", "nsenter", "awk", "sh"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


def _reap_stale() -> None:
    """Delete namespaces left by an earlier test process that died before its finalizer ran."""
    run = Path("/run/netns")
    if not run.is_dir():
        return
    for entry in run.iterdir():
        match = re.fullmatch(rf"{topo.NS_PREFIX}t(\d+)-.*", entry.name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            subprocess.run(["ip", "netns", "del", entry.name], check=False, capture_output=True)


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[topo.Topology]:
    reason = net_missing()
    if reason:
        pytest.skip(reason)
    _reap_stale()
    tag = f"t{os.getpid()}"
    state = tmp_path_factory.mktemp("labbin")
    probe = f"{topo.NS_PREFIX}{tag}-probe"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot create network namespaces here: {made.stderr.strip()}")
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    try:
        yield topo.up(tag, state)
    finally:
        topo.down(tag)
