"""esxcli's calls posted to vCenter: keep-alive connections (one call each at a time, or all on one I/O thread),
a typed error for every failure, and one new login when vCenter says the session's cookie expired."""

from __future__ import annotations

import socket
import ssl
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from contextlib import suppress
from typing import Any, TypeVar

from validator.errors import (
    VCenterApiError,
    VCenterCallTimeout,
    VCenterConnectError,
    VCenterError,
    VCenterSessionError,
)
from validator.vcenter.connect import map_error
from validator.vcenter.esxcli_soap import read_answer
from validator.vcenter.settings import DEFAULT_PORT as DEFAULT_HTTPS_PORT
from validator.vcenter.settings import VCenterSettings
from validator.vcenter.soap import SOAP_PATH, session_cookie
from validator.vcenter.soap_http import Channel, Exchange, HttpError, Multiplexer, StaleConnection, request_prefix

SOAP_ACTION = "urn:vim25/7.0"
MAX_ANSWER = 1 << 20  # bytes of one SOAP answer
SESSION_RETRIES = 3  # times one call is sent again on a new session after vCenter said its session expired
_Answer = TypeVar("_Answer")


class Session:
    """The session's cookie, and one new login when vCenter says the cookie expired.

    ``relogin`` returns a new logged-in service instance; those are logged out at :meth:`close` (the first
    one belongs to whoever logged in).
    """

    def __init__(self, service_instance: Any, relogin: Callable[[], Any]) -> None:
        self._cookie = session_cookie(service_instance)
        self._relogin = relogin
        self._lock = threading.Lock()
        self._own: list[Any] = []
        self._failed: VCenterError | None = None
        self.logins = 0

    @property
    def cookie(self) -> str:
        return self._cookie

    def renew(self, stale: str) -> str:
        """A valid cookie after ``stale`` was refused: logs in again once per expired cookie."""
        with self._lock:
            if self._failed is not None:
                raise self._failed
            if self._cookie != stale:
                return self._cookie
            try:
                fresh = self._relogin()
            except VCenterError as exc:
                self._failed = VCenterSessionError(f"the session expired and logging in again failed: {exc}")
                raise self._failed from None
            self._own.append(fresh)
            self._cookie = session_cookie(fresh)
            self.logins += 1
            return self._cookie

    def close(self) -> None:
        from validator.vcenter.connect import disconnect

        for service_instance in self._own:
            disconnect(service_instance)
        self._own.clear()


class SoapClient:
    """Posts SOAP bodies to vCenter on keep-alive connections, one call per connection at a time.

    Thread-safe. :meth:`abort` breaks the calls in flight of one group (a host) or of all, so a cancelled run
    does not wait for answers.
    """

    def __init__(self, settings: VCenterSettings, session: Session, context: ssl.SSLContext) -> None:
        self._settings = settings
        self._session = session
        self._context = context
        self._host_header = settings.endpoint.removesuffix(f":{DEFAULT_HTTPS_PORT}")
        self._tls: ssl.SSLSession | None = None  # resumed by every new connection
        self._idle: list[Channel] = []
        self._busy: dict[int, tuple[str, Channel]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._head: tuple[str, bytes] = ("", b"")  # (cookie, the request head up to Content-Length's value)
        self._mux: Multiplexer | None = None  # the I/O thread of submitted calls, started with the first
        self.calls = 0

    def call(self, body: bytes, timeout: float, group: str = "") -> ET.Element:
        """The answer's response element; typed errors for faults, timeouts and lost connections."""
        return self.call_reading(body, timeout, read_answer, group)

    def call_reading(self, body: bytes, timeout: float, read: Callable[[bytes], _Answer], group: str = "") -> _Answer:
        """The answer as ``read`` makes it of the body's bytes (raising the typed error of a SOAP fault)."""
        cookie = self._session.cookie
        for _ in range(SESSION_RETRIES):
            try:
                return self._post(body, cookie, timeout, group, read)
            except VCenterSessionError:
                cookie = self._session.renew(cookie)  # one login per expired cookie, shared by every call
        return self._post(body, cookie, timeout, group, read)

    def submit(self, body: bytes, timeout: float, read: Callable[[bytes], _Answer],
               done: Callable[[_Answer | VCenterError], None], group: str = "") -> None:
        """Post ``body`` without waiting: ``done`` gets the answer as ``read`` makes it, or the typed error.

        The calls submitted share one I/O thread (:class:`~validator.vcenter.soap_http.Multiplexer`); ``done``
        runs there (or, after a login again, on the thread that logged in), so it must be quick. A session that
        expired is logged in again as :meth:`call` does, and the call sent again.
        """
        self._submit(body, timeout, read, done, group=group, cookie=self._session.cookie, expired=0)

    def _submit(self, body: bytes, timeout: float, read: Callable[[bytes], _Answer],
                done: Callable[[_Answer | VCenterError], None], *, group: str, cookie: str, expired: int) -> None:
        def answered(outcome: tuple[int, bytes] | BaseException) -> None:
            if isinstance(outcome, BaseException):
                done(self._error(outcome, timeout))
                return
            status, data = outcome
            with self._lock:
                self.calls += 1
            if status not in (200, 500):
                done(VCenterApiError(f"HTTP status {status} from the SOAP endpoint"))
                return
            try:
                answer = read(data)
            except VCenterSessionError as exc:
                if expired >= SESSION_RETRIES:
                    done(exc)
                    return
                threading.Thread(target=again, daemon=True, name="vcenter-login").start()
                return
            except VCenterError as exc:
                done(exc)
                return
            done(answer)

        def again() -> None:
            try:
                fresh = self._session.renew(cookie)  # one login per expired cookie, shared by every call
            except VCenterError as exc:
                done(exc)
                return
            self._submit(body, timeout, read, done, group=group, cookie=fresh, expired=expired + 1)

        with self._lock:
            closed = self._closed
            if self._mux is None and not closed:
                self._mux = Multiplexer(self._settings.host, self._settings.port, self._context, MAX_ANSWER,
                                        session=lambda: self._tls)  # resumed from the calls made before
            mux = self._mux
        if closed or mux is None:
            done(VCenterConnectError(f"vCenter {self._settings.endpoint}: the run's vCenter client is closed"))
            return
        mux.submit(Exchange(self._request(body, cookie), time.monotonic() + timeout, group, answered))

    def _error(self, exc: BaseException, timeout: float) -> VCenterError:
        """The typed error of a submitted call's failure (as :meth:`_post` maps them)."""
        if isinstance(exc, TimeoutError):
            return VCenterCallTimeout(f"no answer within {timeout:.0f}s")
        if isinstance(exc, HttpError):
            return VCenterApiError(f"not an HTTP answer from the SOAP endpoint: {exc}")
        if isinstance(exc, ssl.SSLError):
            return map_error(exc, self._settings)
        if isinstance(exc, VCenterError):
            return exc
        return self._lost(exc)

    def abort(self, group: str | None = None) -> None:
        """Break the calls in flight (of ``group``, or all): they raise, or their ``done`` gets an error, at once."""
        with self._lock:
            victims = [channel for g, channel in self._busy.values() if group is None or g == group]
            mux = self._mux
        for channel in victims:
            with suppress(OSError):
                channel.sock.shutdown(socket.SHUT_RDWR)
        if mux is not None:
            mux.abort(group)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            mux = self._mux
        for channel in idle:
            channel.close()
        self.abort()
        if mux is not None:
            mux.close()
        self._session.close()

    def _request(self, body: bytes, cookie: str) -> bytes:
        """Head and body of one POST; the head is built once per session cookie."""
        known, head = self._head
        if known != cookie:
            headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": SOAP_ACTION, "Cookie": cookie}
            head = request_prefix(self._host_header, SOAP_PATH, headers)
            self._head = (cookie, head)
        return b"%s%d\r\n\r\n%s" % (head, len(body), body)

    def _post(self, body: bytes, cookie: str, timeout: float, group: str, read: Callable[[bytes], _Answer]) -> _Answer:
        request = self._request(body, cookie)
        deadline = time.monotonic() + timeout
        for attempt in (1, 2):
            channel = self._channel(timeout)
            key = id(channel)
            with self._lock:
                self._busy[key] = (group, channel)
            try:
                status, data, keep = channel.post(request, deadline, MAX_ANSWER)
            except (StaleConnection, BrokenPipeError, ConnectionResetError) as exc:
                channel.close()
                if channel.served and attempt == 1:
                    continue  # a keep-alive connection vCenter had closed: once more on a new one
                raise self._lost(exc) from None
            except TimeoutError:
                channel.close()
                raise VCenterCallTimeout(f"no answer within {timeout:.0f}s") from None
            except HttpError as exc:
                channel.close()
                raise VCenterApiError(f"not an HTTP answer from the SOAP endpoint: {exc}") from None
            except OSError as exc:
                channel.close()
                raise self._lost(exc) from None
            finally:
                with self._lock:
                    self._busy.pop(key, None)
            self._release(channel, keep)
            if status not in (200, 500):
                raise VCenterApiError(f"HTTP status {status} from the SOAP endpoint")
            return read(data)
        raise AssertionError("unreachable")

    def _channel(self, timeout: float) -> Channel:
        with self._lock:
            if self._closed:
                raise VCenterConnectError(f"vCenter {self._settings.endpoint}: the run's vCenter client is closed")
            if self._idle:
                return self._idle.pop()
            session = self._tls
        try:
            channel = Channel.open(self._settings.host, self._settings.port, self._context, timeout, session)
        except ssl.SSLError as exc:
            raise map_error(exc, self._settings) from None
        except TimeoutError:
            raise VCenterConnectError(f"vCenter {self._settings.endpoint}: timed out connecting") from None
        except OSError as exc:
            raise self._lost(exc) from None
        return channel

    def _release(self, channel: Channel, keep: bool) -> None:
        with self._lock:
            self.calls += 1
            if self._tls is None and channel.sock.session is not None:
                self._tls = channel.sock.session
            if keep and not self._closed:
                self._idle.append(channel)
                return
        channel.close()

    def _lost(self, exc: BaseException) -> VCenterError:
        mapped = map_error(exc, self._settings)
        if isinstance(mapped, VCenterConnectError):
            return VCenterConnectError(f"{mapped} (connection to vCenter lost)")
        return mapped
