"""The HTTP/1.1 under the SOAP calls: one keep-alive TLS connection per call in flight, nothing more.

A probe is a small POST and a small answer, thousands of times per run, so this stays minimal: the request is
one ``sendall``, the answer's status line and headers are split by hand (``Content-Length`` or chunked), every
read is bounded in size and by the call's deadline, and new connections resume the first one's TLS session
(no certificate chain to verify again). Timeouts raise :class:`TimeoutError`; a connection the server closed
raises :class:`StaleConnection` (worth one more try on a new connection when it had served calls before).
"""

from __future__ import annotations

import socket
import ssl
import time

MAX_HEAD = 64 * 1024  # bytes of status line and headers
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
