"""The state directory: its layout, the lab record (lab.json) and the files written for the validator and
the emulated ESXi commands (rendering is pure; writing is at the edges)."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from validator.errors import LabError
from validator.lab.netbuild import Names, vmk_mac
from validator.lab.topology import HostSpec, LabSpec, Topology, VmkSpec
from validator.models import DEFAULT_NETSTACK, VMOTION_NETSTACK

PASSWORD_ENV = "VMOTION_VALIDATOR_PASSWORD"  # noqa: S105 - the name of a variable, not a secret
RECORD_VERSION = 1
PORT_ID_BASE = 67108864
_SAFE_PATH = re.compile(r"/[A-Za-z0-9/_.+-]*")


class StatePathError(LabError):
    """The state directory's path cannot be used: not a directory, not writable, unsafe characters."""


class LabBusyError(LabError):
    """Another lab command holds the state directory's lock."""


@dataclass(frozen=True)
class StatePaths:
    """Every file of a state directory."""

    root: Path

    @classmethod
    def of(cls, state_dir: Path | str) -> StatePaths:
        root = Path(state_dir).expanduser().resolve()
        if not _SAFE_PATH.fullmatch(str(root)):
            raise StatePathError(f"state directory {str(root)!r}: use only letters, digits and / _ . + - in its path")
        return cls(root)

    @property
    def lock(self) -> Path:
        return self.root / "lab.lock"

    @property
    def record(self) -> Path:
        return self.root / "lab.json"

    @property
    def inventory(self) -> Path:
        return self.root / "inventory.toml"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    @property
    def password(self) -> Path:
        return self.root / "password"

    @property
    def ground_truth(self) -> Path:
        return self.root / "ground_truth.json"

    @property
    def client_key(self) -> Path:
        return self.root / "id_ed25519"

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def host_dir(self, host: str) -> Path:
        return self.root / "hosts" / host


@dataclass
class HostRecord:
    name: str
    mgmt_ip: str
    port: int
    sshd: bool
    config: str
    pidfile: str


@dataclass
class LabRecord:
    """What a lab created (written before it is created), so that ``down`` can always undo it."""

    prefix: str
    status: str = "building"
    topology: str = ""
    namespaces: list[str] = field(default_factory=list)
    root_links: list[str] = field(default_factory=list)
    etc_netns: list[str] = field(default_factory=list)
    created_etc_netns: bool = False
    created_run_sshd: bool = False
    hosts: list[HostRecord] = field(default_factory=list)
    up_seconds: float | None = None
    version: int = RECORD_VERSION

    def save(self, paths: StatePaths) -> None:
        tmp = paths.record.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        tmp.replace(paths.record)

    @classmethod
    def load(cls, paths: StatePaths) -> LabRecord | None:
        try:
            data: dict[str, Any] = json.loads(paths.record.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise LabError(f"{paths.record}: unreadable lab record: {exc}") from exc
        try:
            hosts = [HostRecord(**h) for h in data.pop("hosts", [])]
            return cls(hosts=hosts, **data)
        except TypeError as exc:
            raise LabError(f"{paths.record}: unexpected lab record: {exc}") from exc


def _path_error(paths: StatePaths, exc: OSError) -> StatePathError:
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        reason = "a file is in the way where a directory is expected"
    return StatePathError(f"state directory {paths.root}: {reason}")


def _check_dir(paths: StatePaths, *, create: bool) -> bool:
    """Whether the state directory exists (created when asked); StatePathError when the path cannot be one."""
    if create:
        try:
            paths.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _path_error(paths, exc) from exc
    if paths.root.is_dir():
        return True
    existing = next(p for p in (paths.root, *paths.root.parents) if p.exists() or p.is_symlink())
    if not existing.is_dir():
        what = "is not a directory" if existing == paths.root else f"is under {existing}, which is not a directory"
        raise StatePathError(f"state directory {paths.root}: {what}")
    return False


@contextmanager
def state_lock(paths: StatePaths, *, create: bool = False, shared: bool = False) -> Iterator[None]:
    """Hold the state directory's lock (flock on STATE/lab.lock) for one lab command; never waits.

    up and down take it exclusively, status shared. A state directory that does not exist (and is not to
    be created) has nothing to protect: the block runs unlocked."""
    if not _check_dir(paths, create=create):
        yield
        return
    try:
        fd = os.open(paths.lock, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise _path_error(paths, exc) from exc
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LabBusyError(
                f"state directory {paths.root} is busy: another lab up/down/status is using it; "
                "try again when it has finished"
            ) from None
        yield
    finally:
        os.close(fd)


def write_private(path: Path, text: str) -> None:
    """Create or replace a file readable by its owner only (0600)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def export_line(paths: StatePaths) -> str:
    return f'export {PASSWORD_ENV}="$(cat {paths.password})"'


# ---------------------------------------------------------------- rendering (pure) ----


def _sh_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def render_host_env(host: HostSpec, names: Names, paths: StatePaths) -> str:
    values = {
        "VMV_HOST": host.name,
        "VMV_NS_DEFAULT": names.host_ns(host.name),
        "VMV_NS_VMOTION": names.vmotion_ns(host.name),
        "VMV_HOSTDIR": str(paths.host_dir(host.name)),
        "VMV_BIN": str(paths.bin),
    }
    return "".join(f"{key}={_sh_quote(value)}\n" for key, value in values.items())


def render_shell(host: HostSpec, paths: StatePaths) -> str:
    """Root's login shell on the emulated host: the lab environment, then esxshell (or /bin/sh)."""
    hostdir = _sh_quote(str(paths.host_dir(host.name)))
    esxshell = _sh_quote(str(paths.bin / "esxshell"))
    search = _sh_quote(f"{paths.bin}:/usr/sbin:/usr/bin:/sbin:/bin")
    return (
        "#!/bin/sh\n"
        f"# login shell of emulated ESXi host {host.name} (generated by the vmotion-validator lab)\n"
        f"VMV_HOSTDIR={hostdir}\n"
        f"PATH={search}\n"
        "export VMV_HOSTDIR PATH\n"
        f'if [ -x {esxshell} ]; then exec {esxshell} "$@"; fi\n'
        'exec /bin/sh "$@"\n'
    )


def _dash(value: object | None) -> str:
    return "-" if value is None or value == "" else str(value)


def _vmk_row(host: HostSpec, vmk: VmkSpec, names: Names) -> list[str]:
    return [
        vmk.name,
        vmk.netstack,
        names.vmk_ns(host, vmk),
        vmk.portgroup,
        vmk_mac(host, vmk.number),
        str(vmk.mtu),
        "true" if vmk.enabled else "false",
        _dash(vmk.ip.ip if vmk.ip else None),
        _dash(vmk.ip.network.prefixlen if vmk.ip else None),
        _dash(vmk.gateway),
        _dash(str(vmk.ip6) if vmk.ip6 else None),
        _dash(",".join(vmk.tags)),
        str(PORT_ID_BASE + 10 + vmk.number),
    ]


def render_vmks_tsv(topo: Topology, host: HostSpec, names: Names) -> str:
    """vmks.tsv of the lab contract: vmk0 first, then the topology's vmks."""
    mgmt = host.mgmt_ip
    rows = [
        [
            "vmk0",
            DEFAULT_NETSTACK,
            names.host_ns(host.name),
            "Management Network",
            vmk_mac(host, 0),
            str(topo.lab.mgmt_mtu),
            "true",
            str(mgmt.ip),
            str(mgmt.network.prefixlen),
            "-",
            "-",
            "Management",
            str(PORT_ID_BASE + 10),
        ]
    ]
    rows += [_vmk_row(host, vmk, names) for vmk in sorted(host.vmks, key=lambda v: v.number)]
    return "".join("\t".join(row) + "\n" for row in rows)


def render_cost(lab: LabSpec) -> str:
    """cost of the lab contract: what every emulated vmkping spends before it pings (CPU ms, sleep ms)."""
    return f"{lab.vmkping_cpu_ms}\t{lab.vmkping_delay_ms}\n"


def render_netstacks_tsv(host: HostSpec, names: Names) -> str:
    vmotion = sorted(host.vmotion_vmks, key=lambda v: v.number)
    rows = [
        [DEFAULT_NETSTACK, names.host_ns(host.name), "-", "-", "vmk0"],
        [
            VMOTION_NETSTACK,
            names.vmotion_ns(host.name),
            _dash(host.gateway),
            _dash(host.gateway6),
            vmotion[0].name if vmotion else "-",
        ],
    ]
    return "".join("\t".join(row) + "\n" for row in rows)


def render_inventory(topo: Topology) -> str:
    """inventory.toml in the validator's format (known_hosts relative to the inventory)."""
    lines = [
        "# written by `vmotion-validator lab up`",
        "[ssh]",
        'username = "root"',
        f'password_env = "{PASSWORD_ENV}"',
        'known_hosts = "known_hosts"',
        'host_key_policy = "strict"',
    ]
    for host in topo.hosts:
        lines += ["", "[[hosts]]", f'name = "{host.name}"', f'address = "{host.mgmt_ip.ip}"']
        if host.ssh_port != 22:
            lines.append(f"port = {host.ssh_port}")
        expected = [_expected_vmk(vmk) for vmk in host.vmks if vmk.netstack == VMOTION_NETSTACK]
        if expected:
            lines.append(f"vmks = [{', '.join(expected)}]")
    return "\n".join(lines) + "\n"


def _expected_vmk(vmk: VmkSpec) -> str:
    """One inline table of the inventory's expected vMotion vmks (plans pairs even if SSH fails)."""
    ips = [str(a) for a in (vmk.ip, vmk.ip6) if a is not None]
    quoted = ", ".join(f'"{ip}"' for ip in ips)
    return f'{{ name = "{vmk.name}", ip = [{quoted}], mtu = {vmk.mtu} }}'


def render_known_hosts(entries: list[tuple[str, int, str]]) -> str:
    """(address, port, 'ssh-ed25519 AAAA...') -> known_hosts lines."""
    lines = []
    for address, port, key in entries:
        where = address if port == 22 else f"[{address}]:{port}"
        lines.append(f"{where} {key}\n")
    return "".join(lines)
