#!/usr/bin/env bash
# Install what the lab and the validator need, on Debian/Ubuntu, as root; with --tests also what only the
# tests need (the test tools of the "test" extra, headless Chromium for the HTML report, Go + govmomi for the
# vCenter simulator).
# Idempotent: quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
with_tests=false
[ "${1:-}" = "--tests" ] && with_tests=true

need_apt=()
command -v ip >/dev/null || need_apt+=(iproute2)
command -v ping >/dev/null || need_apt+=(iputils-ping)
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v ssh-keygen >/dev/null || need_apt+=(openssh-client)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v nsenter >/dev/null || need_apt+=(util-linux)
command -v awk >/dev/null || need_apt+=(mawk)
command -v tc >/dev/null || need_apt+=(iproute2)
command -v busybox >/dev/null || need_apt+=(busybox)
command -v python3 >/dev/null || need_apt+=(python3 python3-venv)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "install: apt-get install ${need_apt[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
# the packaged sshd must not run on the machine itself: the lab starts its own, one per emulated host
# .venv: the package (editable) and its runtime dependencies; with --tests also the test tools (the
# "test" extra). A marker per level, newer than pyproject.toml, makes a second run quick.
marker=.venv/.installed-runtime
spec='.'
if $with_tests; then
    marker=.venv/.installed-tests
    spec='.[test]'
fi
if [ ! -f "$marker" ] || [ pyproject.toml -nt "$marker" ]; then
    echo "install: python environment in .venv ($spec)" >&2
    python3 -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e "$spec"
    touch "$marker" .venv/.installed-runtime  # the test level includes the runtime
fi

if $with_tests; then
    # headless Chromium + chromedriver: the HTML report's browser tests
    if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
        echo "install: apt-get install chromium chromium-driver" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
    fi
    # the vCenter simulator: Go + govmomi from Debian, built into build/vcsim/
    ./scripts/build-vcsim.sh
fi
