"""Scopes: which of a run's hosts a ``--from`` or ``--to`` names (pure).

A scope is written ``VCENTER[/DATACENTER[/CLUSTER[/HOST,HOST...]]]``; the vCenter part exactly as given to
``--vcenter`` (a ``[[vcenter]]`` table's ``name``, ``host`` or ``host:port``), ``*`` for any datacenter or
cluster, and ``%2F`` for a ``/`` inside a name (as vSphere inventory paths write it)::

    vc02                         every host of vCenter vc02
    vc02/DC1                     every host of its datacenter DC1
    vc02/DC1/New-B               the hosts of cluster New-B
    vc02/DC1/New-B/esx01,esx02   two of them
    vc02/*/*/esx07               one host, wherever it is
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

ANY = "*"
MAX_SCOPE_LENGTH = 1000
_LABEL_RE = re.compile(r"^[A-Za-z0-9\[][A-Za-z0-9._:\[\]-]{0,252}$")
_PART_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,80}$")


@dataclass(frozen=True)
class Placement:
    """Where one host of the run sits: its run name, its vCenter (label), datacenter, cluster and own name."""

    name: str
    vcenter: str
    datacenter: str | None
    cluster: str | None
    host: str


@dataclass(frozen=True)
class Scope:
    """A parsed scope; None (or ``*``) parts match anything."""

    text: str
    vcenter: str
    datacenter: str | None = None
    cluster: str | None = None
    hosts: tuple[str, ...] = ()

    def matches(self, place: Placement) -> bool:
        return (
            place.vcenter == self.vcenter
            and self.datacenter in (None, place.datacenter)
            and self.cluster in (None, place.cluster)
            and (not self.hosts or place.host in self.hosts)
        )


def is_label(text: str) -> bool:
    """Whether ``text`` can name a vCenter in a scope (no ``/``, no spaces)."""
    return bool(_LABEL_RE.match(text))


def parse_scope(text: str) -> Scope:
    """``VCENTER[/DATACENTER[/CLUSTER[/HOST,...]]]`` -> :class:`Scope`; ``ValueError`` saying what is wrong."""
    if not text or len(text) > MAX_SCOPE_LENGTH:
        raise ValueError(f"scope {text[:80]!r}: want VCENTER[/DATACENTER[/CLUSTER[/HOST,...]]]")
    parts = text.split("/")
    if len(parts) > 4:
        raise ValueError(f"scope {text!r}: at most 4 parts (VCENTER/DATACENTER/CLUSTER/HOSTS); write / in a name "
                         "as %2F")
    vcenter, rest = parts[0], [unquote(p) for p in parts[1:]]
    if not is_label(vcenter):
        raise ValueError(f"scope {text!r}: {vcenter!r} is not a vCenter as given to --vcenter")
    for part in rest:
        if not _PART_RE.match(part):
            raise ValueError(f"scope {text!r}: empty or unprintable part {part!r}")
    datacenter = _part(rest, 0)
    cluster = _part(rest, 1)
    hosts: tuple[str, ...] = ()
    if len(rest) == 3:
        hosts = tuple(dict.fromkeys(h.strip() for h in rest[2].split(",") if h.strip()))
        if not hosts or ANY in hosts:
            raise ValueError(f"scope {text!r}: the hosts part is a comma-separated list of host names")
    return Scope(text=text, vcenter=vcenter, datacenter=datacenter, cluster=cluster, hosts=hosts)


def _part(parts: Sequence[str], index: int) -> str | None:
    if index >= len(parts) or parts[index] == ANY:
        return None
    return parts[index]


def check_vcenters(scopes: Iterable[Scope], labels: Sequence[str]) -> None:
    """``ValueError`` for a scope naming a vCenter the run does not read."""
    for scope in scopes:
        if scope.vcenter not in labels:
            raise ValueError(f"scope {scope.text!r}: no vCenter {scope.vcenter!r} in this run "
                             f"(--vcenter given: {', '.join(labels) or 'none'})")


def resolve_scope(scope: Scope, placements: Sequence[Placement]) -> tuple[str, ...]:
    """The run names of the hosts in ``scope``, in the placements' order.

    ``ValueError`` when a datacenter, cluster or host it names is not in its vCenter (the known ones listed).
    """
    mine = [p for p in placements if p.vcenter == scope.vcenter]
    where = scope.vcenter
    if scope.datacenter is not None:
        known = sorted({p.datacenter for p in mine if p.datacenter})
        mine = [p for p in mine if p.datacenter == scope.datacenter]
        if not mine:
            raise ValueError(f"scope {scope.text!r}: no datacenter {scope.datacenter!r} in {where} "
                             f"(known: {', '.join(known) or 'none'})")
        where = f"{where}/{scope.datacenter}"
    if scope.cluster is not None:
        known = sorted({p.cluster for p in mine if p.cluster})
        mine = [p for p in mine if p.cluster == scope.cluster]
        if not mine:
            raise ValueError(f"scope {scope.text!r}: no cluster {scope.cluster!r} in {where} "
                             f"(known: {', '.join(known) or 'none'})")
    if scope.hosts:
        names = {p.host for p in mine}
        unknown = [h for h in scope.hosts if h not in names]
        if unknown:
            raise ValueError(f"scope {scope.text!r}: no host {', '.join(map(repr, unknown))} there")
        mine = [p for p in mine if p.host in scope.hosts]
    return tuple(p.name for p in mine)
