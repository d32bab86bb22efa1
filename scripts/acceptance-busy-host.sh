#!/bin/sh
# Acceptance of the busy-host behaviour on the lab (root; minutes, not a test): every pair passes with default
# options on 32 hosts x 2 vmks whose emulated vmkping burns 50 ms of CPU each, and on 64 hosts x 2 vmks of
# the normal lab. Prints bench_mesh's figures (pairs passed, wall time, validator CPU per probe, pacing).
set -eu
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
uptime
"$python" benchmarks/bench_mesh.py --hosts 32 --vmks 2 --vmkping-cpu-ms 50 --no-floor
uptime
"$python" benchmarks/bench_mesh.py --hosts 64 --vmks 2 --no-floor
uptime
