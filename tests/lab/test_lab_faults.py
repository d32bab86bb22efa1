"""One shared lab (samples/lab/alt.toml): every fault knob, real pings, real sshd, real paramiko."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import tomllib
from concurrent.futures import ThreadPoolExecutor
from ipaddress import ip_address, ip_network
from pathlib import Path

import paramiko
import pytest

from tests.lab.conftest import PingResult, ping, route_error, run, ssh_connect
from validator.lab.api import LabState, lab_status

pytestmark = pytest.mark.lab


def vm(lab: LabState, host: str) -> str:
    return lab.vmotion_ns(host)


def addr(lab: LabState, host: str, vmk: str, v6: bool = False) -> str:
    spec = lab.topology.host(host).vmk(vmk)
    iface = spec.ip6 if v6 else spec.ip
    assert iface is not None
    return str(iface.ip)


def mgmt(lab: LabState, host: str) -> tuple[str, int]:
    spec = lab.topology.host(host)
    return str(spec.mgmt_ip.ip), spec.ssh_port


def connect(lab: LabState, host: str, **auth: object) -> paramiko.SSHClient:
    address, port = mgmt(lab, host)
    return ssh_connect(address, lab.known_hosts, port=port, **auth)  # type: ignore[arg-type]


# ---------------------------------------------------------------- files


def test_state_files(alt_lab: LabState) -> None:
    state = alt_lab.state_dir
    inventory = tomllib.loads(alt_lab.inventory.read_text())
    assert inventory["ssh"] == {"username": "root", "password_env": "VMOTION_VALIDATOR_PASSWORD",
                                "known_hosts": "known_hosts", "host_key_policy": "strict"}
    hosts = {h["name"]: h for h in inventory["hosts"]}
    assert list(hosts) == [h.name for h in alt_lab.topology.hosts]
    assert hosts["bravo-h6"]["port"] == 2222 and "port" not in hosts["bravo-h1"]
    known = alt_lab.known_hosts.read_text().splitlines()
    assert len(known) == len(hosts)
    assert any(line.startswith(f"[{hosts['bravo-h6']['address']}]:2222 ssh-ed25519 AAAA") for line in known)
    assert any(line.startswith(f"{hosts['bravo-h1']['address']} ssh-ed25519 AAAA") for line in known)
    mode = stat.S_IMODE(os.stat(state / "password").st_mode)
    assert mode == 0o600
    assert alt_lab.export_line == f'export VMOTION_VALIDATOR_PASSWORD="$(cat {state}/password)"'
    truth = json.loads(alt_lab.ground_truth.read_text())
    assert truth["pairs"] and truth["findings_expected"]
    assert sorted(p.name for p in (state / "bin").iterdir()) == sorted(
        p.name for p in (Path(__file__).resolve().parents[2] / "validator/lab/bin").iterdir() if p.is_file()
    )


def test_host_files_follow_the_contract(alt_lab: LabState) -> None:
    folder = alt_lab.state_dir / "hosts" / "bravo-h3"
    env = dict(line.split("=", 1) for line in (folder / "host.env").read_text().splitlines())
    assert env["VMV_NS_VMOTION"] == f"'{vm(alt_lab, 'bravo-h3')}'"
    assert env["VMV_HOSTDIR"] == f"'{folder}'" and env["VMV_BIN"] == f"'{alt_lab.state_dir / 'bin'}'"
    rows = [line.split("\t") for line in (folder / "vmks.tsv").read_text().splitlines()]
    assert all(len(r) == 13 for r in rows)
    assert [r[0] for r in rows] == ["vmk0", "vmk1", "vmk2", "vmk4"]
    vmk4 = rows[3]
    assert vmk4[1] == "defaultTcpipStack" and vmk4[2] == alt_lab.host_ns("bravo-h3") and vmk4[11] == "VMotion"
    stacks = [line.split("\t") for line in (folder / "netstacks.tsv").read_text().splitlines()]
    assert stacks[1][:3] == ["vmotion", vm(alt_lab, "bravo-h3"), "-"]
    assert (alt_lab.state_dir / "hosts/bravo-h4/variant").read_text().strip() == "legacy"
    h5 = [line.split("\t") for line in (alt_lab.state_dir / "hosts/bravo-h5/vmks.tsv").read_text().splitlines()]
    assert h5[2][9] == "198.19.66.1" and h5[2][3] == "vMotion-Edge-B"  # per-vmk gateway override


# ---------------------------------------------------------------- the network against its ground truth


def check_pair(lab: LabState, pair: dict[str, object]) -> list[str]:
    ns = vm(lab, str(pair["src_host"]))
    src, dst = str(pair["src_ip"]), str(pair["dst_ip"])
    small = ping(ns, src, dst)
    problems = []
    if small.ok != pair["reachable"]:
        problems.append(f"reachable {small.ok}, expected {pair['reachable']}: {small.output[-120:]!r}")
    if small.ok and (small.ttl is not None and small.ttl < 64) != pair["routed"]:
        problems.append(f"ttl {small.ttl} but routed={pair['routed']}")
    if small.ok and pair["max_mtu"]:
        if not ping(ns, src, dst, size=int(str(pair["max_mtu"]))).ok:
            problems.append(f"{pair['max_mtu']} bytes with DF do not pass")
        if pair["expected_reason"] == "path-mtu" and ping(ns, src, dst, size=int(str(pair["max_mtu"])) + 8).ok:
            problems.append("packets above max_mtu pass")
    if pair["expected_reason"] == "no-route" and "Network is unreachable" not in route_error(ns, src, dst):
        problems.append("a route exists")
    return problems


def test_every_pair_behaves_as_the_ground_truth_says(alt_lab: LabState) -> None:
    pairs = json.loads(alt_lab.ground_truth.read_text())["pairs"]
    with ThreadPoolExecutor(24) as pool:
        results = list(pool.map(lambda p: (p, check_pair(alt_lab, p)), pairs))
    bad = [f"{p['src_host']}:{p['src_vmk']}->{p['dst_host']}:{p['dst_vmk']} {p['family']}: {why}"
           for p, why in results if why]
    assert bad == []


def test_fault_no_gateway(alt_lab: LabState) -> None:
    ns = vm(alt_lab, "bravo-h3")
    err = route_error(ns, addr(alt_lab, "bravo-h3", "vmk1"), addr(alt_lab, "bravo-h1", "vmk1"))
    assert "Network is unreachable" in err
    assert ping(ns, addr(alt_lab, "bravo-h3", "vmk1"), "198.19.65.1").ok  # on-link still works
    assert "default" not in subprocess.run(["ip", "-n", ns, "route"], capture_output=True, text=True).stdout


def test_fault_vmk_down(alt_lab: LabState) -> None:
    ns = vm(alt_lab, "bravo-h2")
    link = subprocess.run(["ip", "-n", ns, "-o", "link", "show", "vmk2"], capture_output=True, text=True).stdout
    assert "state DOWN" in link and ",UP" not in link
    assert not ping(ns, addr(alt_lab, "bravo-h2", "vmk2"), addr(alt_lab, "bravo-h1", "vmk1")).ok
    assert not ping(vm(alt_lab, "bravo-h1"), addr(alt_lab, "bravo-h1", "vmk1"), addr(alt_lab, "bravo-h2", "vmk2")).ok
    row = (alt_lab.state_dir / "hosts/bravo-h2/vmks.tsv").read_text().splitlines()[2].split("\t")
    assert row[0] == "vmk2" and row[6] == "false"


def test_fault_router_hop_mtu(alt_lab: LabState) -> None:
    ns, src, dst = vm(alt_lab, "bravo-h5"), addr(alt_lab, "bravo-h5", "vmk1"), addr(alt_lab, "bravo-h1", "vmk3")
    assert ping(ns, src, dst, size=1500).ok
    assert not ping(ns, src, dst, size=9000, count=2).ok  # lost (frag-needed never sticks as a local error)
    assert not ping(ns, src, dst, size=1508).ok
    result: PingResult = ping(ns, src, dst, size=1500)
    assert result.ttl == 61  # three routers
    onlink = ping(vm(alt_lab, "bravo-h1"), addr(alt_lab, "bravo-h1", "vmk3"), addr(alt_lab, "bravo-h1", "vmk1"))
    assert onlink.ok


def test_fault_blackhole_is_one_directional(alt_lab: LabState) -> None:
    h5, h1 = vm(alt_lab, "bravo-h5"), vm(alt_lab, "bravo-h1")
    for v6 in (False, True):
        a, b = addr(alt_lab, "bravo-h5", "vmk1", v6), addr(alt_lab, "bravo-h1", "vmk1", v6)
        assert not ping(h5, a, b, count=2).ok
        assert ping(h1, b, a).ok  # the reverse pair, replies included
    a, b = addr(alt_lab, "bravo-h5", "vmk1"), addr(alt_lab, "bravo-h1", "vmk1")
    assert ping(h1, b, a, size=4000, df=False).ok  # fragmented echo replies are not caught either
    assert not ping(h5, a, b, size=4000, df=False).ok  # fragmented echo requests are
    assert ping(h5, addr(alt_lab, "bravo-h5", "vmk2"), addr(alt_lab, "bravo-h1", "vmk1")).ok  # other src vmk
    h3, h4 = vm(alt_lab, "bravo-h3"), vm(alt_lab, "bravo-h4")
    assert not ping(h3, addr(alt_lab, "bravo-h3", "vmk1"), addr(alt_lab, "bravo-h4", "vmk1")).ok  # on-link hole
    assert ping(h4, addr(alt_lab, "bravo-h4", "vmk1"), addr(alt_lab, "bravo-h3", "vmk1")).ok


def test_fault_vmotion_tag_on_default_stack(alt_lab: LabState) -> None:
    default_ns, vmotion_ns = alt_lab.host_ns("bravo-h3"), vm(alt_lab, "bravo-h3")
    assert subprocess.run(["ip", "-n", default_ns, "link", "show", "vmk4"], capture_output=True).returncode == 0
    assert subprocess.run(["ip", "-n", vmotion_ns, "link", "show", "vmk4"], capture_output=True).returncode != 0
    assert ping(default_ns, "198.19.65.7", "198.19.65.1").ok  # it sits on the rack segment


def test_fault_extra_service_tag(alt_lab: LabState) -> None:
    rows = [line.split("\t") for line in (alt_lab.state_dir / "hosts/bravo-h1/vmks.tsv").read_text().splitlines()]
    vmk3 = next(r for r in rows if r[0] == "vmk3")
    assert vmk3[1] == "vmotion" and vmk3[11] == "VMotion,vSphereReplication"


def test_fault_ipv6_vmks(alt_lab: LabState) -> None:
    h2, h6 = vm(alt_lab, "bravo-h2"), vm(alt_lab, "bravo-h6")
    onlink = ping(h2, addr(alt_lab, "bravo-h2", "vmk1", True), addr(alt_lab, "bravo-h1", "vmk1", True), size=9000)
    assert onlink.ok and onlink.ttl == 64
    routed = ping(h6, addr(alt_lab, "bravo-h6", "vmk1", True), addr(alt_lab, "bravo-h2", "vmk1", True), size=1500)
    assert routed.ok and routed.ttl == 61
    assert not ping(h6, addr(alt_lab, "bravo-h6", "vmk1", True), addr(alt_lab, "bravo-h2", "vmk1", True),
                    size=9000, count=2).ok


def test_fault_sshd_stopped(alt_lab: LabState) -> None:
    address, port = mgmt(alt_lab, "bravo-h4")
    with pytest.raises(OSError):
        ssh_connect(address, alt_lab.known_hosts, port=port, password=alt_lab.password())
    hosts = {h["name"]: h for h in lab_status(alt_lab.state_dir)["hosts"]}
    assert hosts["bravo-h4"]["sshd"] == "stopped (fault)" and hosts["bravo-h1"]["sshd"] == "running"
    assert ping(vm(alt_lab, "bravo-h3"), "198.19.65.6", "198.19.65.8").ok  # its network is up


# ---------------------------------------------------------------- the lab's own hygiene


def test_addresses_stay_in_the_documentation_ranges(alt_lab: LabState) -> None:
    allowed = [ip_network(n) for n in ("198.18.0.0/15", "2001:db8::/32", "fe80::/10", "127.0.0.0/8", "::1/128")]
    for ns in json.loads((alt_lab.state_dir / "lab.json").read_text())["namespaces"]:
        data = json.loads(subprocess.run(["ip", "-n", ns, "-j", "addr"], capture_output=True, text=True).stdout)
        for link in data:
            for info in link.get("addr_info", []):
                assert any(ip_address(info["local"]) in net for net in allowed), (ns, info)
    root = json.loads(subprocess.run(["ip", "-j", "addr"], capture_output=True, text=True).stdout)
    mine = [link for link in root if alt_lab.names.owns_root_link(link["ifname"])]
    assert mine
    assert [(a["family"], a["local"]) for link in mine for a in link.get("addr_info", [])] == [
        ("inet", str(alt_lab.topology.lab.mgmt_address))
    ]


def test_forwarding_only_in_routers(alt_lab: LabState) -> None:
    for ns in json.loads((alt_lab.state_dir / "lab.json").read_text())["namespaces"]:
        value = subprocess.run(["ip", "netns", "exec", ns, "cat", "/proc/sys/net/ipv4/ip_forward"],
                               capture_output=True, text=True).stdout.strip()
        assert value == ("1" if "_tor_" in ns or ns.endswith("_core") else "0"), ns


def test_ssh_password_and_key(alt_lab: LabState) -> None:
    password = alt_lab.password()
    with connect(alt_lab, "bravo-h1", password=password) as client:
        code, out, _ = run(client, "echo hello; echo $VMV_HOSTDIR; id -u; ip -o link show vmk0 | wc -l")
        assert code == 0
        assert out.split() == ["hello", str(alt_lab.state_dir / "hosts/bravo-h1"), "0", "1"]
    with connect(alt_lab, "bravo-h6", key=alt_lab.client_key) as client:  # port 2222
        assert run(client, "echo key-ok")[1] == "key-ok\n"


def test_ssh_offers_what_esxi_8_offers(alt_lab: LabState) -> None:
    address, port = mgmt(alt_lab, "bravo-h1")
    password = alt_lab.password()
    transport = paramiko.Transport((address, port))
    try:
        transport.start_client(timeout=5)
        with pytest.raises(paramiko.BadAuthenticationType) as refused:
            transport.auth_none("root")
        assert sorted(refused.value.allowed_types) == ["keyboard-interactive", "publickey"]
        assert transport.auth_interactive("root", lambda _t, _i, prompts: [password for _ in prompts]) == []
        assert transport.is_authenticated()
    finally:
        transport.close()
    # paramiko's password call falls back to keyboard-interactive by itself
    transport = paramiko.Transport((address, port))
    try:
        transport.start_client(timeout=5)
        transport.auth_password("root", password)
        assert transport.is_authenticated()
    finally:
        transport.close()
    with pytest.raises(paramiko.AuthenticationException):
        connect(alt_lab, "bravo-h1", password=password + "x")


def test_lab_password_is_not_the_machines(alt_lab: LabState, machine_before: dict[str, object]) -> None:
    shadow = Path("/etc/shadow").read_text()
    root_hash = next(line.split(":")[1] for line in shadow.splitlines() if line.startswith("root:"))
    if root_hash.startswith("$") and root_hash.count("$") >= 3:
        salt = root_hash.split("$")[2]
        algo = {"1": "-1", "5": "-5", "6": "-6"}.get(root_hash.split("$")[1])
        if algo:
            crypt = subprocess.run(["openssl", "passwd", algo, "-salt", salt, "-stdin"],
                                   input=alt_lab.password(), capture_output=True, text=True).stdout.strip()
            assert crypt != root_hash
    assert machine_before["shadow_sha256"] == hashlib.sha256(shadow.encode()).hexdigest()
    lab_shadow = Path(f"/etc/netns/{alt_lab.host_ns('bravo-h1')}/shadow").read_text()
    if len(root_hash) > 2:
        assert root_hash not in lab_shadow  # nothing of the machine's hash is copied
    assert all(line.split(":")[1] == "*" for line in lab_shadow.splitlines() if not line.startswith("root:"))
    assert stat.S_IMODE(os.stat(f"/etc/netns/{alt_lab.host_ns('bravo-h1')}/shadow").st_mode) == 0o600


def test_emulated_commands_over_ssh(alt_lab: LabState) -> None:
    if not (alt_lab.state_dir / "bin" / "vmkping").exists():
        pytest.skip("validator/lab/bin has no vmkping yet")
    with connect(alt_lab, "bravo-h3", password=alt_lab.password()) as client:
        code, out, _ = run(client, "vmkping ++netstack=vmotion -I vmk1 -c 1 -W 1 198.19.64.10")
        assert "Network is unreachable" in out and code != 0  # no gateway
        code, out, _ = run(client, "vmkping ++netstack=vmotion -I vmk1 -c 1 -W 1 198.19.65.8")
        assert code != 0  # blackholed
        code, out, _ = run(client, "vmkping ++netstack=vmotion -I vmk2 -c 1 -W 1 -d -s 1472 198.19.65.8")
        assert code == 0 and "ttl=64" in out
    with connect(alt_lab, "bravo-h2", password=alt_lab.password()) as client:
        code, out, _ = run(client, "vmkping ++netstack=vmotion -I vmk2 -c 1 -W 1 198.19.64.10")
        assert "Network is down" in out
        code, out, _ = run(client, "vmkping ++netstack=vmotion -I vmk1 -c 1 -W 1 -d -s 1452 2001:db8:66::2")
        assert code == 0 and "1460 bytes from 2001:db8:66::2: icmp_seq=0 time=" in out  # ESXi: no hop limit on v6
    if (alt_lab.state_dir / "bin" / "esxcli").exists():
        with connect(alt_lab, "bravo-h1", password=alt_lab.password()) as client:
            code, out, _ = run(client, "esxcli network ip interface tag get -i vmk3")
            assert code == 0 and "VMotion" in out and "vSphereReplication" in out
