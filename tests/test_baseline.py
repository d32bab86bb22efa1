"""Baseline diffs: what counts as a regression or a fix, refusals, rendering, and run_diff's exit codes."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from reports import json_report
from reports.diff import FILENAMES, render_diff
from tests.factories import (
    full_mesh,
    make_cluster,
    make_finding,
    make_host,
    make_pair,
    make_report,
    make_vmk,
    replace_pair,
)
from validator.baseline import ReportDiff, diff_reports
from validator.diff_cli import compare, run_diff
from validator.errors import IncomparableReportsError, UsageError, ValidatorError
from validator.models import Family, HostInfo, HostStatus, PairResult, PairStatus, Reason, Severity
from validator.report import Report, load_report

DEMO = Path(__file__).resolve().parent.parent / "samples" / "reports" / "demo-report.json"

KEY = ("esx01", "vmk1", "esx02", "vmk1", "ipv4")


def cluster() -> list[HostInfo]:
    return make_cluster(3, 2)


def baseline() -> Report:
    return make_report(cluster())


def with_pair(report: Report, pair: PairResult) -> Report:
    return replace(report, pairs=tuple(replace_pair(report.pairs, pair)))


def pair(status: PairStatus = PairStatus.PASS, reason: Reason | None = None, **kw: Any) -> PairResult:
    hosts = cluster()
    return make_pair(hosts[0], "vmk1", hosts[1], "vmk1", status, reason, **kw)


def keys(changes: Any) -> list[tuple[str, ...]]:
    return [c.key for c in changes]


def only(diff: ReportDiff, **expected: int) -> None:
    """Every list of the diff is empty except those named, which have the given length."""
    assert {name: n for name, n in diff.counts.items() if n} == expected


# --- categories --------------------------------------------------------------------------------------


def test_identical_reports_have_no_differences() -> None:
    diff = diff_reports(baseline(), baseline())
    only(diff)
    assert not diff.has_regressions
    d = diff.to_dict()
    for name in ("regressions", "fixes", "added", "removed", "hosts_added", "vmks_added", "findings_new"):
        assert d[name] == []
    assert d["summary"]["regressions"] == 0 and d["summary"]["has_regressions"] is False


@pytest.mark.parametrize(
    ("status", "reason", "why"),
    [
        (PairStatus.FAIL, Reason.PATH_MTU, "pass -> path-mtu"),
        (PairStatus.ERROR, Reason.HOST_ERROR, "pass -> error (host-error)"),
    ],
)
def test_pass_to_fail_or_error_is_a_regression(status: PairStatus, reason: Reason, why: str) -> None:
    diff = diff_reports(baseline(), with_pair(baseline(), pair(status, reason)))
    only(diff, regressions=1)
    assert diff.has_regressions
    assert keys(diff.regressions) == [KEY]
    assert diff.regressions[0].why == why
    item = diff.to_dict()["regressions"][0]
    assert {k: item[k] for k in ("src_host", "src_vmk", "dst_host", "dst_vmk", "family")} == dict(
        zip(("src_host", "src_vmk", "dst_host", "dst_vmk", "family"), KEY, strict=True)
    )
    assert item["before"]["status"] == "pass" and item["before"]["reason"] is None
    assert item["after"]["status"] == status.value and item["after"]["reason"] == reason.value


def test_passing_at_a_lower_mtu_is_a_regression_higher_is_not() -> None:
    before = with_pair(baseline(), pair(mtu_tested=9000))
    lower = diff_reports(before, with_pair(baseline(), pair(mtu_tested=1500)))
    only(lower, regressions=1)
    assert lower.regressions[0].why == "passes at a lower MTU: 9000 -> 1500"
    assert lower.to_dict()["regressions"][0]["after"]["mtu_tested"] == 1500
    only(diff_reports(with_pair(baseline(), pair(mtu_tested=1500)), before))


def test_lower_discovered_max_mtu_is_a_regression() -> None:
    before = with_pair(baseline(), pair(PairStatus.FAIL, Reason.PATH_MTU, max_mtu=8000))
    worse = diff_reports(before, with_pair(baseline(), pair(PairStatus.FAIL, Reason.PATH_MTU, max_mtu=1500)))
    only(worse, regressions=1)
    assert worse.regressions[0].why == "max MTU 8000 -> 1500"
    same = diff_reports(before, with_pair(baseline(), pair(PairStatus.FAIL, Reason.PATH_MTU, max_mtu=8000)))
    only(same)
    better = diff_reports(before, with_pair(baseline(), pair(PairStatus.FAIL, Reason.PATH_MTU, max_mtu=9000)))
    only(better)


@pytest.mark.parametrize(
    ("status", "reason"), [(PairStatus.FAIL, Reason.UNREACHABLE), (PairStatus.ERROR, Reason.PARSE_ERROR)]
)
def test_fail_or_error_to_pass_is_a_fix(status: PairStatus, reason: Reason) -> None:
    diff = diff_reports(with_pair(baseline(), pair(status, reason)), baseline())
    only(diff, fixes=1)
    assert not diff.has_regressions
    assert keys(diff.fixes) == [KEY]
    item = diff.to_dict()["fixes"][0]
    assert item["before"]["reason"] == reason.value and item["after"] == {
        "status": "pass",
        "reason": None,
        "mtu_tested": 9000,
        "max_mtu": None,
    }


def test_still_failing_with_another_reason_is_listed_same_reason_is_not() -> None:
    before = with_pair(baseline(), pair(PairStatus.FAIL, Reason.UNREACHABLE))
    arp = diff_reports(before, with_pair(baseline(), pair(PairStatus.FAIL, Reason.ARP)))
    only(arp, changed=1)
    assert arp.changed[0].why == "unreachable -> arp"
    assert not arp.has_regressions
    errored = diff_reports(before, with_pair(baseline(), pair(PairStatus.ERROR, Reason.HOST_ERROR)))
    assert errored.changed[0].why == "unreachable -> error (host-error)"
    other_detail = with_pair(baseline(), pair(PairStatus.FAIL, Reason.UNREACHABLE, detail="different words"))
    only(diff_reports(before, other_detail))


def test_a_new_vmk_adds_pairs_and_a_vmk() -> None:
    hosts = cluster()
    grown = list(hosts)
    grown[0] = replace(hosts[0], vmks=(*hosts[0].vmks, make_vmk("vmk3", "198.19.1.13/24")))
    before, after = make_report(hosts), make_report(grown)
    diff = diff_reports(before, after)
    only(diff, added=8, vmks_added=1)  # vmk3 to 4 peer vmks and back
    assert all("vmk3" in (c.key[1], c.key[3]) for c in diff.added)
    assert diff.added[0].before is None and diff.added[0].why == "new pair: pass"
    assert diff.to_dict()["added"][0]["before"] is None
    assert diff.to_dict()["vmks_added"] == [
        {"host": "esx01", "vmk": "vmk3", "address": "198.19.1.13/24", "addresses": ["198.19.1.13/24"]}
    ]
    back = diff_reports(after, before)
    only(back, removed=8, vmks_removed=1)
    assert back.removed[0].after is None and back.to_dict()["removed"][0]["after"] is None


def test_a_readdressed_vmk_is_one_removed_and_one_added() -> None:
    hosts = cluster()
    moved = list(hosts)
    vmk1 = hosts[1].vmks[0]
    readdressed = replace(vmk1, addresses=make_vmk(ip="198.19.2.99/24").addresses)
    moved[1] = replace(hosts[1], vmks=(readdressed, hosts[1].vmks[1]))
    diff = diff_reports(make_report(hosts), make_report(moved))
    assert [(v.host, v.vmk, v.address) for v in diff.vmks_added] == [("esx02", "vmk1", "198.19.2.99/24")]
    assert [(v.host, v.vmk, v.address) for v in diff.vmks_removed] == [("esx02", "vmk1", "198.19.2.11/24")]


def test_hosts_added_and_removed() -> None:
    three, four = make_cluster(3, 2), make_cluster(4, 2)
    diff = diff_reports(make_report(three), make_report(four))
    assert [h.to_dict() for h in diff.hosts_added] == [{"host": "esx04", "address": "10.0.0.4"}]
    assert diff.vmks_added == ()  # a new host's vmks come with the host
    assert len(diff.added) == 3 * 2 * 2 * 2 and not diff.has_regressions
    back = diff_reports(make_report(four), make_report(three))
    assert [h.name for h in back.hosts_removed] == ["esx04"] and len(back.removed) == 24


def test_a_host_that_became_unreachable_regresses_its_pairs_but_loses_no_vmk() -> None:
    hosts = cluster()
    down = list(hosts)
    down[0] = make_host("esx01", status=HostStatus.UNREACHABLE, error="connection refused", address="10.0.0.1")
    before = make_report(hosts)
    pairs = [
        replace(p, status=PairStatus.ERROR, reason=Reason.HOST_ERROR) if p.plan.src_host == "esx01" else p
        for p in before.pairs
    ]
    diff = diff_reports(before, replace(before, hosts=tuple(down), pairs=tuple(pairs)))
    only(diff, regressions=8)
    assert {c.src_host for c in diff.regressions} == {"esx01"}


def test_ipv6_pairs_are_keyed_apart_from_ipv4() -> None:
    hosts = make_cluster(2, 1, ipv6=True)
    before = make_report(hosts, full_mesh(hosts, (Family.IPV4, Family.IPV6)))
    bad6 = make_pair(hosts[0], "vmk1", hosts[1], "vmk1", PairStatus.FAIL, Reason.NO_ROUTE, family=Family.IPV6)
    diff = diff_reports(before, with_pair(before, bad6))
    assert keys(diff.regressions) == [("esx01", "vmk1", "esx02", "vmk1", "ipv6")]


def test_findings_new_and_gone_by_check_host_vmk_message() -> None:
    kept = make_finding("gateway", Severity.ERROR, "esx02: no gateway", host="esx02")
    old = make_finding("vmk_disabled", Severity.WARNING, "esx03:vmk2 is disabled", host="esx03", vmk="vmk2")
    new = make_finding("rtt", Severity.WARNING, "slow", host="esx01", vmk="vmk1")
    before = make_report(cluster(), findings=[kept, old])
    after = make_report(cluster(), findings=[replace(kept, severity=Severity.WARNING), new])
    diff = diff_reports(before, after)
    only(diff, findings_new=1, findings_gone=1)  # a severity change alone is not a new finding
    assert diff.findings_new == (new,) and diff.findings_gone == (old,)
    d = diff.to_dict()
    assert d["findings_new"] == [
        {"check": "rtt", "severity": "warning", "host": "esx01", "vmk": "vmk1", "message": "slow"}
    ]
    reworded = make_report(cluster(), findings=[replace(kept, message="esx02: no IPv4 gateway"), old])
    only(diff_reports(before, reworded), findings_new=1, findings_gone=1)


def test_to_dict_summary_and_runs() -> None:
    before = with_pair(baseline(), pair(PairStatus.FAIL, Reason.ARP))
    after = with_pair(baseline(), make_pair(cluster()[1], "vmk2", cluster()[2], "vmk1", PairStatus.FAIL, Reason.ARP))
    d = diff_reports(before, after).to_dict()
    json.dumps(d)
    assert d["summary"]["regressions"] == 1 and d["summary"]["fixes"] == 1
    assert d["summary"]["has_regressions"] is True
    assert d["before"]["summary"]["fail"] == 1 and d["after"]["summary"]["pairs"] == 24
    assert d["netstack"] == "vmotion"


# --- refusals ----------------------------------------------------------------------------------------


def test_different_netstacks_are_refused_in_one_line() -> None:
    other = replace(baseline(), netstack="defaultTcpipStack\n\x1b[2Jevil")
    with pytest.raises(IncomparableReportsError) as caught:
        diff_reports(baseline(), other)
    assert isinstance(caught.value, ValidatorError)
    message = str(caught.value)
    assert "netstack" in message and "'vmotion'" in message
    assert "\n" not in message and "\x1b" not in message


def test_different_schemas_are_refused() -> None:
    with pytest.raises(IncomparableReportsError, match=r"schemas: .*vmotion-validator/report/v2"):
        diff_reports(baseline(), replace(baseline(), schema="vmotion-validator/report/v2"))


# --- rendering ---------------------------------------------------------------------------------------


def busy_diff() -> ReportDiff:
    hosts = cluster()
    before = make_report(hosts, replace_pair(full_mesh(hosts), pair(PairStatus.FAIL, Reason.UNREACHABLE)))
    after_pairs = [
        make_pair(hosts[0], s, hosts[2], d, PairStatus.FAIL, Reason.PATH_MTU)
        for s in ("vmk1", "vmk2")
        for d in ("vmk1", "vmk2")
    ]
    after_pairs.append(make_pair(hosts[2], "vmk2", hosts[1], "vmk1", PairStatus.FAIL, Reason.NO_ROUTE))
    pairs = list(full_mesh(hosts))
    for p in after_pairs:
        pairs = replace_pair(pairs, p)
    after = make_report(hosts, pairs, [make_finding("gateway", Severity.ERROR, "esx03: no gateway", host="esx03")])
    return diff_reports(before, after)


def test_table_regressions_first_grouped_per_host_pair() -> None:
    text = render_diff(busy_diff(), "table", width=200)
    assert text.index("Regressions (5)") < text.index("Fixes (1)")
    lines = text.splitlines()
    grouped = [line for line in lines if line.startswith("  esx01 -> esx03")]
    assert grouped == [
        "  esx01 -> esx03 (vmk1->vmk1, vmk1->vmk2, vmk2->vmk1, vmk2->vmk2): pass -> path-mtu - DF 9000 lost (max 1500)"
    ]
    assert any(
        line.startswith("  esx03:vmk2 (198.19.3.12) -> esx02:vmk1 (198.19.2.11): pass -> no-route") for line in lines
    )
    assert "  esx01:vmk1 (198.19.1.11) -> esx02:vmk1 (198.19.2.11): unreachable -> pass" in lines
    assert "Findings new (1)" in text and "[gateway] error: esx03: no gateway" in text
    assert lines[-1] == "5 regressions, 1 fix, 0 changed, 0 added, 0 removed - REGRESSED"


def test_table_fits_its_width() -> None:
    text = render_diff(busy_diff(), "table", width=60)
    assert max(len(line) for line in text.splitlines()) <= 60


def test_json_and_markdown() -> None:
    diff = busy_diff()
    assert json.loads(render_diff(diff, "json")) == diff.to_dict()
    md = render_diff(diff, "markdown")
    assert md.startswith("# Baseline diff: REGRESSED")
    assert md.index("## Regressions (5)") < md.index("## Fixes (1)")
    assert "| esx01:vmk1 (198.19.1.11) | esx03:vmk1 (198.19.3.11) | pass (MTU 9000) | path-mtu (max 1500) |" in md
    assert "## Findings (1)" in md
    with pytest.raises(UsageError, match="html"):
        render_diff(diff, "html")


HOSTILE = "bad\x1b[2J\x1b]0;owned\x07 \u202e|*_`<b> \x00\r\nsecond line"


def hostile_diff() -> ReportDiff:
    hosts = [make_host(f"esx0{i}\x1b[31m", [make_vmk("vmk1", f"198.19.{i}.11/24")]) for i in (1, 2)]
    before = make_report(hosts, findings=[make_finding("gateway", Severity.ERROR, HOSTILE, host=hosts[0].name)])
    bad = make_pair(hosts[0], "vmk1", hosts[1], "vmk1", PairStatus.FAIL, Reason.UNREACHABLE, detail=HOSTILE)
    after = make_report(hosts, replace_pair(full_mesh(hosts), bad), started_at=HOSTILE)
    return diff_reports(before, after)


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_hostile_host_text_is_made_printable(fmt: str) -> None:
    diff = hostile_diff()
    assert diff.has_regressions and diff.findings_gone
    text = render_diff(diff, fmt, width=300)
    for ch in "\x1b\x07\x00\r\u202e":
        assert ch not in text
    if fmt == "json":
        assert json.loads(text)["findings_gone"][0]["message"] == HOSTILE  # escaped, not altered
    else:
        assert not any(line.startswith("second line") for line in text.splitlines())
        assert "second line" in text


# --- the demo report ---------------------------------------------------------------------------------


def test_demo_report_one_changed_pair_is_the_one_regression_and_the_reverse_fix() -> None:
    before = load_report(DEMO)
    target = next(p for p in before.pairs if p.status is PairStatus.PASS and p.plan.family is Family.IPV6)
    broken = replace(target, status=PairStatus.FAIL, reason=Reason.UNREACHABLE, reachable=False, loss_pct=100.0)
    after = with_pair(before, broken)
    diff = diff_reports(before, after)
    only(diff, regressions=1)
    assert keys(diff.regressions) == [target.plan.key]
    reverse = diff_reports(after, before)
    only(reverse, fixes=1)
    assert keys(reverse.fixes) == [target.plan.key]
    assert not reverse.has_regressions


# --- run_diff ----------------------------------------------------------------------------------------


def write(path: Path, report: Report) -> Path:
    path.write_text(json_report.render(report), encoding="utf-8")
    return path


def run(*args: Any, **kwargs: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_diff(*args, stdout=out, stderr=err, **kwargs)
    return code, out.getvalue(), err.getvalue()


def test_run_diff_exit_codes_and_json_stdout(tmp_path: Path) -> None:
    good = write(tmp_path / "good.json", baseline())
    bad = write(tmp_path / "bad.json", with_pair(baseline(), pair(PairStatus.FAIL, Reason.ARP)))
    code, out, err = run(good, good, ["json"], None)
    assert code == 0 and json.loads(out)["regressions"] == [] and err == ""
    code, out, _ = run(good, bad, ["json"], None)
    assert code == 1 and len(json.loads(out)["regressions"]) == 1
    code, out, _ = run(bad, good, ["table"], None)
    assert code == 0 and "1 fix" in out


def test_run_diff_writes_every_format_prints_the_first(tmp_path: Path) -> None:
    good = write(tmp_path / "good.json", baseline())
    bad = write(tmp_path / "bad.json", with_pair(baseline(), pair(PairStatus.FAIL, Reason.ARP)))
    code, out, err = run(good, bad, ["json", "table", "markdown"], tmp_path / "out")
    assert code == 1
    assert json.loads(out)["summary"]["regressions"] == 1
    for name in FILENAMES.values():
        assert (tmp_path / "out" / name).is_file()
        assert f"wrote {tmp_path / 'out' / name}" in err
    assert json.loads((tmp_path / "out" / "diff.json").read_text()) == json.loads(out)
    assert (tmp_path / "out" / "diff.md").read_text().startswith("# Baseline diff: REGRESSED")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(FILENAMES.values())  # no temp files
    code, _, err = run(good, bad, ["table", "json"], None)
    assert code == 1 and "-o DIR writes json" in err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "report not found"),
        (b"", "not JSON"),
        (b'{"schema": "vmotion-validator/report/v1", "started_at": "x", "dur', "not JSON"),
        (b"\xff\xfe{\x00}", "cannot read"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"schema": "someone-else/v9", "data": []}', "schema 'someone-else/v9' is not vmotion-validator/report/v1"),
        (b"<testsuites/>", "not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not a vmotion-validator report"),
    ],
)
def test_a_bad_report_file_is_one_line_naming_it(tmp_path: Path, content: bytes | None, problem: str) -> None:
    good = write(tmp_path / "good.json", baseline())
    broken = tmp_path / "broken\x1b[31m.json"
    if content is not None:
        broken.write_bytes(content)
    for args in ((broken, good), (good, broken)):
        code, out, err = run(*args, ["table"], None)
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and problem in err
        assert "/broken.json: " in err and "\x1b" not in err  # the escape sequence is removed


def test_a_truncated_real_report_is_refused(tmp_path: Path) -> None:
    text = DEMO.read_text(encoding="utf-8")
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    code, _, err = run(DEMO, cut, ["table"], None)
    assert code == 2 and err.startswith(f"vmotion-validator: error: {cut}: ") and err.count("\n") == 1


def test_run_diff_refused_comparison_and_unknown_format(tmp_path: Path) -> None:
    good = write(tmp_path / "good.json", baseline())
    other = write(tmp_path / "other.json", replace(baseline(), netstack="defaultTcpipStack"))
    code, out, err = run(good, other, ["table"], None)
    assert code == 2 and out == "" and err.count("\n") == 1 and "different netstacks" in err
    code, out, err = run(good, good, ["table", "yaml"], None)
    assert code == 2 and out == "" and "'yaml'" in err


def test_compare_takes_reports_in_memory(tmp_path: Path) -> None:
    after = with_pair(baseline(), pair(PairStatus.ERROR, Reason.HOST_ERROR))
    out, err = io.StringIO(), io.StringIO()
    assert compare(baseline(), after, ["table"], None, stdout=out, stderr=err) == 1
    assert "Regressions (1)" in out.getvalue()
    assert compare(baseline(), baseline(), ["markdown"], stdout=io.StringIO(), stderr=io.StringIO()) == 0


def test_a_number_python_cannot_convert_is_refused(tmp_path: Path) -> None:
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    data["duration_s"] = 10**400
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = run(DEMO, huge, ["table"], None)
    assert code == 2 and out == "" and err.count("\n") == 1 and f"{huge}: not a vmotion-validator report" in err
