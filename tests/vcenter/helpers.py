"""Running the CLI against the simulator, and reading its TSM-SSH state through pyVmomi."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyVim.connect
import pyVmomi

from validator.lab.vcsim import REPO_ROOT, VcsimEndpoint
from validator.vcenter.settings import VCenterSettings

vim: Any = pyVmomi.vim
pyvim: Any = pyVim.connect

PASSWORD_ENV = "VMOTION_VALIDATOR_VC_PASSWORD"


def settings_for(vc: VcsimEndpoint, **changes: Any) -> VCenterSettings:
    return VCenterSettings(host=vc.host, port=vc.port, username=vc.username, ca_file=vc.ca_file, **changes)


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "validator.cli", *args]


def run_cli(vc: VcsimEndpoint, *args: str, password: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, PASSWORD_ENV: vc.password if password is None else password}
    return subprocess.run(cli_command(*args), env=env, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)


def vc_args(vc: VcsimEndpoint) -> list[str]:
    return ["--vcenter", f"{vc.host}:{vc.port}", "--vc-user", vc.username, "--vc-ca-file", str(vc.ca_file)]


def ssh_states(vc: VcsimEndpoint) -> dict[str, bool | None]:
    """host name -> TSM-SSH running, read from the simulator by pyVmomi (connected hosts only)."""
    context = ssl.create_default_context(cafile=str(vc.ca_file))
    si = pyvim.SmartConnect(host=vc.host, port=vc.port, user=vc.username, pwd=vc.password, sslContext=context)
    try:
        content = si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
        states: dict[str, bool | None] = {}
        for host in view.view:
            system = host.configManager.serviceSystem
            states[host.name] = (
                next((s.running for s in system.serviceInfo.service if s.key == "TSM-SSH"), None) if system else None
            )
        view.DestroyView()
        return states
    finally:
        pyvim.Disconnect(si)


def write_inventory(path: Path, vc: VcsimEndpoint, ssh_port: int, connect_timeout: float = 2.0) -> Path:
    path.write_text(
        f"""
[ssh]
username = "root"
port = {ssh_port}
connect_timeout = {connect_timeout}

[vcenter]
server = "{vc.host}:{vc.port}"
username = "{vc.username}"
ca_file = "{vc.ca_file}"
""",
        encoding="utf-8",
    )
    return path
