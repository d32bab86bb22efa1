"""Run commands on hosts: a small protocol, and its paramiko implementation.

Everything above this module talks to :class:`Executor` and :class:`CommandResult`, never to
paramiko, so tests and other sources can inject their own :class:`Connector`. paramiko's errors are
mapped to :mod:`validator.errors` here and nowhere else. Secrets never enter an error message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import paramiko

from validator.errors import AuthError, CommandTimeout, ConnectError, HostKeyError, TransportError
from validator.models import HostTarget
from validator.ssh_settings import SshSettings


@dataclass(frozen=True)
class CommandResult:
    """What one remote command returned."""

    command: str
    exit_status: int
    stdout: str
    stderr: str = ""


class Executor(Protocol):
    """An open session to one host."""

    def run(self, command: str, timeout: float | None = None, stdin: str | None = None) -> CommandResult: ...

    def close(self) -> None: ...


SCRIPT_SHELL = "/bin/sh -s"
SSH_PORT = 22
HANDSHAKE_SECONDS = 60.0  # once a host's banner came, key exchange and login may take this long (a busy host)
KEEPALIVE_REQUEST = "keepalive@openssh.com"  # any global request with want-reply; OpenSSH answers even unknown ones
IDLE_WAKE_SECONDS = 1.0
READ_GRACE = 0.05  # seconds a read waits once its channel said data is there

# paramiko logs failed handshakes with tracebacks; they reach the terminal only when logging is configured
# (the CLI's --debug), never through Python's last-resort handler; one such handler however often this is imported
if not any(isinstance(h, logging.NullHandler) for h in logging.getLogger("paramiko").handlers):
    logging.getLogger("paramiko").addHandler(logging.NullHandler())

# paramiko checks every packet's MAC with a byte-by-byte Python loop (paramiko.util.constant_time_bytes_eq),
# a third of the validator's CPU while results stream in; the standard library's constant-time compare does
# the same check in C
paramiko.util.constant_time_bytes_eq = hmac.compare_digest  # type: ignore[assignment]


def run_script(executor: Executor, script: str, timeout: float | None = None) -> CommandResult:
    """Run a shell script fed on stdin: one session whatever its size (an argument is capped at 128 KiB)."""
    return executor.run(SCRIPT_SHELL, timeout=timeout, stdin=script)


class Stream(Protocol):
    """A running remote command whose output is read as it comes."""

    def read(self, timeout: float) -> bytes | None:
        """The next output (stdout and stderr merged); ``None`` when nothing came within ``timeout``
        seconds, ``b""`` once the command's output has ended. Raises :class:`TransportError`."""
        ...

    def close(self) -> None:
        """End the command: its remote processes are told to stop, then the session is closed."""
        ...


@runtime_checkable
class AnsweringStream(Stream, Protocol):
    """A stream whose host can be asked whether it is still there, whatever its command is doing."""

    def keepalive(self) -> threading.Event:
        """Ask the host (its SSH server); the event is set when it answers."""
        ...


@runtime_checkable
class StreamingExecutor(Executor, Protocol):
    """An executor that can also stream a command's output; the command runs in a process group of its
    own (as sshd runs an exec session), which the script may signal as a whole."""

    def start(self, command: str, stdin: str | None = None) -> Stream: ...


class _FinishedStream:
    """A command already run to its end by :meth:`Executor.run`, read as a stream (executors without
    :meth:`StreamingExecutor.start`)."""

    def __init__(self, result: CommandResult) -> None:
        self._data = (result.stdout + result.stderr).encode("utf-8")

    def read(self, timeout: float) -> bytes | None:
        data, self._data = self._data, b""
        return data

    def close(self) -> None:
        self._data = b""


def start_script(executor: Executor, script: str, timeout: float | None = None) -> Stream:
    """Start a shell script fed on stdin and stream its output; ``timeout`` only bounds executors that
    cannot stream (they run the script to its end first)."""
    if isinstance(executor, StreamingExecutor):
        return executor.start(SCRIPT_SHELL, stdin=script)
    return _FinishedStream(executor.run(SCRIPT_SHELL, timeout=timeout, stdin=script))


class Connector(Protocol):
    """Opens executors; one connector serves a whole run."""

    def connect(self, target: HostTarget) -> Executor: ...


class KnownHosts:
    """The run's known_hosts file, read once for every connection, and the keys trusted on first use added to it."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._keys: paramiko.HostKeys | None = None

    def keys_for(self, name: str, host: str) -> list[tuple[str, paramiko.PKey]]:
        """The keys known for ``name`` (``addr`` or ``[addr]:port``); HostKeyError when the file is unreadable."""
        with self._lock:
            if self._keys is None:
                self._keys = paramiko.HostKeys()
                if self._path is not None and self._path.exists():
                    try:
                        self._keys.load(str(self._path))
                    except (OSError, paramiko.SSHException) as exc:
                        self._keys = None
                        raise HostKeyError(f"cannot read known_hosts {self._path}: {exc}", host) from None
            found = self._keys.lookup(name)
            return list(found.items()) if found is not None else []

    def remember(self, name: str, key: paramiko.PKey) -> None:
        """Trust ``key`` for ``name`` from now on: in this run, and in the file when there is one."""
        with self._lock:
            if self._keys is not None:
                self._keys.add(name, key.get_name(), key)
            if self._path is None:
                return
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("a", encoding="utf-8") as handle:
                handle.write(f"{name} {key.get_name()} {key.get_base64()}\n")


class _AcceptNewPolicy(paramiko.MissingHostKeyPolicy):
    """Trust a key never seen before and record it; a changed key still fails (paramiko raises)."""

    def __init__(self, known: KnownHosts) -> None:
        self._known = known

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        client.get_host_keys().add(hostname, key.get_name(), key)
        self._known.remember(hostname, key)


class SshConnector:
    """Connects with paramiko: strict known_hosts by default; password falls back to keyboard-interactive."""

    def __init__(self, settings: SshSettings, password: str | None = None) -> None:
        self._settings = settings
        self._password = password
        self._known = KnownHosts(settings.known_hosts)

    def __repr__(self) -> str:  # never show the password
        return f"SshConnector(username={self._settings.username!r}, policy={self._settings.host_key_policy!r})"

    def connect(self, target: HostTarget) -> SshExecutor:
        settings = self._settings
        client = paramiko.SSHClient()
        name = target.address if target.port == SSH_PORT else f"[{target.address}]:{target.port}"
        for key_type, key in self._known.keys_for(name, target.name):  # as paramiko's connect looks them up
            client.get_host_keys().add(name, key_type, key)
        if settings.host_key_policy == "accept-new":
            client.set_missing_host_key_policy(_AcceptNewPolicy(self._known))
        else:
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
        sock: socket.socket | None = None
        # the TCP connection and the server's banner within connect_timeout: a host that is not there is known
        # quickly; after the banner the host is working, and a busy one gets longer for the handshake and login
        patience = handshake_seconds(settings)
        try:
            sock = open_socket(target, settings.connect_timeout)
            client.connect(
                target.address,
                sock=sock,
                port=target.port,
                username=settings.username,
                password=self._password,
                key_filename=str(settings.key_file) if settings.key_file else None,
                allow_agent=settings.allow_agent and self._password is None,
                look_for_keys=False,
                timeout=patience,
                banner_timeout=settings.connect_timeout,
                auth_timeout=patience,
                transport_factory=_patient_transport(patience),
            )
        except Exception as exc:
            handshake = handshake_state(client.get_transport())
            client.close()
            if sock is not None:
                sock.close()
            raise map_connect_error(exc, target, settings, handshake) from None
        # paramiko's reader thread wakes at every socket timeout (0.1 s) only to look whether it should stop:
        # once a second is enough, and ten times fewer wake-ups per connection for the length of the run
        sock.settimeout(IDLE_WAKE_SECONDS)
        return SshExecutor(client, target, settings.command_timeout)


def handshake_seconds(settings: SshSettings) -> float:
    """How long key exchange and login may take once the server's banner came."""
    return max(settings.connect_timeout, HANDSHAKE_SECONDS)


def _patient_transport(handshake: float) -> Callable[..., paramiko.Transport]:
    """A transport factory whose key exchange may take ``handshake`` seconds (paramiko's default is 15)."""

    def factory(sock: socket.socket, **kwargs: Any) -> paramiko.Transport:
        transport = paramiko.Transport(sock, **kwargs)
        transport.handshake_timeout = handshake
        return transport

    return factory


def open_socket(target: HostTarget, timeout: float) -> socket.socket:
    """A TCP connection with Nagle off: short exec requests go out at once (about 40 ms saved each)."""
    sock = socket.create_connection((target.address, target.port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def sha256_fingerprint(key: paramiko.PKey) -> str:
    """``SHA256:...`` as ``ssh-keygen -lf`` prints it."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def handshake_state(transport: paramiko.Transport | None) -> str | None:
    """How far the SSH handshake got: ``None`` (done, or never started), ``"no-banner"``, or the server's
    banner when the key exchange never completed."""
    if transport is None or transport.session_id is not None:
        return None
    return transport.remote_version or "no-banner"


def map_connect_error(
    exc: Exception, target: HostTarget, settings: SshSettings, handshake: str | None = None
) -> TransportError:
    """Translate a paramiko/socket failure into the project's error, with a message an admin can act on.
    ``handshake`` (:func:`handshake_state`) tells a listener that never speaks SSH from one that stalls."""
    where = f"{target.address}:{target.port}"
    timeout = f"{settings.connect_timeout:g} s"
    if handshake == "no-banner" and not isinstance(exc, paramiko.AuthenticationException):
        return ConnectError(f"{where} accepted the connection but sent no SSH banner within {timeout} "
                            f"(not an SSH server, or a hung one)", target.name)
    patience = f"{handshake_seconds(settings):g} s"
    if handshake is not None and not isinstance(exc, paramiko.BadHostKeyException | paramiko.AuthenticationException):
        return ConnectError(f"SSH handshake with {where} stalled after its banner ({handshake[:64]}); "
                            f"gave up after {patience}", target.name)
    if isinstance(exc, paramiko.BadHostKeyException):
        return HostKeyError(
            f"host key for {where} CHANGED (got {exc.key.get_name()} {sha256_fingerprint(exc.key)}); "
            f"if the host was reinstalled, remove its line from {settings.known_hosts} and trust the new key",
            target.name,
        )
    if isinstance(exc, paramiko.AuthenticationException) and "timeout" in str(exc).lower():
        return ConnectError(f"login to {where} did not complete within {patience} (an overloaded host?)",
                            target.name)
    if isinstance(exc, paramiko.AuthenticationException):
        return AuthError(f"authentication failed for {settings.username}@{where}", target.name)
    if isinstance(exc, paramiko.SSHException) and "not found in known_hosts" in str(exc):
        return HostKeyError(
            f"host key for {where} is unknown (not in {settings.known_hosts}); add it, or set "
            f"host_key_policy = \"accept-new\" to trust it on first use",
            target.name,
        )
    if isinstance(exc, socket.timeout | TimeoutError):
        return ConnectError(f"connection to {where} timed out after {settings.connect_timeout:g} s", target.name)
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError | OSError):
        reason = getattr(exc, "strerror", None) or exc.__class__.__name__
        return ConnectError(f"cannot connect to {where}: {reason}", target.name)
    if isinstance(exc, paramiko.SSHException):
        return TransportError(f"SSH error with {where}: {exc}", target.name)
    return TransportError(f"unexpected error with {where}: {exc.__class__.__name__}", target.name)


class SshExecutor:
    """One SSH connection; each :meth:`run` is one exec session (channel) on it."""

    def __init__(self, client: paramiko.SSHClient, target: HostTarget, default_timeout: float) -> None:
        self._client = client
        self._target = target
        self._default_timeout = default_timeout
        self.sessions = 0

    def run(self, command: str, timeout: float | None = None, stdin: str | None = None) -> CommandResult:
        limit = self._default_timeout if timeout is None else timeout
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise TransportError(f"connection to {self._target.address} is closed", self._target.name)
        channel: paramiko.Channel | None = None
        try:
            channel = transport.open_session(timeout=limit)
            self.sessions += 1
            channel.settimeout(limit)
            channel.exec_command(command)
            if stdin is not None:
                channel.sendall(stdin.encode("utf-8"))
                channel.shutdown_write()
            stdout, stderr = _drain(channel, time.monotonic() + limit)
            status = channel.recv_exit_status()
        except TimeoutError:
            raise CommandTimeout(
                f"command on {self._target.name} did not finish within {limit:g} s", self._target.name
            ) from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise TransportError(f"command on {self._target.name} failed: {exc}", self._target.name) from None
        finally:
            if channel is not None:
                channel.close()  # a timed-out session must not linger on the host
        return CommandResult(command=command, exit_status=status, stdout=stdout, stderr=stderr)

    def start(self, command: str, stdin: str | None = None) -> SshStream:
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise TransportError(f"connection to {self._target.address} is closed", self._target.name)
        channel: paramiko.Channel | None = None
        try:
            channel = transport.open_session(timeout=self._default_timeout)
            self.sessions += 1
            channel.set_combine_stderr(True)
            channel.settimeout(self._default_timeout)
            channel.exec_command(command)
            if stdin is not None:
                channel.sendall(stdin.encode("utf-8"))
                channel.shutdown_write()
        except (paramiko.SSHException, OSError, EOFError) as exc:
            if channel is not None:
                channel.close()
            raise TransportError(f"command on {self._target.name} failed: {exc}", self._target.name) from None
        return SshStream(channel, self._target.name)

    def close(self) -> None:
        self._client.close()


class SshStream:
    """One exec session read as it comes; :meth:`close` signals the remote process group first.

    Waiting is a ``poll`` on the channel's event pipe (paramiko makes it readable when data or the end
    arrives), so a stream with nothing new costs a system call, not a timed wait in Python.
    """

    def __init__(self, channel: paramiko.Channel, host: str) -> None:
        self._channel = channel
        self._host = host
        self._ready = select.poll()
        self._ready.register(channel.fileno(), select.POLLIN)
        channel.settimeout(READ_GRACE)

    def read(self, timeout: float) -> bytes | None:
        try:
            if not self._channel.recv_ready() and not self._ready.poll(max(0, round(timeout * 1000))):
                return None
            return bytes(self._channel.recv(65536))
        except TimeoutError:
            return None
        except (paramiko.SSHException, OSError, EOFError, ValueError) as exc:
            raise TransportError(f"command on {self._host} failed: {exc}", self._host) from None

    def keepalive(self) -> threading.Event:
        """Send the SSH server a keepalive request that wants a reply (as OpenSSH's ServerAliveInterval does);
        the event is set when any reply comes. A server that never answers leaves a thread waiting until the
        connection closes."""
        answered = threading.Event()
        transport = self._channel.get_transport()
        if transport is None:
            return answered

        def ask() -> None:
            try:
                transport.global_request(KEEPALIVE_REQUEST, wait=True)
            except (paramiko.SSHException, OSError, EOFError):
                return
            if transport.is_active():
                answered.set()

        threading.Thread(target=ask, daemon=True, name=f"keepalive-{self._host}").start()
        return answered

    def close(self) -> None:
        channel = self._channel
        if not channel.closed and not channel.exit_status_ready():
            send_signal(channel, "TERM")
        channel.close()


def send_signal(channel: paramiko.Channel, name: str) -> bool:
    """Ask sshd to signal the session's process group (RFC 4254 6.9 "signal"; OpenSSH 7.9+ sends it to the
    whole group with killpg). paramiko has no API for it. False when it could not be sent."""
    message = paramiko.Message()
    message.add_byte(paramiko.common.cMSG_CHANNEL_REQUEST)
    message.add_int(channel.remote_chanid)
    message.add_string("signal")
    message.add_boolean(False)
    message.add_string(name)
    send = getattr(channel.get_transport(), "_send_user_message", None)  # no public API for channel requests
    if send is None:
        return False
    try:
        send(message)
    except (paramiko.SSHException, OSError, EOFError):
        return False
    return True


def _drain(channel: paramiko.Channel, deadline: float) -> tuple[str, str]:
    """Read stdout to EOF, then stderr (ours is small; the channel window covers it)."""
    out: list[bytes] = []
    while chunk := channel.recv(65536):
        out.append(chunk)
        if time.monotonic() > deadline:
            raise TimeoutError
    err: list[bytes] = []
    while chunk := channel.recv_stderr(65536):
        err.append(chunk)
    return b"".join(out).decode("utf-8", "replace"), b"".join(err).decode("utf-8", "replace")
