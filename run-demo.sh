#!/usr/bin/env bash
# The demo: install, lab up (samples/lab/demo.toml), full validation, report, lab down. Run as root.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/install.sh
exec .venv/bin/vmotion-validator demo "$@"
