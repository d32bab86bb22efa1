"""The run's known_hosts: read once for all connections; a key trusted on first use is known from then on."""

from __future__ import annotations

from pathlib import Path

import paramiko
import pytest

from validator.errors import HostKeyError
from validator.transport import KnownHosts


def test_the_file_is_read_once_and_keys_trusted_later_are_known_at_once(tmp_path: Path) -> None:
    key_a = paramiko.RSAKey.generate(1024)
    key_b = paramiko.RSAKey.generate(1024)
    path = tmp_path / "known_hosts"
    path.write_text(f"198.18.255.11 {key_a.get_name()} {key_a.get_base64()}\n")
    known = KnownHosts(path)
    assert [(kind, key.get_base64()) for kind, key in known.keys_for("198.18.255.11", "esx01")] == [
        ("ssh-rsa", key_a.get_base64())]
    path.unlink()  # read once: the next lookups do not go back to the file
    assert known.keys_for("198.18.255.11", "esx01") and known.keys_for("[198.18.255.12]:2222", "esx02") == []
    known.remember("[198.18.255.12]:2222", key_b)
    assert [key.get_base64() for _, key in known.keys_for("[198.18.255.12]:2222", "esx02")] == [key_b.get_base64()]
    assert path.read_text() == f"[198.18.255.12]:2222 ssh-rsa {key_b.get_base64()}\n"


def test_an_unreadable_file_is_a_host_key_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.mkdir()  # a directory where the file should be
    with pytest.raises(HostKeyError, match="cannot read known_hosts"):
        KnownHosts(path).keys_for("198.18.255.11", "esx01")
