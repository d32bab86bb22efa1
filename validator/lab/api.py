"""Lab lifecycle: ``lab_up``, ``lab_down``, ``lab_status`` and the ``running_lab`` context manager."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.errors import LabError
from validator.lab import machine, netbuild, sshd
from validator.lab.groundtruth import ground_truth
from validator.lab.netbuild import Names, NetPlan
from validator.lab.state import (
    PASSWORD_ENV,
    HostRecord,
    LabRecord,
    StatePaths,
    export_line,
    render_cost,
    render_host_env,
    render_inventory,
    render_known_hosts,
    render_netstacks_tsv,
    render_shell,
    render_vmks_tsv,
    state_lock,
    write_private,
)
from validator.lab.topology import HostSpec, Topology, load_topology

BIN_SOURCE = Path(__file__).resolve().parent / "bin"
REQUIRED_TOOLS = ("ip", "tc", "ssh-keygen", "openssl")

Log = Callable[[str], None]


class LabHostError(LabError):
    """This machine cannot run a lab (not Linux, not root, a tool missing)."""


def stderr_log(message: str) -> None:
    print(f"lab: {message}", file=sys.stderr, flush=True)


def check_machine() -> None:
    """Refuse early, in one clear sentence, when the lab cannot work here."""
    if not sys.platform.startswith("linux"):
        raise LabHostError(f"the lab needs Linux network namespaces; this machine runs {sys.platform}")
    if os.geteuid() != 0:
        raise LabHostError("the lab needs root (it creates network namespaces and runs sshd); run it with sudo")
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if not os.access(sshd.SSHD, os.X_OK):
        missing.append(sshd.SSHD)
    if missing:
        raise LabHostError(
            f"the lab needs {', '.join(missing)} (Debian/Ubuntu: apt-get install iproute2 openssh-server openssl)"
        )


@dataclass(frozen=True)
class LabState:
    """A running lab: where its files are and how to reach its hosts."""

    paths: StatePaths
    topology: Topology
    up_seconds: float

    @property
    def state_dir(self) -> Path:
        return self.paths.root

    @property
    def names(self) -> Names:
        return Names(self.topology.lab.prefix)

    @property
    def inventory(self) -> Path:
        return self.paths.inventory

    @property
    def known_hosts(self) -> Path:
        return self.paths.known_hosts

    @property
    def ground_truth(self) -> Path:
        return self.paths.ground_truth

    @property
    def client_key(self) -> Path:
        return self.paths.client_key

    @property
    def password_env(self) -> str:
        return PASSWORD_ENV

    @property
    def export_line(self) -> str:
        return export_line(self.paths)

    def password(self) -> str:
        return self.paths.password.read_text(encoding="utf-8").strip()

    def host_ns(self, host: str) -> str:
        return self.names.host_ns(host)

    def vmotion_ns(self, host: str) -> str:
        return self.names.vmotion_ns(host)


def lab_up(
    topology: Path | str | Topology,
    state_dir: Path | str,
    *,
    prefix: str | None = None,
    log: Log = stderr_log,
) -> LabState:
    """Build the lab (cleaning any previous one of this state dir or prefix first) and start its sshds."""
    started = time.monotonic()
    topo = topology if isinstance(topology, Topology) else load_topology(Path(topology))
    if prefix is not None:
        topo = topo.with_prefix(prefix)
    check_machine()
    paths = StatePaths.of(state_dir)
    with state_lock(paths, create=True):
        return _up(topo, paths, started, log)


def _up(topo: Topology, paths: StatePaths, started: float, log: Log) -> LabState:
    names = Names(topo.lab.prefix)
    _cleanup_previous(paths, names, log)
    conflicts = machine.mgmt_conflicts(topo.lab.mgmt_subnet, set())
    if conflicts:
        raise LabError(
            f"mgmt_subnet {topo.lab.mgmt_subnet} is already routed in the root namespace "
            f"({conflicts[0]}); is another lab up? use another mgmt_subnet"
        )
    plan = netbuild.plan_network(topo, names)
    record = _new_record(topo, names, paths, plan)
    record.save(paths)
    log(f"building {len(topo.hosts)} hosts in {len(topo.racks)} racks (prefix {names.prefix})")
    try:
        _build(topo, names, paths, plan, log)
    except BaseException:
        log("lab up failed; removing what was built")
        _teardown(record, names, paths, log)
        raise
    elapsed = time.monotonic() - started
    record.status, record.up_seconds = "up", round(elapsed, 3)
    record.save(paths)
    log(f"up in {elapsed:.1f}s; inventory {paths.inventory}")
    return LabState(paths, topo, elapsed)


def lab_down(state_dir: Path | str, *, prefix: str | None = None, log: Log = stderr_log) -> Removed:
    """Remove every namespace, interface, process and /etc/netns entry of the lab; idempotent.

    Returns what was actually there and is now gone."""
    check_machine()
    paths = StatePaths.of(state_dir)
    with state_lock(paths):
        record = LabRecord.load(paths)
        if record is None:
            if prefix is None:
                raise LabError(f"{paths.record} not found: nothing recorded to tear down (give --prefix to sweep)")
            record = LabRecord(prefix=prefix)
        started = time.monotonic()
        removed = _teardown(record, Names(record.prefix), paths, log)
        log(f"down in {time.monotonic() - started:.1f}s")
        return removed


def lab_status(state_dir: Path | str) -> dict[str, Any]:
    """What the record says and what is actually there."""
    paths = StatePaths.of(state_dir)
    with state_lock(paths, shared=True):
        return _status(paths)


def _status(paths: StatePaths) -> dict[str, Any]:
    record = LabRecord.load(paths)
    if record is None:
        return {"state": "absent", "state_dir": str(paths.root)}
    present = set(machine.existing_netns())
    hosts = []
    for host in record.hosts:
        running = sshd.pid_of(Path(host.pidfile), Path(host.config)) is not None
        sshd_state = "running" if running else ("stopped (fault)" if not host.sshd else "not running")
        hosts.append({"name": host.name, "address": host.mgmt_ip, "port": host.port, "sshd": sshd_state})
    ns_present = [n for n in record.namespaces if n in present]
    healthy = (
        record.status == "up"
        and len(ns_present) == len(record.namespaces)
        and all(h["sshd"] != "not running" for h in hosts)
    )
    return {
        "state": record.status,
        "healthy": healthy,
        "state_dir": str(paths.root),
        "prefix": record.prefix,
        "topology": record.topology,
        "namespaces": {"expected": len(record.namespaces), "present": len(ns_present)},
        "hosts": hosts,
        "inventory": str(paths.inventory),
        "up_seconds": record.up_seconds,
    }


@contextmanager
def running_lab(
    topology: Path | str | Topology,
    state_dir: Path | str,
    *,
    prefix: str | None = None,
    log: Log = stderr_log,
) -> Iterator[LabState]:
    """A lab for the duration of the block; torn down on every way out."""
    try:
        yield lab_up(topology, state_dir, prefix=prefix, log=log)
    finally:
        if StatePaths.of(state_dir).record.exists():
            lab_down(state_dir, log=log)


# ---------------------------------------------------------------- building ----


def _new_record(topo: Topology, names: Names, paths: StatePaths, plan: NetPlan) -> LabRecord:
    return LabRecord(
        prefix=names.prefix,
        topology=topo.source,
        namespaces=list(plan.namespaces),
        root_links=list(plan.root_links),
        etc_netns=[str(sshd.ETC_NETNS / names.host_ns(h.name)) for h in topo.hosts],
        created_etc_netns=not sshd.ETC_NETNS.exists(),
        created_run_sshd=not sshd.RUN_SSHD.exists(),
        hosts=[
            HostRecord(
                name=h.name,
                mgmt_ip=str(h.mgmt_ip.ip),
                port=h.ssh_port,
                sshd=h.sshd,
                config=str(_sshd_spec(h, names, paths).config),
                pidfile=str(_sshd_spec(h, names, paths).pidfile),
            )
            for h in topo.hosts
        ],
    )


def _sshd_spec(host: HostSpec, names: Names, paths: StatePaths) -> sshd.SshdSpec:
    folder = paths.host_dir(host.name)
    return sshd.SshdSpec(
        host=host.name,
        netns=names.host_ns(host.name),
        address=str(host.mgmt_ip.ip),
        port=host.ssh_port,
        config=folder / "sshd_config",
        pidfile=folder / "sshd.pid",
        logfile=folder / "sshd.log",
        host_key=folder / "ssh_host_ed25519_key",
        authorized_keys=folder / "authorized_keys",
    )


def _build(topo: Topology, names: Names, paths: StatePaths, plan: NetPlan, log: Log) -> None:
    password = secrets.token_urlsafe(18)
    write_private(paths.password, password + "\n")
    specs = [_sshd_spec(h, names, paths) for h in topo.hosts]
    shutil.rmtree(paths.root / "hosts", ignore_errors=True)
    for spec in specs:
        spec.config.parent.mkdir(parents=True)
    sshd.generate_keys([s.host_key for s in specs] + [paths.client_key])
    _write_host_files(topo, names, paths, specs, sshd.hash_password(password))
    _install_bin(paths)
    netbuild.apply_plan(plan, log)
    to_start = [s for s, h in zip(specs, topo.hosts, strict=True) if h.sshd]
    sshd.start(to_start)
    log(f"sshd listening on {len(to_start)} of {len(specs)} hosts")
    known = [(s.address, s.port, sshd.public_key(s.host_key)) for s in specs]
    paths.known_hosts.write_text(render_known_hosts(known), encoding="utf-8")
    paths.inventory.write_text(render_inventory(topo), encoding="utf-8")
    truth = json.dumps(ground_truth(topo), indent=1) + "\n"
    paths.ground_truth.write_text(truth, encoding="utf-8")


def _write_host_files(
    topo: Topology, names: Names, paths: StatePaths, specs: list[sshd.SshdSpec], root_hash: str
) -> None:
    real_passwd = Path("/etc/passwd").read_text(encoding="utf-8")
    client_pub = sshd.public_key(paths.client_key)
    sshd.RUN_SSHD.mkdir(mode=0o755, exist_ok=True)
    for host, spec in zip(topo.hosts, specs, strict=True):
        folder = spec.config.parent
        shell = folder / "shell"
        (folder / "host.env").write_text(render_host_env(host, names, paths), encoding="utf-8")
        (folder / "vmks.tsv").write_text(render_vmks_tsv(topo, host, names), encoding="utf-8")
        (folder / "netstacks.tsv").write_text(render_netstacks_tsv(host, names), encoding="utf-8")
        (folder / "cost").write_text(render_cost(topo.lab), encoding="utf-8")
        (folder / "variant").write_text(host.esxcli_variant + "\n", encoding="utf-8")
        shell.write_text(render_shell(host, paths), encoding="utf-8")
        shell.chmod(0o755)
        spec.config.write_text(sshd.render_sshd_config(spec), encoding="utf-8")
        spec.authorized_keys.write_text(client_pub + " lab-client\n", encoding="utf-8")
        sshd.write_etc_netns(
            names.host_ns(host.name),
            sshd.render_passwd(real_passwd, folder, shell),
            sshd.render_shadow(real_passwd, root_hash),
        )


def _install_bin(paths: StatePaths) -> None:
    """Copy the emulated ESXi commands to STATE/bin (0755)."""
    shutil.rmtree(paths.bin, ignore_errors=True)
    paths.bin.mkdir()
    if not BIN_SOURCE.is_dir():
        return
    for item in sorted(BIN_SOURCE.iterdir()):
        if item.is_file() and not item.name.startswith("."):
            target = paths.bin / item.name
            shutil.copyfile(item, target)
            target.chmod(0o755)


# ---------------------------------------------------------------- tearing down ----


def _cleanup_previous(paths: StatePaths, names: Names, log: Log) -> None:
    previous = LabRecord.load(paths)
    if previous is not None and previous.status != "down":
        log(f"removing the previous lab of {paths.root} (prefix {previous.prefix})")
    if previous is not None:
        _teardown(previous, Names(previous.prefix), paths, log, quiet=True)
    leftovers = [n for n in machine.existing_netns() if names.owns_netns(n)]
    leftovers += [n for n in machine.existing_root_links() if names.owns_root_link(n)]
    leftovers += [n for n in _etc_netns_entries() if names.owns_netns(n)]
    if leftovers:
        log(f"removing {len(leftovers)} leftovers of prefix {names.prefix}")
        _teardown(LabRecord(prefix=names.prefix), names, paths, log, quiet=True, save=False)


def _etc_netns_entries() -> list[str]:
    try:
        return sorted(os.listdir(sshd.ETC_NETNS))
    except FileNotFoundError:
        return []


@dataclass(frozen=True)
class Removed:
    """What a teardown found and removed (each was there before and is gone after)."""

    namespaces: int = 0
    root_links: int = 0
    processes: int = 0
    etc_netns: int = 0

    def __str__(self) -> str:
        return (
            f"{self.namespaces} namespaces, {self.root_links} root links, {self.processes} processes, "
            f"{self.etc_netns} /etc/netns entries"
        )


def _teardown(
    record: LabRecord, names: Names, paths: StatePaths, log: Log, *, quiet: bool = False, save: bool = True
) -> Removed:
    """Undo a lab: processes, root links, namespaces, /etc/netns entries; verify nothing is left."""
    namespaces = set(record.namespaces) | {n for n in machine.existing_netns() if names.owns_netns(n)}
    links = set(record.root_links) | {n for n in machine.existing_root_links() if names.owns_root_link(n)}
    folders = {Path(p) for p in record.etc_netns}
    folders |= {sshd.ETC_NETNS / n for n in _etc_netns_entries() if names.owns_netns(n)}
    folders = {f for f in folders if f.parent == sshd.ETC_NETNS}
    ns_before = set(machine.existing_netns()) & namespaces
    links_before = set(machine.existing_root_links()) & links
    folders_before = {f for f in folders if f.exists()}
    pids = {sshd.pid_of(Path(h.pidfile), Path(h.config)) for h in record.hosts} - {None}
    targets = {p for p in pids if p is not None} | set(machine.netns_pids(namespaces))
    running = {p for p in targets if machine.process_state(p) not in (None, "Z")}
    stuck = machine.kill_pids(targets)
    if stuck:
        raise LabError(f"processes {stuck} in the lab's namespaces did not exit")
    machine.delete_network(sorted(namespaces), sorted(links))
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    if record.created_etc_netns:
        _rmdir_if_empty(sshd.ETC_NETNS)
    if record.created_run_sshd and not sshd.sshd_processes():
        _rmdir_if_empty(sshd.RUN_SSHD)
    left = [n for n in machine.existing_netns() if n in namespaces]
    left += [n for n in machine.existing_root_links() if n in links]
    left += [str(f) for f in folders if f.exists()]
    if left:
        raise LabError(f"could not remove: {', '.join(left)}")
    if save and paths.record.exists():
        record.status = "down"
        record.save(paths)
    removed = Removed(
        namespaces=len(ns_before - set(machine.existing_netns())),
        root_links=len(links_before - set(machine.existing_root_links())),
        processes=len({p for p in running if machine.process_state(p) in (None, "Z")}),
        etc_netns=len({f for f in folders_before if not f.exists()}),
    )
    if not quiet:
        log(f"removed {removed} (prefix {names.prefix})")
    return removed


def _rmdir_if_empty(folder: Path) -> None:
    with suppress(OSError):
        folder.rmdir()
