"""``--enable-ssh`` starts TSM-SSH for the run and always stops it again: after a failure, after SIGINT."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import interruptible_cli
from tests.vcenter.helpers import PASSWORD_ENV, settings_for, ssh_states, write_inventory
from tests.vcenter.models import unseen_model
from validator.inventory import load_inventory
from validator.lab.vcsim import REPO_ROOT, VcsimEndpoint, running_vcsim
from validator.vcenter import run


@pytest.fixture
def fresh_vc(vcsim_binary: Path, tmp_path: Path) -> Iterator[VcsimEndpoint]:
    """A simulator of its own (these tests change service states); hosts answer at 127.0.0.1."""
    with running_vcsim(unseen_model(ssh_address="127.0.0.1"), tmp_path / "vcsim", binary=vcsim_binary) as vc:
        yield vc


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP port that accepts and never says a word: an SSH login there hangs until its timeout."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield int(server.getsockname()[1])


def test_restored_after_an_injected_failure(
    fresh_vc: VcsimEndpoint, silent_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ssh_states(fresh_vc)["hv-b2"] is False
    seen: dict[str, Any] = {}

    def failing_validate(*args: Any, **kwargs: Any) -> Any:
        seen["during"] = ssh_states(fresh_vc)["hv-b2"]
        raise RuntimeError("injected failure")

    monkeypatch.setattr(run, "validate", failing_validate)
    inventory = load_inventory(write_inventory(tmp_path / "inv.toml", fresh_vc, silent_port))
    notes: list[str] = []
    with pytest.raises(RuntimeError, match="injected"):
        run.validate_vcenter(inventory, settings_for(fresh_vc), fresh_vc.password, enable_ssh=True,
                             ssh_password="unused", notify=notes.append)
    assert seen["during"] is True
    states = ssh_states(fresh_vc)
    assert states["hv-b2"] is False
    assert all(states[name] for name in ("hv-a1", "hv-a2", "hv-b1"))  # running before: left alone
    assert "hv-b2: started TSM-SSH for this run (it was stopped)" in notes
    assert "hv-b2: stopped TSM-SSH again (restored)" in notes
    assert not any(n.startswith(("hv-a1: started", "hv-b1: started")) for n in notes)


def test_without_enable_ssh_the_host_is_not_tried(
    fresh_vc: VcsimEndpoint, silent_port: int, tmp_path: Path
) -> None:
    inventory = load_inventory(write_inventory(tmp_path / "inv.toml", fresh_vc, silent_port, connect_timeout=2))
    settings = settings_for(fresh_vc, hosts=("hv-b1", "hv-b2"))
    report = run.validate_vcenter(inventory, settings, fresh_vc.password, ssh_password="unused", notify=print)
    b2 = next(h for h in report.hosts if h.name == "hv-b2")
    assert b2.error is not None and "SSH not tried" in b2.error
    assert b2.vmks and b2.vcenter is not None  # described from vCenter alone
    assert {p.status.value for p in report.pairs if p.plan.src_host == "hv-b2"} == {"error"}
    assert any(f.check == "tsm_ssh_stopped" and f.host == "hv-b2" for f in report.findings)
    assert ssh_states(fresh_vc)["hv-b2"] is False


def test_restored_after_sigint_mid_run(fresh_vc: VcsimEndpoint, silent_port: int, tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path / "inv.toml", fresh_vc, silent_port, connect_timeout=8)
    env = {**os.environ, PASSWORD_ENV: fresh_vc.password}
    proc = subprocess.Popen(
        interruptible_cli("validate", "-i", str(inventory), "--host", "hv-a1", "--host", "hv-b2", "--enable-ssh", "-q"),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT,
    )
    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if "started TSM-SSH" in line:
            break
    assert "hv-b2: started TSM-SSH for this run (it was stopped)" in lines, lines
    time.sleep(1.0)
    assert ssh_states(fresh_vc)["hv-b2"] is True
    assert proc.poll() is None  # still mid-run: its SSH logins hang on the silent port
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "hv-b2: stopped TSM-SSH again (restored)" in out
    assert ssh_states(fresh_vc)["hv-b2"] is False
