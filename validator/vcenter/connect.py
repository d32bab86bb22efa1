"""Log in to vCenter with pyVmomi over verified TLS, and map its failures to :class:`VCenterError`.

TLS is verified against ``ca_file`` (else the system's CAs) unless ``insecure`` is set. Every error
becomes one line naming the endpoint; the password is never part of it (pyVmomi's own text is scrubbed,
and the original exception is not chained).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPException
from typing import Any

from validator.errors import (
    VCenterApiError,
    VCenterAuthError,
    VCenterCertificateError,
    VCenterConnectError,
    VCenterError,
)
from validator.vcenter._vmomi import pyvim_connect, vim, vmodl
from validator.vcenter.settings import VCenterSettings


def ssl_context(settings: VCenterSettings) -> ssl.SSLContext:
    """A client context verifying vCenter's certificate (unless ``insecure``)."""
    if settings.insecure:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise VCenterCertificateError(f"cannot read the CA file {settings.ca_file}: {reason}") from None


def connect(settings: VCenterSettings, password: str) -> Any:
    """A logged-in ``vim.ServiceInstance``; :class:`VCenterError` subclasses on failure (no socket left open)."""
    context = ssl_context(settings)
    stub = None
    try:
        stub = pyvim_connect.SmartStubAdapter(
            host=settings.host,
            port=settings.port,
            sslContext=context,
            httpConnectionTimeout=settings.connect_timeout,
            connectionPoolTimeout=-1,
        )
        service_instance = vim.ServiceInstance("ServiceInstance", stub)
        service_instance.content.sessionManager.Login(settings.username, password)
    except Exception as exc:
        if stub is not None:
            stub.DropConnections()
        raise map_error(exc, settings, password) from None
    return service_instance


def disconnect(service_instance: Any) -> None:
    """Log out and close the connections; a failure to log out is not worth reporting."""
    with contextlib.suppress(Exception):
        pyvim_connect.Disconnect(service_instance)


@contextmanager
def vcenter_session(settings: VCenterSettings, password: str) -> Iterator[Any]:
    """Logged in for the duration of the block."""
    service_instance = connect(settings, password)
    try:
        yield service_instance
    finally:
        disconnect(service_instance)


def map_error(exc: BaseException, settings: VCenterSettings, password: str | None = None) -> VCenterError:
    """One-line, password-free error for anything pyVmomi, ssl or socket raised."""
    where = f"vCenter {settings.endpoint}"
    if isinstance(exc, VCenterError):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or "verification failed"
        hint = "pass its CA with --vc-ca-file (or --insecure to skip verification)"
        return VCenterCertificateError(f"{where}: certificate not trusted ({reason}): {hint}")
    if isinstance(exc, ssl.SSLError):
        return VCenterCertificateError(f"{where}: TLS failed: {scrub(exc.reason or type(exc).__name__, password)}")
    if isinstance(exc, vim.fault.InvalidLogin):
        return VCenterAuthError(f"{where}: login refused for user {settings.username}: wrong user name or password")
    if isinstance(exc, vim.fault.NoPermission):
        return VCenterAuthError(f"{where}: user {settings.username} lacks a privilege ({exc.privilegeId})")
    if isinstance(exc, socket.gaierror):
        return VCenterConnectError(f"{where}: cannot resolve {settings.host}")
    if isinstance(exc, TimeoutError | socket.timeout):
        return VCenterConnectError(f"{where}: timed out connecting")
    if isinstance(exc, ConnectionError | OSError):
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        return VCenterConnectError(f"{where}: cannot connect: {scrub(str(reason), password)}")
    if isinstance(exc, HTTPException):
        return VCenterConnectError(f"{where}: not a vCenter answer ({type(exc).__name__})")
    if isinstance(exc, vmodl.MethodFault):
        message = getattr(exc, "msg", None) or type(exc).__name__
        return VCenterApiError(f"{where}: {scrub(str(message), password)}")
    return VCenterError(f"{where}: {type(exc).__name__}: {scrub(str(exc), password)}")


def scrub(text: str, password: str | None) -> str:
    """``text`` on one line, with the password (if any) masked."""
    line = " ".join(text.split())
    if password:
        line = line.replace(password, "***")
    return line[:300]
