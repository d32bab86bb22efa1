"""Fixtures of the vCenter tests: the simulator binary and a model none of the other tests use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.vcenter.models import unseen_model
from tests.vcsim.binary import vcsim_binary_or_skip
from validator.lab.vcsim import VcsimEndpoint, running_vcsim


@pytest.fixture(scope="session")
def vcsim_binary() -> Path:
    return vcsim_binary_or_skip()


@pytest.fixture(scope="session")
def model() -> dict[str, Any]:
    return unseen_model()


@pytest.fixture(scope="session")
def vc(vcsim_binary: Path, model: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[VcsimEndpoint]:
    """The unseen model served for the session; tests using it must not change it."""
    with running_vcsim(model, tmp_path_factory.mktemp("vcsim"), binary=vcsim_binary) as endpoint:
        yield endpoint
