"""esxcli network diag ping through the vSphere API with a real lab behind the simulator: every answer is a
real ping from the lab host's vmotion-stack namespace, judged against the lab's ground truth and its own
vmkping; calls run in parallel and no ping outlives its call."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.lab.conftest import lab_missing, own_topology, quiet
from tests.vcsim.client import host_moids
from tests.vcsim.soap import PingAnswer, SoapSession, find, find_all, ping_answer
from validator.esxi.parsers import parse_vmkping
from validator.lab.vcsim import VcsimEndpoint, running_vcsim, vcenter_model

pytestmark = pytest.mark.lab

TOPOLOGY = """
[lab]
prefix = "vmvapi"
mgmt_subnet = "198.18.249.0/24"

[[racks]]
name = "a"
subnet = "198.19.20.0/24"
subnet6 = "2001:db8:20::/64"
mtu = 9000

[[racks]]
name = "b"
subnet = "198.19.21.0/24"
mtu = 9000

[[hosts]]
name = "api-a1"
rack = "a"
mgmt_ip = "198.18.249.11"
gateway = "198.19.20.1"

  [[hosts.vmks]]
  name = "vmk1"
  ip = "198.19.20.11/24"
  ip6 = "2001:db8:20::11/64"
  mtu = 9000

  [[hosts.vmks]]
  name = "vmk2"
  ip = "198.19.20.21/24"
  mtu = 1500

  [[hosts.vmks]]
  name = "vmk3"
  ip = "198.19.20.31/24"
  mtu = 9000
  enabled = false

[[hosts]]
name = "api-a2"
rack = "a"
mgmt_ip = "198.18.249.12"

  [[hosts.vmks]]
  name = "vmk1"
  ip = "198.19.20.12/24"
  ip6 = "2001:db8:20::12/64"
  mtu = 9000

[[hosts]]
name = "api-b1"
rack = "b"
mgmt_ip = "198.18.249.13"
gateway = "198.19.21.1"

  [[hosts.vmks]]
  name = "vmk1"
  ip = "198.19.21.11/24"
  mtu = 9000

[[faults.blackhole]]
src = "api-a2:vmk1"
dst = "api-a1:vmk1"
"""

A1_VMK1, A2_VMK1, B1_VMK1 = "198.19.20.11", "198.19.20.12", "198.19.21.11"
FAST = {"netstack": "vmotion", "count": 2, "interval": "0.2", "wait": "1"}


@dataclass(frozen=True)
class ApiLab:
    vc: VcsimEndpoint
    moids: dict[str, str]
    state: Path
    model: dict[str, Any]

    def session(self, timeout: float = 120.0) -> SoapSession:
        s = SoapSession(self.vc, timeout=timeout)
        assert s.login().status == 200
        return s

    def ping(self, host: str, args: dict[str, Any], s: SoapSession | None = None) -> PingAnswer:
        own = s or self.session()
        try:
            return ping_answer(own.execute(own.executer(self.moids[host]), args))
        finally:
            if s is None:
                own.close()


@pytest.fixture(scope="module")
def api_lab(vcsim_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiLab]:
    if reason := lab_missing():
        pytest.skip(reason)
    from validator.lab.api import running_lab

    folder = tmp_path_factory.mktemp("api-lab")
    topology = own_topology(TOPOLOGY, "esxcli-api-lab")
    with running_lab(topology, folder / "state", log=quiet) as lab:
        model = vcenter_model(lab.topology, lab.paths)
        with running_vcsim(model, folder / "vcsim", binary=vcsim_binary) as vc:
            yield ApiLab(vc, host_moids(vc), lab.paths.root, model)


def pings_of(state: Path) -> list[int]:
    """Processes started for this lab's hosts (their environment names a lab host directory)."""
    marker = f"VMV_HOSTDIR={state}/hosts/".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        if marker in environ:
            found.append(int(entry))
    return found


def summary(result: PingAnswer) -> dict[str, str | None]:
    assert result.document is not None, result
    found = find(result.document, "Summary")
    assert found is not None
    return {child.tag.rsplit("}", 1)[-1]: child.text for child in found}


def traces(result: PingAnswer) -> list[dict[str, str | None]]:
    assert result.document is not None
    return [{c.tag.rsplit("}", 1)[-1]: c.text for c in t} for t in find_all(result.document, "Trace")]


def direct_vmkping(api_lab: ApiLab, host: str, args: list[str]) -> str:
    """The lab's own vmkping on that host, as an SSH session would run it."""
    binding = next(h["lab"] for h in api_lab.model["hosts"] if h["name"] == host)
    env = {"VMV_HOSTDIR": binding["host_dir"], "PATH": os.environ["PATH"]}
    proc = subprocess.run([binding["vmkping"], *args], capture_output=True, text=True, env=env, check=False)
    return proc.stdout + proc.stderr


def test_a_passing_ping_has_the_lab_vmkpings_replies_and_ttl(api_lab: ApiLab) -> None:
    for dst, routed in ((A2_VMK1, False), (B1_VMK1, True)):
        result = api_lab.ping("api-a1", {**FAST, "host": dst, "interface": "vmk1", "size": 8972, "df": True})
        head = summary(result)
        assert (head["Transmitted"], head["Recieved"], head["PacketLost"], head["HostAddr"]) == ("2", "2", "0", dst)
        replies = traces(result)
        assert [t["ICMPSeq"] for t in replies] == ["0", "1"]
        assert all(t["ReceivedBytes"] == "8980" and t["Host"] == dst and t["Dup"] == "false" for t in replies)
        assert all(int(t["RoundtripTime"] or 0) > 0 for t in replies)
        ssh_view = parse_vmkping(direct_vmkping(
            api_lab, "api-a1", ["++netstack=vmotion", "-I", "vmk1", "-c", "1", "-s", "8972", "-d", dst]
        ))
        assert {int(t["TTL"] or 0) for t in replies} == set(ssh_view.ttls)
        assert (ssh_view.ttls[0] < 64) is routed


def test_ipv6_replies_carry_no_ttl(api_lab: ApiLab) -> None:
    result = api_lab.ping("api-a1", {**FAST, "host": "2001:db8:20::12", "interface": "vmk1", "ipv6": True})
    assert summary(result)["Recieved"] == "2"
    assert all("TTL" not in t for t in traces(result))


def test_df_above_the_vmk_mtu_is_message_too_long_in_each_trace(api_lab: ApiLab) -> None:
    result = api_lab.ping("api-a1", {**FAST, "host": A2_VMK1, "interface": "vmk2", "size": 8972, "df": True})
    head = summary(result)
    assert (head["Transmitted"], head["Recieved"], head["PacketLost"]) == ("2", "0", "100")
    assert [t["Detail"] for t in traces(result)] == ["sendto() failed (Message too long)"] * 2
    assert all("TTL" not in t and "RoundtripTime" not in t for t in traces(result))


def test_local_failures_are_trace_details(api_lab: ApiLab) -> None:
    down = api_lab.ping("api-a1", {**FAST, "host": A2_VMK1, "interface": "vmk3"})
    assert {t["Detail"] for t in traces(down)} == {"sendto() failed (Network is down)"}
    no_route = api_lab.ping("api-a2", {**FAST, "host": B1_VMK1, "interface": "vmk1"})
    assert {t["Detail"] for t in traces(no_route)} == {"sendto() failed (Network is unreachable)"}
    assert summary(no_route)["Recieved"] == "0"


def test_a_blackholed_pair_is_total_loss_with_no_trace(api_lab: ApiLab) -> None:
    result = api_lab.ping("api-a2", {**FAST, "host": A1_VMK1, "interface": "vmk1"})
    head = summary(result)
    assert (head["Transmitted"], head["Recieved"], head["PacketLost"]) == ("2", "0", "100")
    assert traces(result) == []
    reverse = api_lab.ping("api-a1", {**FAST, "host": A2_VMK1, "interface": "vmk1"})
    assert summary(reverse)["Recieved"] == "2"


def test_unknown_vmk_and_missing_stack_are_esxcli_faults(api_lab: ApiLab) -> None:
    unknown = api_lab.ping("api-a1", {**FAST, "host": A2_VMK1, "interface": "vmk9"})
    assert unknown.document is None and unknown.err_msgs == ("Unknown interface 'vmk9': Invalid argument",)
    missing = api_lab.ping("api-a1", {**FAST, "host": A2_VMK1, "netstack": "vSphereProvisioning"})
    assert missing.err_msgs == (
        "Invalid netstack instance 'vSphereProvisioning': *** vmkernel stack not configured ***",
    )


def test_every_pair_answers_as_the_ground_truth_says(api_lab: ApiLab) -> None:
    """Each ground-truth pair pinged through the API with DF at its largest passing MTU, all at once."""
    truth = json.loads((api_lab.state / "ground_truth.json").read_text())["pairs"]

    def probe(pair: dict[str, Any]) -> tuple[dict[str, Any], PingAnswer]:
        v6 = pair["family"] == "ipv6"
        size = (pair["max_mtu"] or 1500) - (48 if v6 else 28)
        args = {**FAST, "count": 3, "host": pair["dst_ip"], "interface": pair["src_vmk"], "size": size, "df": True}
        return pair, api_lab.ping(pair["src_host"], {**args, "ipv6" if v6 else "ipv4": True})

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(probe, truth))
    elapsed = time.perf_counter() - started
    print(f"\n{len(answers)} ExecuteSoap pings (3 packets 0.2 s apart) in {elapsed:.2f}s, 8 in flight")
    for pair, result in answers:
        if result.document is None:
            pytest.fail(f"{pair}: {result}")
        received = int(summary(result)["Recieved"] or 0)
        assert (received > 0) is pair["reachable"], (pair, traces(result))


def test_calls_run_in_parallel_and_leave_no_process(api_lab: ApiLab) -> None:
    """Four calls issued at once (sessions ready beforehand) each have their own vmkping at the same time.
    Each lasts 7 s so that a scan of /proc on a loaded machine still sees them side by side."""
    calls = 4
    sessions = [api_lab.session() for _ in range(calls)]
    executers = [s.executer(api_lab.moids["api-a1"]) for s in sessions]
    ready = threading.Barrier(calls)
    results: list[PingAnswer] = []
    args = {"netstack": "vmotion", "count": 8, "interval": "1", "wait": "1", "host": A2_VMK1, "interface": "vmk1"}

    def call(i: int) -> None:
        ready.wait()
        results.append(ping_answer(sessions[i].execute(executers[i], args)))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(calls)]
    for t in threads:
        t.start()
    most = 0
    while any(t.is_alive() for t in threads):
        # each call is one vmkping process group (sh, nsenter/ping, awk)
        most = max(most, len({_group(pid) for pid in pings_of(api_lab.state)} - {None}))
        time.sleep(0.05)
    for t in threads:
        t.join()
    for s in sessions:
        s.close()
    assert [summary(r)["Recieved"] for r in results] == ["8"] * calls
    assert most == calls
    assert pings_of(api_lab.state) == []


def _group(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _wait_for_pings(state: Path, present: bool, within: float) -> bool:
    """Whether this lab's pings came to exist (present) or all ended within the time given."""
    deadline = time.monotonic() + within
    while bool(pings_of(state)) is not present:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _start_long_ping(api_lab: ApiLab, vc: VcsimEndpoint) -> SoapSession:
    """A 300-packet ping (60 s, bounded at 71 s) whose client stops reading after 1 s, connection still open."""
    s = SoapSession(vc, timeout=1.0)
    s.login()
    executer = s.executer(host_moids(vc)["api-a1"])
    with pytest.raises(socket.timeout):
        s.execute(executer, {"netstack": "vmotion", "count": 300, "interval": "0.2", "host": A2_VMK1})
    assert _wait_for_pings(api_lab.state, present=True, within=60.0)
    return s


def test_a_ping_ends_when_its_client_disconnects(api_lab: ApiLab) -> None:
    s = _start_long_ping(api_lab, api_lab.vc)
    s.close()
    assert _wait_for_pings(api_lab.state, present=False, within=40.0)  # its own bound is 71 s


def test_a_ping_ends_when_the_simulator_stops(api_lab: ApiLab, vcsim_binary: Path, tmp_path: Path) -> None:
    with running_vcsim(api_lab.model, tmp_path / "vcsim", binary=vcsim_binary) as vc:
        s = _start_long_ping(api_lab, vc)
    assert pings_of(api_lab.state) == []
    assert "vcsim: stopped" in vc.log_file.read_text()
    s.close()
