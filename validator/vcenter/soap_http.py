"""The HTTP/1.1 under the SOAP calls: one keep-alive TLS connection per call in flight, nothing more.

A probe is a small POST and a small answer, thousands of times per run, so this stays minimal: the request is
one ``sendall``, the answer's status line and headers are split by hand (``Content-Length`` or chunked), every
read is bounded in size and by the call's deadline, and new connections resume the first one's TLS session
(no certificate chain to verify again). Timeouts raise :class:`TimeoutError`; a connection the server closed
raises :class:`StaleConnection` (worth one more try on a new connection when it had served calls before).

Two ways to post: :class:`Channel`, one blocking call at a time (a few calls, as the executer's retrieval), and
:class:`Multiplexer`, every call of a probe run in flight at once on non-blocking connections, all driven by one
thread, each answer handed to a callback as it is complete.
"""

from __future__ import annotations

import errno
import heapq
import os
import selectors
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from typing import Any

MAX_HEAD = 64 * 1024  # bytes of status line and headers
GATHER = 0.01  # seconds a Multiplexer lets answers gather before it reads them (it wakes at most 100 times a second)
_CRLF2 = b"\r\n\r\n"


class StaleConnection(ConnectionError):
    """The server closed the connection before answering."""


class HttpError(ValueError):
    """The answer is not HTTP/1.1 as expected (bad status line, bad framing, too large)."""


class Channel:
    """One TLS connection posting to one path; used by one thread at a time."""

    def __init__(self, sock: ssl.SSLSocket) -> None:
        self.sock = sock
        self.served = 0  # answers read on this connection
        self._buffer = b""

    @classmethod
    def open(cls, host: str, port: int, context: ssl.SSLContext, timeout: float,
             session: ssl.SSLSession | None) -> Channel:
        raw = socket.create_connection((host, port), timeout=timeout)
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock = context.wrap_socket(raw, server_hostname=host, session=session)
        except BaseException:
            raw.close()
            raise
        return cls(sock)

    def post(self, request: bytes, deadline: float, max_body: int) -> tuple[int, bytes, bool]:
        """Send ``request`` (head and body); the answer's status, body and whether the connection stays open."""
        self._settimeout(deadline)
        self.sock.sendall(request)
        head = self._read_head(deadline)
        status, length, chunked, close = parse_head(head)
        if chunked:
            body = self._read_chunked(deadline, max_body)
        elif length is not None:
            if length > max_body:
                raise HttpError(f"answer of {length} bytes (at most {max_body})")
            body = self._read_exactly(length, deadline)
        else:  # no framing: the body ends with the connection
            body, close = self._read_to_end(deadline, max_body), True
        self.served += 1
        return status, body, not close

    def close(self) -> None:
        self.sock.close()

    def _settimeout(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        self.sock.settimeout(left)

    def _fill(self, deadline: float) -> None:
        self._settimeout(deadline)
        data = self.sock.recv(65536)
        if not data:
            raise StaleConnection("connection closed by the server")
        self._buffer += data

    def _read_head(self, deadline: float) -> bytes:
        while (end := self._buffer.find(_CRLF2)) < 0:
            if len(self._buffer) > MAX_HEAD:
                raise HttpError("answer headers too long")
            self._fill(deadline)
        head, self._buffer = self._buffer[:end], self._buffer[end + 4:]
        return head

    def _read_exactly(self, size: int, deadline: float) -> bytes:
        while len(self._buffer) < size:
            self._fill(deadline)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _read_line(self, deadline: float) -> bytes:
        while (end := self._buffer.find(b"\r\n")) < 0:
            if len(self._buffer) > MAX_HEAD:
                raise HttpError("chunk header too long")
            self._fill(deadline)
        line, self._buffer = self._buffer[:end], self._buffer[end + 2:]
        return line

    def _read_chunked(self, deadline: float, max_body: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size_text = self._read_line(deadline).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise HttpError("bad chunk size") from None
            if size == 0:
                while self._read_line(deadline):  # trailers, up to the empty line
                    pass
                return b"".join(parts)
            total += size
            if total > max_body:
                raise HttpError(f"answer larger than {max_body} bytes")
            parts.append(self._read_exactly(size, deadline))
            self._read_exactly(2, deadline)  # the CRLF after the chunk

    def _read_to_end(self, deadline: float, max_body: int) -> bytes:
        try:
            while len(self._buffer) <= max_body:
                self._fill(deadline)
        except StaleConnection:
            return self._buffer
        raise HttpError(f"answer larger than {max_body} bytes")


def request_prefix(host: str, path: str, headers: dict[str, str]) -> bytes:
    """The head of a POST up to the value of its ``Content-Length`` (the same for every body)."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items()), "Content-Length: "]
    return "\r\n".join(lines).encode("latin-1")


def parse_head(head: bytes) -> tuple[int, int | None, bool, bool]:
    """Status, Content-Length, chunked, and whether the server closes the connection after this answer."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise HttpError("not an HTTP/1.x status line")
    length: int | None = None
    chunked = False
    close = parts[0] == b"HTTP/1.0"
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        key, text = name.strip().lower(), value.strip().lower()
        if key == b"content-length":
            if not text.isdigit():
                raise HttpError("bad Content-Length")
            length = int(text)
        elif key == b"transfer-encoding":
            chunked = text.endswith(b"chunked")
        elif key == b"connection":
            close = text == b"close" or (close and text != b"keep-alive")
    return int(parts[1]), length, chunked, close


# ------------------------------------------------------------------------------------------ many calls, one thread


def answer_end(buffer: bytes | bytearray, max_body: int) -> tuple[int, bytes, bool, int] | None:
    """A complete answer at the start of ``buffer``: (status, body, keep the connection, bytes used); None while
    it is incomplete. Raises :class:`HttpError` for a bad one. An answer without framing is never complete here
    (its end is the connection's, see :meth:`Exchange.closed`)."""
    end = buffer.find(_CRLF2)
    if end < 0:
        if len(buffer) > MAX_HEAD:
            raise HttpError("answer headers too long")
        return None
    status, length, chunked, close = parse_head(bytes(buffer[:end]))
    start = end + 4
    if chunked:
        parts: list[bytes] = []
        at, total = start, 0
        while True:
            line_end = buffer.find(b"\r\n", at)
            if line_end < 0:
                if len(buffer) - at > MAX_HEAD:
                    raise HttpError("chunk header too long")
                return None
            try:
                size = int(bytes(buffer[at:line_end]).split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise HttpError("bad chunk size") from None
            at = line_end + 2
            if size == 0:
                while True:  # trailers, up to the empty line
                    line_end = buffer.find(b"\r\n", at)
                    if line_end < 0:
                        return None
                    empty, at = line_end == at, line_end + 2
                    if empty:
                        return status, b"".join(parts), not close, at
            total += size
            if total > max_body:
                raise HttpError(f"answer larger than {max_body} bytes")
            if len(buffer) < at + size + 2:
                return None
            parts.append(bytes(buffer[at:at + size]))
            at += size + 2
    if length is None:
        if len(buffer) - start > max_body:
            raise HttpError(f"answer larger than {max_body} bytes")
        return None
    if length > max_body:
        raise HttpError(f"answer of {length} bytes (at most {max_body})")
    if len(buffer) < start + length:
        return None
    return status, bytes(buffer[start:start + length]), not close, start + length


def _unframed(buffer: bytes | bytearray) -> tuple[int, bytes, bool, int] | None:
    """An answer without Content-Length or chunks, complete once the server closed the connection."""
    end = buffer.find(_CRLF2)
    if end < 0:
        return None
    status, length, chunked, _ = parse_head(bytes(buffer[:end]))
    if length is not None or chunked:
        return None  # cut short
    return status, bytes(buffer[end + 4:]), False, len(buffer)


Done = Callable[["tuple[int, bytes] | BaseException"], None]


class Exchange:
    """One request and its answer on a :class:`Multiplexer`; ``done`` gets (status, body) or the exception."""

    __slots__ = ("deadline", "done", "finished", "group", "request", "retried")

    def __init__(self, request: bytes, deadline: float, group: str, done: Done) -> None:
        self.request = request
        self.deadline = deadline
        self.group = group
        self.done = done
        self.finished = False
        self.retried = False


class _Connection:
    __slots__ = ("exchange", "inbox", "outbox", "served", "sock", "state")

    def __init__(self, sock: socket.socket | ssl.SSLSocket, state: str) -> None:
        self.sock = sock
        self.state = state  # "connect", "handshake", "send", "read"
        self.exchange: Exchange | None = None
        self.outbox = b""
        self.inbox = bytearray()
        self.served = 0


class Multiplexer:
    """Many requests in flight on keep-alive TLS connections, all driven by one thread.

    A probe run keeps hundreds of calls in flight, each waiting most of its time for a ping to end; a thread
    blocked per call makes every answer cost a handful of thread switches (each socket operation gives the
    interpreter lock away and takes it back). Here one thread waits on every connection at once and reads each
    answer as it comes. Connections are opened as needed (non-blocking, resuming the first one's TLS session),
    kept open when the server keeps them, and one a server closed while idle is replaced once. ``done`` runs
    on this thread: it must be quick, and may :meth:`submit` again. Thread-safe.
    """

    def __init__(self, host: str, port: int, context: ssl.SSLContext, max_body: int,
                 session: Callable[[], ssl.SSLSession | None] = lambda: None) -> None:
        self._host, self._port, self._context, self._max_body = host, port, context, max_body
        self._session = session  # a TLS session to resume before this thread has one of its own
        self.gather = GATHER
        self._address: tuple[socket.AddressFamily, Any] | None = None
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._wake_write.setblocking(False)
        self._selector.register(self._wake_read, selectors.EVENT_READ, None)
        self._commands: deque[tuple[str, Any]] = deque()
        self._idle: list[_Connection] = []
        self._busy: set[_Connection] = set()
        self._deadlines: list[tuple[float, int, Exchange]] = []
        self._count = 0
        self._tls: ssl.SSLSession | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, exchange: Exchange) -> None:
        self._command("submit", exchange)

    def abort(self, group: str | None = None) -> None:
        """End the exchanges in flight (of ``group``, or all) at once: each ``done`` gets ConnectionAbortedError."""
        self._command("abort", group)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread = self._thread
        self._command("close", None)
        if thread is None:
            self._shut()
        elif thread is not threading.current_thread():
            thread.join(5.0)

    def _command(self, kind: str, value: Any) -> None:
        with self._lock:
            if self._thread is None and kind == "submit" and not self._closed:
                self._thread = threading.Thread(target=self._loop, daemon=True, name="vcenter-calls")
                self._thread.start()
        self._commands.append((kind, value))
        with suppress(BlockingIOError, OSError):
            self._wake_write.send(b"\0")

    # ------------------------------------------------------------------ the loop

    def _loop(self) -> None:
        """Wait on every connection at once; each wake-up reads what came in the meantime (at most one wake-up per
        :data:`GATHER` seconds: on a busy machine every wake-up of a thread costs more than reading one answer,
        and an answer read 10 ms later is nothing beside the pings it waited for)."""
        woke = 0.0
        try:
            while True:
                pause = woke + self.gather - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                timeout = None
                if self._deadlines:
                    timeout = max(0.0, self._deadlines[0][0] - time.monotonic())
                ready = self._selector.select(timeout)
                woke = time.monotonic()
                for key, _ in ready:
                    if key.data is None:
                        with suppress(BlockingIOError, OSError):
                            while self._wake_read.recv(4096):
                                pass
                    else:
                        self._step(key.data)
                if not self._run_commands():
                    return
                self._expire()
        finally:
            self._shut()

    def _run_commands(self) -> bool:
        while self._commands:
            kind, value = self._commands.popleft()
            if kind == "close":
                return False
            if kind == "abort":
                for conn in [c for c in self._busy if c.exchange and (value is None or c.exchange.group == value)]:
                    self._fail(conn, ConnectionAbortedError("call aborted"))
            else:
                self._start(value)
        return True

    def _start(self, exchange: Exchange) -> None:
        if self._closed:
            exchange.finished = True
            exchange.done(ConnectionAbortedError("closed"))
            return
        conn = self._idle.pop() if self._idle else None
        if conn is None:
            try:
                conn = self._open()
            except OSError as exc:
                exchange.finished = True
                exchange.done(exc)
                return
        self._attach(conn, exchange)

    def _attach(self, conn: _Connection, exchange: Exchange) -> None:
        conn.exchange = exchange
        conn.outbox, conn.inbox = exchange.request, bytearray()
        self._busy.add(conn)
        self._count += 1
        heapq.heappush(self._deadlines, (exchange.deadline, self._count, exchange))
        if conn.state == "idle":
            conn.state = "send"
            self._selector.register(conn.sock, selectors.EVENT_WRITE, conn)
            self._step(conn)

    def _open(self) -> _Connection:
        if self._address is None:
            found = socket.getaddrinfo(self._host, self._port, type=socket.SOCK_STREAM)[0]
            self._address = (found[0], found[4])
        sock = socket.socket(self._address[0], socket.SOCK_STREAM)
        address = self._address[1]
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            code = sock.connect_ex(address)
            if code not in (0, errno.EINPROGRESS):
                raise OSError(code, os.strerror(code))
        except BaseException:
            sock.close()
            raise
        conn = _Connection(sock, "connect")
        self._selector.register(sock, selectors.EVENT_WRITE, conn)
        return conn

    def _step(self, conn: _Connection) -> None:
        try:
            if conn.state == "connect":
                code = conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    raise OSError(code, os.strerror(code))
                self._selector.unregister(conn.sock)
                conn.sock = self._context.wrap_socket(conn.sock, server_hostname=self._host,
                                                      do_handshake_on_connect=False,
                                                      session=self._tls or self._session())
                conn.state = "handshake"
                self._selector.register(conn.sock, selectors.EVENT_WRITE, conn)
            if conn.state == "handshake":
                assert isinstance(conn.sock, ssl.SSLSocket)
                conn.sock.do_handshake()
                conn.state = "send"
            if conn.state == "send":
                while conn.outbox:
                    sent = conn.sock.send(conn.outbox)
                    conn.outbox = conn.outbox[sent:]
                conn.state = "read"
                self._selector.modify(conn.sock, selectors.EVENT_READ, conn)
            if conn.state == "read":
                self._read(conn)
        except ssl.SSLWantReadError:
            self._selector.modify(conn.sock, selectors.EVENT_READ, conn)
        except ssl.SSLWantWriteError:
            self._selector.modify(conn.sock, selectors.EVENT_WRITE, conn)
        except BlockingIOError:
            self._selector.modify(conn.sock, selectors.EVENT_WRITE if conn.state == "send" else selectors.EVENT_READ,
                                  conn)
        except (OSError, HttpError, ValueError) as exc:
            self._fail(conn, exc)

    def _read(self, conn: _Connection) -> None:
        ended = False
        while True:
            try:
                data = conn.sock.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                break
            if not data:
                ended = True  # the server closed the connection: after its answer, or before it
                break
            conn.inbox += data
            if len(conn.inbox) > self._max_body + MAX_HEAD:
                raise HttpError(f"answer larger than {self._max_body} bytes")
        answer = answer_end(conn.inbox, self._max_body)
        if answer is None and ended:
            answer = _unframed(conn.inbox)
            if answer is None:
                raise StaleConnection("connection closed by the server")
        if answer is None:
            return
        status, body, keep, _ = answer
        exchange = conn.exchange
        conn.served += 1
        if self._tls is None and isinstance(conn.sock, ssl.SSLSocket) and conn.sock.session is not None:
            self._tls = conn.sock.session
        self._detach(conn)
        if keep and not ended and not self._closed:
            conn.state = "idle"
            self._idle.append(conn)
        else:
            self._drop(conn)
        if exchange is not None and not exchange.finished:
            exchange.finished = True
            exchange.done((status, body))

    def _detach(self, conn: _Connection) -> None:
        self._busy.discard(conn)
        conn.exchange = None
        with suppress(KeyError, ValueError, OSError):
            self._selector.unregister(conn.sock)

    def _drop(self, conn: _Connection) -> None:
        with suppress(OSError):
            conn.sock.close()

    def _fail(self, conn: _Connection, exc: BaseException) -> None:
        exchange = conn.exchange
        self._detach(conn)
        self._drop(conn)
        if exchange is None or exchange.finished:
            return
        stale = isinstance(exc, StaleConnection | BrokenPipeError | ConnectionResetError)
        if stale and conn.served and not exchange.retried:  # a keep-alive connection the server had closed
            exchange.retried = True
            self._start(exchange)
            return
        exchange.finished = True
        exchange.done(exc)

    def _expire(self) -> None:
        now = time.monotonic()
        while self._deadlines and self._deadlines[0][0] <= now:
            _, _, exchange = heapq.heappop(self._deadlines)
            if exchange.finished:
                continue
            for busy in [c for c in self._busy if c.exchange is exchange]:
                self._detach(busy)
                self._drop(busy)
            exchange.finished = True
            exchange.done(TimeoutError("deadline passed"))
        if len(self._deadlines) > 4 * (len(self._busy) + 16):  # finished exchanges left in the heap
            self._deadlines = [d for d in self._deadlines if not d[2].finished]
            heapq.heapify(self._deadlines)

    def _shut(self) -> None:
        for conn in [*self._busy, *self._idle]:
            exchange = conn.exchange
            self._drop(conn)
            if exchange is not None and not exchange.finished:
                exchange.finished = True
                exchange.done(ConnectionAbortedError("closed"))
        self._busy.clear()
        self._idle.clear()
        while self._commands:
            kind, value = self._commands.popleft()
            if kind == "submit" and not value.finished:
                value.finished = True
                value.done(ConnectionAbortedError("closed"))
        with suppress(OSError):
            self._selector.close()
        for sock in (self._wake_read, self._wake_write):
            with suppress(OSError):
                sock.close()
