"""A fake ESXi host for tests that need no root: real ``sh`` runs the real batch scripts.

``esxcli`` is the lab's own emulation (it only reads the per-host data files); ``vmkping`` is a tiny
script that prints canned output chosen per (source vmk, destination, DF or not). The connector and
executor implement :mod:`validator.transport`'s protocols, so everything above SSH runs for real.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from validator.errors import ConnectError, TransportError
from validator.inventory import Inventory, InventoryHost
from validator.models import HostTarget
from validator.ssh_settings import SshSettings
from validator.transport import CommandResult

LAB_BIN = Path(__file__).resolve().parents[1] / "validator" / "lab" / "bin"

_FAKE_VMKPING = r"""#!/bin/sh
vmk=none; df=small; dst=
for a in "$@"; do
  case "$prev" in -I) vmk=$a ;; esac
  case "$a" in -d) df=df ;; esac
  prev=$a; dst=$a
done
f="$VMV_FAKE_DIR/ping/${vmk}_${dst}_${df}"
[ -f "$f" ] || f="$VMV_FAKE_DIR/ping/${vmk}_${dst}_any"
[ -f "$f.hang" ] && exec tail -f "$f.hang"
if [ -f "$f" ]; then cat "$f"; exit "$(cat "$f.rc")"; fi
echo "fake vmkping: no canned output for $*" >&2
exit 99
"""


def ping_output(dst: str, payload: int, received: int, count: int = 3, ttl: int = 64,
                error: str | None = None) -> str:
    """vmkping output in ESXi's FreeBSD format."""
    lines = [f"PING {dst} ({dst}): {payload} data bytes"]
    for seq in range(count):
        if seq < received:
            lines.append(f"{payload + 8} bytes from {dst}: icmp_seq={seq} ttl={ttl} time=0.{300 + seq} ms")
        elif error:
            lines.append(f"sendto() failed ({error})")
    loss = round(100 * (count - received) / count, 1)
    loss_text = f"{loss:g}"
    lines += ["", f"--- {dst} ping statistics ---",
              f"{count} packets transmitted, {received} packets received, {loss_text}% packet loss"]
    if received:
        lines.append("round-trip min/avg/max = 0.300/0.301/0.302 ms")
    return "\n".join(lines) + "\n"


@dataclass
class FakeHost:
    """One emulated host: data files for the lab's esxcli, canned vmkping answers."""

    name: str
    address: str
    root: Path
    unreachable: bool = False
    sessions: int = 0
    vmk_lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.dir = self.root / self.name
        (self.dir / "ping").mkdir(parents=True, exist_ok=True)
        (self.dir / "bin").mkdir(exist_ok=True)
        vmkping = self.dir / "bin" / "vmkping"
        vmkping.write_text(_FAKE_VMKPING)
        vmkping.chmod(0o755)
        self.add_vmk("vmk0", "defaultTcpipStack", "198.18.255.1", 24, mtu=1500, tags="Management")

    def add_vmk(self, name: str, netstack: str, ip: str, prefix: int, mtu: int = 9000, tags: str = "VMotion",
                enabled: bool = True, ip6: str | None = None) -> None:
        port = 67108864 + len(self.vmk_lines)
        self.vmk_lines.append("\t".join([
            name, netstack, f"fake-{self.name}", "pg", f"00:50:56:00:00:{len(self.vmk_lines):02x}", str(mtu),
            "true" if enabled else "false", ip, str(prefix), "-", ip6 or "-", tags, str(port),
        ]))

    def write_stacks(self, gateway: str | None, vmotion_stack: bool = True) -> None:
        (self.dir / "vmks.tsv").write_text("\n".join(self.vmk_lines) + "\n")
        stacks = ["\t".join(["defaultTcpipStack", f"fake-{self.name}", "198.18.255.254", "-", "vmk0"])]
        if vmotion_stack:
            stacks.append("\t".join(["vmotion", f"fake-{self.name}-vmotion", gateway or "-", "-", "vmk1"]))
        (self.dir / "netstacks.tsv").write_text("\n".join(stacks) + "\n")

    def answer(self, vmk: str, dst: str, kind: str, output: str, rc: int | None = None) -> None:
        """Canned output for pings from ``vmk`` to ``dst``; kind is ``small``, ``df`` or ``any``."""
        path = self.dir / "ping" / f"{vmk}_{dst}_{kind}"
        path.write_text(output)
        status = rc if rc is not None else (0 if " bytes from " in output else 1)
        path.with_name(path.name + ".rc").write_text(f"{status}\n")

    def hang(self, vmk: str, dst: str, kind: str = "any") -> None:
        """Pings from ``vmk`` to ``dst`` never end (until killed)."""
        path = self.dir / "ping" / f"{vmk}_{dst}_{kind}"
        if not path.exists():
            self.answer(vmk, dst, kind, "")
        path.with_name(path.name + ".hang").write_text("")


class FakeStream:
    """A local process read as it comes; like sshd, it leads its own process group, which close() signals."""

    def __init__(self, command: str, env: dict[str, str], stdin: str | None) -> None:
        self.proc = subprocess.Popen(["sh", "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)  # fmt: skip
        assert self.proc.stdin is not None and self.proc.stdout is not None
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.write((stdin or "").encode())
        self.proc.stdin.close()
        self._out = self.proc.stdout

    def read(self, timeout: float) -> bytes | None:
        ready, _, _ = select.select([self._out], [], [], timeout)
        return os.read(self._out.fileno(), 65536) if ready else None

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
        self._out.close()
        self.proc.wait()


def processes_left_under(folder: Path, within: float = 5.0) -> list[int]:
    """:func:`processes_under` once they are gone, or after ``within`` seconds (remote work is given a few
    seconds to end after its session)."""
    deadline = time.monotonic() + within
    while (pids := processes_under(folder)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return pids


def processes_under(folder: Path) -> list[int]:
    """PIDs of the processes whose command line names something under ``folder`` (a fake host's own)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if str(folder) in cmdline:
            pids.append(int(entry.name))
    return pids


class FakeExecutor:
    def __init__(self, host: FakeHost) -> None:
        self.host = host

    @property
    def env(self) -> dict[str, str]:
        return {
            "PATH": f"{self.host.dir / 'bin'}:{LAB_BIN}:/usr/bin:/bin",
            "VMV_HOSTDIR": str(self.host.dir),
            "VMV_FAKE_DIR": str(self.host.dir),
            "LC_ALL": "C",
        }

    def start(self, command: str, stdin: str | None = None) -> FakeStream:
        self.host.sessions += 1
        return FakeStream(command, self.env, stdin)

    def run(self, command: str, timeout: float | None = None, stdin: str | None = None) -> CommandResult:
        self.host.sessions += 1
        env = self.env
        try:
            done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, env=env,
                                  timeout=timeout, check=False, input=stdin)
        except subprocess.TimeoutExpired:
            raise TransportError(f"command on {self.host.name} timed out", self.host.name) from None
        return CommandResult(command, done.returncode, done.stdout, done.stderr)

    def close(self) -> None:
        pass


class FakeConnector:
    def __init__(self, hosts: list[FakeHost]) -> None:
        self.hosts = {h.name: h for h in hosts}

    def connect(self, target: HostTarget) -> FakeExecutor:
        host = self.hosts[target.name]
        if host.unreachable:
            raise ConnectError(f"cannot connect to {target.address}:22: Connection refused", target.name)
        return FakeExecutor(host)


def fake_env_ok() -> bool:
    return (LAB_BIN / "esxcli").exists() and os.name == "posix"


def inventory_of(hosts: Sequence[InventoryHost]) -> Inventory:
    """An in-memory inventory of ``hosts`` (default SSH settings) for :func:`validator.validate`."""
    return Inventory(path=Path("test-inventory.toml"), ssh=SshSettings(), hosts=tuple(hosts))
