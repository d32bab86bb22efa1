"""The shape of the code: no import cycles, the product CLI does not load the lab, every error is drawn."""

from __future__ import annotations

import ast
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import validator.errors

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("validator", "checks", "reports")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _top_level_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules imported when ``path`` is imported (not inside functions or TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    this = _module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in modules and name != this)
    return found


def test_no_import_cycle_among_the_projects_modules() -> None:
    modules = _modules()
    graph = {name: _top_level_imports(path, modules) for name, path in modules.items()}
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(name: str, stack: list[str]) -> None:
        for dep in sorted(graph[name]):
            if dep in stack:
                cycles.append([*stack[stack.index(dep):], dep])
            elif dep not in done:
                visit(dep, [*stack, dep])
        done.add(name)

    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
    assert cycles == []
    assert graph["validator.lab.demo"] >= {"validator.api"} and "validator.cli" not in graph["validator.lab.demo"]
    assert not any("validator.cli" in deps for deps in graph.values())


def _loaded_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint('\\n'.join(sorted(m for m in sys.modules if m.startswith('validator'))))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=False)
    return done.stdout.split()


def test_the_product_cli_does_not_import_the_lab() -> None:
    assert "validator.cli" in _loaded_after("import validator.cli")
    assert not [m for m in _loaded_after("import validator.cli") if m.startswith("validator.lab")]
    help_run = "import validator.cli\ntry:\n    validator.cli.main(['--help'])\nexcept SystemExit:\n    pass"
    assert not [m for m in _loaded_after(help_run) if m.startswith("validator.lab")]
    bad = "import validator.cli\nvalidator.cli.main(['validate', '-i', '/nonexistent/inventory.toml'])"
    loaded = _loaded_after(bad)
    assert "validator.inventory" in loaded and not [m for m in loaded if m.startswith("validator.lab")]


def test_importing_the_models_does_not_load_the_engine() -> None:
    loaded = _loaded_after("import validator.models")
    assert "validator.runner" not in loaded and "validator.transport" not in loaded


def _is_error_class(node: ast.ClassDef) -> bool:
    names = [b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "" for b in node.bases]
    return any(name.endswith(("Error", "Exception", "Timeout")) for name in names)


def test_every_exception_class_is_drawn_in_the_hierarchy() -> None:
    drawing = inspect.getdoc(validator.errors) or ""
    drawn = set(re.findall(r"^\s*(?:\|\s+)*(?:\+-- )?([A-Z]\w+)", drawing, re.M))
    missing = [
        f"{name}.{node.name}"
        for name, path in _modules().items()
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.ClassDef) and _is_error_class(node) and node.name not in drawn
    ]
    assert missing == []
    assert {"ValidatorError", "UsageError", "ReportFormatError", "LabHostError"} <= drawn


def test_public_api_names_are_the_defining_modules_objects() -> None:
    """Each name of ``validator.__all__``, loaded on first use in a fresh interpreter, is the very object its
    module defines (what the type checker sees), ``from validator import *`` gives them all, and an unknown
    name is an AttributeError."""
    probe = (
        "import importlib, json, validator\n"
        "exports = validator._EXPORTS\n"
        "same = {n: getattr(validator, n) is getattr(importlib.import_module(m), n) for n, m in exports.items()}\n"
        "star = {}\n"
        "exec('from validator import *', star)\n"
        "try:\n"
        "    validator.no_such_name\n"
        "    unknown = 'resolved'\n"
        "except AttributeError as exc:\n"
        "    unknown = str(exc)\n"
        "print(json.dumps({'all': validator.__all__, 'exports': sorted(exports), 'same': same,\n"
        "                  'star': sorted(k for k in star if not k.startswith('__')), 'unknown': unknown}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    found = json.loads(done.stdout)
    assert sorted(found["all"]) == found["exports"] == found["star"]
    assert found["same"] and all(found["same"].values()), found["same"]
    assert found["unknown"] == "module 'validator' has no attribute 'no_such_name'"
    assert {"validate", "load_inventory", "load_report", "RunOptions", "Report"} <= set(found["all"])


def test_no_package_archive_is_committed() -> None:
    """Third-party tools come from the registry through pyproject.toml's extras, never as committed archives."""
    listed = subprocess.run(["git", "ls-files", "-z"], capture_output=True, cwd=ROOT, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    archives = [name for name in listed.stdout.decode().split("\0")
                if name.endswith((".whl", ".egg", ".tar.gz", ".tgz", ".zip"))]
    assert archives == []
