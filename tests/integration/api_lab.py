"""A lab and the vCenter simulator bound to it, for the tests of the API probe path (no SSH).

The lab's SSH run is measured first (sshd up); then every lab host's sshd is stopped, so an API run that
succeeds proves that no SSH connection was needed.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.lab.conftest import lab_missing, own_topology
from tests.vcsim.binary import vcsim_binary_or_skip
from validator.lab.api import LabState
from validator.lab.state import LabRecord
from validator.models import PairResult
from validator.report import Report

PASSWORD_ENV = "VMOTION_VALIDATOR_VC_PASSWORD"

Verdict = tuple[str, str | None, bool | None, bool | None, int | None]


@dataclass(frozen=True)
class Served:
    """A running lab, and how to start simulators bound to it."""

    lab: LabState
    workdir: Path

    def model(self, **host_api: str) -> dict[str, Any]:
        """The simulator's model of the lab; ``esx02="hang"`` sets a host's ``api`` knob."""
        from validator.lab.vcsim import vcenter_model

        model = vcenter_model(self.lab.topology, self.lab.paths)
        for host in model["hosts"]:
            host["api"] = host_api.get(host["name"], "ok")
        return model


@contextmanager
def served_lab(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if reason := lab_missing():
        pytest.skip(reason)
    vcsim_binary_or_skip()
    from validator.lab.api import running_lab

    state = tmp_path_factory.mktemp("lab") / "state"
    with running_lab(own_topology(sample.read_text(encoding="utf-8"), str(sample)), state) as lab:
        yield Served(lab, tmp_path_factory.mktemp("vcsim"))


def stop_every_sshd(lab: LabState) -> int:
    """Stop the sshd of every lab host (for good); how many were running."""
    from validator.lab import sshd

    record = LabRecord.load(lab.paths)
    assert record is not None
    stopped = 0
    for host in record.hosts:
        pid = sshd.pid_of(Path(host.pidfile), Path(host.config))
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            stopped += 1
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        sshd.pid_of(Path(h.pidfile), Path(h.config)) for h in record.hosts
    ):
        time.sleep(0.05)
    return stopped


def lab_sshd_running(lab: LabState) -> list[str]:
    from validator.lab import sshd

    record = LabRecord.load(lab.paths)
    assert record is not None
    return [h.name for h in record.hosts if sshd.pid_of(Path(h.pidfile), Path(h.config)) is not None]


def verdict(pair: PairResult) -> Verdict:
    return (pair.status.value, pair.reason.value if pair.reason else None, pair.routed, pair.mtu_ok, pair.max_mtu)


def verdicts(report: Report) -> dict[tuple[str, ...], Verdict]:
    return {p.plan.key: verdict(p) for p in report.pairs}


def vc_args(vc: Any) -> list[str]:
    return ["--vcenter", f"{vc.host}:{vc.port}", "--vc-user", vc.username, "--vc-ca-file", str(vc.ca_file)]


def saved(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    return data


def everything_written(folder: Path, *streams: str) -> str:
    """stdout, stderr and every file written: where a secret must not appear."""
    files = [p.read_text(encoding="utf-8", errors="replace") for p in folder.iterdir() if p.is_file()]
    return "\n".join([*streams, *files])
