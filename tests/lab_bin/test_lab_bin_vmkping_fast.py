"""vmkping's own translation of the usual run against vmkping.awk, on canned iputils output (no namespace).

vmkping translates a run of the usual shape (header, single-spaced replies, statistics) in the shell and
hands anything else to vmkping.awk. Here ``nsenter`` is a stand-in that prints canned iputils output for
``ping`` (and nothing for the awk's ``ip`` diagnosis) and ``awk`` a wrapper that notes each start: every
run's output and exit code must equal what vmkping.awk alone makes of the same text, and the usual runs
must not start an awk at all.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import topo
from .conftest import BIN
from .test_lab_bin_translate import translate

SHELLS = ["dash", "busybox"]

FAKE_NSENTER = """#!/bin/sh
# a stand-in for nsenter: "ping" prints the canned output, anything else (the awk's ip batch) nothing
case $2 in ping) exec cat "$VMV_FAKE_PING" ;; esac
"""

FAKE_AWK = """#!/bin/sh
echo "$$" >>"$VMV_AWK_LOG"
exec {awk} "$@"
"""


@dataclass(frozen=True)
class Run:
    rc: int
    out: str
    awk: bool  # an awk was started


@dataclass(frozen=True)
class Case:
    """One vmkping call: its arguments and what its ping printed."""

    text: str
    dest: str
    fam: int = 4
    count: int = 3
    size: int = 56


@pytest.fixture(scope="module")
def fakes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    real_awk = shutil.which("awk")
    assert real_awk is not None
    d = tmp_path_factory.mktemp("fakebin")
    (d / "nsenter").write_text(FAKE_NSENTER)
    (d / "awk").write_text(FAKE_AWK.format(awk=real_awk))
    for name in ("nsenter", "awk"):
        (d / name).chmod(0o755)
    return d


@pytest.fixture(scope="module")
def host_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    state = tmp_path_factory.mktemp("fasthosts")
    t = topo.describe("unit", state)
    for host in t.hosts.values():
        host.write(state)
    return t.hostdir("esxa")


def shell_argv(shell: str) -> list[str]:
    if shell == "busybox":
        if shutil.which("busybox") is None:
            pytest.skip("busybox is not installed")
        return ["busybox", "sh"]
    return ["dash"]


def vmkping(fakes: Path, hostdir: Path, case: Case, tmp: Path, shell: str = "dash") -> Run:
    """The lab's vmkping from esxa's vmk1 on the vmotion stack, its ping printing ``case.text``."""
    canned = tmp / "ping.out"
    canned.write_text(case.text)
    log = tmp / "awk.log"
    log.write_text("")
    env = {
        **os.environ,
        "PATH": f"{fakes}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "VMV_HOSTDIR": str(hostdir),
        "VMV_FAKE_PING": str(canned),
        "VMV_AWK_LOG": str(log),
    }
    argv = [*shell_argv(shell), str(BIN / "vmkping"), "++netstack=vmotion", "-I", "vmk1"]
    argv += ["-c", str(case.count), "-s", str(case.size), "-6" if case.fam == 6 else "-4", case.dest]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30, check=False)
    assert proc.stderr == ""
    return Run(proc.returncode, proc.stdout, log.read_text() != "")


def awk_alone(hostdir: Path, case: Case) -> tuple[int, str]:
    """What vmkping.awk makes of the same text, with the variables vmkping gives it."""
    hosts = topo.Topology("unit", hostdir.parents[1], {}, [])
    src = "2001:db8:1::11" if case.fam == 6 else "198.18.1.11"
    return translate(
        hosts, case.text, host=case.dest, count=str(case.count), size=str(case.size), fam=str(case.fam), srcip=src
    )


def same_as_awk(fakes: Path, hostdir: Path, case: Case, tmp: Path, shell: str = "dash") -> Run:
    run = vmkping(fakes, hostdir, case, tmp, shell)
    rc, out = awk_alone(hostdir, case)
    assert (run.rc, run.out) == (rc, out), case.text
    return run


# --------------------------------------------------------------------------- iputils output, generated


def iputils_time(us: int) -> str:
    """A round trip as iputils prints it (ping_common.c): 3, 2, 1 or no decimals as it grows."""
    if us >= 100000 - 50:
        return f"{(us + 500) // 1000}"
    if us >= 10000 - 5:
        return f"{(us + 50) // 1000}.{((us + 50) % 1000) // 100}"
    if us >= 1000:
        return f"{(us + 5) // 1000}.{((us + 5) % 1000) // 10:02d}"
    return f"{us // 1000}.{us % 1000:03d}"


def iputils_run(
    dest: str,
    fam: int,
    count: int,
    size: int,
    times: dict[int, int],
    ttl: int = 62,
    src: str | None = "vmk1",
    hlim: bool = False,
    warning: bool = False,
) -> str:
    """iputils' output for ``count`` pings of which the sequence numbers in ``times`` (1-based) came back."""
    via = ""
    if src:
        via = f" from {'2001:db8:1::11' if fam == 6 else '198.18.1.11'} {src}:"
    if fam == 6:
        lines = [f"PING {dest}({dest}){via} {size} data bytes"]
    else:
        lines = [f"PING {dest} ({dest}){via} {size}({size + 28}) bytes of data."]
    if warning:
        lines.insert(0, "ping: Warning: source address might be selected on device other than: vmk1")
    for seq in sorted(times):
        label = "hlim" if hlim else "ttl"
        lines.append(f"{size + 8} bytes from {dest}: icmp_seq={seq} {label}={ttl} time={iputils_time(times[seq])} ms")
    received = len(times)
    loss = (count - received) * 100 / count
    lines += ["", f"--- {dest} ping statistics ---",
              f"{count} packets transmitted, {received} received, {loss:g}% packet loss, time {count * 1000}ms"]
    if times:
        us = list(times.values())
        avg = sum(us) // len(us)
        lines.append(f"rtt min/avg/max/mdev = {min(us) / 1000:.3f}/{avg / 1000:.3f}/{max(us) / 1000:.3f}/0.010 ms")
    return "\n".join(lines) + "\n"


DEST4, DEST6 = "198.18.2.11", "2001:db8:2::11"


def healthy(
    fam: int,
    count: int,
    size: int,
    times: dict[int, int],
    ttl: int = 62,
    src: str | None = "vmk1",
    hlim: bool = False,
    warning: bool = False,
) -> Case:
    dest = DEST6 if fam == 6 else DEST4
    text = iputils_run(dest, fam, count, size, times, ttl=ttl, src=src, hlim=hlim, warning=warning)
    return Case(text, dest, fam, count, size)


def printed(time: str) -> int:
    """A printed round trip ("0.345", "12.3", "150") in microseconds."""
    whole, _, frac = time.partition(".")
    return int(whole) * 1000 + int((frac + "000")[:3])


def ties(us: list[int]) -> bool:
    """The average lies exactly halfway between two microseconds: the shell leaves it to the awk."""
    return 2 * (sum(us) % len(us)) == len(us)


def loss_tie(count: int, received: int) -> bool:
    lost = count - received
    return lost * 100 % count != 0 and 2 * (lost * 1000 % count) == count


# ------------------------------------------------------------------------------------------- tests


EXPLICIT = [
    healthy(4, 3, 56, {1: 37, 2: 45, 3: 41}),  # below 1 ms
    healthy(6, 3, 56, {1: 173, 2: 138, 3: 112}),
    healthy(4, 1, 56, {1: 98}),
    healthy(6, 1, 56, {1: 98}),
    healthy(4, 3, 8972, {1: 345, 2: 1200, 3: 298}),  # jumbo, 2 decimals
    healthy(6, 3, 8952, {1: 12345, 2: 10000, 3: 99949}),  # >= 10 ms: 1 decimal
    healthy(4, 3, 1472, {1: 150000, 2: 100000, 3: 1234567}),  # >= 100 ms: whole milliseconds
    healthy(4, 3, 56, {1: 0, 2: 1, 3: 999}),  # time=0.000
    healthy(4, 3, 56, {1: 500, 3: 700}),  # partial loss: 33.3%
    healthy(4, 3, 56, {2: 500}),  # 66.7%
    healthy(4, 4, 56, {1: 500, 2: 500, 4: 600}),  # 25%
    healthy(4, 8, 56, {1: 100, 2: 200, 3: 300, 4: 400, 5: 500, 6: 600, 7: 700}),  # 12.5%
    healthy(4, 7, 56, {1: 100, 2: 200, 3: 300, 4: 400, 5: 500, 6: 600}),  # 14.3%
    healthy(4, 3, 56, {1: 37, 2: 45, 3: 41}, src=None),  # no -I in the header
    healthy(6, 3, 56, {1: 37, 2: 45, 3: 41}, src=None),
    healthy(6, 3, 56, {1: 37, 2: 45, 3: 41}, hlim=True),  # older iputils: hlim=
    healthy(4, 3, 56, {1: 37, 2: 45, 3: 41}, hlim=True),
    healthy(4, 3, 56, {1: 37, 2: 45, 3: 41}, warning=True),  # a warning iputils writes to stderr
    healthy(4, 3, 56, {1: 37, 2: 45, 3: 41}, ttl=1),
    healthy(4, 3, 56, {1: 37, 2: 45, 3: 41}, ttl=255),
    healthy(4, 100, 56, {s: 1000 + 37 * s for s in range(1, 101) if s % 9}),  # many, some lost
]


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("case", EXPLICIT, ids=lambda c: f"v{c.fam}-c{c.count}-s{c.size}")
def test_usual_runs_match_the_awk_without_starting_it(
    fakes: Path, host_dir: Path, tmp_path: Path, case: Case, shell: str
) -> None:
    run = same_as_awk(fakes, host_dir, case, tmp_path, shell)
    assert run.rc == 0
    assert not run.awk, "the usual run must be translated without an awk"


def test_many_generated_usual_runs_match_the_awk(fakes: Path, host_dir: Path, tmp_path: Path) -> None:
    rng = random.Random(20240607)
    shortcut = 0
    for _ in range(150):
        fam = rng.choice([4, 6])
        count = rng.choice([1, 2, 3, 3, 3, 4, 5, 6, 10, 16, 40])
        size = rng.choice([0, 56, 1472, 1452, 8972, 8952, 65000])
        scale = rng.choice([1_000, 10_000, 200_000, 5_000_000])
        times = {s: rng.randrange(scale) for s in range(1, count + 1) if rng.random() < 0.85}
        if not times:
            times = {count: rng.randrange(scale)}
        case = healthy(fam, count, size, times, ttl=rng.choice([64, 63, 62, 1]), src=rng.choice(["vmk1", None]))
        run = same_as_awk(fakes, host_dir, case, tmp_path)
        assert run.rc == 0
        expect_awk = ties([printed(iputils_time(t)) for t in times.values()]) or loss_tie(count, len(times))
        assert run.awk == expect_awk, case.text
        shortcut += not run.awk
    assert shortcut > 100  # most of them took the shell's way


def test_halfway_average_and_loss_go_to_the_awk(fakes: Path, host_dir: Path, tmp_path: Path) -> None:
    """(0.037 + 0.038) / 2 is 0.0375: which way %.3f goes depends on the awk's binary sum; so does 6.25%."""
    run = same_as_awk(fakes, host_dir, healthy(4, 3, 56, {1: 37, 3: 38}), tmp_path)
    assert run.awk and "round-trip min/avg/max = 0.037/" in run.out
    run = same_as_awk(fakes, host_dir, healthy(4, 16, 56, {s: 100 for s in range(1, 16)}), tmp_path)
    assert run.awk and "16 packets transmitted, 15 packets received, 6.2% packet loss" in run.out


def reply(seq: int, rest: str = "ttl=62 time=0.345 ms", dest: str = DEST4, size: int = 64) -> str:
    return f"{size} bytes from {dest}: icmp_seq={seq} {rest}"


HEADER = f"PING {DEST4} ({DEST4}) from 198.18.1.11 vmk1: 56(84) bytes of data."
TAIL = ["", f"--- {DEST4} ping statistics ---", "3 packets transmitted, 3 received, 0% packet loss, time 2003ms",
        "rtt min/avg/max/mdev = 0.298/0.614/1.200/0.425 ms"]


def lines(*body: str) -> str:
    return "\n".join([HEADER, *body, *TAIL]) + "\n"


UNUSUAL = {
    "dup": lines(reply(1), reply(2), reply(2, "ttl=62 time=0.400 ms (DUP!)"), reply(3)),
    "router error between replies": lines(reply(1), "From 198.18.1.1 icmp_seq=2 Time to live exceeded", reply(3)),
    "own host unreachable": lines(reply(1), "From 198.18.1.11 icmp_seq=2 Destination Host Unreachable"),
    "message too long": lines(reply(1), "ping: local error: message too long, mtu=1500"),
    "network is down": lines(reply(1), "ping: sendmsg: Network is down"),
    "network is unreachable": lines("ping: sendmsg: Network is unreachable", reply(2)),
    "ping error": lines(reply(1), "ping: sendmsg: No buffer space available"),
    "nsenter error": "nsenter: cannot open /run/netns/nosuch: No such file or directory\n",
    "unknown host": "ping: nosuch: Name or service not known\n",
    "no reply": lines(),
    "nothing at all": "",
    "reply before the header": "\n".join([reply(1), HEADER, reply(2), *TAIL]) + "\n",
    "second header": lines(reply(1), HEADER, reply(2)),
    "stderr before the header": "ping: local error: message too long, mtu=9000\n" + lines(),
    "tab": lines(reply(1), "64 bytes from 198.18.2.11:\ticmp_seq=2 ttl=62 time=0.3 ms"),
    "trailing space": lines(reply(1), reply(2) + " "),
    "address (DUP!)": lines(reply(1), "64 bytes from (DUP!) icmp_seq=2 ttl=62 time=0.3 ms"),
    "fields in another order": lines(reply(1), f"64 bytes from {DEST4}: ttl=62 icmp_seq=2 time=0.3 ms"),
    "names in the wrong fields": lines(reply(1), "64 bytes from icmp_seq=2 ttl=62 time=0.3 foo ms"),
    "icmp_seq=0": lines(reply(0), reply(1)),
    "leading zero in the time": lines(reply(1), reply(2, "ttl=62 time=05.3 ms")),
    "four decimals": lines(reply(1), reply(2, "ttl=62 time=0.3456 ms")),
    "time<1": lines(reply(1), reply(2, "ttl=62 time<1 ms")),
    "no ttl": lines(reply(1), reply(2, "time=0.3 ms")),
    "no time (below 16 data bytes)": lines(reply(1, "ttl=62", size=16), reply(2, "ttl=62", size=16)),
    "truncated": lines(reply(1), reply(2, "ttl=62 time=0.3 ms (truncated)")),
    "huge sequence": lines(reply(1), reply(123456)),
    "huge time": lines(reply(1), reply(2, "ttl=62 time=1234567 ms")),
    "no newline at the end": lines(reply(1), reply(2)).rstrip("\n"),
}


# lines the awk ignores (not a reply to it: its pattern wants "N bytes from " at the start): so does the shell
IGNORED = {
    "double space": lines(reply(1), "64 bytes  from 198.18.2.11: icmp_seq=2 ttl=62 time=0.3 ms", reply(3)),
    "leading space": lines(reply(1), " 64 bytes from 198.18.2.11: icmp_seq=2 ttl=62 time=0.3 ms", reply(3)),
    "wrong data byte": lines(reply(1), "wrong data byte #12 should be 0xc but was 0xd", reply(3)),
    "a warning": lines(reply(1), "ping: Warning: time of day goes back (-42us), taking countermeasures", reply(3)),
}


@pytest.mark.parametrize("name", sorted(IGNORED))
def test_lines_the_awk_ignores_are_ignored(fakes: Path, host_dir: Path, tmp_path: Path, name: str) -> None:
    run = same_as_awk(fakes, host_dir, Case(IGNORED[name], DEST4), tmp_path)
    assert not run.awk
    assert "2 packets received" in run.out


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("name", sorted(UNUSUAL))
def test_unusual_runs_go_through_the_awk(
    fakes: Path, host_dir: Path, tmp_path: Path, name: str, shell: str
) -> None:
    run = same_as_awk(fakes, host_dir, Case(UNUSUAL[name], DEST4), tmp_path, shell)
    assert run.awk


def test_the_awk_does_not_print_again_what_the_shell_printed(fakes: Path, host_dir: Path, tmp_path: Path) -> None:
    """A DUP after two replies: the header and both replies appear once, then the awk goes on."""
    text = lines(reply(1), reply(2), reply(2, "ttl=62 time=0.400 ms (DUP!)"), reply(3))
    run = same_as_awk(fakes, host_dir, Case(text, DEST4), tmp_path)
    assert run.out.splitlines()[:5] == [
        f"PING {DEST4} ({DEST4}): 56 data bytes",
        f"64 bytes from {DEST4}: icmp_seq=0 ttl=62 time=0.345 ms",
        f"64 bytes from {DEST4}: icmp_seq=1 ttl=62 time=0.345 ms",
        f"64 bytes from {DEST4}: icmp_seq=1 ttl=62 time=0.400 ms (DUP!)",
        f"64 bytes from {DEST4}: icmp_seq=2 ttl=62 time=0.345 ms",
    ]


SOUP = [
    "",
    " ",
    HEADER,
    f"PING {DEST4} (a(b)c) 56(84) bytes of data.",
    f"PING {DEST4} (x 56(84) bytes of data.",
    "PING nosuch",
    "PING",
    reply(1),
    reply(2),
    reply(3),
    reply(2, "ttl=62 time=12.3 ms"),
    reply(3, "ttl=62 time=150 ms"),
    reply(2, "hlim=64 time=0.1 ms"),
    reply(2, "ttl=62 time=0.5 ms (DUP!)"),
    reply(2, "ttl= time=0.5 ms"),
    reply(2, "ttl=62 time=0.5 ms extra"),
    reply(2, "ttl=62 time=.5 ms"),
    reply(2, "ttl=62 time=1.2.3 ms"),
    "64 bytes from 198.18.2.11 icmp_seq=2 ttl=62 time=0.5 ms",
    "6x bytes from 198.18.2.11: icmp_seq=2 ttl=62 time=0.5 ms",
    "64 bytes from 198.18.2.11: icmp_seq=2 ttl=62 time=0.5 ms Network is down",
    "From 198.18.1.1 icmp_seq=1 Frag needed and DF set (mtu = 1500)",
    "From 198.18.1.11 icmp_seq=1 Destination Host Unreachable",
    "From 198.18.1.11 icmp_seq=1 Destination Net Unreachable",
    "ping: Warning: source address might be selected on device other than: vmk1",
    "ping: warning: Network is down",
    "ping: local error: message too long, mtu=1500",
    "ping: sendmsg: Network is unreachable",
    "ping: connect: Network is unreachable",
    "ping: something else",
    "nsenter: failed",
    "Temporary failure in name resolution",
    f"--- {DEST4} ping statistics ---",
    "3 packets transmitted, 2 received, +1 errors, 33.3333% packet loss, time 2003ms",
    "rtt min/avg/max/mdev = 0.298/0.614/1.200/0.425 ms",
    "garbage * ? [x] $HOME `id` \\ 'q' \"dq\"",
]


def test_any_mix_of_lines_matches_the_awk(fakes: Path, host_dir: Path, tmp_path: Path) -> None:
    """Whatever mix of usual and unusual lines a ping prints, vmkping prints what the awk alone would."""
    rng = random.Random(7)
    for _ in range(120):
        body = [rng.choice(SOUP) for _ in range(rng.randrange(0, 9))]
        if rng.random() < 0.6:
            body.insert(0, HEADER)
        text = "\n".join(body) + ("\n" if body and rng.random() < 0.95 else "")
        count = rng.choice([1, 2, 3, 4])
        same_as_awk(fakes, host_dir, Case(text, DEST4, count=count), tmp_path)


@pytest.mark.parametrize(
    ("args", "dest"),
    [
        (["-c", "03"], DEST4),
        (["-s", "056"], DEST4),
        (["-c", "00"], DEST4),
        (["-c", "1000"], DEST4),  # the shell keeps the run's text: not that long a run
        (["-c", "3"], "198.18.2.11\\n"),
    ],
)
def test_unusual_arguments_go_through_the_awk(
    fakes: Path, host_dir: Path, tmp_path: Path, args: list[str], dest: str
) -> None:
    """Values the awk would print differently (leading zeros, escapes in -v), and long runs: left to the awk."""
    canned = tmp_path / "ping.out"
    canned.write_text(iputils_run(DEST4, 4, 3, 56, {1: 37, 2: 45, 3: 41}))
    log = tmp_path / "awk.log"
    log.write_text("")
    env = {**os.environ, "PATH": f"{fakes}:{os.environ.get('PATH', '/usr/bin:/bin')}", "VMV_HOSTDIR": str(host_dir),
           "VMV_FAKE_PING": str(canned), "VMV_AWK_LOG": str(log)}
    argv = ["dash", str(BIN / "vmkping"), "++netstack=vmotion", "-I", "vmk1", *args, dest]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30, check=False)
    assert log.read_text() != ""
    assert proc.stdout.startswith("PING ")


# ------------------------------------------------------------------------- real iputils (namespaces)

REAL = [
    # host, namespace key, ping arguments (as vmkping builds them), destination
    ("esxa", "ns_vmotion", ["-4", "-c", "3", "-i", "0.05", "-s", "56", "-M", "dont", "-I", "vmk1"], DEST4),
    ("esxa", "ns_vmotion", ["-6", "-c", "3", "-i", "0.05", "-s", "56", "-M", "dont", "-I", "vmk1"], DEST6),
    ("esxa", "ns_vmotion", ["-4", "-c", "3", "-i", "0.05", "-s", "1472", "-M", "do", "-I", "vmk1"], DEST4),
    ("esxa", "ns_vmotion", ["-4", "-c", "3", "-i", "0.05", "-s", "8972", "-M", "dont"], DEST4),
    ("esxa", "ns_vmotion", ["-4", "-c", "3", "-i", "0.05", "-s", "8972", "-M", "do", "-I", "vmk1"], DEST4),
    ("esxa", "ns_default", ["-4", "-c", "1", "-s", "1472", "-M", "do", "-I", "vmk0"], "198.18.0.12"),
    ("esxa", "ns_default", ["-6", "-c", "3", "-i", "0.05", "-s", "1452", "-M", "do", "-I", "vmk0"], "2001:db8::12"),
    ("esxb", "ns_vmotion", ["-6", "-c", "3", "-i", "0.05", "-s", "56", "-M", "dont", "-I", "vmk1"], "2001:db8:1::11"),
]


# the vmk's address vmkping hands the awk (srcip), per (host, vmk, family)
SOURCES = {
    ("esxa", "vmk0", 4): "198.18.0.11", ("esxa", "vmk0", 6): "2001:db8::11",
    ("esxa", "vmk1", 4): "198.18.1.11", ("esxa", "vmk1", 6): "2001:db8:1::11",
    ("esxb", "vmk0", 4): "198.18.0.12", ("esxb", "vmk0", 6): "2001:db8::12",
    ("esxb", "vmk1", 4): "198.18.2.11", ("esxb", "vmk1", 6): "2001:db8:2::11",
}


def usual(text: str) -> bool:
    """A run the shell translates itself: replies, no ICMP or local error, no DUP, no halfway average."""
    times = [printed(t) for t in re.findall(r" time=([0-9.]+) ms$", text, re.MULTILINE)]
    unusual = re.search(r"^(From |ping: (?!Warning))|\(DUP!\)", text, re.MULTILINE)
    return bool(times) and not unusual and not ties(times)


@pytest.mark.lab
def test_real_iputils_runs_match_the_awk(net: topo.Topology, fakes: Path, tmp_path: Path) -> None:
    """This machine's own ping, captured in the lab's namespaces and replayed: the usual runs take the
    shell's way, the others (the DF run above the 1500 hop) the awk's; all print what the awk alone would."""
    taken = []
    for host, key, args, dest in REAL:
        ns = getattr(net.hosts[host], key)
        argv = ["nsenter", f"--net=/run/netns/{ns}", "ping", "-n", *args, "-W", "1", "--", dest]
        subprocess.run(argv, capture_output=True, timeout=30, check=False)  # neighbours resolved, path MTU learnt
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        fam = 6 if "-6" in args else 4
        count, size = int(args[args.index("-c") + 1]), int(args[args.index("-s") + 1])
        case = Case(proc.stdout + proc.stderr, dest, fam, count, size)
        vmk = args[args.index("-I") + 1] if "-I" in args else ""
        stack = "vmotion" if key == "ns_vmotion" else "defaultTcpipStack"
        run = replay(fakes, net.hostdir(host), case, tmp_path, stack, vmk, "-d" if "do" in args else "")
        rc, out = translate(net, case.text, host=dest, count=str(count), size=str(size), fam=str(fam), vmk=vmk,
                            srcip=SOURCES.get((host, vmk, fam), ""), stack=stack, hostdir=str(net.hostdir(host)))
        assert (run.rc, run.out) == (rc, out), case.text
        assert run.awk != usual(case.text), case.text
        taken.append(not run.awk)
    assert taken[4] is False  # DF above the 1500 hop: Frag needed, then EMSGSIZE
    assert sum(taken) >= 5, taken  # the healthy ones (but for a rare halfway average)


def replay(fakes: Path, hostdir: Path, case: Case, tmp: Path, stack: str, vmk: str, df: str) -> Run:
    """vmkping from ``hostdir``'s host on ``stack`` (``-I vmk`` unless empty, ``df`` "-d" or ""), replaying."""
    canned = tmp / "ping.out"
    canned.write_text(case.text)
    log = tmp / "awk.log"
    log.write_text("")
    env = {**os.environ, "PATH": f"{fakes}:{os.environ.get('PATH', '/usr/bin:/bin')}", "VMV_HOSTDIR": str(hostdir),
           "VMV_FAKE_PING": str(canned), "VMV_AWK_LOG": str(log)}
    argv = ["dash", str(BIN / "vmkping"), f"++netstack={stack}", *(["-I", vmk] if vmk else []), *([df] if df else [])]
    argv += ["-c", str(case.count), "-s", str(case.size), f"-{case.fam}", case.dest]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30, check=False)
    assert proc.stderr == ""
    return Run(proc.returncode, proc.stdout, log.read_text() != "")


@pytest.mark.lab
def test_a_healthy_vmkping_in_the_lab_starts_no_awk(net: topo.Topology, fakes: Path, tmp_path: Path) -> None:
    """As the SSH session runs it (the host's default namespace, the real nsenter and ping)."""
    wrappers = tmp_path / "wrap"
    wrappers.mkdir()
    shutil.copy(fakes / "awk", wrappers / "awk")  # only the awk wrapper: the real nsenter and ping
    log = tmp_path / "awk.log"
    h = net.hosts["esxa"]

    def run(*args: str) -> tuple[str, bool]:
        log.write_text("")
        argv = ["ip", "netns", "exec", h.ns_default, "env", f"VMV_HOSTDIR={net.hostdir('esxa')}",
                f"PATH={wrappers}:{os.environ.get('PATH', '/usr/bin:/bin')}", f"VMV_AWK_LOG={log}",
                "sh", str(BIN / "vmkping"), "-c", "3", "-i", "0.05", "-W", "1", *args]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        return proc.stdout, log.read_text() != ""

    out, awk = run("++netstack=vmotion", "-I", "vmk1", DEST4)
    assert not awk and "3 packets transmitted, 3 packets received, 0% packet loss" in out
    out, awk = run("++netstack=vmotion", "-I", "vmk1", DEST6)
    assert not awk and out.startswith(f"PING {DEST6} ({DEST6}): 56 data bytes\n")
    out, awk = run("++netstack=vmotion", "-I", "vmk1", "-d", "-s", "8972", DEST4)  # Frag needed: the awk
    assert awk and "3 packets transmitted, 0 packets received, 100% packet loss" in out
