"""Labs for the validator's integration tests: built once per module, always torn down."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.lab.conftest import lab_missing

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
