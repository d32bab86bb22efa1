"""Session fixtures: build the simulator (skip only when Go/govmomi cannot be installed) and serve the sample."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.vcsim.client import connect, disconnect
from validator.errors import LabError
from validator.lab.topology import Topology, load_topology
from validator.lab.vcsim import APT_PACKAGES, REPO_ROOT, VcsimEndpoint, build_vcsim, running_vcsim, vcenter_model

SAMPLE = REPO_ROOT / "samples" / "lab" / "vcenter.toml"


def _toolchain_present() -> bool:
    return Path("/usr/share/gocode/src/github.com/vmware/govmomi/simulator").is_dir() and (
        subprocess.run(["sh", "-c", "command -v go || test -x /usr/lib/go/bin/go"], capture_output=True).returncode == 0
    )


@pytest.fixture(scope="session")
def vcsim_binary() -> Path:
    if not _toolchain_present() and os.geteuid() == 0:
        subprocess.run([str(REPO_ROOT / "scripts" / "build-vcsim.sh")], capture_output=True)
    if not _toolchain_present():
        pytest.skip(f"Go/govmomi not installable here: apt-get install {' '.join(APT_PACKAGES)} failed or not root")
    try:
        return build_vcsim()
    except LabError as exc:  # a compile error is a failure, not a skip
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def topology() -> Topology:
    return load_topology(SAMPLE)


@pytest.fixture(scope="session")
def model(topology: Topology) -> dict[str, Any]:
    return vcenter_model(topology)


@pytest.fixture(scope="session")
def vc(vcsim_binary: Path, model: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[VcsimEndpoint]:
    """The sample served for the whole session; tests using it must not change it."""
    with running_vcsim(model, tmp_path_factory.mktemp("vcsim"), binary=vcsim_binary) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def si(vc: VcsimEndpoint) -> Iterator[Any]:
    instance = connect(vc)
    yield instance
    disconnect(instance)


@pytest.fixture
def fresh(vcsim_binary: Path, model: dict[str, Any], tmp_path: Path) -> Iterator[tuple[VcsimEndpoint, Any]]:
    """A private simulator of the sample (for tests that change it) and a session on it."""
    with running_vcsim(model, tmp_path / "vcsim", binary=vcsim_binary) as endpoint:
        instance = connect(endpoint)
        yield endpoint, instance
        disconnect(instance)
