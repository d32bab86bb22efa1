"""What ``pip install .`` installs: pyVmomi and the other runtime dependencies, never the test tools, and a
``vmotion-validator`` command that works outside the source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_TOOLS = {"pytest", "hypothesis", "mypy", "ruff", "selenium", "xmlschema"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built without the network (setuptools from the test extra) from a copy of what the
    package is made of, so the build neither scans nor writes the checkout."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in ("validator", "checks", "reports"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out),
                    str(source)], check=True, capture_output=True, timeout=600, cwd=out)
    (built,) = out.glob("vmotion_validator-*.whl")
    return built


def _requires(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode())
    return metadata.get_all("Requires-Dist") or []


def test_runtime_dependencies_hold_pyvmomi_and_no_test_tool(wheel: Path) -> None:
    runtime = {r.split(";")[0].split(">")[0].split("=")[0].strip().lower() for r in _requires(wheel)
               if "extra ==" not in r}
    assert {"paramiko", "pyvmomi", "tabulate", "jsonschema"} <= runtime
    assert not runtime & TEST_TOOLS


def test_installed_command_runs_outside_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    # the dependencies are this environment's; the package itself only the installed copy (PYTHONPATH first)
    env = {**os.environ, "PYTHONPATH": str(target)}
    command = target / "bin" / "vmotion-validator"
    where = subprocess.run([sys.executable, "-c", "import validator, reports, checks; print(validator.__file__)"],
                           env=env, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(target))
    for args in (["--help"], ["discover", "--help"], ["validate", "--help"], ["checks"]):
        proc = subprocess.run([sys.executable, str(command), *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
    listed = subprocess.run([sys.executable, str(command), "checks"], env=env, cwd=tmp_path, capture_output=True,
                            text=True, check=True).stdout
    assert "mtu_consistency" in listed and "vcenter_drift" in listed
    assert (target / "validator" / "lab" / "bin").is_dir() and any((target / "validator" / "schemas").glob("*.json"))
