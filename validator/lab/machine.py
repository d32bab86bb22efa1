"""What the machine holds of a lab: its namespaces, root links and the processes inside them, how to remove them,
and the routes that would clash with a new lab's management subnet (I/O only; the plan is :mod:`netbuild`)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from ipaddress import IPv4Network
from pathlib import Path

from validator.lab.netbuild import NETNS_DIR, run_batches


def existing_netns() -> list[str]:
    try:
        return sorted(os.listdir(NETNS_DIR))
    except FileNotFoundError:
        return []


def existing_root_links() -> list[str]:
    return sorted(os.listdir("/sys/class/net"))


def netns_pids(namespaces: Iterable[str]) -> list[int]:
    """Processes whose network namespace is one of these (like ``ip netns pids``)."""
    wanted: set[tuple[int, int]] = set()
    for name in namespaces:
        try:
            st = os.stat(NETNS_DIR / name)
        except OSError:
            continue
        wanted.add((st.st_dev, st.st_ino))
    if not wanted:
        return []
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            st = os.stat(f"/proc/{entry}/ns/net")
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in wanted:
            pids.append(int(entry))
    return pids


def kill_pids(pids: Iterable[int], timeout: float = 3.0) -> list[int]:
    """SIGTERM, then SIGKILL after ``timeout``; returns the pids still running at the end.

    Then waits (up to ``timeout``) for the dead to be reaped, so no zombie outlives the teardown."""
    alive = set(pids)
    dead = set(alive)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in list(alive):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                alive.discard(pid)
        alive = _wait(alive, lambda p: process_state(p) not in (None, "Z"), timeout)
        if not alive:
            break
    orphans = {p for p in dead - alive if _parent(p) != os.getpid()}  # our own children we reap ourselves
    _wait(orphans, lambda p: process_state(p) is not None, timeout)
    return sorted(alive)


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _wait(pids: set[int], still: Callable[[int], bool], timeout: float) -> set[int]:
    deadline = time.monotonic() + timeout
    while True:
        pids = {p for p in pids if still(p)}
        if not pids or time.monotonic() > deadline:
            return pids
        time.sleep(0.01)


def process_state(pid: int) -> str | None:
    """The one-letter state of a process (R, S, Z, ...), None when it does not exist."""
    try:
        return Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def delete_network(namespaces: Iterable[str], root_links: Iterable[str]) -> None:
    """Delete root links (so their peers go at once), then namespaces; ignores what is already gone."""
    links = [link for link in root_links if Path("/sys/class/net", link).exists()]
    # veths before the bridge: a pair goes with either end
    links.sort(key=lambda link: link.endswith("-mgmt"))
    run_batches([(None, [f"link del {link}" for link in links])], force=True)
    gone = [ns for ns in namespaces if (NETNS_DIR / ns).exists()]
    run_batches([(None, [f"netns del {ns}" for ns in gone])], force=True)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        left = [link for link in links if Path("/sys/class/net", link).exists()]
        if not left:
            break
        time.sleep(0.02)


def mgmt_conflicts(subnet: IPv4Network, own_links: set[str]) -> list[str]:
    """Root-namespace routes that overlap the management subnet (another lab, a real network)."""
    argv = ["ip", "-4", "-o", "route", "show", "table", "all"]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    conflicts = []
    for line in proc.stdout.splitlines():
        words = line.split()
        if not words or words[0] in ("default", "broadcast", "local", "unreachable", "prohibit", "blackhole"):
            continue
        try:
            net = IPv4Network(words[0], strict=False)
        except ValueError:
            continue
        dev = words[words.index("dev") + 1] if "dev" in words else "?"
        if net.overlaps(subnet) and dev not in own_links:
            conflicts.append(line.strip())
    return conflicts
