"""Fixtures of the vCenter tests: the simulator binary and a model none of the other tests use."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.vcenter.models import unseen_model
from validator.errors import LabError
from validator.lab.vcsim import APT_PACKAGES, REPO_ROOT, VcsimEndpoint, build_vcsim, running_vcsim


def _toolchain_present() -> bool:
    return Path("/usr/share/gocode/src/github.com/vmware/govmomi/simulator").is_dir() and (
        subprocess.run(["sh", "-c", "command -v go || test -x /usr/lib/go/bin/go"], capture_output=True).returncode == 0
    )


@pytest.fixture(scope="session")
def vcsim_binary() -> Path:
    if not _toolchain_present():
        subprocess.run([str(REPO_ROOT / "scripts" / "build-vcsim.sh")], capture_output=True)
    if not _toolchain_present():
        pytest.skip(f"Go/govmomi not installable here: apt-get install {' '.join(APT_PACKAGES)}")
    try:
        return build_vcsim()
    except LabError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def model() -> dict[str, Any]:
    return unseen_model()


@pytest.fixture(scope="session")
def vc(vcsim_binary: Path, model: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[VcsimEndpoint]:
    """The unseen model served for the session; tests using it must not change it."""
    with running_vcsim(model, tmp_path_factory.mktemp("vcsim"), binary=vcsim_binary) as endpoint:
        yield endpoint
