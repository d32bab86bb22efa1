"""``--enable-ssh``: start TSM-SSH where it is stopped for the run, and always stop it again afterwards.

:func:`ssh_enabled` is a context manager: whatever ends the block (success, an exception, Ctrl-C) the
services it started are stopped before it exits, and every change and restore is reported through
``notify``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from validator.errors import VCenterApiError
from validator.vcenter._vmomi import vim
from validator.vcenter.mapping import VCenterHost

SSH_SERVICE = "TSM-SSH"

Notify = Callable[[str], None]


def needs_start(hosts: Sequence[VCenterHost]) -> list[VCenterHost]:
    """Connected hosts whose TSM-SSH vCenter reports stopped."""
    return [h for h in hosts if h.facts.ssh_running is False and h.facts.connected and h.service_system]


def service_system(service_instance: Any, host: VCenterHost) -> Any:
    """The host's HostServiceSystem, bound to the session's stub (no property read)."""
    return vim.host.ServiceSystem(host.service_system, service_instance._stub)


@contextmanager
def ssh_enabled(service_instance: Any, hosts: Sequence[VCenterHost], notify: Notify) -> Iterator[frozenset[str]]:
    """Start TSM-SSH on the hosts that need it; yield their names; stop it on each of them on the way out."""
    started: list[VCenterHost] = []
    try:
        for host in needs_start(hosts):
            try:
                service_system(service_instance, host).StartService(id=SSH_SERVICE)
            except vim.fault.HostConfigFault as exc:
                raise VCenterApiError(f"{host.name}: cannot start {SSH_SERVICE}: {exc.msg}") from None
            started.append(host)
            notify(f"{host.name}: started {SSH_SERVICE} for this run (it was stopped)")
        yield frozenset(h.name for h in started)
    finally:
        restore(service_instance, started, notify)


def restore(service_instance: Any, started: Sequence[VCenterHost], notify: Notify) -> list[str]:
    """Stop TSM-SSH on every host in ``started``; a failure (or a second Ctrl-C) on one does not skip the
    others. Returns the names that could not be restored."""
    failed: list[str] = []
    for host in started:
        try:
            service_system(service_instance, host).StopService(id=SSH_SERVICE)
            notify(f"{host.name}: stopped {SSH_SERVICE} again (restored)")
        except (Exception, KeyboardInterrupt) as exc:
            failed.append(host.name)
            notify(f"{host.name}: could NOT stop {SSH_SERVICE} again ({type(exc).__name__}); stop it by hand")
    return failed
