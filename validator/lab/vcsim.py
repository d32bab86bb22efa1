"""vCenter simulator harness: a lab topology as a vCenter inventory, served by the Go program in vcsim/.

    model = vcenter_model(load_topology(Path("samples/lab/vcenter.toml")))
    model = vcenter_model(lab.topology, lab.paths)  # or: each host bound to a running lab's host
    with running_vcsim(model, workdir) as vc:      # builds build/vcsim/vcsim once, serves on 127.0.0.1
        SmartConnect(host=vc.host, port=vc.port, user=vc.username, pwd=vc.password,
                     sslContext=ssl.create_default_context(cafile=str(vc.ca_file)))

The model (JSON, what vcsim/model.go reads):

    {"datacenter": "dc1", "clusters": ["c1", ...],
     "hosts": [{"name": "esx01", "cluster": "c1", "management_ip": "198.18.255.11",
                "connection_state": "connected|disconnected|notResponding", "maintenance": false,
                "lockdown": "lockdownDisabled|lockdownNormal|lockdownStrict", "tsm_ssh": true,
                "portgroups": ["App-A"],                      # besides the vmks' port groups
                "netstacks": [{"key": "vmotion", "gateway": "198.19.1.1", "gateway6": "2001:db8:1::1"}],
                "vmks": [{"device": "vmk1", "portgroup": "vMotion-1", "netstack": "vmotion",
                          "ip": "198.19.1.11/24", "ip6": ["2001:db8:1::11/64"], "mtu": 9000,
                          "enabled": true, "gateway": "198.19.1.1", "services": ["vmotion"]}],
                "vms": [{"name": "app01", "networks": ["App-A"]}],
                "api": "ok|fault|hang|no-permission",
                "lab": {"host_dir": "/STATE/hosts/esx01", "vmkping": "/STATE/bin/vmkping"}}],
     "expire_sessions_after_calls": 0}

``services`` are HostVirtualNicManager nic types (vmotion, faultToleranceLogging, management, vsan, ...).
``enabled`` has no vSphere property (HostVirtualNicSpec has no such field): it is kept, not served.
A disconnected host is served without ``config``, as vCenter does.

esxcli ``network diag ping`` through the vSphere API (HostSystem.RetrieveManagedMethodExecuter, then
ExecuteSoap; vcsim/API.md) runs the lab's own ``vmkping`` for the host named by ``lab`` (its lab directory
is VMV_HOSTDIR), so its answers are the lab's ground truth; a host without ``lab`` answers with a fault.
``api`` makes a host fault every call, never answer, or refuse it (NoPermission).
``expire_sessions_after_calls`` (0 = never) logs a session out after that many ExecuteSoap calls.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.errors import LabError
from validator.lab.state import StatePaths
from validator.lab.topology import HostSpec, Topology, VmkSpec
from validator.models import DEFAULT_NETSTACK, VMOTION_NETSTACK

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIR = REPO_ROOT / "vcsim"
DEFAULT_BUILD_DIR = REPO_ROOT / "build" / "vcsim"
GOVMOMI_DIR = Path("/usr/share/gocode/src/github.com/vmware/govmomi/simulator")
APT_PACKAGES = ("golang-go", "golang-github-vmware-govmomi-dev")
DEFAULT_USERNAME = "administrator@vsphere.local"
MANAGEMENT_PORTGROUP = "Management Network"

# esxcli tag (lab topology) -> HostVirtualNicManager nic type (vSphere API)
TAG_SERVICES = {
    "Management": "management",
    "VMotion": "vmotion",
    "faultToleranceLogging": "faultToleranceLogging",
    "vSphereReplication": "vSphereReplication",
    "vSphereReplicationNFC": "vSphereReplicationNFC",
    "vSphereProvisioning": "vSphereProvisioning",
    "VSAN": "vsan",
    "VSANWitness": "vsanWitness",
    "vSphereBackupNFC": "vSphereBackupNFC",
    "PrecisionTimeProtocol": "ptp",
    "NVMeTCP": "nvmeTcp",
    "NVMeRDMA": "nvmeRdma",
}
LOCKDOWN_MODES = {"disabled": "lockdownDisabled", "normal": "lockdownNormal", "strict": "lockdownStrict"}


@dataclass(frozen=True)
class VcsimEndpoint:
    """Where a running simulator answers and how to log in and verify its certificate."""

    host: str
    port: int
    url: str  # https://127.0.0.1:PORT/sdk
    username: str
    password: str
    ca_file: Path  # PEM CA that signed the server certificate (for --vc-ca-file / cafile=)
    thumbprint: str  # SHA-1 of the server certificate, AA:BB:..
    thumbprint_sha256: str
    pid: int
    state_dir: Path
    log_file: Path


def vcenter_model(topology: Topology, lab: StatePaths | None = None, vcenter: str | None = None) -> dict[str, Any]:
    """The simulator's JSON model of a lab topology (pure): every host, or those of one ``vcenter``; with the
    state directory of a running lab of that topology, each host is bound to its lab host (network diag ping
    through the API pings from it)."""
    hosts = [h for h in topology.hosts if vcenter is None or h.vcenter.vcenter == vcenter]
    clusters: list[str] = []
    for host in hosts:
        if host.vcenter.cluster not in clusters:
            clusters.append(host.vcenter.cluster)
    return {
        "datacenter": topology.lab.datacenter,
        "clusters": clusters,
        "hosts": [_host_model(topology, host, lab) for host in hosts],
    }


def vcenter_models(topology: Topology, lab: StatePaths | None = None) -> dict[str, dict[str, Any]]:
    """One model per vCenter the topology's hosts name (``vcenter`` host key), in order of first use (pure)."""
    names = list(dict.fromkeys(h.vcenter.vcenter for h in topology.hosts))
    return {name: vcenter_model(topology, lab, name) for name in names}


def lab_binding(lab: StatePaths, host: str) -> dict[str, str]:
    """Where the lab host's directory and the lab's vmkping are (the model's ``lab``)."""
    return {"host_dir": str(lab.host_dir(host)), "vmkping": str(lab.bin / "vmkping")}


def _host_model(topology: Topology, host: HostSpec, lab: StatePaths | None) -> dict[str, Any]:
    vc = host.vcenter
    vmotion: dict[str, Any] = {"key": VMOTION_NETSTACK}
    if host.gateway is not None:
        vmotion["gateway"] = str(host.gateway)
    if host.gateway6 is not None:
        vmotion["gateway6"] = str(host.gateway6)
    vmk0 = {
        "device": "vmk0",
        "portgroup": MANAGEMENT_PORTGROUP,
        "netstack": DEFAULT_NETSTACK,
        "ip": str(host.mgmt_ip),
        "mtu": topology.lab.mgmt_mtu,
        "enabled": True,
        "services": ["management"],
    }
    model: dict[str, Any] = {
        "name": host.name,
        "cluster": vc.cluster,
        "management_ip": str(host.mgmt_ip.ip),
        "connection_state": vc.connection_state,
        "maintenance": vc.maintenance,
        "lockdown": LOCKDOWN_MODES[vc.lockdown],
        "tsm_ssh": vc.tsm_ssh,
        "portgroups": list(vc.portgroups),
        "netstacks": [{"key": DEFAULT_NETSTACK}, vmotion],
        "vmks": [vmk0, *(_vmk_model(v) for v in sorted(host.vmks, key=lambda v: v.number))],
        "vms": [{"name": vm.name, "networks": list(vm.networks)} for vm in vc.vms],
        "api": vc.api,
    }
    if lab is not None:
        model["lab"] = lab_binding(lab, host.name)
    return model


def _vmk_model(vmk: VmkSpec) -> dict[str, Any]:
    out: dict[str, Any] = {
        "device": vmk.name,
        "portgroup": vmk.portgroup,
        "netstack": vmk.netstack,
        "ip6": [] if vmk.ip6 is None else [str(vmk.ip6)],
        "mtu": vmk.mtu,
        "enabled": vmk.enabled,
        "services": [TAG_SERVICES[tag] for tag in vmk.tags],
    }
    if vmk.ip is not None:
        out["ip"] = str(vmk.ip)
    if vmk.gateway is not None:
        out["gateway"] = str(vmk.gateway)
    return out


def _go() -> str | None:
    found = shutil.which("go")
    if found is None and Path("/usr/lib/go/bin/go").exists():
        found = "/usr/lib/go/bin/go"
    return found


def _source_digest(go: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(SOURCE_DIR.glob("*.go")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(os.fsencode(os.path.realpath(go)))
    return digest.hexdigest()


def build_vcsim(out_dir: Path = DEFAULT_BUILD_DIR) -> Path:
    """Build vcsim/ into out_dir/vcsim (reused while its sources are unchanged); LabError names what is missing."""
    go = _go()
    if go is None or not GOVMOMI_DIR.is_dir():
        missing = [p for p, ok in zip(APT_PACKAGES, (go is not None, GOVMOMI_DIR.is_dir()), strict=True) if not ok]
        raise LabError(
            f"cannot build the vCenter simulator: missing {', '.join(missing)}; "
            f"run `apt-get install -y {' '.join(APT_PACKAGES)}` or scripts/build-vcsim.sh"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    binary, stamp = out_dir / "vcsim", out_dir / "vcsim.sha256"
    digest = _source_digest(go)
    with (out_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if binary.exists() and stamp.exists() and stamp.read_text().strip() == digest:
            return binary
        env = {
            **os.environ,
            "GO111MODULE": "off",
            "GOPATH": "/usr/share/gocode",
            "GOFLAGS": "",
            "GOCACHE": str(out_dir / "go-cache"),
            "CGO_ENABLED": "0",
        }
        tmp = out_dir / "vcsim.tmp"
        command = [go, "build", "-o", str(tmp), "./vcsim"]
        proc = subprocess.run(command, check=False, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise LabError(f"building the vCenter simulator failed:\n{proc.stderr.strip()}")
        tmp.replace(binary)
        stamp.write_text(digest + "\n")
    return binary


@contextmanager
def running_vcsim(
    model: dict[str, Any],
    workdir: Path,
    *,
    binary: Path | None = None,
    username: str = DEFAULT_USERNAME,
    password: str | None = None,
    timeout: float = 60.0,
) -> Iterator[VcsimEndpoint]:
    """Serve model on 127.0.0.1 (free port) until the block ends; the process is always stopped."""
    exe = binary or build_vcsim()
    workdir.mkdir(parents=True, exist_ok=True)
    model_file, endpoint_file, log_file = workdir / "model.json", workdir / "endpoint.json", workdir / "vcsim.log"
    model_file.write_text(json.dumps(model, indent=1), encoding="utf-8")
    endpoint_file.unlink(missing_ok=True)
    secret = password or secrets.token_urlsafe(16)
    args = [str(exe), "-model", str(model_file), "-listen", "127.0.0.1:0", "-state", str(workdir)]
    args += ["-username", username, "-log", str(log_file)]
    with log_file.open("ab") as out:
        proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env={**os.environ, "VCSIM_PASSWORD": secret}
        )
    try:
        info = _wait_ready(proc, endpoint_file, log_file, timeout)
        yield VcsimEndpoint(
            host=info["host"],
            port=int(info["port"]),
            url=info["url"],
            username=username,
            password=secret,
            ca_file=Path(info["ca_file"]),
            thumbprint=info["thumbprint"],
            thumbprint_sha256=info["thumbprint_sha256"],
            pid=proc.pid,
            state_dir=workdir,
            log_file=log_file,
        )
    finally:
        _stop(proc)


@contextmanager
def running_vcsims(
    models: dict[str, dict[str, Any]],
    workdir: Path,
    *,
    binary: Path | None = None,
    passwords: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> Iterator[dict[str, VcsimEndpoint]]:
    """One simulator per model (name -> model), each in workdir/NAME on its own port; all stopped at the end."""
    exe = binary or build_vcsim()
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(running_vcsim(model, workdir / name, binary=exe, timeout=timeout,
                                                    password=(passwords or {}).get(name)))
            for name, model in models.items()
        }


def _wait_ready(proc: subprocess.Popen[bytes], endpoint_file: Path, log_file: Path, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_file.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise LabError(f"vcsim exited with status {proc.returncode}:\n{tail}")
        if endpoint_file.exists():
            info: dict[str, Any] = json.loads(endpoint_file.read_text(encoding="utf-8"))
            with suppress(OSError), socket.create_connection(("127.0.0.1", int(info["port"])), timeout=1):
                return info
        time.sleep(0.05)
    raise LabError(f"vcsim did not answer within {timeout:.0f}s (log: {log_file})")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
