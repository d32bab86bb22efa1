"""SSH listeners that never answer, or stall after their banner: an unreachable host with a clear line, and no
paramiko traceback on the terminal unless --debug asks for its log."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from validator.cli import main

BANNER = b"SSH-2.0-OpenSSH_9.2\r\n"


@pytest.fixture
def listeners() -> Iterator[dict[str, int]]:
    """Two local TCP listeners: ``silent`` accepts and says nothing, ``stall`` sends a banner and stops."""
    sockets: list[socket.socket] = []

    def listen(banner: bytes) -> int:
        server = socket.create_server(("127.0.0.1", 0))
        sockets.append(server)

        def accept() -> None:
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                sockets.append(conn)
                if banner:
                    conn.sendall(banner)

        threading.Thread(target=accept, daemon=True).start()
        port: int = server.getsockname()[1]
        return port

    yield {"silent": listen(b""), "stall": listen(BANNER)}
    for sock in sockets:
        sock.close()


def write_inventory(folder: Path, ports: dict[str, int]) -> Path:
    hosts = "".join(f'\n[[hosts]]\nname = "{name}"\naddress = "127.0.0.1"\nport = {port}\n'
                    for name, port in ports.items())
    inventory = folder / "inventory.toml"
    inventory.write_text(
        '[ssh]\nusername = "root"\npassword_env = "VMV_TEST_NO_PASSWORD"\nhost_key_policy = "accept-new"\n'
        f'known_hosts = "known_hosts"\nconnect_timeout = 1.0\n{hosts}'
    )
    return inventory


@pytest.mark.parametrize("debug", [False, True])
def test_silent_and_stalled_listeners_are_unreachable(
    listeners: dict[str, int], tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    debug: bool,
) -> None:
    from validator import transport

    monkeypatch.setenv("VMV_TEST_NO_PASSWORD", "not-a-real-password")
    monkeypatch.setattr(transport, "HANDSHAKE_SECONDS", 2.0)  # a stalled handshake is given up after 2 s, not 60
    inventory = write_inventory(tmp_path, listeners)
    out = tmp_path / "out"
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    code = main(["validate", "-i", str(inventory), "-o", str(out), "-q", *(["--debug"] if debug else [])])
    _, err = capfd.readouterr()
    assert (root.handlers, root.level) == (handlers, level)  # --debug's handler ends with the command
    assert code == 1
    hosts = {h["name"]: h for h in json.loads((out / "report.json").read_text())["hosts"]}
    assert hosts["silent"]["status"] == "unreachable"
    assert "sent no SSH banner within 1 s" in hosts["silent"]["error"]
    assert hosts["stall"]["status"] == "unreachable"
    assert "stalled after its banner (SSH-2.0-OpenSSH_9.2); gave up after 2 s" in hosts["stall"]["error"]
    assert "No existing session" not in err
    if debug:
        assert "paramiko" in err
    else:
        assert "Traceback" not in err and "paramiko" not in err
