"""Host-key fingerprints are shown as OpenSSH shows them, so an admin can compare with ssh-keygen -lf."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import paramiko
import pytest

from validator.models import HostTarget
from validator.ssh_settings import SshSettings
from validator.transport import map_connect_error, sha256_fingerprint


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed")
def test_fingerprint_matches_ssh_keygen(tmp_path: Path) -> None:
    key_path = tmp_path / "host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key_path)], check=True)
    keygen = subprocess.run(["ssh-keygen", "-lf", str(key_path.with_suffix(".pub"))], capture_output=True,
                            text=True, check=True).stdout.split()[1]
    key = paramiko.Ed25519Key.from_private_key_file(str(key_path))
    assert keygen.startswith("SHA256:") and sha256_fingerprint(key) == keygen

    other = paramiko.Ed25519Key.from_private_key_file(str(key_path))
    error = map_connect_error(paramiko.BadHostKeyException("198.18.255.11", key, other),
                              HostTarget("esx01", "198.18.255.11"), SshSettings(known_hosts=tmp_path / "kh"))
    assert keygen in str(error) and "CHANGED" in str(error)
