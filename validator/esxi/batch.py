"""Run many commands in one SSH session: a pure script builder and the splitter of its output.

The scripts are POSIX ``sh`` (ESXi's busybox ash, dash). Each command runs as ``sh -c 'CMD'`` with
stdin from ``/dev/null`` and stderr merged into stdout, so a command can neither break the script's
syntax, nor ``exit`` it, nor swallow the rest of a script fed on stdin. Each output is framed::

    \\n@@vmv-<nonce>-begin <tag>\\n<output>\\n@@vmv-<nonce>-end <tag> rc=<status>\\n

``<nonce>`` is random per script (:func:`new_nonce`), so no command output can forge a frame
without knowing it. :func:`split_output` returns exactly ``<output>`` for every complete frame.

A command per tag is a string; a *chain* runs its steps in order within its job, all of them
whatever their exit status, each framed separately as ``<tag>/<step>`` (:func:`step_tag`): a
mapping ``{step name: command}`` (``{"warm": ..., "reach": ...}`` -> ``p0/warm``, ``p0/reach``) or a
sequence of commands (steps ``0``, ``1``, ...).

The builders return a :class:`Batch` ``(script, nonce)``: ``script, nonce = build_parallel(...)``.
"""

from __future__ import annotations

import re
import secrets
import shlex
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from validator.errors import CommandValueError

__all__ = [
    "Batch",
    "CommandOutput",
    "Commands",
    "build_parallel",
    "build_sequential",
    "new_nonce",
    "split_output",
    "step_tag",
    "validate_tag",
]

Commands = Mapping[str, str | Sequence[str] | Mapping[str, str]]

_TAG_RE = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
_FRAME_TAG = r"[A-Za-z0-9_.:-]{1,128}(?:/[A-Za-z0-9_.:-]{1,128})?"
_NONCE_RE = re.compile(r"[0-9a-f]{16,64}")
MAX_PARALLEL = 512


@dataclass(frozen=True)
class CommandOutput:
    """What one framed command printed (stdout and stderr merged) and its exit status."""

    stdout: str
    exit_status: int

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


class Batch(NamedTuple):
    """A script to run with ``sh`` and the ``nonce`` to give :func:`split_output`."""

    script: str
    nonce: str


def new_nonce() -> str:
    """A fresh random marker nonce (24 hex digits)."""
    return secrets.token_hex(12)


def validate_tag(tag: object) -> str:
    if not isinstance(tag, str) or not _TAG_RE.fullmatch(tag):
        raise CommandValueError(f"bad batch tag {tag!r}: want [A-Za-z0-9_.:-]+")
    return tag


def step_tag(tag: str, step: int | str) -> str:
    """The frame tag of step ``step`` (a step name, or a 0-based index) of the chain ``tag``."""
    name = str(step) if isinstance(step, int) and not isinstance(step, bool) and step >= 0 else step
    return f"{validate_tag(tag)}/{validate_tag(name)}"


def _check_nonce(nonce: object) -> str:
    if not isinstance(nonce, str) or not _NONCE_RE.fullmatch(nonce):
        raise CommandValueError(f"bad nonce {nonce!r}: want 16-64 lower-case hex digits")
    return nonce


def _nonce(nonce: str | None) -> str:
    return new_nonce() if nonce is None else _check_nonce(nonce)


def _jobs(commands: Commands) -> list[list[tuple[str, str]]]:
    """Per tag, its (frame tag, command) steps, validated."""
    if not isinstance(commands, Mapping):
        raise CommandValueError("commands must be a mapping of tag -> command(s)")
    jobs: list[list[tuple[str, str]]] = []
    for tag, value in commands.items():
        validate_tag(tag)
        if isinstance(value, str):
            steps = [(tag, value)]
        elif isinstance(value, Mapping) and value:
            steps = [(step_tag(tag, name), command) for name, command in value.items()]
        elif isinstance(value, Sequence) and value:
            steps = [(step_tag(tag, index), command) for index, command in enumerate(value)]
        else:
            raise CommandValueError(f"tag {tag!r}: want a command or a non-empty chain of commands")
        for frame, command in steps:
            if not isinstance(command, str) or not command.strip() or "\x00" in command:
                raise CommandValueError(f"tag {frame!r}: empty or invalid command {command!r}")
        jobs.append(steps)
    return jobs


# the markers are quoted as literals: a nonce is hex and a frame tag [A-Za-z0-9_.:/-] (both checked), so no
# quote can be in them (what shlex.quote would give, without its cost for thousands of steps)
def _marker(nonce: str, kind: str, frame: str) -> str:
    return f"'@@vmv-{nonce}-{kind} {frame}'"


def _begin(nonce: str, frame: str) -> str:
    return f"printf '\\n%s\\n' {_marker(nonce, 'begin', frame)}"


def _end(nonce: str, frame: str, status: str) -> str:
    return f"printf '\\n%s rc=%s\\n' {_marker(nonce, 'end', frame)} {status}"


def _run(command: str) -> str:
    return f"sh -c {shlex.quote(command)} </dev/null"


def build_sequential(commands: Commands, *, nonce: str | None = None) -> Batch:
    """One script that runs every command (or chain) in order, each output framed."""
    nonce = _nonce(nonce)
    lines = ["# vmotion-validator batch (sequential)"]
    for steps in _jobs(commands):
        for frame, command in steps:
            lines.append(_begin(nonce, frame))
            lines.append(f"{_run(command)} 2>&1")
            lines.append(_end(nonce, frame, '"$?"'))
    return Batch("\n".join(lines) + "\n", nonce)


def build_parallel(
    commands: Commands,
    max_parallel: int,
    *,
    nonce: str | None = None,
    isolate: bool = True,
    gates: Collection[str] = (),
    own_group: bool = False,
    deadlines: Mapping[str, int] | None = None,
    stall_factor: int = 2,
) -> Batch:
    """One script that runs the commands (or chains) as background jobs, at most ``max_parallel`` at a
    time, and prints each job's framed output as soon as the job ends, followed by a job marker
    ``@@vmv-<nonce>-done <tag>`` (read them as they come with :class:`validator.esxi.stream.FrameReader`).

    A job writes to its own file in a ``mktemp -d`` directory and reports its end on a FIFO; the script
    starts the next job at once (a sliding window, not waves) and prints the ended jobs' files with its
    heartbeat every :data:`BEAT_TICKS` seconds (or every 32 jobs: one write for many jobs). The script ends
    its own work when its reader is gone: a watchdog ticks every second, the heartbeat write then fails, and
    a failed write (or SIGPIPE, HUP, INT, TERM) stops every job and removes the directory. ``own_group=True``
    says the script's process group is its own (an SSH exec session: sshd starts it in a new session):
    stopping then signals the whole group, so the jobs' children (vmkping, ping) end too; otherwise only
    a script that leads its group signals it, else it signals its jobs. POSIX ``sh`` and busybox ash
    (``mktemp``, ``mkfifo``, ``cat``, ``rm``, ``sleep``).

    ``isolate=False`` runs each command in the job's shell instead of its own ``sh -c`` (one process
    less per command; only for commands built by :mod:`validator.esxi.commands`, which quote every
    word). A chain step whose name is in ``gates`` stops its chain when it exits non-zero: the later
    steps are not run and have no frame.

    Every :data:`BEAT_TICKS` ticks the script reports its progress,
    ``@@vmv-<nonce>-beat <started> <finished> <late> <window> <ticks>`` (jobs started, jobs ended, jobs stopped
    at their deadline, the current window, ticks so far), in the same write as the outputs of the jobs that
    ended since the last one. ``deadlines`` gives a
    job its own limit in ticks (seconds), counted from its start on the host (default: none). A job past it
    is stopped only when the host is otherwise getting on: a job started no earlier than it has ended (it
    was overtaken) and it has run more than :data:`PEER_FACTOR` times the host's recent longest job; a host
    whose jobs are all slow together is waited for, up to ``stall_factor`` times the deadline. A stopped job
    has its running step signalled (TERM), runs no further step and is marked ``@@vmv-<nonce>-late <tag>``
    before its done marker. The window adapts on the host: it halves when a job is stopped late or took
    more than half its deadline (once per burst: only a job started after the last back-off backs off
    again), and grows by one (up to ``max_parallel``) after a window's worth of jobs that kept well within
    theirs.
    """
    if isinstance(max_parallel, bool) or not isinstance(max_parallel, int) or not 1 <= max_parallel <= MAX_PARALLEL:
        raise CommandValueError(f"max_parallel must be an integer in 1..{MAX_PARALLEL}, got {max_parallel!r}")
    if isinstance(stall_factor, bool) or not isinstance(stall_factor, int) or not 1 <= stall_factor <= 100:
        raise CommandValueError(f"stall_factor must be an integer in 1..100, got {stall_factor!r}")
    nonce = _nonce(nonce)
    jobs = _jobs(commands)
    gate_frames = {step_tag(tag, gate) for tag in commands for gate in gates}
    lines = ["# vmotion-validator batch (parallel, streamed)"]
    if not jobs:
        return Batch("\n".join(lines) + "\n", nonce)
    limits = _deadlines(commands, deadlines or {})
    lines.append("g=0" if own_group else "g=''; kill -0 -$$ 2>/dev/null && g=-$$")
    lines.append(f"n={len(jobs)} w={max_parallel} W={max_parallel} i=0 left={len(jobs)} now=0 run=0 fin=0 late=0"
                 f" ok=0 cut=-1 R='' P='' X='' np=0 D=0 B=-1 F={PEER_FACTOR} H={stall_factor}")
    lines.append(f"beat='' B0='\\n@@vmv-{nonce}-beat %s %s %s %s %s\\n' T={BEAT_TICKS}")
    lines += _STREAM_PROLOGUE
    for index, (tag, steps) in enumerate(zip(commands, jobs, strict=True)):
        lines.append(f"j{index}() {{ {_job_body(nonce, tag, steps, isolate, gate_frames)}; }}; t{index}={limits[tag]}")
    lines += [line.replace("@NONCE@", nonce) for line in _STREAM_MAIN]
    return Batch("\n".join(lines) + "\n", nonce)


NO_DEADLINE = 999_999_999  # ticks: a job without a deadline of its own
MAX_DEADLINE = 86_400
BEAT_TICKS = 2  # ticks (seconds) between heartbeats, each written with the outputs gathered since the last
PEER_FACTOR = 4  # an overtaken job is stopped past its deadline once it ran this many times the recent longest job


def _deadlines(commands: Commands, deadlines: Mapping[str, int]) -> dict[str, int]:
    """Per tag, its deadline in whole ticks (validated), or :data:`NO_DEADLINE`."""
    out = {}
    for tag in commands:
        limit = deadlines.get(tag, NO_DEADLINE)
        if limit != NO_DEADLINE and (isinstance(limit, bool) or not isinstance(limit, int)
                                     or not 1 <= limit <= MAX_DEADLINE):
            raise CommandValueError(f"tag {tag!r}: deadline must be 1..{MAX_DEADLINE} seconds, got {limit!r}")
        out[tag] = limit
    return out


# stop: end every process of the group $g or, without one, the jobs still running (their PIDs p<i>: a
# finished job's PID is forgotten at once, it may be reused), then remove the directory (once more a second
# later if a job ending just then wrote into it)
_STREAM_PROLOGUE = [
    'd=$(mktemp -d "${TMPDIR:-/tmp}/vmv.XXXXXX") || { echo "vmv: mktemp -d failed" >&2; exit 111; }',
    "wd=''",
    "stop() { trap '' HUP INT TERM PIPE; trap - EXIT; if [ -n \"$g\" ]; then kill -TERM $g 2>/dev/null; else"
    ' k=0; while [ "$k" -lt "$n" ]; do eval "q=\\${p$k:-}"; [ -z "$q" ] || kill -TERM "$q" 2>/dev/null;'
    ' k=$((k + 1)); done; [ -z "$wd" ] || kill -TERM "$wd" 2>/dev/null; fi; rm -rf "$d";'
    ' [ ! -d "$d" ] || { sleep 1; rm -rf "$d"; }; exit "$1"; }',
    "trap 'stop 0' EXIT",
    "trap 'stop 129' HUP",
    "trap 'stop 130' INT",
    "trap 'stop 143' TERM",
    "trap 'stop 141' PIPE",
    'mkfifo "$d/q" && exec 3<>"$d/q" || { echo "vmv: mkfifo failed" >&2; exit 111; }',
    'cd "$d" || exit 111',
    # a job: its function in a subshell whose TERM (its deadline) stops the running step and the chain; once
    # its steps are over it leaves a flag file x<job> (a builtin redirection), so that a job that ended is
    # never signalled by its PID, which may already belong to another process (a job stopped by TERM leaves
    # none: it is marked already, and the script may be removing its directory)
    'r() { ( x="" c=""; trap \'x=1; [ -z "$c" ] || kill -TERM "$c" 2>/dev/null\' TERM; "j$1" >"$d/$1" 2>&1;'
    ' [ -n "$x" ] || : >"$d/x$1"; echo "$1" >&3 ) & eval "p$1=$! e$1=0 b$1=$now"; R="$R $1" run=$((run + 1)); }',
    # print the ended jobs' outputs (names relative to $d, the working directory) and, every T ticks, the
    # heartbeat (beat: its format): at most then, or every 32 jobs, gathered in one file first: one write (one
    # SSH packet) for many jobs and the heartbeat, not one each
    'hb() { [ -z "$beat" ] || printf "$beat" "$i" "$fin" "$late" "$w" "$now"; }',
    'flush() { if [ -n "$P" ]; then { cat $P; hb; } >o && cat o || stop 141; rm -f $P $X o; P="" X="" np=0;'
    ' else hb || stop 141; fi; beat=""; }',
    # start jobs while the window has room
    'fill() { while [ "$run" -lt "$w" ] && [ "$i" -lt "$n" ]; do r "$i"; i=$((i + 1)); done; }',
]

# the watchdog ticks every second while the script lives; a tick makes the script write its heartbeat,
# which fails once the session's reader is gone. It outlives the script's own stop (TERM ignored) by up to a
# second, to signal the group once more: a step forked while the group was being stopped ends too
_STREAM_MAIN = [
    "fill",
    "( trap '' TERM; while kill -0 $$ 2>/dev/null && echo t >&3; do sleep 1; done;"
    ' [ -z "$g" ] || kill -TERM $g 2>/dev/null ) >/dev/null 2>&1 & wd=$!',
    'while [ "$left" -gt 0 ] && read -r m <&3; do',
    "    case $m in",
    # a tick: stop the jobs past their deadline (once each; e<k> is -1 then), then say how far the host got.
    # Past its deadline t<k>, a job is stopped when it was overtaken (B: the latest start of an ended job) and
    # ran more than F times D (the recent longest job), or when it ran more than H times its deadline
    '    t) now=$((now + 1))',
    '       for k in $R; do eval "y=\\$e$k z=\\$b$k u=\\$t$k"; a=$((now - z));'
    ' if [ "$y" -eq 0 ] && [ "$a" -gt "$u" ] && { [ "$a" -gt $((u * H)) ] ||'
    ' { [ "$B" -ge "$z" ] && [ "$a" -gt $((D * F)) ]; }; } && [ ! -e "x$k" ]; then eval "e$k=-1 q=\\${p$k:-}";'
    ' [ -z "$q" ] || kill -TERM "$q" 2>/dev/null; fi; done',
    '       [ $((now % T)) -ne 0 ] || { beat=$B0; flush; } ;;',
    # a job ended: print it, adapt the window to how it went, start the next ones
    '    *) eval "p$m= y=\\$e$m z=\\$b$m u=\\$t$m"; P="$P $m" X="$X x$m" np=$((np + 1)); [ "$np" -lt 32 ] || flush',
    '       left=$((left - 1)) run=$((run - 1)) fin=$((fin + 1)) v=""',
    '       for k in $R; do [ "$k" = "$m" ] || v="$v $k"; done; R=$v',
    # D follows the longest recent job (up at once, down by an eighth of the gap per job); B the latest start
    '       if [ "$y" -eq -1 ]; then late=$((late + 1)); else dur=$((now - z));'
    ' if [ "$dur" -gt "$D" ]; then D=$dur; else D=$((D - (D - dur) / 8)); fi; [ "$z" -le "$B" ] || B=$z; fi',
    # one back-off per burst: only a job started after the last one backs off again
    '       if [ "$y" -eq -1 ] || [ $(((now - z) * 2)) -gt "$u" ]; then',
    '           if [ "$z" -gt "$cut" ]; then w=$(((w + 1) / 2)) cut=$now; fi; ok=0',
    '       elif [ "$w" -lt "$W" ]; then ok=$((ok + 1)); if [ "$ok" -ge "$w" ]; then w=$((w + 1)) ok=0; fi; fi',
    '       fill ;;',
    "    esac",
    "done",
    "beat=$B0; flush",
]


# a TERM that came before the step's PID was known (or while it was waited for) stops the step now
_stop_late = '[ -z "$x" ] || kill -TERM "$c" 2>/dev/null'


def _job_body(nonce: str, tag: str, steps: list[tuple[str, str]], isolate: bool, gates: set[str]) -> str:
    """A job's steps, framed, a gate wrapping the steps after it, then the job's done marker."""
    done = f"printf '\\n%s\\n' {_marker(nonce, 'done', tag)}"
    late = f"printf '\\n%s\\n' {_marker(nonce, 'late', tag)}"
    body = ""
    for frame, command in reversed(steps):
        run = _run(command) if isolate else f"{command} </dev/null"
        # in the background and waited for: a TERM to the job (its deadline) is handled at once
        waited = f'c=$!; {_stop_late}; wait "$c"; s=$?; {_stop_late}; c=""'
        step = f"{_begin(nonce, frame)}; {run} 2>&1 & {waited}; {_end(nonce, frame, '$s')}"
        if body:
            gate = ' && [ "$s" -eq 0 ]' if frame in gates else ""
            step += f'; if [ -z "$x" ]{gate}; then {body}; fi'
        body = step
    return f'{body}; [ -z "$x" ] || {late}; {done}'


def split_output(text: str, nonce: str) -> dict[str, CommandOutput]:
    """Every complete frame of ``text`` (made with ``nonce``) -> its output and exit status.

    A tag whose frame is missing or cut short (no end marker) is absent from the result; the
    caller turns that into an error. Chain steps are keyed ``<tag>/<step>`` (:func:`step_tag`).
    Raises :class:`CommandValueError` only for a malformed ``nonce``.
    ``\\r\\n`` is read as ``\\n`` (PTY sessions).
    """
    nonce = _check_nonce(nonce)
    if not isinstance(text, str):
        raise CommandValueError(f"expected text, got {type(text).__name__}")
    text = text.replace("\r\n", "\n")
    begin_re = re.compile(rf"^@@vmv-{nonce}-begin ({_FRAME_TAG})\n", re.MULTILINE)
    end_re = re.compile(rf"\n@@vmv-{nonce}-end ({_FRAME_TAG}) rc=([0-9]{{1,3}})$", re.MULTILINE)
    results: dict[str, CommandOutput] = {}
    position = 0
    while begin := begin_re.search(text, position):
        frame = begin.group(1)
        end = end_re.search(text, begin.end())
        while end is not None and end.group(1) != frame:
            end = end_re.search(text, end.start() + 1)
        if end is None:
            position = begin.end()
            continue
        results.setdefault(frame, CommandOutput(text[begin.end() : end.start()], int(end.group(2))))
        position = end.end()
    return results
