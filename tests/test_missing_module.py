"""pyVmomi is a dependency of the package; a module that is missing anyway ends a command in one line."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys

from validator.lab.vcsim import REPO_ROOT

# the command line with pyVmomi made unimportable (None in sys.modules: `import pyVmomi` raises
# ModuleNotFoundError), as in an environment where it was never installed
_WITHOUT_PYVMOMI = (
    "import sys; sys.modules['pyVmomi'] = None; "
    "from validator.cli import main; sys.exit(main(sys.argv[1:]))"
)


def test_pyvmomi_is_a_runtime_dependency() -> None:
    requires = importlib.metadata.requires("vmotion-validator") or []
    runtime = [r for r in requires if "extra ==" not in r]
    assert any(re.match(r"pyvmomi\b", r, re.IGNORECASE) for r in runtime), requires


def test_discover_without_pyvmomi_is_one_line_not_a_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _WITHOUT_PYVMOMI, "discover", "--vcenter", "127.0.0.1:9", "--insecure"],
        capture_output=True, text=True, timeout=60, cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "VMOTION_VALIDATOR_VC_PASSWORD": "unused"},
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("vmotion-validator: WARNING")]
    assert errors == [
        "vmotion-validator: error: the Python module 'pyVmomi' is not installed; reinstall vmotion-validator "
        "with its dependencies (pip install . in its source tree)"
    ]
