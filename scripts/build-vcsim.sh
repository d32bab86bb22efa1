#!/usr/bin/env bash
# Build the vCenter simulator (vcsim/, Go, over Debian's govmomi simulator library) into build/vcsim/vcsim.
# Installs golang-go and golang-github-vmware-govmomi-dev with apt when missing (as root). Offline: no Go
# module proxy is used, only the Debian packages. Quick when the binary is up to date with its sources.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v go >/dev/null || [ -x /usr/lib/go/bin/go ] || need_apt+=(golang-go)
[ -d /usr/share/gocode/src/github.com/vmware/govmomi/simulator ] || need_apt+=(golang-github-vmware-govmomi-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "build-vcsim: apt-get install ${need_apt[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${need_apt[@]}" >/dev/null
fi
python=python3
[ -x .venv/bin/python ] && python=.venv/bin/python
# the Python builder owns the build (flags, cache, up-to-date check), so tests and this script agree
"$python" -c 'import sys; sys.path.insert(0, "."); from validator.lab.vcsim import build_vcsim; print(build_vcsim())'
