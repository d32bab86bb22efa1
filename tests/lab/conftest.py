"""Fixtures of the lab's own tests: skip without root/Linux/tools, labs that always come down, probes.

Every lab a test builds has a random prefix and a management /24 claimed for this test process only
(``own_topology``), so it never touches a lab someone else has up on the same machine (the demo, another
test session, scripts/lab-churn.sh). Tests check their own lab's footprint (``footprint``), never the
whole machine's namespaces, links or processes, which other labs change at any time.
"""

from __future__ import annotations

import fcntl
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
from ipaddress import IPv4Network
from pathlib import Path

import paramiko
import pytest

from validator.lab import sshd
from validator.lab.machine import existing_netns, existing_root_links, mgmt_conflicts, netns_pids
from validator.lab.netbuild import Names
from validator.lab.topology import Topology, parse_topology_text

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "lab"
# management /24s the tests claim from (198.18.N.0/24); scripts/lab-churn.sh and the samples stay outside
MGMT_POOL = range(64, 192)
MGMT_CLAIMS = Path("/run/lock/vmotion-validator-tests.mgmt")
_claimed: set[int] = set()
_claims_fd: list[int] = []


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


def claim_mgmt_octet() -> int:
    """A third octet N such that 198.18.N.0/24 is routed nowhere and no other test process holds it.

    The claim is a one-byte POSIX lock (byte N of one file in /run/lock), held until this process exits."""
    if not _claims_fd:
        MGMT_CLAIMS.parent.mkdir(parents=True, exist_ok=True)
        _claims_fd.append(os.open(MGMT_CLAIMS, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644))
    fd = _claims_fd[0]
    for octet in secrets.SystemRandom().sample(list(MGMT_POOL), len(MGMT_POOL)):
        if octet in _claimed:
            continue
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, octet)
        except OSError:
            continue  # another test process has it
        _claimed.add(octet)
        if not mgmt_conflicts(IPv4Network(f"198.18.{octet}.0/24"), set()):
            return octet
    raise RuntimeError(f"no free management /24 left in 198.18.{MGMT_POOL.start}-{MGMT_POOL.stop - 1}.0")


def own_topology_text(text: str, source: str, prefix: str | None = None) -> str:
    """A topology's TOML text moved to a random prefix and a management /24 claimed for this test process."""
    mgmt = parse_topology_text(text, source).lab.mgmt_subnet
    assert mgmt.prefixlen >= 24, f"{source}: the tests move mgmt_subnet by its /24, not {mgmt}"
    old = ".".join(str(mgmt.network_address).split(".")[:3]) + "."
    text = text.replace(f'"{old}', f'"198.18.{claim_mgmt_octet()}.')
    line = f'prefix = "{prefix or new_prefix()}"'
    text, found = re.subn(r'(?m)^prefix\s*=\s*"[^"]*"', line, text, count=1)
    if not found:
        text = re.sub(r"(?m)^\[lab\]\s*$", f"[lab]\n{line}", text, count=1)
    parse_topology_text(text, source)
    return text


def own_topology(text: str, source: str, prefix: str | None = None) -> Topology:
    """A topology moved to a random prefix and a management /24 claimed for this test process."""
    return parse_topology_text(own_topology_text(text, source, prefix), source)


def sample_topology(name: str, prefix: str | None = None) -> Topology:
    """A sample topology under the tests' own prefix and management subnet."""
    path = SAMPLES / f"{name}.toml"
    return own_topology(path.read_text(encoding="utf-8"), str(path), prefix)


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


# ---------------------------------------------------------------- what a lab leaves


def footprint(prefix: str, state: Path | None = None) -> dict[str, list[str]]:
    """Everything of one lab that exists now: its namespaces, root-namespace links, /etc/netns entries, and
    sshd processes (in its namespaces, or started with a config from its state directory)."""
    names = Names(prefix)
    namespaces = [n for n in existing_netns() if names.owns_netns(n)]
    etc = sorted(os.listdir(sshd.ETC_NETNS)) if sshd.ETC_NETNS.is_dir() else []
    inside = set(netns_pids(namespaces))
    marker = f" {state.resolve()}/" if state is not None else None
    return {
        "namespaces": namespaces,
        "root_links": [n for n in existing_root_links() if names.owns_root_link(n)],
        "etc_netns": [n for n in etc if names.owns_netns(n)],
        "sshd": [f"{pid} {cmd}" for pid, cmd in sshd.sshd_processes()
                 if pid in inside or (marker is not None and marker in f" {cmd}")],
    }


NOTHING: dict[str, list[str]] = {"namespaces": [], "root_links": [], "etc_netns": [], "sshd": []}


def machine_files() -> dict[str, str]:
    """Digests of the machine's account files, which no lab may ever write."""
    return {
        "shadow_sha256": hashlib.sha256(Path("/etc/shadow").read_bytes()).hexdigest(),
        "passwd_sha256": hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest(),
    }


@pytest.fixture(scope="session")
def machine_before() -> dict[str, str]:
    """The machine's account files as the first lab test found them."""
    needs_lab()
    return machine_files()


# ---------------------------------------------------------------- a shared lab


@pytest.fixture(scope="session")
def alt_lab(tmp_path_factory: pytest.TempPathFactory, machine_before: dict[str, str]) -> Iterator[object]:
    """samples/lab/alt.toml, up once for the session, torn down whatever happens."""
    needs_lab()
    from validator.lab.api import running_lab

    state = tmp_path_factory.mktemp("alt") / "state"
    with running_lab(sample_topology("alt"), state, log=quiet) as lab:
        yield lab


@pytest.fixture()
def lab_ping() -> Callable[..., PingResult]:
    return ping
