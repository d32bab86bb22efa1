"""The simulator binary for any test that needs it: built once, a skip only where Go/govmomi cannot be had."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from validator.errors import LabError
from validator.lab.vcsim import APT_PACKAGES, REPO_ROOT, build_vcsim


def _toolchain_present() -> bool:
    return Path("/usr/share/gocode/src/github.com/vmware/govmomi/simulator").is_dir() and (
        subprocess.run(["sh", "-c", "command -v go || test -x /usr/lib/go/bin/go"], capture_output=True).returncode == 0
    )


def vcsim_binary_or_skip() -> Path:
    """The built simulator; skip when the toolchain cannot be installed, fail when the build breaks."""
    if not _toolchain_present() and os.geteuid() == 0:
        subprocess.run([str(REPO_ROOT / "scripts" / "build-vcsim.sh")], capture_output=True)
    if not _toolchain_present():
        pytest.skip(f"Go/govmomi not installable here: apt-get install {' '.join(APT_PACKAGES)} failed or not root")
    try:
        return build_vcsim()
    except LabError as exc:  # a compile error is a failure, not a skip
        pytest.fail(str(exc))
