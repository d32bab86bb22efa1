"""Batch scripts run for real on POSIX shells: dash, and busybox ash with only busybox applets on PATH."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from validator.errors import CommandValueError
from validator.esxi import batch as b

APPLETS = ["sh", "mktemp", "mkfifo", "cat", "rm", "sleep", "printf", "echo", "ls", "wc", "mkdir", "rmdir", "true", "false"]


@dataclass(frozen=True)
class Shell:
    name: str
    argv: tuple[str, ...]
    env: dict[str, str]

    def run(self, script: str, *, stdin: bool = False, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        if stdin:
            return subprocess.run([*self.argv, "-s"], input=script, capture_output=True, text=True,
                                  env=self.env, timeout=timeout, check=False)  # fmt: skip
        return subprocess.run([*self.argv, "-c", script], capture_output=True, text=True, env=self.env,
                              timeout=timeout, check=False)  # fmt: skip


def _shells() -> list[object]:
    names: list[object] = []
    if shutil.which("dash"):
        names.append("dash")
    if shutil.which("busybox"):
        names.append("busybox")
    return names


@pytest.fixture(params=_shells() or [pytest.param("none", marks=pytest.mark.skip(reason="no dash nor busybox"))])
def shell(request: pytest.FixtureRequest, tmp_path: Path) -> Shell:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {"TMPDIR": str(tmpdir), "LC_ALL": "C"}
    if request.param == "dash":
        dash = shutil.which("dash")
        assert dash is not None
        bindir = tmp_path / "bin"
        bindir.mkdir()
        (bindir / "sh").symlink_to(dash)  # inner `sh -c` is dash too
        env["PATH"] = f"{bindir}:/usr/bin:/bin"
        return Shell("dash", (dash,), env)
    busybox = shutil.which("busybox")
    assert busybox is not None
    bindir = tmp_path / "bb"
    bindir.mkdir()
    for applet in APPLETS:
        (bindir / applet).symlink_to(busybox)
    env["PATH"] = str(bindir)  # nothing but busybox, as on ESXi
    return Shell("busybox", (str(bindir / "sh"),), env)


def tmp_leftovers(shell: Shell) -> list[str]:
    return sorted(os.listdir(shell.env["TMPDIR"]))


def run_batch(shell: Shell, batch: b.Batch, **kwargs: bool) -> dict[str, b.CommandOutput]:
    result = shell.run(batch.script, **kwargs)
    assert result.returncode == 0, result.stderr
    return b.split_output(result.stdout, batch.nonce)


COMMANDS = {
    "hello": "echo hello",
    "fail": "false",
    "both": "echo out; echo err >&2; exit 3",
    "noeol": "printf 'no newline'",
    "empty": "true",
    "blank-lines": "printf '\\n\\nx\\n\\n'",
    "exit": "exit 255",
    "wrap": "exit 300",
    "syntax": "if then fi (",
    "quotes": "echo \"it's\" '$HOME' `echo tick`",
    "v1.2:x_y-z": "echo tag-chars",
}
EXPECTED = {
    "hello": b.CommandOutput("hello\n", 0),
    "fail": b.CommandOutput("", 1),
    "both": b.CommandOutput("out\nerr\n", 3),
    "noeol": b.CommandOutput("no newline", 0),
    "empty": b.CommandOutput("", 0),
    "blank-lines": b.CommandOutput("\n\nx\n\n", 0),
    "exit": b.CommandOutput("", 255),
    "wrap": b.CommandOutput("", 300 % 256),
    "quotes": b.CommandOutput("it's $HOME tick\n", 0),
    "v1.2:x_y-z": b.CommandOutput("tag-chars\n", 0),
}


def check_outputs(outputs: dict[str, b.CommandOutput]) -> None:
    assert set(outputs) == set(COMMANDS)
    for tag, expected in EXPECTED.items():
        assert outputs[tag] == expected, tag
    syntax = outputs["syntax"]
    assert syntax.exit_status == 2 and "syntax" in syntax.stdout.lower()
    assert outputs["hello"].ok and not outputs["fail"].ok


# ---------------------------------------------------------------------------------- sequential


def test_sequential_outputs_and_exit_statuses(shell: Shell) -> None:
    check_outputs(run_batch(shell, b.build_sequential(COMMANDS)))


def test_sequential_fed_on_stdin_is_not_swallowed(shell: Shell) -> None:
    commands = {"reader": "cat", "after": "echo still here"}
    outputs = run_batch(shell, b.build_sequential(commands), stdin=True)
    assert outputs == {"reader": b.CommandOutput("", 0), "after": b.CommandOutput("still here\n", 0)}


def test_sequential_chains(shell: Shell) -> None:
    commands: b.Commands = {
        "p0": {"warm": "echo warm; false", "reach": "echo reach"},
        "p1": ["echo a", "exit 4", "echo c"],
        "single": "echo s",
    }
    outputs = run_batch(shell, b.build_sequential(commands))
    assert outputs == {
        "p0/warm": b.CommandOutput("warm\n", 1),
        "p0/reach": b.CommandOutput("reach\n", 0),
        "p1/0": b.CommandOutput("a\n", 0),
        "p1/1": b.CommandOutput("", 4),
        "p1/2": b.CommandOutput("c\n", 0),
        "single": b.CommandOutput("s\n", 0),
    }
    assert b.step_tag("p0", "warm") == "p0/warm" and b.step_tag("p1", 2) == "p1/2"


def test_sequential_order(shell: Shell) -> None:
    result = shell.run(b.build_sequential({f"t{i}": f"echo {i}" for i in range(20)}).script)
    positions = [result.stdout.index(f"-begin t{i}\n") for i in range(20)]
    assert positions == sorted(positions)


# ------------------------------------------------------------------------------------ parallel


def test_parallel_outputs_and_exit_statuses(shell: Shell) -> None:
    check_outputs(run_batch(shell, b.build_parallel(COMMANDS, 4)))
    assert tmp_leftovers(shell) == []


def test_parallel_chains_run_in_order_within_a_job(shell: Shell) -> None:
    commands = {
        f"p{i}": {"warm": f'echo w{i} > "$TMPDIR/../mark{i}"', "probe": f'cat "$TMPDIR/../mark{i}"; exit {i}'}
        for i in range(6)
    }
    outputs = run_batch(shell, b.build_parallel(commands, 3))
    for i in range(6):
        assert outputs[f"p{i}/warm"] == b.CommandOutput("", 0)
        assert outputs[f"p{i}/probe"] == b.CommandOutput(f"w{i}\n", i)
    assert tmp_leftovers(shell) == []


def wait_for(condition: str, *, tries: int = 600) -> str:
    """Shell text that waits until ``condition`` holds (checked every 50 ms, at most ``tries`` times) and
    prints ``met`` or, if it never did, ``not met``: the tests assert the event, never a duration."""
    return (f"n=0; while ! {condition} && [ $n -lt {tries} ]; do sleep 0.05; n=$((n+1)); done; "
            f"if {condition}; then echo met; else echo 'not met'; fi")


def test_parallel_is_really_parallel(shell: Shell, tmp_path: Path) -> None:
    """Each of 8 jobs waits for all 8 to have started: only 8 jobs running at once can all meet."""
    started = tmp_path / "started"
    started.mkdir()
    job = f'mkdir "{started}/$$"; ' + wait_for(f'[ "$(ls "{started}" | wc -l)" -ge 8 ]')
    outputs = run_batch(shell, b.build_parallel({f"s{i}": job for i in range(8)}, 8))
    assert [outputs[f"s{i}"] for i in range(8)] == [b.CommandOutput("met\n", 0)] * 8


def test_parallel_width_bounds_the_jobs_at_once(shell: Shell, tmp_path: Path) -> None:
    """Width 2: the first two jobs run together (each waits for the other), and no job ever sees more than
    2 running, at its start or at its end."""
    slots, met = tmp_path / "slots", tmp_path / "met"
    slots.mkdir()
    met.mkdir()
    count = f'ls "{slots}" | wc -l'

    def job(meet: bool) -> str:  # a running job holds a slot; the first two also meet (their marks stay)
        middle = f'mkdir "{met}/$$"; ' + wait_for(f'[ "$(ls "{met}" | wc -l)" -ge 2 ]') + "; " if meet else ""
        return f'mkdir "{slots}/$$"; {count}; {middle}{count}; rmdir "{slots}/$$"'

    commands = {f"s{i}": job(meet=i < 2) for i in range(6)}
    outputs = run_batch(shell, b.build_parallel(commands, 2))
    seen = {name: outputs[name].stdout.split() for name in commands}
    assert all(int(n) <= 2 for lines in seen.values() for n in lines if n.isdigit()), seen
    assert seen["s0"][1] == seen["s1"][1] == "met", seen


def test_parallel_waves_are_bounded(shell: Shell, tmp_path: Path) -> None:
    slots = tmp_path / "slots"
    slots.mkdir()
    probe = f'mkdir "{slots}/$$"; ls "{slots}" | wc -l; sleep 0.2; rmdir "{slots}/$$"'
    outputs = run_batch(shell, b.build_parallel({f"j{i}": probe for i in range(9)}, 3))
    running = [int(outputs[f"j{i}"].stdout.strip()) for i in range(9)]
    assert max(running) <= 3
    assert max(running) >= 2  # and they did overlap


def test_parallel_prints_each_job_when_it_ends(shell: Shell) -> None:
    commands = {f"t{i}": f"sleep 0.{9 - 2 * i}; echo {i}" for i in range(5)}
    batch = b.build_parallel(commands, 5)
    result = shell.run(batch.script)
    positions = [result.stdout.index(f"-begin t{i}\n") for i in range(5)]
    assert positions == sorted(positions, reverse=True)  # the shortest job first
    for i in range(5):  # each job's frames, then its done marker
        assert result.stdout.index(f"-end t{i} rc=0\n") < result.stdout.index(f"@@vmv-{batch.nonce}-done t{i}\n")


def test_parallel_slides_its_window(shell: Shell, tmp_path: Path) -> None:
    """A long job does not hold back the next ones: a slot is refilled as soon as a job ends, so with width 2
    the four short jobs all finish while the long one is still running (it waits for them)."""
    done = tmp_path / "done"
    done.mkdir()
    commands = {"long": wait_for(f'[ "$(ls "{done}" | wc -l)" -ge 4 ]')} | {
        f"s{i}": f'mkdir "{done}/s{i}"' for i in range(4)
    }
    outputs = run_batch(shell, b.build_parallel(commands, 2))
    assert outputs["long"] == b.CommandOutput("met\n", 0)
    assert all(outputs[f"s{i}"].exit_status == 0 for i in range(4))


def _stream(shell: Shell, batch: b.Batch) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*shell.argv, "-c", batch.script], env=shell.env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # fmt: skip


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_parallel_streams_outputs_before_the_end(shell: Shell) -> None:
    from validator.esxi.stream import FrameReader, JobOutput

    batch = b.build_parallel({"fast": "echo quick", "slow": "sleep 30"}, 2)
    proc = _stream(shell, batch)
    try:
        assert proc.stdout is not None
        reader = FrameReader(batch.nonce)
        jobs: list[JobOutput] = []
        deadline = time.monotonic() + 10
        while not jobs and time.monotonic() < deadline:
            jobs = reader.feed(os.read(proc.stdout.fileno(), 4096).decode())
        assert [(j.tag, j.frames) for j in jobs] == [("fast", {"fast": b.CommandOutput("quick\n", 0)})]
        assert proc.poll() is None  # the slow job still runs
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()


def test_parallel_ends_its_work_when_its_reader_is_gone(shell: Shell) -> None:
    """Once nobody reads the output, the next heartbeat write fails: the group is killed, the directory removed."""
    batch = b.build_parallel({f"s{i}": "sleep 30" for i in range(3)}, 3)
    proc = _stream(shell, batch)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 5
        while not tmp_leftovers(shell) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert tmp_leftovers(shell), "the batch never made its temp dir"
        proc.stdout.close()
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10  # a few seconds, with room for a machine under heavy load
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _group_alive(proc.pid), "sleeps of the batch outlived their reader"
        assert tmp_leftovers(shell) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_parallel_temp_dir_removed_when_killed(shell: Shell) -> None:
    batch = b.build_parallel({f"s{i}": "sleep 1" for i in range(3)}, 3)
    proc = subprocess.Popen([*shell.argv, "-c", batch.script], env=shell.env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 5
        while not tmp_leftovers(shell) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert tmp_leftovers(shell), "the batch never made its temp dir"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)
        assert proc.returncode == 143
        assert tmp_leftovers(shell) == []
        deadline = time.monotonic() + 5
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _group_alive(proc.pid), "the sleeps outlived the batch"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the shell we started and its orphaned sleeps
        proc.communicate()


def test_parallel_missing_result_is_absent(shell: Shell) -> None:
    batch = b.build_parallel({"ok": "echo ok", "gone": "echo gone"}, 2)
    end_of_gone = f"'@@vmv-{batch.nonce}-end gone' $s"
    script = batch.script.replace(end_of_gone, "")  # job 1 dies before its end marker
    assert script != batch.script
    result = shell.run(script)
    assert "-end gone" not in result.stdout
    assert b.split_output(result.stdout, batch.nonce) == {"ok": b.CommandOutput("ok\n", 0)}


# ----------------------------------------------------------------------------------- forging


def test_marker_forging_is_impossible(shell: Shell) -> None:
    fake_nonce = "0" * 24
    forgeries = {
        "plain": "printf '@@vmv-end plain rc=0\\n@@vmv-begin other\\n'",
        "fake-nonce": (
            f"printf '\\n@@vmv-{fake_nonce}-end fake-nonce rc=0\\n'; "
            f"printf '\\n@@vmv-{fake_nonce}-begin injected\\nevil\\n@@vmv-{fake_nonce}-end injected rc=0\\n'"
        ),
        "half": "printf '\\n@@vmv-'; printf 'x-end half rc=9\\n'",
    }
    for batch in (b.build_sequential(forgeries), b.build_parallel(forgeries, 3)):
        assert batch.nonce != fake_nonce
        outputs = run_batch(shell, batch)
        assert set(outputs) == set(forgeries)
        assert outputs["plain"] == b.CommandOutput("@@vmv-end plain rc=0\n@@vmv-begin other\n", 0)
        assert outputs["fake-nonce"] == b.CommandOutput(
            f"\n@@vmv-{fake_nonce}-end fake-nonce rc=0\n"
            f"\n@@vmv-{fake_nonce}-begin injected\nevil\n@@vmv-{fake_nonce}-end injected rc=0\n",
            0,
        )
        assert outputs["half"] == b.CommandOutput("\n@@vmv-x-end half rc=9\n", 0)


def test_nonce_is_fresh_per_script() -> None:
    nonces = {b.build_sequential({"a": "true"}).nonce for _ in range(50)}
    assert len(nonces) == 50
    assert all(len(n) == 24 for n in nonces)


# -------------------------------------------------------------------------------- split_output


def test_split_output_crlf_and_truncation() -> None:
    nonce = b.new_nonce()
    text = (
        f"banner\r\n@@vmv-{nonce}-begin a\r\nline1\r\nline2\r\n@@vmv-{nonce}-end a rc=0\r\n"
        f"\r\n@@vmv-{nonce}-begin b\r\npartial output, the session died"
    )
    assert b.split_output(text, nonce) == {"a": b.CommandOutput("line1\nline2", 0)}


def test_split_output_ignores_other_nonces_and_keeps_first() -> None:
    nonce, other = b.new_nonce(), b.new_nonce()
    text = (
        f"\n@@vmv-{other}-begin a\nX\n@@vmv-{other}-end a rc=1\n"
        f"\n@@vmv-{nonce}-begin a\nY\n@@vmv-{nonce}-end a rc=2\n"
        f"\n@@vmv-{nonce}-begin a\nZ\n@@vmv-{nonce}-end a rc=3\n"
    )
    assert b.split_output(text, nonce) == {"a": b.CommandOutput("Y", 2)}


def test_split_output_end_must_match_tag() -> None:
    nonce = b.new_nonce()
    text = f"\n@@vmv-{nonce}-begin a\nx\n@@vmv-{nonce}-end b rc=0\n"
    assert b.split_output(text, nonce) == {}


@pytest.mark.parametrize("nonce", ["", "short", "ABCDEF0123456789", "g" * 24, "0" * 65, None])
def test_split_output_refuses_bad_nonce(nonce: object) -> None:
    with pytest.raises(CommandValueError):
        b.split_output("", nonce)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "commands",
    [
        {"a b": "true"},
        {"a/b": "true"},
        {"": "true"},
        {"a;b": "true"},
        {"a": ""},
        {"a": "   "},
        {"a": "echo \x00"},
        {"a": []},
        {"a": {}},
        {"a": {"bad step": "true"}},
        {"a": ["true", ""]},
        {"a": 3},
        {"ä": "true"},
    ],
)
def test_builders_refuse(commands: dict[str, object]) -> None:
    with pytest.raises(CommandValueError):
        b.build_sequential(commands)  # type: ignore[arg-type]
    with pytest.raises(CommandValueError):
        b.build_parallel(commands, 2)  # type: ignore[arg-type]


@pytest.mark.parametrize("max_parallel", [0, -1, 513, True, 2.0, "4"])
def test_build_parallel_refuses_bad_width(max_parallel: object) -> None:
    with pytest.raises(CommandValueError):
        b.build_parallel({"a": "true"}, max_parallel)  # type: ignore[arg-type]


def test_builders_accept_given_nonce_and_refuse_bad_one() -> None:
    nonce = "ab" * 12
    assert b.build_sequential({"a": "true"}, nonce=nonce).nonce == nonce
    assert nonce in b.build_parallel({"a": "true"}, 1, nonce=nonce).script
    with pytest.raises(CommandValueError):
        b.build_sequential({"a": "true"}, nonce="$(reboot)")


def test_batch_unpacks_as_script_and_nonce() -> None:
    script, nonce = b.build_parallel({"a": "true"}, 1)
    assert script.startswith("# vmotion-validator batch") and len(nonce) == 24


def test_empty_batches(shell: Shell) -> None:
    assert run_batch(shell, b.build_sequential({})) == {}
    assert run_batch(shell, b.build_parallel({}, 4)) == {}
    assert tmp_leftovers(shell) == []


def test_gate_stops_the_chain_and_unisolated_commands_share_the_job_shell(shell: Shell) -> None:
    chains = {
        "good": {"reach": "true", "mtu": "echo big"},
        "bad": {"reach": "echo lost; false", "mtu": "echo never"},
    }
    batch = b.build_parallel(chains, 4, isolate=False, gates={"reach"})
    result = shell.run(batch.script)
    out = b.split_output(result.stdout, batch.nonce)
    assert out["good/mtu"] == b.CommandOutput("big\n", 0)
    assert out["bad/reach"] == b.CommandOutput("lost\n", 1)
    assert "bad/mtu" not in out
    assert "never" not in result.stdout
    assert "sh -c" not in batch.script


def test_a_job_past_its_deadline_is_stopped_on_the_host_and_the_window_backs_off(shell: Shell) -> None:
    """The host stops a job at its own deadline (its running step ends, its later steps never run), marks it
    late, and halves its window once for the burst; the heartbeat says so; jobs within theirs are kept."""
    from validator.esxi.stream import FrameReader

    commands: dict[str, object] = {f"hang{k}": {"first": "sleep 30", "second": "echo never"} for k in range(4)}
    commands.update({f"ok{k}": {"first": "echo fine"} for k in range(1)})
    batch = b.build_parallel(commands, 4, gates=("first",), deadlines={f"hang{k}": 1 for k in range(4)})  # type: ignore[arg-type]
    started = time.monotonic()
    result = shell.run(batch.script, timeout=60)
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    reader = FrameReader(batch.nonce)
    jobs = {job.tag: job for job in reader.feed(result.stdout)}
    assert {tag for tag, job in jobs.items() if job.late} == {f"hang{k}" for k in range(4)}
    assert all(not jobs[f"ok{k}"].late and jobs[f"ok{k}"].frames[f"ok{k}/first"].stdout == "fine\n" for k in range(1))
    assert all(f"hang{k}/second" not in jobs[f"hang{k}"].frames for k in range(4))
    assert reader.progress.late == 4 and reader.progress.window == 2  # 4 -> 2 once, not 4 -> 1 (one job since)
    assert took < 30  # the sleeps were stopped, not waited for
    assert tmp_leftovers(shell) == []


def test_a_host_whose_jobs_are_all_slow_together_is_waited_for(shell: Shell) -> None:
    """Every job runs past its deadline, none is overtaken (nothing else ends first): a slow host, not a
    wedged probe. They are waited for, up to stall_factor times their deadline, and none is marked late."""
    from validator.esxi.stream import FrameReader

    commands = {f"slow{k}": {"only": "sleep 3; echo done"} for k in range(3)}
    batch = b.build_parallel(commands, 3, deadlines=dict.fromkeys(commands, 1), stall_factor=5)
    result = shell.run(batch.script, timeout=60)
    assert result.returncode == 0, result.stderr
    reader = FrameReader(batch.nonce)
    jobs = {job.tag: job for job in reader.feed(result.stdout)}
    assert set(jobs) == set(commands)
    assert not any(job.late for job in jobs.values())
    assert all(job.frames[f"{tag}/only"].stdout == "done\n" for tag, job in jobs.items())
    assert reader.progress.late == 0


def test_a_wedged_job_overtaken_by_its_peers_is_stopped_at_its_deadline(shell: Shell) -> None:
    """One job hangs while later jobs keep ending: it is stopped soon after its deadline (overtaken, and
    longer than twice the host's recent jobs), long before the stall limit would stop it."""
    from validator.esxi.stream import FrameReader

    commands: dict[str, object] = {"hang": {"only": "sleep 60"}}
    commands.update({f"quick{k}": {"only": "sleep 0.3; echo ok"} for k in range(8)})
    batch = b.build_parallel(commands, 2, deadlines={"hang": 1}, stall_factor=50)  # type: ignore[arg-type]
    started = time.monotonic()
    result = shell.run(batch.script, timeout=90)
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    reader = FrameReader(batch.nonce)
    jobs = {job.tag: job for job in reader.feed(result.stdout)}
    assert jobs["hang"].late and not any(jobs[f"quick{k}"].late for k in range(8))
    assert took < 30  # the stall limit (50 ticks) was not what stopped it
    assert tmp_leftovers(shell) == []


def test_a_job_that_ended_is_never_signalled_nor_counted_late_when_its_end_is_read_after_a_tick(
        shell: Shell) -> None:
    """The script is stopped (as a starved host's shell is) across a job's deadline; the job ends meanwhile.
    When the script runs again it reads the tick before the job's end: the job's PID may already be another
    process's, so the job must not be signalled, nor counted late."""
    from validator.esxi.stream import FrameReader

    batch = b.build_parallel({"job": {"only": "sleep 2.5; echo fine"}}, 1, deadlines={"job": 2}, stall_factor=1)
    proc = subprocess.Popen([*shell.argv, "-c", batch.script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=shell.env)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        assert "-beat " in proc.stdout.readline() + proc.stdout.readline()  # the first heartbeat (2 ticks) was read
        os.kill(proc.pid, signal.SIGSTOP)
        tmpdir = Path(shell.env["TMPDIR"])
        deadline = time.monotonic() + 30
        while not any(tmpdir.glob("vmv.*/x0")) and time.monotonic() < deadline:  # the job's steps are over
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    reader = FrameReader(batch.nonce)
    jobs = {job.tag: job for job in reader.feed(out)}
    assert not jobs["job"].late and jobs["job"].frames["job/only"].stdout == "fine\n"
    assert reader.progress.late == 0
