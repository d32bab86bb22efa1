#!/usr/bin/env bash
# The whole test suite: install, lint, type-check, unit + lab integration tests. Run as root.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install.sh --tests
.venv/bin/ruff check validator checks reports tests benchmarks
.venv/bin/mypy
exec .venv/bin/python -m pytest -q "$@"
