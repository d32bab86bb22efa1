"""What a check is, and the small helpers the built-in checks share."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from validator.models import CheckSettings, Family, Finding, HostInfo, PairResult, VCenterFacts, Vmk

CheckFunction = Callable[..., list[Finding]]  # (hosts, pairs) or (hosts, pairs, settings=CheckSettings())


@runtime_checkable
class Check(Protocol):
    """A configuration check over discovered hosts and probed pairs, given the run's thresholds.

    ``run`` must be pure: it reads its inputs and returns findings; it never talks to a host.
    """

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    def run(self, hosts: Sequence[HostInfo], pairs: Sequence[PairResult], settings: CheckSettings) -> list[Finding]:
        ...


def accepts_settings(func: Callable[..., object]) -> bool:
    """Whether ``func`` has a ``settings`` parameter (a check written for the thresholds)."""
    try:
        return "settings" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class FunctionCheck:
    """A plain function registered as a check; the description is its docstring's first line.

    The function is ``(hosts, pairs)`` or, when it wants the thresholds, ``(hosts, pairs, settings)``:
    :meth:`run` passes ``settings`` to the functions that name it (decided once, here).
    """

    name: str
    func: CheckFunction
    description: str = ""
    takes_settings: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        if not self.description:
            doc = inspect.getdoc(self.func) or ""
            object.__setattr__(self, "description", doc.strip().split("\n\n")[0].replace("\n", " "))
        object.__setattr__(self, "takes_settings", accepts_settings(self.func))

    def run(self, hosts: Sequence[HostInfo], pairs: Sequence[PairResult], settings: CheckSettings) -> list[Finding]:
        if self.takes_settings:
            return self.func(hosts, pairs, settings=settings)
        return self.func(hosts, pairs)

    def __call__(self, hosts: Sequence[HostInfo], pairs: Sequence[PairResult], **settings: Any) -> list[Finding]:
        return self.func(hosts, pairs, **settings)


def check(name: str) -> Callable[[CheckFunction], FunctionCheck]:
    """Decorator: turn ``func(hosts, pairs) -> list[Finding]`` into a named :class:`FunctionCheck`."""

    def wrap(func: CheckFunction) -> FunctionCheck:
        return FunctionCheck(name=name, func=func)

    return wrap


def where(host: str, vmk: str | None = None) -> str:
    """``host:vmk`` as reports print it."""
    return f"{host}:{vmk}" if vmk else host


def is_tag(name: str, tag: str) -> bool:
    """Service tag names compare without case (esxcli's ``VMotion``, vCenter's ``vmotion``)."""
    return name.casefold() == tag.casefold()


def has_tag(tags: Iterable[str], tag: str) -> bool:
    """Whether ``tag`` is among ``tags`` (see :func:`is_tag`)."""
    return any(is_tag(t, tag) for t in tags)


def all_vmks(host: HostInfo) -> tuple[Vmk, ...]:
    """Every vmk of a host, probed stack first."""
    return host.vmks + host.other_vmks


def families(vmk: Vmk) -> set[Family]:
    """Address families a vmk has a routable (not link-local) address in."""
    return {f for f in Family if vmk.address(f) is not None}


def service_tags(host: HostInfo, vmk: Vmk) -> tuple[str, ...]:
    """The services of a vmk as tag names: vCenter's selections when vCenter knows the vmk (authoritative),
    else the tags esxcli reported."""
    if host.vcenter is not None:
        seen = host.vcenter.vmk(vmk.name)
        if seen is not None:
            from validator.vcenter.mapping import service_tag

            return tuple(service_tag(s) for s in seen.services)
    return vmk.tags


def vcenter_hosts(hosts: Sequence[HostInfo]) -> list[tuple[HostInfo, VCenterFacts]]:
    """The hosts that carry vCenter's facts, with those facts."""
    return [(h, h.vcenter) for h in hosts if h.vcenter is not None]
