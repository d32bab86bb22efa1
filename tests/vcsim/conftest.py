"""Session fixtures: build the simulator (skip only when Go/govmomi cannot be installed) and serve the sample."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.vcsim.binary import vcsim_binary_or_skip
from tests.vcsim.client import connect, disconnect
from validator.lab.topology import Topology, load_topology
from validator.lab.vcsim import REPO_ROOT, VcsimEndpoint, running_vcsim, vcenter_model

SAMPLE = REPO_ROOT / "samples" / "lab" / "vcenter.toml"


@pytest.fixture(scope="session")
def vcsim_binary() -> Path:
    return vcsim_binary_or_skip()


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
