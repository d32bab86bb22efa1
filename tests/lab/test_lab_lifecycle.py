"""Lab lifecycle: the CLI, exact removal of what a lab made, run twice, half-built leftovers, the state
directory's lock, bad state paths, speed."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.lab.conftest import (
    NOTHING,
    SAMPLES,
    footprint,
    machine_files,
    needs_lab,
    new_prefix,
    own_topology,
    own_topology_text,
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
from validator.lab.machine import netns_pids
from validator.lab.netbuild import Names
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


CLI = [sys.executable, "-m", "validator.cli", "lab"]


def lab_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT, check=False)


def mini_file(tmp_path: Path) -> tuple[Topology, Path]:
    """samples/lab/mini.toml under the test's own prefix and management subnet, as a file for the CLI."""
    path = tmp_path / "mini.toml"
    path.write_text(own_topology_text((SAMPLES / "mini.toml").read_text(), str(SAMPLES / "mini.toml")))
    return parse_topology_text(path.read_text(), str(path)), path


def expected_footprint(topo: Topology) -> dict[str, int]:
    return {"namespaces": 2 * len(topo.hosts) + len(topo.racks) + 1, "root_links": 1 + len(topo.hosts),
            "etc_netns": len(topo.hosts), "sshd": len([h for h in topo.hosts if h.sshd])}


def test_cli_up_status_down_restores_the_machine(tmp_path: Path) -> None:
    needs_lab()
    topo, topology = mini_file(tmp_path)
    prefix = topo.lab.prefix
    state = tmp_path / "state"
    cli = CLI
    files = machine_files()
    assert footprint(prefix, state) == NOTHING

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
        built = footprint(prefix, state)
        assert {key: len(items) for key, items in built.items()} == expected_footprint(topo)
        assert set(built["root_links"]) == {f"{prefix}-mgmt"} | {f"{prefix}-m{h.index}" for h in topo.hosts}
        host = topo.hosts[0]
        with ssh_connect(str(host.mgmt_ip.ip), state / "known_hosts", password=password) as client:
            assert run(client, "echo hi")[1] == "hi\n"
    finally:
        started = time.monotonic()
        down = subprocess.run([*cli, "down", "--state", str(state)], capture_output=True, text=True, cwd=ROOT)
        down_seconds = time.monotonic() - started
    assert down.returncode == 0, down.stderr
    assert footprint(prefix, state) == NOTHING  # everything it made is gone
    assert machine_files() == files
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
    assert footprint(prefix, state) == NOTHING


def test_a_failed_up_removes_what_it_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    needs_lab()
    topo = sample_topology("mini")

    def broken(_specs: object, timeout: float = 0) -> None:
        raise LabError("sshd exploded")

    monkeypatch.setattr(sshd, "start", broken)
    with pytest.raises(LabError, match="sshd exploded"):
        lab_up(topo, tmp_path / "state", log=quiet)
    assert footprint(topo.lab.prefix, tmp_path / "state") == NOTHING
    assert lab_status(tmp_path / "state")["state"] == "down"


def test_mgmt_subnet_in_use_is_refused(alt_lab: LabState, tmp_path: Path) -> None:
    clash = alt_lab.topology.with_prefix(new_prefix())  # same management subnet, other prefix
    with pytest.raises(LabError, match="already routed"):
        lab_up(clash, tmp_path / "state", log=quiet)
    assert footprint(clash.lab.prefix, tmp_path / "state") == NOTHING


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
    big = own_topology(generate_toml(32, 2), "<generated 32x2>")
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


def test_a_second_up_on_a_busy_state_dir_fails_at_once(tmp_path: Path) -> None:
    """`lab up` on a state directory another `lab up` is building: exit 1, one line, the first lab intact."""
    needs_lab()
    topo, topology = mini_file(tmp_path)
    state = tmp_path / "state"
    building, second_done = threading.Event(), threading.Event()

    def log(message: str) -> None:  # the first up pauses mid-build, holding the lock
        if message.startswith("building"):
            building.set()
            second_done.wait(60)

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(lab_up, topo, state, log=log)
        try:
            assert building.wait(60)
            started = time.monotonic()
            second = lab_cli("up", "--topology", str(topology), "--state", str(state))
            waited = time.monotonic() - started
        finally:
            second_done.set()
        try:
            lab = first.result(60)
            assert second.returncode == 1, second.stderr
            assert second.stdout == "" and second.stderr.count("\n") == 1
            assert f"state directory {state} is busy" in second.stderr
            assert waited < 10  # did not wait for the first to finish
            assert lab_status(state)["healthy"] is True
            echo_everywhere(lab)
            status = lab_cli("status", "--state", str(state))
            assert status.returncode == 0 and "(healthy)" in status.stdout
        finally:
            lab_down(state, log=quiet)
    assert footprint(topo.lab.prefix, state) == NOTHING


def test_two_concurrent_cli_ups_leave_one_healthy_lab(tmp_path: Path) -> None:
    needs_lab()
    topo, topology = mini_file(tmp_path)
    state = tmp_path / "state"
    argv = [*CLI, "up", "--topology", str(topology), "--state", str(state)]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
             for _ in range(2)]
    try:
        results = [(p.wait(120), *p.communicate()) for p in procs]
        assert [code for code, _, _ in results].count(0) >= 1
        for code, _, err in results:
            assert code == 0 or (code == 1 and f"state directory {state} is busy" in err and err.count("\n") == 1)
        status = lab_status(state)
        assert status["healthy"] is True and status["namespaces"]["present"] == status["namespaces"]["expected"]
        built = footprint(topo.lab.prefix, state)
        assert {key: len(items) for key, items in built.items()} == expected_footprint(topo)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        lab_down(state, log=quiet)
    assert footprint(topo.lab.prefix, state) == NOTHING


def test_down_reports_what_it_actually_removed(tmp_path: Path) -> None:
    needs_lab()
    topo, topology = mini_file(tmp_path)
    state = tmp_path / "state"
    up = lab_cli("up", "--topology", str(topology), "--state", str(state))
    try:
        assert up.returncode == 0, up.stderr
        gone = Names(topo.lab.prefix).vmotion_ns(topo.hosts[0].name)
        subprocess.run(["ip", "netns", "del", gone], check=True)  # removed by hand before `lab down`
        want = expected_footprint(topo)
    finally:
        down = lab_cli("down", "--state", str(state))
    assert down.returncode == 0, down.stderr
    assert (f"removed {want['namespaces'] - 1} namespaces, {want['root_links']} root links, "
            f"{want['sshd']} processes, {want['etc_netns']} /etc/netns entries (prefix {topo.lab.prefix})"
            in down.stderr)
    assert footprint(topo.lab.prefix, state) == NOTHING
    again = lab_cli("down", "--state", str(state))
    assert again.returncode == 0
    assert "removed 0 namespaces, 0 root links, 0 processes, 0 /etc/netns entries" in again.stderr


def test_bad_state_path_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    needs_lab()
    afile = tmp_path / "afile"
    afile.write_text("not a directory\n")
    topo, topology = mini_file(tmp_path)
    mini = str(topology)
    unwritable = Path(f"/sys/vmv-{tmp_path.name}")
    cases = [
        (["up", "--topology", mini, "--state", str(afile)], afile),
        (["up", "--topology", mini, "--state", str(afile / "state")], afile / "state"),
        (["up", "--topology", mini, "--state", str(unwritable)], unwritable),
        (["up", "--topology", mini, "--state", str(tmp_path / "a b")], tmp_path / "a b"),
        (["down", "--state", str(afile)], afile),
        (["down", "--state", str(afile / "state")], afile / "state"),
        (["status", "--state", str(afile)], afile),
    ]
    for args, path in cases:
        assert cli_main(["lab", *args]) == 2, args
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and str(path) in err, (args, err)
    assert afile.read_text() == "not a directory\n" and not unwritable.exists()
    assert footprint(topo.lab.prefix) == NOTHING  # refused before anything was built
