"""Labs for the validator's integration tests: built once per module, always torn down."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "lab"


def lab_missing() -> str | None:
    """Why lab tests cannot run here, or None."""
    if not sys.platform.startswith("linux"):
        return "the lab needs Linux network namespaces"
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces, sshd)"
    for tool in ("ip", "ping", "nsenter", "ssh-keygen", "openssl"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (run scripts/install.sh)"
    if not Path("/usr/sbin/sshd").exists():
        return "openssh-server is not installed (run scripts/install.sh)"
    return None


@dataclass(frozen=True)
class Lab:
    state: Path
    password: str

    @property
    def inventory(self) -> Path:
        return self.state / "inventory.toml"

    @property
    def ground_truth(self) -> Path:
        return self.state / "ground_truth.json"


def running(topology: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    reason = lab_missing()
    if reason:
        pytest.skip(reason)
    from validator.lab.api import running_lab

    state = tmp_path_factory.mktemp("lab") / "state"
    with running_lab(topology, state):
        yield Lab(state, (state / "password").read_text().strip())


@pytest.fixture(scope="module")
def demo_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    yield from running(SAMPLES / "demo.toml", tmp_path_factory)


@pytest.fixture(scope="module")
def alt_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    yield from running(SAMPLES / "alt.toml", tmp_path_factory)
