"""Fixtures of the lab's own tests: skip without root/Linux/tools, labs that always come down, probes.

Lab tests build labs under a random prefix and a management subnet of their own, so they never touch a lab
someone else has up on the same machine (demo.toml, the integration tests).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import paramiko
import pytest

from validator.lab.topology import Topology, parse_topology_text

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "lab"
# sample mgmt subnet -> the one the tests use instead (must stay inside 198.18.0.0/15)
TEST_MGMT = {"198.18.200.": "198.18.202.", "198.18.250.": "198.18.252.", "198.18.255.": "198.18.253."}


def lab_missing() -> str | None:
    """Why lab integration tests cannot run here, or None."""
    if not sys.platform.startswith("linux"):
        return "lab tests need Linux network namespaces"
    if os.geteuid() != 0:
        return "lab tests need root (network namespaces, sshd)"
    for tool in ("ip", "tc", "ping", "ssh-keygen", "openssl"):
        if shutil.which(tool) is None:
            return f"lab tests need {tool} (iproute2, iputils-ping, openssh-client, openssl)"
    if not os.access("/usr/sbin/sshd", os.X_OK):
        return "lab tests need /usr/sbin/sshd (openssh-server)"
    return None


def needs_lab() -> None:
    reason = lab_missing()
    if reason:
        pytest.skip(reason)


def new_prefix() -> str:
    return "vt" + secrets.token_hex(3)


def sample_topology(name: str, prefix: str | None = None) -> Topology:
    """A sample topology, moved to the tests' own management subnet (and prefix)."""
    text = (SAMPLES / f"{name}.toml").read_text(encoding="utf-8")
    for old, new in TEST_MGMT.items():
        text = text.replace(f'"{old}', f'"{new}')
    topo = parse_topology_text(text, str(SAMPLES / f"{name}.toml"))
    return topo.with_prefix(prefix or new_prefix())


def quiet(_message: str) -> None:
    """A lab log that says nothing (pytest shows stderr of failures anyway)."""


# ---------------------------------------------------------------- probes


@dataclass(frozen=True)
class PingResult:
    ok: bool
    ttl: int | None
    output: str


def ping(netns: str, src: str, dst: str, size: int = 100, count: int = 1, df: bool = True) -> PingResult:
    """A ping (DF unless told) of a total IP packet size from a source address inside a namespace."""
    v6 = ":" in dst
    payload = size - (48 if v6 else 28)
    argv = ["ip", "netns", "exec", netns, "ping", "-6" if v6 else "-4", "-n", "-c", str(count), "-i", "0.2",
            "-W", "1", "-M", "do" if df else "dont", "-s", str(payload), "-I", src, dst]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    found = re.search(r"ttl=(\d+)", proc.stdout)
    return PingResult(proc.returncode == 0, int(found.group(1)) if found else None, proc.stdout + proc.stderr)


def route_error(netns: str, src: str, dst: str) -> str:
    """What the kernel says about routing dst from src ('' when there is a route)."""
    proc = subprocess.run(["ip", "-n", netns, "route", "get", dst, "from", src],
                          capture_output=True, text=True, check=False)
    return proc.stderr.strip()


def ssh_connect(address: str, known_hosts: Path, *, port: int = 22, password: str | None = None,
                key: Path | None = None) -> paramiko.SSHClient:
    """A strict-host-key paramiko client (TCP_NODELAY: see the session cost notes)."""
    sock = socket.create_connection((address, port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client = paramiko.SSHClient()
    client.load_host_keys(str(known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(address, port=port, username="root", password=password,
                       key_filename=str(key) if key else None, allow_agent=False, look_for_keys=False,
                       timeout=5, sock=sock)
    except BaseException:
        client.close()
        sock.close()
        raise
    return client


def run(client: paramiko.SSHClient, command: str) -> tuple[int, str, str]:
    _, out, err = client.exec_command(command, timeout=20)
    text, error = out.read().decode(), err.read().decode()
    return out.channel.recv_exit_status(), text, error


# ---------------------------------------------------------------- machine state


def _comm(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def machine_snapshot() -> dict[str, object]:
    """What a lab must leave exactly as it found it."""
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    etc = sorted(os.listdir("/etc/netns")) if os.path.isdir("/etc/netns") else None
    sshds = []  # listeners only: per-connection sshd children come and go with other tests' sessions
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and _comm(entry) == "sshd":
                parent = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]
                if _comm(parent) != "sshd":
                    sshds.append(int(entry))
        except (OSError, IndexError):
            continue
    return {
        "netns": sorted(line.split()[0] for line in netns.splitlines() if line.strip()),
        "links": sorted(line.split(":")[1].strip().split("@")[0] for line in links.splitlines()),
        "etc_netns": etc,
        "run_sshd": os.path.isdir("/run/sshd"),
        "sshd_pids": sorted(sshds),
        "shadow_sha256": hashlib.sha256(Path("/etc/shadow").read_bytes()).hexdigest(),
        "passwd_sha256": hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest(),
    }


@pytest.fixture(scope="session")
def machine_before() -> dict[str, object]:
    """The machine as the first lab test found it (taken before any lab of this session)."""
    needs_lab()
    return machine_snapshot()


# ---------------------------------------------------------------- a shared lab


@pytest.fixture(scope="session")
def alt_lab(tmp_path_factory: pytest.TempPathFactory, machine_before: dict[str, object]) -> Iterator[object]:
    """samples/lab/alt.toml, up once for the session, torn down whatever happens."""
    needs_lab()
    from validator.lab.api import running_lab

    state = tmp_path_factory.mktemp("alt") / "state"
    with running_lab(sample_topology("alt"), state, log=quiet) as lab:
        yield lab


@pytest.fixture()
def lab_ping() -> Callable[..., PingResult]:
    return ping
