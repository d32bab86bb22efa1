#!/usr/bin/env bash
# Usage: scripts/lab-churn.sh PREFIX [SECONDS]   (root; default 120 seconds)
#
# Brings a small generated lab (2 hosts, 1 vMotion vmk each) with the given name prefix up and down in a
# loop for a bounded time, then removes it and its state directory: a neighbour that keeps changing the
# machine's namespaces, links and sshd processes while other labs (the test suite) run beside it.
# Its management network is a free 198.18.N.0/24 with N in 224-247, outside the tests' pool (64-191) and
# the samples' subnets. Use a prefix of your own: `lab up` replaces whatever already runs under it.
# Exit status: 0 every cycle came up healthy and went down; 1 some cycle failed; 2 bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${1:-}
seconds=${2:-120}
if [[ ! $prefix =~ ^[a-z][a-z0-9]{0,9}$ ]] || [[ ! $seconds =~ ^[0-9]+$ ]]; then
    echo "usage: $0 PREFIX [SECONDS]   (PREFIX: [a-z][a-z0-9]{0,9})" >&2
    exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "lab-churn: needs root (the lab creates network namespaces)" >&2
    exit 2
fi
python=.venv/bin/python
[ -x "$python" ] || python=python3

octet=
for n in $(seq 224 247); do
    if ! ip -4 -o route show table all | grep -q "198\.18\.$n\."; then octet=$n; break; fi
done
if [ -z "$octet" ]; then
    echo "lab-churn: no free management /24 in 198.18.224-247.0" >&2
    exit 1
fi

state=$(mktemp -d "/tmp/lab-churn-$prefix.XXXXXX")
topology=$state.toml
cycles=0
failures=0
cleanup() {
    echo "lab-churn: prefix $prefix: $cycles cycles, $failures failures" >&2
    if [ -f "$state/lab.json" ]; then
        "$python" -m validator.cli lab down --state "$state" 2>/dev/null || \
            echo "lab-churn: final lab down of $state failed" >&2
    fi
    rm -rf "$state" "$topology"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$python" -m validator.lab.generate --hosts 2 --vmks 1 | sed "s/\"198\.18\.255\./\"198.18.$octet./g" > "$topology"

echo "lab-churn: prefix $prefix, mgmt 198.18.$octet.0/24, state $state, for ${seconds}s" >&2
deadline=$((SECONDS + seconds))
while [ "$SECONDS" -lt "$deadline" ]; do
    cycles=$((cycles + 1))
    if ! out=$("$python" -m validator.cli lab up --topology "$topology" --prefix "$prefix" --state "$state" 2>&1 >/dev/null); then
        failures=$((failures + 1))
        echo "lab-churn: cycle $cycles: up failed: $(tail -n 1 <<<"$out")" >&2
    elif ! out=$("$python" -m validator.cli lab status --state "$state" 2>&1); then
        failures=$((failures + 1))
        echo "lab-churn: cycle $cycles: not healthy: $(tail -n 1 <<<"$out")" >&2
    fi
    if ! out=$("$python" -m validator.cli lab down --state "$state" 2>&1); then
        failures=$((failures + 1))
        echo "lab-churn: cycle $cycles: down failed: $(tail -n 1 <<<"$out")" >&2
    fi
done
[ "$failures" -eq 0 ]
