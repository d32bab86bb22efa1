"""Lab lifecycle: the CLI, exact restoration of the machine, run twice, half-built leftovers, speed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.lab.conftest import (
    SAMPLES,
    TEST_MGMT,
    machine_snapshot,
    needs_lab,
    new_prefix,
    quiet,
    run,
    sample_topology,
    ssh_connect,
)
from validator.cli import main as cli_main
from validator.errors import LabError
from validator.lab import sshd
from validator.lab.api import LabState, lab_down, lab_status, lab_up
from validator.lab.generate import generate_toml
from validator.lab.netbuild import Names, existing_netns, existing_root_links, netns_pids
from validator.lab.topology import HostSpec, Topology, parse_topology_text

ROOT = Path(__file__).resolve().parents[2]


def echo_everywhere(lab: LabState) -> None:
    """Every host with sshd answers an SSH echo with the lab's current keys and password."""
    def echo(host: HostSpec) -> tuple[int, str, str]:
        with ssh_connect(str(host.mgmt_ip.ip), lab.known_hosts, port=host.ssh_port,
                         password=lab.password()) as client:
            return run(client, "echo up")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(echo, [h for h in lab.topology.hosts if h.sshd]))
    assert results and set(results) == {(0, "up\n", "")}


def leftovers(prefix: str) -> list[str]:
    names = Names(prefix)
    found = [n for n in existing_netns() if names.owns_netns(n)]
    found += [n for n in existing_root_links() if names.owns_root_link(n)]
    if os.path.isdir("/etc/netns"):
        found += [n for n in os.listdir("/etc/netns") if names.owns_netns(n)]
    found += [f"sshd {p}" for p, cmd in sshd.sshd_processes() if f"/{prefix}" in cmd]
    return found


def test_cli_up_status_down_restores_the_machine(tmp_path: Path) -> None:
    needs_lab()
    prefix = new_prefix()
    text = (SAMPLES / "mini.toml").read_text().replace('prefix = "vmvmini"', f'prefix = "{prefix}"')
    for old, new in TEST_MGMT.items():
        text = text.replace(f'"{old}', f'"{new}')
    topology = tmp_path / "mini.toml"
    topology.write_text(text)
    state = tmp_path / "state"
    cli = [sys.executable, "-m", "validator.cli", "lab"]
    before = machine_snapshot()

    started = time.monotonic()
    up = subprocess.run([*cli, "up", "--topology", str(topology), "--state", str(state)],
                        capture_output=True, text=True, cwd=ROOT)
    up_seconds = time.monotonic() - started
    try:
        assert up.returncode == 0, up.stderr
        assert up.stdout == f'export VMOTION_VALIDATOR_PASSWORD="$(cat {state}/password)"\n'
        password = (state / "password").read_text().strip()
        assert password and password not in up.stdout + up.stderr
        assert "lab: up in" in up.stderr
        status = subprocess.run([*cli, "status", "--state", str(state)], capture_output=True, text=True, cwd=ROOT)
        assert status.returncode == 0 and "(healthy)" in status.stdout
        with ssh_connect("198.18.252.11", state / "known_hosts", password=password) as client:
            assert run(client, "echo hi")[1] == "hi\n"
    finally:
        started = time.monotonic()
        down = subprocess.run([*cli, "down", "--state", str(state)], capture_output=True, text=True, cwd=ROOT)
        down_seconds = time.monotonic() - started
    assert down.returncode == 0, down.stderr
    assert machine_snapshot() == before
    again = subprocess.run([*cli, "down", "--state", str(state)], capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 0  # idempotent
    status = subprocess.run([*cli, "status", "--state", str(state)], capture_output=True, text=True, cwd=ROOT)
    assert ": down" in status.stdout
    print(f"mini via CLI: up {up_seconds:.2f}s, down {down_seconds:.2f}s")


def test_up_twice_and_over_half_built_leftovers(tmp_path: Path) -> None:
    needs_lab()
    topo = sample_topology("mini")
    prefix = topo.lab.prefix
    names = Names(prefix)
    # a previous lab that died half-way: namespaces, a root bridge, /etc/netns, a process inside
    for ns in (names.host_ns("mini-a1"), names.tor_ns("a"), names.vmotion_ns("ghost")):
        subprocess.run(["ip", "netns", "add", ns], check=True)
    subprocess.run(["ip", "link", "add", names.mgmt_bridge, "type", "bridge"], check=True)
    os.makedirs(f"/etc/netns/{names.host_ns('ghost')}", exist_ok=True)
    sleeper = subprocess.Popen(["ip", "netns", "exec", names.host_ns("mini-a1"), "sleep", "600"])
    deadline = time.monotonic() + 5
    while sleeper.pid not in netns_pids([names.host_ns("mini-a1")]) and time.monotonic() < deadline:
        time.sleep(0.01)  # inside the namespace before the lab comes
    state = tmp_path / "state"
    try:
        first = lab_up(topo, state, log=quiet)
        assert sleeper.wait(timeout=10) != 0  # killed by the cleanup
        echo_everywhere(first)
        keys = first.known_hosts.read_text()
        second = lab_up(topo, state, log=quiet)  # run twice in a row
        echo_everywhere(second)
        assert second.known_hosts.read_text() != keys  # new host keys, known_hosts follows
        assert lab_status(state)["healthy"] is True
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
        sleeper.wait()
        lab_down(state, log=quiet)
    assert leftovers(prefix) == []


def test_a_failed_up_removes_what_it_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    needs_lab()
    topo = sample_topology("mini")

    def broken(_specs: object, timeout: float = 0) -> None:
        raise LabError("sshd exploded")

    monkeypatch.setattr(sshd, "start", broken)
    with pytest.raises(LabError, match="sshd exploded"):
        lab_up(topo, tmp_path / "state", log=quiet)
    assert leftovers(topo.lab.prefix) == []
    assert lab_status(tmp_path / "state")["state"] == "down"


def test_mgmt_subnet_in_use_is_refused(alt_lab: LabState, tmp_path: Path) -> None:
    clash = sample_topology("alt")  # same management subnet, other prefix
    with pytest.raises(LabError, match="already routed"):
        lab_up(clash, tmp_path / "state", log=quiet)
    assert leftovers(clash.lab.prefix) == []


def timed_lab(topo: Topology, state: Path) -> tuple[float, float]:
    started = time.monotonic()
    lab = lab_up(topo, state, log=quiet)
    up = time.monotonic() - started
    try:
        assert lab_status(state)["healthy"] is True
        echo_everywhere(lab)
    finally:
        started = time.monotonic()
        lab_down(state, log=quiet)
    return up, time.monotonic() - started


def test_demo_and_32_hosts_come_up_fast(tmp_path: Path) -> None:
    needs_lab()
    demo_up, demo_down = timed_lab(sample_topology("demo"), tmp_path / "demo")
    text = generate_toml(32, 2).replace('"198.18.255.', '"198.18.251.')
    big = parse_topology_text(text, "<generated 32x2>").with_prefix(new_prefix())
    big_up, big_down = timed_lab(big, tmp_path / "big")
    print(f"demo: up {demo_up:.2f}s down {demo_down:.2f}s; 32 hosts x 2 vmks: up {big_up:.2f}s down {big_down:.2f}s")
    assert demo_up < 30 and big_up < 30
    assert demo_down < 30 and big_down < 30


def test_refuses_without_root_or_linux(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    args = ["up", "--topology", str(SAMPLES / "mini.toml"), "--state", str(tmp_path / "s")]
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert cli_main(["lab", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "root" in err
    assert cli_main(["lab", "down", "--state", str(tmp_path / "s")]) == 2
    monkeypatch.setattr(sys, "platform", "darwin")
    assert cli_main(["lab", *args]) == 2
    assert "Linux" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_bad_topology_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text((SAMPLES / "mini.toml").read_text().replace("198.19.10.11/24", "10.1.1.11/24"))
    assert cli_main(["lab", "up", "--topology", str(bad), "--state", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "mini-a1" in err and "outside 198.18.0.0/15" in err
    assert cli_main(["lab", "up", "--hosts", "500", "--state", str(tmp_path / "s")]) == 2
