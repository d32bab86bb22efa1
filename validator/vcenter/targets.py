"""Several vCenters in one run: the ``[[vcenter]]`` inventory tables and the repeated ``--vcenter`` option.

```toml
[[vcenter]]
name = "vc01"                                  # how --vcenter and scopes name it (default: the server as written)
server = "vc01.example.test"
password_env = "VC01_PASSWORD"                 # each vCenter its own password variable
ca_file = "vc01-ca.pem"

[[vcenter]]
name = "vc02"
server = "vc02.example.test:8443"
username = "svc-vmotion@vsphere.local"
password_env = "VC02_PASSWORD"
```

``--vcenter NAME`` picks the table whose ``name`` (or ``server`` as written) is NAME, else it is a server address
(``HOST`` or ``HOST:PORT``) of its own. ``--vc-user``, ``--vc-password-env``, ``--insecure`` and ``--vc-ca-file``
apply to every vCenter of the run unless its table sets that key (for TLS: ``ca_file`` or ``insecure``). Without
``--vcenter`` every table is read. The label (NAME as given) qualifies host names and starts scopes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from validator import limits
from validator.errors import UsageError
from validator.scope import is_label
from validator.vcenter.settings import VCenterSettings, parse_server, settings_from_table

MAX_VCENTERS = 32


@dataclass(frozen=True)
class VCenterEntry:
    """One ``[vcenter]``/``[[vcenter]]`` table: its label, its settings, and the keys it sets itself."""

    label: str
    server: str  # as written
    settings: VCenterSettings
    keys: frozenset[str]


@dataclass(frozen=True)
class VCenterTarget:
    """A vCenter the run reads: the label it goes by (as given) and how to reach it."""

    label: str
    settings: VCenterSettings


@dataclass(frozen=True)
class SharedOptions:
    """The command line's vCenter defaults, for every vCenter whose table does not say otherwise."""

    username: str | None = None
    password_env: str | None = None
    ca_file: Path | None = None
    insecure: bool = False


def entry_from_table(raw: Mapping[str, Any], base_dir: Path, where: str = "") -> VCenterEntry:
    """One table as an entry; ``ValueError`` naming the table and key at fault."""
    name = raw.get("name")
    rest = {k: v for k, v in raw.items() if k != "name"}
    try:
        settings = settings_from_table(rest, base_dir)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}" if where else str(exc)) from None
    server = str(rest["server"]).strip()
    if name is not None and (not isinstance(name, str) or not is_label(name)):
        raise ValueError(f"{where or 'vcenter'}.name must be a short name without '/' or spaces (it starts scopes)")
    label = name if isinstance(name, str) else server
    if not is_label(label):
        raise ValueError(f"{where or '[vcenter]'}: give it a name (its server {server!r} cannot start a scope)")
    return VCenterEntry(label=label, server=server, settings=settings, keys=frozenset(rest))


def entries_from_tables(raw: Any, base_dir: Path) -> tuple[VCenterEntry, ...]:
    """Every ``[[vcenter]]`` table (or the one ``[vcenter]``); ``ValueError`` for a bad or repeated one."""
    if isinstance(raw, Mapping):
        return (entry_from_table(raw, base_dir),)
    if not isinstance(raw, list) or not raw or not all(isinstance(t, Mapping) for t in raw):
        raise ValueError("[vcenter] must be a table or [[vcenter]] a list of tables")
    if len(raw) > MAX_VCENTERS:
        raise ValueError(f"[[vcenter]]: at most {MAX_VCENTERS} vCenters")
    entries = tuple(entry_from_table(t, base_dir, f"vcenter[{i}]") for i, t in enumerate(raw, start=1))
    _unique(entries, "[[vcenter]]")
    return entries


def resolve_targets(
    entries: Sequence[VCenterEntry], given: Sequence[str], shared: SharedOptions
) -> list[VCenterTarget]:
    """The vCenters of the run: those given (by table name or server), else every table; UsageError if bad."""
    if shared.password_env is not None and not limits.is_env_name(shared.password_env):
        raise UsageError("--vc-password-env must be the NAME of an environment variable, not a password")
    if shared.insecure and shared.ca_file is not None:
        raise UsageError("--insecure and --vc-ca-file exclude each other")
    if len(given) > MAX_VCENTERS:
        raise UsageError(f"--vcenter: at most {MAX_VCENTERS} vCenters in one run")
    chosen = [_entry_for(text, entries) for text in given] if given else list(entries)
    try:
        _unique(chosen, "--vcenter")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return [VCenterTarget(e.label, _with_shared(e, shared)) for e in chosen]


def _entry_for(text: str, entries: Sequence[VCenterEntry]) -> VCenterEntry:
    for entry in entries:
        if text in (entry.label, entry.server):
            return replace(entry, label=text)
    if not is_label(text):
        raise UsageError(f"--vcenter {text!r}: not a [[vcenter]] name nor HOST[:PORT]")
    try:
        host, port = parse_server(text)
    except ValueError as exc:
        raise UsageError(f"--vcenter: {exc}") from None
    return VCenterEntry(label=text, server=text, settings=VCenterSettings(host=host, port=port), keys=frozenset())


def _with_shared(entry: VCenterEntry, shared: SharedOptions) -> VCenterSettings:
    changes: dict[str, Any] = {}
    if shared.username and "username" not in entry.keys:
        changes["username"] = shared.username
    if shared.password_env and "password_env" not in entry.keys:
        changes["password_env"] = shared.password_env
    if not {"ca_file", "insecure"} & entry.keys:
        if shared.ca_file is not None:
            changes.update(ca_file=shared.ca_file, insecure=False)
        elif shared.insecure:
            changes.update(insecure=True, ca_file=None)
    return replace(entry.settings, **changes)


def _unique(entries: Sequence[VCenterEntry], where: str) -> None:
    labels: set[str] = set()
    endpoints: dict[str, str] = {}
    for entry in entries:
        if entry.label in labels:
            raise ValueError(f"{where}: vCenter {entry.label!r} given twice")
        labels.add(entry.label)
        endpoint = entry.settings.endpoint.lower()
        if endpoint in endpoints:
            raise ValueError(f"{where}: {entry.label!r} and {endpoints[endpoint]!r} are the same vCenter "
                             f"({entry.settings.endpoint})")
        endpoints[endpoint] = entry.label
