"""Wrong password, unreachable vCenter, untrusted certificate: one line on stderr, exit 2, no password."""

from __future__ import annotations

import os
import socket
import subprocess

import pytest

from tests.vcenter.helpers import PASSWORD_ENV, cli_command, run_cli
from validator.errors import VCenterAuthError, VCenterCertificateError, VCenterConnectError
from validator.lab.vcsim import REPO_ROOT, VcsimEndpoint
from validator.vcenter.connect import connect, disconnect
from validator.vcenter.settings import VCenterSettings

WRONG = "Wr0ng-S3cret-value!"


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_wrong_password(vc: VcsimEndpoint) -> None:
    proc = run_cli(vc, "discover", "--vcenter", f"{vc.host}:{vc.port}", "--vc-user", vc.username,
                   "--vc-ca-file", str(vc.ca_file), password=WRONG)
    assert proc.returncode == 2
    line = _one_line(proc.stderr)
    assert "login refused" in line
    assert WRONG not in proc.stdout + proc.stderr


def test_unreachable() -> None:
    port = _free_port()
    proc = run_cli_plain("discover", "--vcenter", f"127.0.0.1:{port}")
    assert proc.returncode == 2
    assert "cannot connect" in _one_line(proc.stderr)


def test_untrusted_certificate(vc: VcsimEndpoint) -> None:
    proc = run_cli(vc, "discover", "--vcenter", f"{vc.host}:{vc.port}", "--vc-user", vc.username)
    assert proc.returncode == 2
    line = _one_line(proc.stderr)
    assert "certificate not trusted" in line and "--vc-ca-file" in line
    assert vc.password not in proc.stdout + proc.stderr


def test_insecure_is_a_warning_and_works(vc: VcsimEndpoint) -> None:
    proc = run_cli(vc, "discover", "--vcenter", f"{vc.host}:{vc.port}", "--vc-user", vc.username, "--insecure")
    assert proc.returncode == 0, proc.stderr
    assert "WARNING: not verifying the TLS certificate" in proc.stderr


def test_typed_errors_never_hold_the_password(vc: VcsimEndpoint) -> None:
    base = VCenterSettings(host=vc.host, port=vc.port, username=vc.username, ca_file=vc.ca_file)
    with pytest.raises(VCenterAuthError) as auth:
        connect(base, WRONG)
    assert WRONG not in str(auth.value) and auth.value.__cause__ is None and auth.value.__suppress_context__
    with pytest.raises(VCenterCertificateError):
        connect(VCenterSettings(host=vc.host, port=vc.port, username=vc.username), vc.password)
    with pytest.raises(VCenterConnectError):
        connect(VCenterSettings(host="127.0.0.1", port=_free_port()), WRONG)
    disconnect(connect(base, vc.password))


def run_cli_plain(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, PASSWORD_ENV: WRONG}
    proc = subprocess.run(cli_command(*args), env=env, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)
    assert WRONG not in proc.stdout + proc.stderr
    return proc
