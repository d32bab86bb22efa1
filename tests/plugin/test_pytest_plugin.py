"""The pytest plugin in an inner pytest run: items from a saved report, selection, failure text, the fixture,
junit XML, usage errors, and nothing at all without a ``--vmotion-*`` option."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.factories import (
    full_mesh,
    make_cluster,
    make_finding,
    make_host,
    make_pair,
    make_report,
    replace_pair,
)
from validator.models import Family, HostStatus, PairStatus, Reason, Severity
from validator.pytest_plugin import pair_id
from validator.report import Report

INNER = ("-p", "no:hypothesispytest")  # its terminal summary costs a second per inner run
HOSTILE_RAW = "PING 198.19.2.12: 8972 data bytes\n\x1b[2J\x1b]0;owned\x07sendto() failed (Message too long)\x00\n"


def faulty_report() -> Report:
    """3 dual-stack hosts, 2 vmks each: one path-MTU pair (hostile raw output), one host-error source, a
    gateway error finding and a disabled-vmk warning."""
    hosts = make_cluster(3, 2, ipv6=True)
    pairs = full_mesh(hosts, (Family.IPV4, Family.IPV6))
    pairs = replace_pair(pairs, make_pair(hosts[0], "vmk1", hosts[1], "vmk2", PairStatus.FAIL, Reason.PATH_MTU,
                                          raw={"mtu": HOSTILE_RAW}))
    pairs = replace_pair(pairs, make_pair(hosts[2], "vmk2", hosts[0], "vmk1", PairStatus.ERROR, Reason.HOST_ERROR,
                                          family=Family.IPV6, detail="channel closed",
                                          raw={"error": "channel closed by esx03"}))
    findings = [
        make_finding("gateway", Severity.ERROR, "esx03: no IPv4 default gateway on the vmotion stack", "esx03"),
        make_finding("vmk_disabled", Severity.WARNING, "esx02:vmk2 on the vmotion stack is disabled", "esx02", "vmk2"),
    ]
    return make_report(hosts, pairs, findings)


def save(report: Report, path: Path) -> Path:
    path.write_text(json.dumps(report.to_dict()), encoding="utf-8")
    return path


def outcomes(reprec: pytest.HookRecorder) -> dict[str, str]:
    """nodeid -> passed/failed/skipped of every item that ran."""
    found: dict[str, str] = {}
    for rep in reprec.getreports("pytest_runtest_logreport"):
        if rep.when == "call" or rep.outcome != "passed":
            found[rep.nodeid] = rep.outcome
    return found


def check_names() -> list[str]:
    from checks import all_checks

    return list(all_checks())


def test_one_item_per_pair_and_per_check_from_a_saved_report(pytester: pytest.Pytester) -> None:
    report = faulty_report()
    path = save(report, pytester.path / "report.json")
    reprec = pytester.inline_run(*INNER, "--vmotion-report", str(path))
    got = outcomes(reprec)
    pair_ids = {f"vmotion::pairs::{pair_id(p)}" for p in report.pairs}
    check_ids = {f"vmotion::checks::{name}" for name in check_names()}
    assert set(got) == pair_ids | check_ids
    assert len(pair_ids) == len(report.pairs) == 48  # IPv4 and IPv6 of the same vmks stay apart
    failed = {nodeid for nodeid, outcome in got.items() if outcome == "failed"}
    assert failed == {
        "vmotion::pairs::esx01:vmk1->esx02:vmk2",
        "vmotion::pairs::esx03:vmk2->esx01:vmk1[ipv6]",
        "vmotion::checks::gateway",
    }
    assert got["vmotion::checks::vmk_disabled"] == "passed"  # a warning never fails its check
    reprec.assertoutcome(passed=len(got) - 3, failed=3)
    assert reprec.ret == pytest.ExitCode.TESTS_FAILED


def test_a_passing_report_passes(pytester: pytest.Pytester) -> None:
    path = save(make_report(), pytester.path / "report.json")
    result = pytester.runpytest(*INNER, "--vmotion-report", str(path))
    result.assert_outcomes(passed=6 + len(check_names()))
    assert result.ret == pytest.ExitCode.OK


def test_k_selects_pairs_by_host(pytester: pytest.Pytester) -> None:
    report = faulty_report()
    path = save(report, pytester.path / "report.json")
    reprec = pytester.inline_run(*INNER, "--vmotion-report", str(path), "-k", "esx03")
    got = outcomes(reprec)
    expected = {f"vmotion::pairs::{pair_id(p)}" for p in report.pairs if "esx03" in (p.plan.src_host, p.plan.dst_host)}
    assert set(got) == expected and len(expected) == 32
    reprec = pytester.inline_run(*INNER, "--vmotion-report", str(path), "-k", "checks and not gateway")
    assert set(outcomes(reprec)) == {f"vmotion::checks::{n}" for n in check_names() if "gateway" not in n}


def test_a_failing_pair_shows_its_reason_and_printable_raw_output(pytester: pytest.Pytester) -> None:
    path = save(faulty_report(), pytester.path / "report.json")
    result = pytester.runpytest(*INNER, "--vmotion-report", str(path), "-k", "esx01:vmk1- and esx02:vmk2 and not ipv6")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "esx01:vmk1 (198.19.1.11) -> esx02:vmk2 (198.19.2.12): path-mtu - DF 9000 lost (max 1500)" in out
    assert "raw output (mtu):" in out
    assert "    PING 198.19.2.12: 8972 data bytes" in out
    assert "sendto() failed (Message too long)\\x00" in out  # control characters spelled out
    assert "\x1b" not in out and "owned" not in out  # escape sequences (screen clear, window title) removed
    assert "Traceback" not in out and "pytest_plugin.py" not in out  # the reason, not the plugin's code

    result = pytester.runpytest(*INNER, "--vmotion-report", str(path), "-k", "ipv6 and esx03:vmk2- and esx01:vmk1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "esx03:vmk2 (2001:db8:3::c) -> esx01:vmk1 (2001:db8:1::b): error (host-error) - channel closed",
        "raw output (error):",
        "    channel closed by esx03",
    ])


def test_check_items_fail_on_errors_and_list_warnings(pytester: pytest.Pytester) -> None:
    path = save(faulty_report(), pytester.path / "report.json")
    result = pytester.runpytest(*INNER, "--vmotion-report", str(path), "-k", "checks")
    result.assert_outcomes(failed=1, passed=len(check_names()) - 1)
    result.stdout.fnmatch_lines([
        "*_ vMotion check gateway _*",
        "check gateway: 1 error finding(s)",
        "(Routed (L3) vMotion needs a gateway*",
        "  error: esx03: no IPv4 default gateway on the vmotion stack",
    ])
    result.stdout.fnmatch_lines([
        "*= vmotion-validator =*",
        f"report {path}: 48 pairs: 46 pass, 1 fail, 1 error - FAIL",
        "findings that do not fail their check (1):",
        "  [vmk_disabled] warning: esx02:vmk2 on the vmotion stack is disabled",
    ])


def test_checks_option_and_findings_of_unknown_checks(pytester: pytest.Pytester) -> None:
    report = make_report(findings=[make_finding("site_policy", Severity.ERROR, "esx01: not allowed", "esx01")])
    path = save(report, pytester.path / "report.json")
    got = outcomes(pytester.inline_run(*INNER, "--vmotion-report", str(path), "-k", "checks"))
    assert got["vmotion::checks::site_policy"] == "failed"  # a check installed where the report was made
    got = outcomes(pytester.inline_run(*INNER, "--vmotion-report", str(path), "--vmotion-checks", "gateway,rtt", "-k", "checks"))
    assert got == {"vmotion::checks::gateway": "passed", "vmotion::checks::rtt": "passed"}


def test_a_report_without_pairs_fails(pytester: pytest.Pytester) -> None:
    hosts = [make_host("esx01", status=HostStatus.UNREACHABLE, error="connection refused")]
    path = save(make_report(hosts, []), pytester.path / "report.json")
    result = pytester.runpytest(*INNER, "--vmotion-report", str(path), "-k", "pairs")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["nothing could be validated: no pair was planned (1 host(s), 0 reachable)"])


def test_the_fixture_gives_the_report_to_users_tests(pytester: pytest.Pytester) -> None:
    path = save(faulty_report(), pytester.path / "report.json")
    pytester.makepyfile(test_mine="""
        from validator.report import Report

        def test_mine(vmotion_report):
            assert isinstance(vmotion_report, Report)
            assert len(vmotion_report.failing_pairs()) == 2
    """)
    result = pytester.runpytest(*INNER, "--vmotion-report", str(path), "-k", "test_mine")
    result.assert_outcomes(passed=1)
    result = pytester.runpytest(*INNER, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*no vMotion validation to test: run pytest with --vmotion-inventory FILE or "
                                 "--vmotion-report REPORT.json*"])


def test_junitxml_has_a_testcase_per_item(pytester: pytest.Pytester) -> None:
    report = faulty_report()
    path = save(report, pytester.path / "report.json")
    xml = pytester.path / "junit.xml"
    pytester.runpytest(*INNER, "--vmotion-report", str(path), f"--junitxml={xml}")
    suite = ET.parse(xml).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == str(len(report.pairs) + len(check_names()))
    assert suite.get("failures") == "3" and suite.get("errors") == "0"
    cases = {(c.get("classname"), c.get("name")): c for c in suite.iter("testcase")}
    pair = cases[("vmotion.pairs", "esx01:vmk1->esx02:vmk2")]
    failure = pair.find("failure")
    assert failure is not None and "path-mtu" in (failure.get("message") or "")
    assert "8972 data bytes" in (failure.text or "")
    assert {p.get("name"): p.get("value") for p in pair.iter("property")} == {"status": "fail", "reason": "path-mtu"}
    assert ("vmotion.pairs", "esx01:vmk1->esx04:vmk1[ipv6]") not in cases
    assert ("vmotion.pairs", "esx01:vmk1->esx02:vmk1[ipv6]") in cases
    warned = cases[("vmotion.checks", "vmk_disabled")]
    assert warned.find("failure") is None
    assert [(p.get("name"), p.get("value")) for p in warned.iter("property")] == [
        ("warning", "esx02:vmk2 on the vmotion stack is disabled")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vmotion-report", "missing.json"], "--vmotion-report missing.json: *not found"),
        (["--vmotion-report", "bad.json"], "--vmotion-report bad.json: not a vmotion-validator report: not JSON*"),
        (["--vmotion-report", "r.json", "--vmotion-inventory", "inv.toml"],
         "give --vmotion-inventory or --vmotion-report, not both"),
        (["--vmotion-checks", "gateway"], "--vmotion-checks needs --vmotion-inventory FILE or --vmotion-report*"),
        (["--vmotion-report", "r.json", "--vmotion-checks", "gatewya"], "--vmotion-checks: unknown check 'gatewya'*"),
        (["--vmotion-report", "r.json", "--vmotion-mtu", "1500"],
         "--vmotion-mtu applies to --vmotion-inventory only, not to a saved report"),
        (["--vmotion-inventory", "missing.toml"], "missing.toml: *not found"),
        (["--vmotion-inventory", "broken.toml"], "broken.toml: TOML syntax error*"),
        (["--vmotion-inventory", "inv.toml", "--vmotion-mtu", "100"], "--vmotion-mtu must be an integer 576..9216*"),
        (["--vmotion-inventory", "inv.toml", "--vmotion-password-env", "NOT_SET_ANYWHERE"],
         "--vmotion-password-env: environment variable NOT_SET_ANYWHERE is not set"),
        (["--vmotion-inventory", "inv.toml", "--vmotion-password-env", "hunter2!"],
         "--vmotion-password-env: give the NAME of an environment variable, not a password"),
        (["--vmotion-inventory", "needs-env.toml"], "environment variable VMV_PLUGIN_UNSET (ssh.password_env) is not set*"),
    ],
)
def test_bad_sources_are_one_usage_error(pytester: pytest.Pytester, args: list[str], message: str) -> None:
    save(make_report(), pytester.path / "r.json")
    (pytester.path / "bad.json").write_text("{", encoding="utf-8")
    (pytester.path / "broken.toml").write_text("[[hosts]\n", encoding="utf-8")
    (pytester.path / "inv.toml").write_text('[[hosts]]\nname = "esx01"\naddress = "127.0.0.1"\n', encoding="utf-8")
    (pytester.path / "needs-env.toml").write_text(
        '[ssh]\npassword_env = "VMV_PLUGIN_UNSET"\n[[hosts]]\nname = "esx01"\naddress = "127.0.0.1"\n',
        encoding="utf-8")
    result = pytester.runpytest(*INNER, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_the_password_never_shows(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real validation (SSH refused on 127.0.0.1:1): error pairs, every detail shown, no password."""
    secret = "pl4in-s3cret-Value"
    monkeypatch.setenv("VMV_PLUGIN_SECRET", secret)
    inventory = pytester.path / "inv.toml"
    inventory.write_text("""
[ssh]
password_env = "VMV_PLUGIN_SECRET"
connect_timeout = 2

[[hosts]]
name = "esx01"
address = "127.0.0.1"
port = 1
vmks = [{ name = "vmk1", ip = "198.19.1.11/24", mtu = 9000 }]

[[hosts]]
name = "esx02"
address = "127.0.0.2"
port = 1
vmks = [{ name = "vmk1", ip = "198.19.2.12/24", mtu = 9000 }]
""", encoding="utf-8")
    result = pytester.runpytest(*INNER, "--vmotion-inventory", str(inventory), "-vv", "-l", "-rA")
    out = result.stdout.str() + result.stderr.str()
    result.assert_outcomes(failed=3, passed=len(check_names()) - 1)  # 2 error pairs, host_unreachable
    result.stdout.fnmatch_lines(["vmotion::pairs::esx01:vmk1->esx02:vmk1 <- inv.toml FAILED*"])
    assert "error (host-error)" in out and "127.0.0.1:1" in out
    assert secret not in out
    result = pytester.runpytest(*INNER, "--vmotion-inventory", str(inventory), "--vmotion-password-env", "VMV_PLUGIN_SECRET",
                                "-k", "esx02:vmk1-", "-l", "--tb=long")
    result.assert_outcomes(failed=1)
    assert secret not in result.stdout.str() + result.stderr.str()


def test_options_are_documented(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*INNER, "--help")
    result.stdout.fnmatch_lines(["vMotion network validation (vmotion-validator):", "*--vmotion-inventory=FILE*",
                                 "*--vmotion-report=REPORT.json*", "*--vmotion-password-env=VAR*"])


def test_without_an_option_the_plugin_does_nothing(pytester: pytest.Pytester) -> None:
    """A fresh interpreter: the plugin is loaded (entry point) but imports and collects nothing."""
    pytester.makepyfile(test_alone="""
        import sys

        def test_alone(request):
            assert request.config.pluginmanager.has_plugin("vmotion_validator")
            loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("validator", "checks", "reports"))
            assert loaded == ["validator", "validator.pytest_plugin"]
    """)
    result = pytester.runpytest_subprocess(*INNER, "-v")
    result.assert_outcomes(passed=1)
    assert "collected 1 item" in result.stdout.str() and "vmotion::" not in result.stdout.str()


def test_a_path_outside_the_current_directory_needs_the_equals_form(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """pytest reads a separate option value as a test path before it loads plugins: that would move its rootdir."""
    path = save(faulty_report(), tmp_path_factory.mktemp("elsewhere") / "report.json")
    result = pytester.runpytest(*INNER, "--vmotion-report", str(path))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: write --vmotion-report={path} (with '='): pytest picks its rootdir*"])
    result = pytester.runpytest(*INNER, f"--vmotion-report={path}")
    result.assert_outcomes(failed=3, passed=len(faulty_report().pairs) + len(check_names()) - 3)
    result.stdout.fnmatch_lines([f"rootdir: {pytester.path}"])


def test_a_validation_that_cannot_run_is_one_collection_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    import validator.api
    from validator.errors import ValidatorError

    def refuse(*_args: object, **_kwargs: object) -> Report:
        raise ValidatorError("the engine refused: \x1b[31mno\x1b[0m")

    monkeypatch.setattr(validator.api, "validate", refuse)
    (pytester.path / "inv.toml").write_text('[[hosts]]\nname = "esx01"\naddress = "127.0.0.1"\n', encoding="utf-8")
    result = pytester.runpytest(*INNER, "--vmotion-inventory=inv.toml")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting vmotion*",
                                 f"vmotion-validator: inventory {pytester.path / 'inv.toml'}: the engine refused: no"])
    assert "Traceback" not in result.stdout.str() and "\x1b" not in result.stdout.str()
