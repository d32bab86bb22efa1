"""pytest plugin: a vMotion validation as test items, one per directed vmk pair and one per check.

    pytest --vmotion-inventory cluster.toml            # validate once per session, then report as tests
    pytest --vmotion-report report.json                # the same items from a saved report (no host touched)

Installed with the package (entry point ``pytest11``, name ``vmotion_validator``). Without a ``--vmotion-*``
option it only declares its options and the ``vmotion_report`` fixture: nothing is imported, collected or run.

Items live under the collector ``vmotion``: ``vmotion::pairs::esx01:vmk1->esx02:vmk2`` (IPv6 pairs end in
``[ipv6]``) and ``vmotion::checks::gateway``. The rules:

* a pair item passes when the pair passed; otherwise it fails with the reason and the raw vmkping output;
* a check item passes when the check reported no error-severity finding. Warning and info findings never
  fail it: they are listed in the terminal summary and recorded as junit properties of the item. Every
  registered check gets an item (or only those of ``--vmotion-checks``); from a saved report, a check passes
  when the report holds no error finding of it.
* with no pair at all (nothing could be validated) one item ``vmotion::pairs::no-pairs`` fails.

Inventory, report and option errors stop the run with one ``pytest.UsageError`` before any host is touched.
The SSH password is read from ``--vmotion-password-env`` (else the inventory's ``ssh.password_env``) and
never printed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from validator.inventory import Inventory
    from validator.models import Finding, PairResult
    from validator.options import RunOptions
    from validator.report import Report

OPTIONS = (
    "vmotion_inventory",
    "vmotion_report",
    "vmotion_password_env",
    "vmotion_checks",
    "vmotion_netstack",
    "vmotion_mtu",
    "vmotion_discover_mtu",
    "vmotion_via",
)
PROBE_OPTIONS = ("vmotion_password_env", "vmotion_netstack", "vmotion_mtu", "vmotion_discover_mtu", "vmotion_via")
NO_SOURCE = "no vMotion validation to test: run pytest with --vmotion-inventory FILE or --vmotion-report REPORT.json"
COLLECTOR = "vmotion"


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("vmotion", "vMotion network validation (vmotion-validator)")
    group.addoption("--vmotion-inventory", metavar="FILE",
                    help="validate the hosts of this inventory once per session: a test per directed vmk pair "
                         "and per check")
    group.addoption("--vmotion-report", metavar="REPORT.json",
                    help="the same tests from a saved report.json (no host is touched)")
    group.addoption("--vmotion-password-env", metavar="VAR",
                    help="environment variable holding the SSH password (default: the inventory's ssh.password_env)")
    group.addoption("--vmotion-checks", metavar="A,B", help="only these checks (default: every registered check)")
    group.addoption("--vmotion-netstack", metavar="NAME", help="TCP/IP stack to probe (default: vmotion)")
    group.addoption("--vmotion-mtu", metavar="N", type=int,
                    help="test this MTU instead of the smaller of the two vmks' MTUs")
    group.addoption("--vmotion-discover-mtu", action="store_true", default=False,
                    help="find the largest MTU that passes on pairs with a path-MTU problem")
    group.addoption("--vmotion-via", choices=("ssh", "api"), default=None,
                    help="probe over SSH, or through the vCenter of the inventory's [vcenter] table (api: no SSH; "
                         "the vCenter password from its vcenter.password_env); default: vcenter.probe, else ssh")


class _Source:
    """Where the session's report comes from; the report is made once, on first use."""

    def __init__(self, kind: str, path: Path, checks: tuple[str, ...] | None, make: Callable[[], Report]) -> None:
        self.kind = kind
        self.path = path
        self.checks = checks
        self._make = make
        self._report: Report | None = None
        self._error: Exception | None = None

    def __repr__(self) -> str:
        return f"<vMotion {self.kind} {self.path}>"

    @property
    def made(self) -> Report | None:
        return self._report

    def report(self) -> Report:
        if self._error is not None:
            raise self._error
        if self._report is None:
            try:
                self._report = self._make()
            except Exception as exc:
                self._error = exc
                raise
        return self._report


SOURCE_KEY = pytest.StashKey[_Source]()


def pytest_configure(config: pytest.Config) -> None:
    given = [name for name in OPTIONS if config.getoption(name) not in (None, False)]
    if not given:
        return
    config.stash[SOURCE_KEY] = source = _source(config, given)
    config.pluginmanager.register(_SessionPlugin(source), "vmotion-validator-session")


def _source(config: pytest.Config, given: Sequence[str]) -> _Source:
    inventory, saved = config.getoption("vmotion_inventory"), config.getoption("vmotion_report")
    if inventory is not None and saved is not None:
        raise pytest.UsageError("give --vmotion-inventory or --vmotion-report, not both")
    if inventory is None and saved is None:
        raise pytest.UsageError(f"{_flag(given[0])} needs --vmotion-inventory FILE or --vmotion-report REPORT.json")
    _refuse_separate_outside_path(config)
    checks = _checks_option(config.getoption("vmotion_checks"))
    if saved is not None:
        probe = [name for name in given if name in PROBE_OPTIONS]
        if probe:
            raise pytest.UsageError(f"{_flag(probe[0])} applies to --vmotion-inventory only, not to a saved report")
        return _report_source(Path(saved), checks)
    return _inventory_source(config, Path(inventory), checks)


def _refuse_separate_outside_path(config: pytest.Config) -> None:
    """pytest chooses its rootdir and configuration before it loads this plugin, reading ``--vmotion-report
    PATH`` as an unknown option and a test path: a PATH outside the current directory would move the rootdir
    (and lose the project's configuration). ``--vmotion-report=PATH`` is one token and is not misread."""
    args = list(config.invocation_params.args)
    here = config.invocation_params.dir.resolve()
    for flag in ("--vmotion-inventory", "--vmotion-report"):
        for token, value in pairwise(args):
            if token != flag or value.startswith("-"):
                continue
            path = (here / value).resolve()
            if path.exists() and not path.is_relative_to(here):
                raise pytest.UsageError(
                    f"write {flag}={value} (with '='): pytest picks its rootdir before loading this plugin and "
                    f"would take {value}, outside the current directory, for a test path"
                )


def _checks_option(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    if not names:
        raise pytest.UsageError("--vmotion-checks: give check names separated by commas")
    return names


def _usage(prefix: str, exc: Exception) -> pytest.UsageError:
    from reports.view import printable

    return pytest.UsageError(printable(f"{prefix}{exc}"))


def _require_checks(checks: tuple[str, ...] | None) -> None:
    from validator.errors import ValidatorError

    if checks is None:
        return
    from checks import require_checks

    try:
        require_checks(checks)
    except ValidatorError as exc:
        raise _usage("--vmotion-checks: ", exc) from None


def _report_source(path: Path, checks: tuple[str, ...] | None) -> _Source:
    from validator.errors import ValidatorError
    from validator.report import load_report

    _require_checks(checks)
    try:
        report = load_report(path)
    except ValidatorError as exc:
        raise _usage("--vmotion-report ", exc) from None
    return _Source("report", path.resolve(), checks, lambda: report)


class _Secret:
    """A password that never shows in a repr (tracebacks with --showlocals)."""

    def __init__(self, value: str | None) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<password hidden>" if self.value is not None else "<no password>"


def _password(config: pytest.Config, inventory_env: Callable[[], str | None]) -> _Secret:
    from validator import limits

    name = config.getoption("vmotion_password_env")
    if name is None:
        return _Secret(inventory_env())
    if not limits.is_env_name(name):
        raise pytest.UsageError("--vmotion-password-env: give the NAME of an environment variable, not a password")
    value = os.environ.get(name)
    if not value:
        raise pytest.UsageError(f"--vmotion-password-env: environment variable {name} is not set")
    return _Secret(value)


def _run_options(config: pytest.Config, checks: tuple[str, ...] | None, via: str = "ssh") -> RunOptions:
    from dataclasses import replace

    from validator.options import DEFAULT_CONCURRENCY, ProbeOptions, RunOptions, checked_options

    probe = ProbeOptions(mtu=config.getoption("vmotion_mtu"), concurrency=DEFAULT_CONCURRENCY[via])
    if config.getoption("vmotion_netstack") is not None:
        probe = replace(probe, netstack=config.getoption("vmotion_netstack"))
    options = RunOptions(probe=probe, discover_mtu=bool(config.getoption("vmotion_discover_mtu")), checks=checks,
                         via=via)
    return checked_options(options)


def _inventory_source(config: pytest.Config, path: Path, checks: tuple[str, ...] | None) -> _Source:
    from validator.errors import ValidatorError
    from validator.inventory import load_inventory
    from validator.ssh_settings import resolve_password

    _require_checks(checks)
    try:
        inventory = load_inventory(path)
    except ValidatorError as exc:
        raise _usage("", exc) from None
    settings = inventory.vcenter
    via = config.getoption("vmotion_via") or (settings.probe if settings is not None else None) or "ssh"
    try:
        options = _run_options(config, checks, via)
    except ValidatorError as exc:
        raise _usage("--vmotion-", exc) from None
    if via == "api":
        return _api_source(path, inventory, options, checks)
    try:
        secret = _password(config, lambda: resolve_password(inventory.ssh))
    except ValidatorError as exc:
        raise _usage("", exc) from None

    def make() -> Report:
        from validator.api import validate

        return validate(inventory, options=options, password=secret.value)

    return _Source("inventory", path.resolve(), checks, make)


def _api_source(path: Path, inventory: Inventory, options: RunOptions, checks: tuple[str, ...] | None) -> _Source:
    """The inventory's vCenter as the probe path: no SSH, the vCenter password from its environment variable."""
    from validator.errors import ValidatorError
    from validator.vcenter.settings import resolve_vc_password

    settings = inventory.vcenter
    if settings is None:
        raise pytest.UsageError(f"--vmotion-via api: {path} has no [vcenter] table to probe through")
    try:
        secret = _Secret(resolve_vc_password(settings))
    except ValidatorError as exc:
        raise _usage("", exc) from None

    def make() -> Report:
        from validator.vcenter.run import validate_vcenter

        assert secret.value is not None
        return validate_vcenter(inventory, settings, secret.value, options=options, notify=lambda _line: None)

    return _Source("inventory", path.resolve(), checks, make)


# ---------------------------------------------------------------- items


def pair_id(pair: PairResult) -> str:
    """``esx01:vmk1->esx02:vmk2``, with ``[ipv6]`` for an IPv6 pair."""
    from reports.view import printable
    from validator.models import Family

    p = pair.plan
    name = printable(f"{p.src_host}:{p.src_vmk}->{p.dst_host}:{p.dst_vmk}").replace("::", ":")
    return name + ("[ipv6]" if p.family is Family.IPV6 else "")


class VMotionCollector(pytest.Collector):
    """``vmotion``: the pairs and checks of the session's report."""

    def __init__(self, *, source: _Source, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        report = self.source.report()
        return [
            PairCollector.from_parent(self, name="pairs", report=report, path=self.source.path),
            CheckCollector.from_parent(self, name="checks", report=report, path=self.source.path,
                                       selected=self.source.checks),
        ]

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> str:  # type: ignore[override]
        from reports.view import printable
        from validator.errors import ValidatorError

        if isinstance(excinfo.value, ValidatorError):
            return printable(f"vmotion-validator: {self.source.kind} {self.source.path}: {excinfo.value}")
        return str(super().repr_failure(excinfo))


class PairCollector(pytest.Collector):
    """One item per directed pair, in report order."""

    def __init__(self, *, report: Report, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.report = report

    def collect(self) -> Iterable[pytest.Item]:
        if not self.report.pairs:
            return [NoPairsItem.from_parent(self, name="no-pairs", report=self.report)]
        items: list[pytest.Item] = []
        seen: dict[str, int] = {}
        for pair in self.report.pairs:
            name = pair_id(pair)
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                name = f"{name}#{seen[name]}"
            items.append(PairItem.from_parent(self, name=name, pair=pair))
        return items


class PairItem(pytest.Item):
    """Passes when the pair passed."""

    def __init__(self, *, pair: PairResult, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pair = pair

    def runtest(self) -> None:
        from reports.view import pair_failure_text
        from validator.models import PairStatus

        pair = self.pair
        self.user_properties.append(("status", pair.status.value))
        if pair.reason is not None:
            self.user_properties.append(("reason", pair.reason.value))
        if pair.status is not PairStatus.PASS:
            pytest.fail(pair_failure_text(pair), pytrace=False)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"vMotion pair {self.name}"


class NoPairsItem(pytest.Item):
    """Fails: a report without pairs proves nothing."""

    def __init__(self, *, report: Report, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.report = report

    def runtest(self) -> None:
        reachable = sum(1 for h in self.report.hosts if h.ok)
        pytest.fail(f"nothing could be validated: no pair was planned ({len(self.report.hosts)} host(s), "
                    f"{reachable} reachable)", pytrace=False)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, "vMotion pairs"


class CheckCollector(pytest.Collector):
    """One item per check: the selected ones, else every registered check and any other that reported."""

    def __init__(self, *, report: Report, selected: tuple[str, ...] | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.report = report
        self.selected = selected

    def collect(self) -> Iterable[pytest.Item]:
        from checks import all_checks

        registry = all_checks()
        names = list(self.selected) if self.selected is not None else list(registry)
        if self.selected is None:
            names += [f.check for f in self.report.findings if f.check not in names]
        items: list[pytest.Item] = []
        for name in dict.fromkeys(names):
            chk = registry.get(name)
            findings = tuple(f for f in self.report.findings if f.check == name)
            items.append(CheckItem.from_parent(self, name=name, findings=findings,
                                               description=chk.description if chk is not None else ""))
        return items


class CheckItem(pytest.Item):
    """Passes when the check reported no error-severity finding; warnings are recorded, never failing."""

    def __init__(self, *, findings: tuple[Finding, ...], description: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.findings = findings
        self.description = description

    def runtest(self) -> None:
        from reports.view import check_failure_text, finding_line
        from validator.models import Severity

        for finding in self.findings:
            self.user_properties.append((finding.severity.value, finding_line(finding, severity=False)))
        if any(f.severity is Severity.ERROR for f in self.findings):
            pytest.fail(check_failure_text(self.name, self.description, self.findings), pytrace=False)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"vMotion check {self.name}"


# ---------------------------------------------------------------- session


class _SessionPlugin:
    """Registered only when a ``--vmotion-*`` source is given."""

    def __init__(self, source: _Source) -> None:
        self.source = source

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, pytest.CollectReport,
                                                                                   pytest.CollectReport]:
        report = yield
        if isinstance(collector, pytest.Session) and report.passed:
            assert isinstance(report.result, list)
            report.result.append(VMotionCollector.from_parent(
                collector, name=COLLECTOR, nodeid=COLLECTOR, source=self.source, path=self.source.path))
        return report

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        report = self.source.made
        if report is None:
            return
        from reports.view import finding_line, summary_line
        from validator.models import Severity

        tr = terminalreporter
        tr.section("vmotion-validator")
        tr.write_line(f"{self.source.kind} {self.source.path}: {summary_line(report)}")
        wanted = self.source.checks
        quiet = [f for f in report.findings
                 if f.severity is not Severity.ERROR and (wanted is None or f.check in wanted)]
        if quiet:
            tr.write_line(f"findings that do not fail their check ({len(quiet)}):")
            for finding in quiet:
                tr.write_line(f"  [{finding.check}] {finding_line(finding)}")


@pytest.fixture(scope="session")
def vmotion_report(request: pytest.FixtureRequest) -> Report:
    """The session's vMotion report (validated once, or loaded); skips when no ``--vmotion-*`` source was given."""
    source = request.config.stash.get(SOURCE_KEY, None)
    if source is None:
        pytest.skip(NO_SOURCE)
    return source.report()
