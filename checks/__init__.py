"""Configuration checks over the discovered hosts and the probed pair matrix.

Each check lives in its own module and is registered by name in :data:`CHECKS`. Built-in checks are
registered exactly as third-party ones are: a ``"module:attribute"`` target per name, loaded with the
same code. Third-party packages add checks through the entry-point group ``vmotion_validator.checks``::

    [project.entry-points."vmotion_validator.checks"]
    my_check = "my_package.my_module:my_check"

The target is either an object with ``name``, ``description`` and ``run(hosts, pairs, settings)`` (see
:class:`Check`; ``settings`` is the run's :class:`~validator.models.CheckSettings`), a class building one
without arguments, or a plain function ``(hosts, pairs) -> list[Finding]`` (then registered under the
entry-point name; one that wants the thresholds names a third parameter ``settings``). An object whose
``run`` takes only ``(hosts, pairs)``, the protocol before the thresholds were passed to every check, is
still accepted: it is wrapped when registered and never given the settings. Entry points are loaded when
checks are first needed (:func:`all_checks`), not at import. A plugin that fails to load does not break the
run: its error is kept in :data:`PLUGIN_ERRORS` and raised as a :class:`~validator.errors.UsageError` only if
it is selected.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points

from checks._base import Check, CheckFunction, FunctionCheck, check
from validator.errors import UsageError
from validator.models import CheckSettings, Finding, HostInfo, PairResult, Severity

__all__ = [
    "BUILTIN_CHECKS",
    "CHECKS",
    "ENTRY_POINT_GROUP",
    "PLUGIN_ERRORS",
    "Check",
    "CheckFunction",
    "FunctionCheck",
    "all_checks",
    "check",
    "load_entry_points",
    "register",
    "require_checks",
    "run_checks",
]

ENTRY_POINT_GROUP = "vmotion_validator.checks"

# name -> "module:attribute"; order is the order checks run and findings are listed
BUILTIN_CHECKS: dict[str, str] = {
    "host_unreachable": "checks.host_unreachable:host_unreachable",
    "no_vmotion_vmks": "checks.no_vmotion_vmks:no_vmotion_vmks",
    "vmotion_tag_on_default": "checks.vmotion_tag_on_default:vmotion_tag_on_default",
    "extra_services": "checks.extra_services:extra_services",
    "vmk_disabled": "checks.vmk_disabled:vmk_disabled",
    "gateway": "checks.gateway:gateway",
    "gateway_unreachable": "checks.gateway_unreachable:gateway_unreachable",
    "gateway_mtu": "checks.gateway_mtu:gateway_mtu",
    "duplicate_ip": "checks.duplicate_ip:duplicate_ip",
    "mtu_consistency": "checks.mtu_consistency:mtu_consistency",
    "rtt": "checks.rtt:rtt",
    "drift": "checks.drift:drift",
    "host_not_connected": "checks.host_not_connected:host_not_connected",
    "host_maintenance": "checks.host_maintenance:host_maintenance",
    "host_lockdown": "checks.host_lockdown:host_lockdown",
    "tsm_ssh_stopped": "checks.tsm_ssh_stopped:tsm_ssh_stopped",
    "vmotion_service_missing": "checks.vmotion_service_missing:vmotion_service_missing",
    "vm_networks": "checks.vm_networks:vm_networks",
    "vcenter_drift": "checks.vcenter_drift:vcenter_drift",
    "migration_family": "checks.migration_family:migration_family",
    "migration_mtu": "checks.migration_mtu:migration_mtu",
    "migration_networks": "checks.migration_networks:migration_networks",
    "migration_vmotion": "checks.migration_vmotion:migration_vmotion",
}

CHECKS: dict[str, Check] = {}
PLUGIN_ERRORS: dict[str, str] = {}  # entry-point name -> why it could not be loaded
_TARGETS: dict[str, str] = {}  # registered name -> "module:attribute" it came from


@dataclass(frozen=True)
class _TwoArgumentCheck:
    """A check object whose ``run`` takes ``(hosts, pairs)`` only, seen through the current protocol."""

    wrapped: object

    @property
    def name(self) -> str:
        return str(getattr(self.wrapped, "name"))  # noqa: B009

    @property
    def description(self) -> str:
        return str(getattr(self.wrapped, "description"))  # noqa: B009

    def run(self, hosts: Sequence[HostInfo], pairs: Sequence[PairResult], settings: CheckSettings) -> list[Finding]:
        found: list[Finding] = getattr(self.wrapped, "run")(hosts, pairs)  # noqa: B009
        return found


def _run_takes_settings(chk: Check) -> bool:
    """Whether the object's ``run`` takes a third argument (``settings``, however it is named)."""
    try:
        params = inspect.signature(chk.run).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 3 or any(p.kind is p.VAR_POSITIONAL for p in params)


def _as_check(name: str, obj: object) -> Check:
    if isinstance(obj, type):
        obj = obj()
    if isinstance(obj, Check):
        return obj if _run_takes_settings(obj) else _TwoArgumentCheck(obj)
    if callable(obj):
        return FunctionCheck(name=name, func=obj)
    raise TypeError(f"{obj!r} is neither a check nor a function")


def _load_target(name: str, target: str) -> Check:
    module_name, _, attr = target.partition(":")
    obj: object = importlib.import_module(module_name)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return _as_check(name, obj)


def register(chk: Check, *, replace: bool = False, registry: dict[str, Check] | None = None) -> Check:
    """Add a check to the registry (``CHECKS`` by default); a name taken by another check is refused."""
    reg = CHECKS if registry is None else registry
    if not replace and chk.name in reg and reg[chk.name] is not chk:
        raise ValueError(f"a check named {chk.name!r} is already registered")
    reg[chk.name] = chk
    return chk


def load_entry_points(
    eps: Iterable[EntryPoint] | None = None,
    registry: dict[str, Check] | None = None,
    errors: dict[str, str] | None = None,
) -> list[str]:
    """Register the checks of the ``vmotion_validator.checks`` entry points; return the names added.

    A built-in declared again as an entry point with the same target is skipped silently; any other
    clash or load failure is recorded in ``errors`` (``PLUGIN_ERRORS``) and the plugin left out.
    """
    reg = CHECKS if registry is None else registry
    errs = PLUGIN_ERRORS if errors is None else errors
    found = entry_points(group=ENTRY_POINT_GROUP) if eps is None else eps
    added: list[str] = []
    for ep in found:
        if _TARGETS.get(ep.name) == ep.value and ep.name in reg:
            continue
        try:
            chk = _as_check(ep.name, ep.load())
        except Exception as exc:  # a broken plugin must not stop the run
            errs[ep.name] = f"{ep.value}: {type(exc).__name__}: {exc}"
            continue
        if chk.name in reg and reg[chk.name] is not chk:
            errs[ep.name] = f"{ep.value}: the name {chk.name!r} is already taken by another check"
            continue
        reg[chk.name] = chk
        _TARGETS.setdefault(chk.name, ep.value)
        added.append(chk.name)
    return added


@cache
def _load_plugins_once() -> None:
    load_entry_points()


def all_checks() -> dict[str, Check]:
    """Every check: the built-ins, then the entry-point plugins (loaded on the first call)."""
    _load_plugins_once()
    return CHECKS


def require_checks(names: Iterable[str], reg: Mapping[str, Check] | None = None) -> list[str]:
    """``names`` without duplicates if each is a known check, else :class:`UsageError` naming the first
    unknown one (or why its plugin could not be loaded)."""
    known = all_checks() if reg is None else reg
    wanted = list(dict.fromkeys(names))
    for name in wanted:
        if name in known:
            continue
        if reg is None and name in PLUGIN_ERRORS:
            raise UsageError(f"check {name!r} could not be loaded: {PLUGIN_ERRORS[name]}")
        raise UsageError(f"unknown check {name!r}; valid checks: {', '.join(sorted(known))}")
    return wanted


def run_checks(
    hosts: Sequence[HostInfo],
    pairs: Sequence[PairResult],
    selected: Iterable[str] | None = None,
    *,
    settings: CheckSettings | None = None,
    registry: Mapping[str, Check] | None = None,
) -> list[Finding]:
    """Run the selected checks (all when ``selected`` is None) in registry order; return their findings.

    An unknown name raises :class:`UsageError` before anything runs. A check that raises is reported as
    an error finding of that check, so one broken (third-party) check cannot hide the others' findings.
    """
    reg = all_checks() if registry is None else registry
    names = list(reg) if selected is None else require_checks(selected, registry)
    thresholds = settings or CheckSettings()
    findings: list[Finding] = []
    for name in names:
        chk = reg[name]
        try:
            findings.extend(chk.run(hosts, pairs, thresholds))
        except Exception as exc:
            findings.append(
                Finding(check=name, severity=Severity.ERROR, message=f"check crashed: {type(exc).__name__}: {exc}")
            )
    return findings


for _name, _target in BUILTIN_CHECKS.items():
    _builtin = _load_target(_name, _target)
    assert _builtin.name == _name, f"{_target} is named {_builtin.name!r}, registered as {_name!r}"
    register(_builtin)
    _TARGETS[_name] = _target
