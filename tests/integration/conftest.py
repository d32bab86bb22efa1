"""Labs for the validator's integration tests: built once per module under their own prefix and management
subnet (never a sample's, which a person may have up on the same machine), always torn down."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.lab.conftest import lab_missing, own_topology, own_topology_text

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "lab"


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
    """A sample topology, up under the test's own prefix and management subnet."""
    with own_lab(topology.read_text(encoding="utf-8"), str(topology), tmp_path_factory) as lab:
        yield lab


@contextmanager
def own_lab(text: str, source: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A topology (TOML text), up under the test's own prefix and management subnet, for the block."""
    reason = lab_missing()
    if reason:
        pytest.skip(reason)
    from validator.lab.api import running_lab

    state = tmp_path_factory.mktemp("lab") / "state"
    with running_lab(own_topology(text, source), state):
        yield Lab(state, (state / "password").read_text().strip())


def own_sample(name: str, folder: Path) -> Path:
    """samples/lab/NAME.toml under the test's own prefix and management subnet, written into folder."""
    sample = SAMPLES / f"{name}.toml"
    path = folder / sample.name
    path.write_text(own_topology_text(sample.read_text(encoding="utf-8"), str(sample)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    yield from running(SAMPLES / "demo.toml", tmp_path_factory)


@pytest.fixture(scope="module")
def alt_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    yield from running(SAMPLES / "alt.toml", tmp_path_factory)
