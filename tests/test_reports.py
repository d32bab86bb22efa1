"""Reports: the JSON contract and its round trip, the console matrix and its width, Markdown, writing files."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from reports import FORMAT_MODULES, get_format, json_report, markdown, terminal, view, write_reports
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
from validator.errors import ReportFormatError, UsageError
from validator.models import DEFAULT_NETSTACK, Family, HostStatus, PairStatus, Reason, Severity
from validator.report import Report, check_schema, report_from_json, report_schema

ANSI = re.compile(r"\x1b\[")


def rich_report() -> Report:
    """Three good hosts (dual stack), one unreachable; a path-mtu failure, an error, a same-subnet pass."""
    hosts = make_cluster(3, 1, ipv6=True)
    mgmt = make_vmk("vmk0", "10.0.0.1/24", netstack=DEFAULT_NETSTACK, tags=("Management",), mtu=1500)
    hosts[0] = make_host(
        "esx01",
        [make_vmk("vmk1", "198.19.1.11/24", ipv6="2001:db8:1::11/64", addresses=None, portgroup="vMotion-A")],
        address="10.0.0.1",
        gateway="198.19.1.1",
        gateway6="2001:db8:1::1",
        other_vmks=[mgmt],
    )
    hosts[2] = make_host(
        "esx03",
        [make_vmk("vmk1", addresses=["198.19.1.13/24", "fe80::250:56ff:fe01:3/64", "2001:db8:3::11/64"])],
        address="10.0.0.3",
        gateway="198.19.1.1",
        gateway6="2001:db8:3::1",
    )
    down = make_host("esx04", status=HostStatus.AUTH_FAILED, error="Authentication failed", raw={"ssh": "denied"})
    pairs = full_mesh(hosts, list(Family))
    pairs = replace_pair(
        pairs,
        make_pair(
            hosts[0], "vmk1", hosts[1], "vmk1", PairStatus.FAIL, Reason.PATH_MTU, detail="DF 9000 lost, 1500 passes"
        ),
    )
    pairs = replace_pair(
        pairs, make_pair(hosts[1], "vmk1", hosts[2], "vmk1", PairStatus.ERROR, detail="MTU probe: channel closed")
    )
    pairs = replace_pair(
        pairs,
        make_pair(hosts[1], "vmk1", hosts[0], "vmk1", PairStatus.FAIL, Reason.NO_ROUTE, family=Family.IPV6),
    )
    findings = [
        make_finding("gateway", Severity.WARNING, "esx01: gateway outside", "esx01"),
        make_finding("host_unreachable", Severity.ERROR, "esx04 (esx04): auth-failed", "esx04"),
        make_finding("mtu_consistency", Severity.INFO, "all vmks use MTU 9000", None),
        make_finding("vmk_disabled", Severity.WARNING, "is disabled", "esx02", "vmk1"),
    ]
    return make_report([*hosts, down], pairs, findings, duration_s=3.25)


# --- JSON contract -------------------------------------------------------------------------------------

CONTRACT_TOP = {"schema", "started_at", "duration_s", "hosts", "pairs", "findings", "summary"}
CONTRACT_HOST = {"name", "address", "status", "error", "gateway", "vmks"}
CONTRACT_VMK = {"name", "ip", "prefix", "mtu", "netstack", "enabled", "gateway", "tags"}
CONTRACT_PAIR = {
    "src_host", "src_vmk", "src_ip", "dst_host", "dst_vmk", "dst_ip", "status", "reason", "reachable",
    "loss_pct", "rtt_avg_ms", "ttl", "routed", "mtu_tested", "mtu_ok", "max_mtu",
}  # fmt: skip
CONTRACT_SUMMARY = {"pairs", "pass", "fail", "error", "verdict"}


def _types(d: dict[str, Any], spec: dict[str, type | tuple[type, ...]]) -> None:
    for key, kind in spec.items():
        assert isinstance(d[key], kind), (key, d[key])
        if kind in (int, (int, type(None))):
            assert not isinstance(d[key], bool), key


def test_json_contract_keys_and_types() -> None:
    d = rich_report().to_dict()
    assert set(d) >= CONTRACT_TOP | {"netstack"}
    assert d["schema"] == "vmotion-validator/report/v1"
    _types(d, {"started_at": str, "duration_s": float, "hosts": list, "pairs": list, "findings": list})
    none = type(None)
    for h in d["hosts"]:
        assert set(h) >= CONTRACT_HOST | {"gateway6", "netstack", "other_vmks"}
        assert h["status"] in {"ok", "unreachable", "auth-failed", "host-key", "error"}
        _types(h, {"name": str, "address": str, "error": (str, none), "gateway": (str, none), "vmks": list})
        for v in h["vmks"] + h["other_vmks"]:
            assert set(v) >= CONTRACT_VMK | {"addresses"}
            _types(
                v,
                {"name": str, "ip": (str, none), "prefix": (int, none), "mtu": int, "netstack": str,
                 "enabled": bool, "gateway": (str, none), "tags": list, "addresses": list},
            )  # fmt: skip
    for p in d["pairs"]:
        assert set(p) >= CONTRACT_PAIR | {"family", "planned_mtu"}  # other added keys only when they hold a value
        assert p["status"] in {"pass", "fail", "error"}
        _types(
            p,
            {"src_ip": str, "dst_ip": str, "reason": (str, none), "reachable": (bool, none),
             "loss_pct": (float, none), "rtt_avg_ms": (float, none), "ttl": (int, none), "routed": (bool, none),
             "mtu_tested": (int, none), "mtu_ok": (bool, none), "max_mtu": (int, none)},
        )  # fmt: skip
        assert "raw" not in p or p["status"] != "pass"  # raw output kept only for pairs that did not pass
    for f in d["findings"]:
        assert set(f) == {"check", "severity", "host", "vmk", "message"}
    assert set(d["summary"]) >= CONTRACT_SUMMARY
    assert d["summary"]["verdict"] in {"pass", "fail"}


def test_json_values() -> None:
    d = rich_report().to_dict()
    esx01 = d["hosts"][0]
    assert esx01["gateway"] == "198.19.1.1"
    assert esx01["gateway6"] == "2001:db8:1::1"
    assert esx01["vmks"][0] | {"addresses": None} == {
        "name": "vmk1", "ip": "198.19.1.11", "prefix": 24, "mtu": 9000, "netstack": "vmotion", "enabled": True,
        "gateway": None, "tags": ["VMotion"], "addresses": None, "portgroup": "vMotion-A", "mac": None,
    }  # fmt: skip
    assert esx01["vmks"][0]["addresses"] == ["198.19.1.11/24", "2001:db8:1::11/64"]
    assert esx01["other_vmks"][0]["netstack"] == DEFAULT_NETSTACK
    assert d["hosts"][3]["status"] == "auth-failed"
    assert d["hosts"][3]["raw"] == {"ssh": "denied"}
    assert "raw" not in esx01
    failed = next(p for p in d["pairs"] if p["reason"] == "path-mtu")
    assert failed | {"raw": None} == failed | {
        "src_host": "esx01", "src_vmk": "vmk1", "src_ip": "198.19.1.11", "dst_host": "esx02", "dst_vmk": "vmk1",
        "dst_ip": "198.19.2.11", "status": "fail", "family": "ipv4", "mtu_tested": 9000, "mtu_ok": False,
        "max_mtu": 1500, "detail": "DF 9000 lost, 1500 passes", "raw": None,
    }  # fmt: skip
    assert failed["raw"]
    s = d["summary"]
    assert (s["pairs"], s["pass"], s["fail"], s["error"], s["verdict"]) == (12, 9, 2, 1, "fail")
    assert [f["severity"] for f in d["findings"]] == ["warning", "error", "info", "warning"]


def test_json_summary_pass() -> None:
    assert make_report().to_dict()["summary"]["verdict"] == "pass"
    assert make_report(pairs=[]).to_dict()["summary"]["verdict"] == "fail"  # nothing tested proves nothing


def test_json_render_is_json_and_validates() -> None:
    text = json_report.render(rich_report())
    assert text.endswith("\n")
    check_schema(json.loads(text))


def test_json_schema_is_real_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(report_schema())
    jsonschema.Draft202012Validator(report_schema()).validate(rich_report().to_dict())


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d.pop("pairs"), "$: 'pairs' is a required property"),
        (lambda d: d.update(schema="vmotion-validator/report/v2"), "$.schema"),
        (lambda d: d.update(duration_s="1.2"), "$.duration_s"),
        (lambda d: d["hosts"][0].update(status="sleepy"), "$.hosts[0].status"),
        (lambda d: d["hosts"][0]["vmks"][0].update(mtu=True), "$.hosts[0].vmks[0].mtu"),
        (lambda d: d["pairs"][0].update(ttl=63.5), "$.pairs[0].ttl"),
        (lambda d: d["pairs"][0].pop("routed"), "$.pairs[0]: 'routed' is a required property"),
        (lambda d: d["findings"][0].update(severity="fatal"), "$.findings[0].severity"),
        (lambda d: d["summary"].update(verdict="maybe"), "$.summary.verdict"),
    ],
)
def test_json_validation_rejects(mutate: Any, where: str) -> None:
    d = rich_report().to_dict()
    mutate(d)
    with pytest.raises(ReportFormatError) as exc:
        Report.from_dict(d)
    assert str(exc.value).startswith(where)


def test_json_bad_address_and_bad_text() -> None:
    d = rich_report().to_dict()
    d["pairs"][0]["src_ip"] = "not-an-ip"
    with pytest.raises(ReportFormatError):
        Report.from_dict(d)
    with pytest.raises(ReportFormatError, match="not JSON"):
        report_from_json("{")
    with pytest.raises(ReportFormatError, match="JSON object"):
        report_from_json("[]")


def test_json_round_trip() -> None:
    report = rich_report()
    back = report_from_json(json_report.render(report))
    assert back == report
    assert back.to_dict() == report.to_dict()
    by_key = {p.plan.key: p for p in back.pairs}
    for p in report.pairs:
        assert by_key[p.plan.key].raw == (p.raw if p.status is not PairStatus.PASS else {})
    assert back.hosts[3].raw == {"ssh": "denied"}


def test_json_core_only_document_report_from_json() -> None:
    """A document with only the v1 core keys (another writer, an older version) still loads."""
    d = make_report().to_dict()
    d.pop("netstack")
    for h in d["hosts"]:
        for key in set(h) - CONTRACT_HOST:
            h.pop(key)
        for v in h["vmks"]:
            for key in set(v) - CONTRACT_VMK:
                v.pop(key)
    for p in d["pairs"]:
        for key in set(p) - CONTRACT_PAIR:
            p.pop(key)
    report = Report.from_dict(d)
    assert report.hosts[0].vmks[0].ip is not None
    assert str(report.hosts[0].vmks[0].addresses[0]) == "198.19.1.11/24"
    assert report.pairs[0].plan.family is Family.IPV4
    assert report.pairs[0].plan.mtu == 9000
    assert report.summary == make_report().summary


# --- terminal: matrix -------------------------------------------------------------------------------------


def matrix_rows(text: str, title_prefix: str = "IPv4") -> dict[str, list[str]]:
    """Row label -> cells of the first (unsplit) matrix titled ``title_prefix``, split on 2+ spaces."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title_prefix))
    header = lines[start + 1]
    rows: dict[str, list[str]] = {"": re.split(r"\s{2,}", header.strip())}
    for line in lines[start + 3 :]:
        if not line.strip():
            break
        label, *cells = re.split(r"\s{2,}", line.strip())
        rows[label] = cells
    return rows


def test_matrix_cells() -> None:
    text = terminal.render(rich_report(), width=200)
    rows = matrix_rows(text)
    assert rows[""] == ["esx01:vmk1", "esx02:vmk1", "esx03:vmk1"]
    assert rows["esx01:vmk1"] == ["-", "path-mtu R", "ok 9000"]  # esx03 shares esx01's subnet: not routed
    assert rows["esx02:vmk1"] == ["ok 9000 R", "-", "ERR"]
    assert rows["esx03:vmk1"] == ["ok 9000", "ok 9000 R", "-"]
    assert "R = routed" in text


def test_ipv6_matrix_separate_and_titled() -> None:
    text = terminal.render(rich_report(), width=200)
    assert "IPv4 pairs" in text
    assert "IPv6 pairs" in text
    rows6 = matrix_rows(text, "IPv6")
    assert rows6["esx02:vmk1"][0] == "no-route"
    assert rows6["esx01:vmk1"] == ["-", "ok 9000 R", "ok 9000 R"]


def test_cell_codes() -> None:
    a, b = make_cluster(2)
    cases = {
        (PairStatus.PASS, None): ("ok 9000 R", "ok R"),
        (PairStatus.FAIL, Reason.PATH_MTU): ("path-mtu R", "MTU R"),
        (PairStatus.FAIL, Reason.LOCAL_MTU): ("local-mtu R", "lMTU R"),
        (PairStatus.FAIL, Reason.NO_ROUTE): ("no-route", "rte"),
        (PairStatus.FAIL, Reason.ARP): ("arp", "arp"),
        (PairStatus.FAIL, Reason.UNREACHABLE): ("unreachable", "unr"),
        (PairStatus.FAIL, Reason.VMK_DOWN): ("vmk-down", "dwn"),
        (PairStatus.FAIL, Reason.UNKNOWN_VMK): ("unknown-vmk", "vmk?"),
        (PairStatus.ERROR, Reason.HOST_ERROR): ("ERR", "ERR"),
    }
    for (status, reason), (full, short) in cases.items():
        pair = make_pair(a, "vmk1", b, "vmk1", status, reason)
        assert (view.cell(pair), view.cell(pair, short=True)) == (full, short)
    assert view.cell(None) == "-"
    assert view.cell(make_pair(a, "vmk1", b, "vmk1", mtu_tested=None, routed=False)) == "ok"


def test_no_pairs() -> None:
    text = terminal.render(make_report(pairs=[]), width=100)
    assert "No pairs were probed." in text
    assert text.rstrip().endswith("0 pairs: 0 pass, 0 fail, 0 error - FAIL")


@functools.cache
def big_report(prefix: str = "esx") -> Report:
    hosts = make_cluster(32, 2, ipv6=True, prefix=prefix)
    pairs = full_mesh(hosts, list(Family))
    pairs = replace_pair(
        pairs,
        make_pair(
            hosts[0], "vmk1", hosts[31], "vmk2", PairStatus.FAIL, Reason.PATH_MTU,
            detail="DF packets of 9000 bytes lost while small packets pass: a hop on the path has an MTU below 9000",
        ),
    )  # fmt: skip
    pairs = replace_pair(pairs, make_pair(hosts[5], "vmk2", hosts[6], "vmk1", PairStatus.ERROR))
    findings = [
        make_finding("mtu_consistency", Severity.WARNING, "vMotion vmks use 2 different MTUs: " + "x" * 300, None),
        make_finding("host_unreachable", Severity.ERROR, "esx33: unreachable: " + "timed out " * 20, "esx33"),
    ]
    down = make_host(f"{prefix}33", status=HostStatus.UNREACHABLE, error="Connection timed out " * 10)
    return make_report([*hosts, down], pairs, findings)


@pytest.mark.parametrize("width", [80, 100, 120])
@pytest.mark.parametrize("prefix", ["esx", "esx-prod-cluster-a.datacenter.example.com-"])
def test_width_limit_32_hosts_2_vmks(width: int, prefix: str) -> None:
    report = big_report(prefix)
    text = terminal.render(report, width=width)
    lines = text.splitlines()
    too_long = [line for line in lines if len(line) > width]
    assert not too_long, too_long[:3]
    # every destination of each family appears in exactly one chunk header
    for family_title in ("IPv4 pairs", "IPv6 pairs"):
        start = lines.index(next(line for line in lines if line.startswith(family_title)))
        end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(("IPv6 pairs", "Failing pairs")))
        headers = [tok for i in range(start + 1, end) if lines[i].startswith("---") for tok in lines[i - 1].split()]
        assert headers == [f"d{i}" for i in range(1, 65)]
    legend = lines[lines.index("Destinations:") + 1 :]
    assert any(re.search(rf"\bd64 {re.escape(prefix)}32:vmk2\b", line) for line in legend)
    assert "MTU R" in text  # short code for the failing pair
    assert "ERR" in text
    assert "MTU = path-mtu" in text
    assert lines[-1] == "7936 pairs: 7934 pass, 1 fail, 1 error - FAIL"


def test_width_full_matrix_when_it_fits() -> None:
    text = terminal.render(make_report(), width=120)
    assert "esx02:vmk1" in matrix_rows(text)[""]
    assert "Destinations:" not in text


def test_width_numbered_keeps_mtu_when_it_fits() -> None:
    hosts = make_cluster(3, prefix="esx-long-name-for-the-header.example.com-")
    text = terminal.render(make_report(hosts), width=90)
    assert "d1" in matrix_rows(text)[""]
    assert "ok 9000 R" in text
    assert "d1 esx-long-name-for-the-header.example.com-01:vmk1" in text
    assert max(len(line) for line in text.splitlines()) <= 90


def test_default_width_from_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    text = terminal.render(big_report())
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "destinations d1-" in text


# --- terminal: text sections ------------------------------------------------------------------------------


def test_failing_pair_line() -> None:
    hosts = make_cluster(4, 2)
    hosts[0] = make_host("esx01", [make_vmk("vmk1", "198.19.1.11/24")])
    hosts[3] = make_host("esx04", [make_vmk("vmk1", "198.19.3.11/24"), make_vmk("vmk2", "198.19.3.12/24")])
    pair = make_pair(
        hosts[0], "vmk1", hosts[3], "vmk2", PairStatus.FAIL, Reason.PATH_MTU, detail="DF 9000 lost, 1500 passes"
    )
    expected = "esx01:vmk1 (198.19.1.11) -> esx04:vmk2 (198.19.3.12): path-mtu - DF 9000 lost, 1500 passes (max 1500)"
    assert view.pair_line(pair) == expected
    text = terminal.render(make_report(hosts, [pair]), width=200)
    assert f"  {expected}" in text.splitlines()


def test_failing_pair_without_detail_and_error() -> None:
    a, b = make_cluster(2)
    loss = make_pair(a, "vmk1", b, "vmk1", PairStatus.FAIL, Reason.LOSS)
    assert view.describe(loss) == "loss - 33.3% loss"
    mtu = make_pair(a, "vmk1", b, "vmk1", PairStatus.FAIL, Reason.PATH_MTU, max_mtu=None)
    assert view.describe(mtu) == "path-mtu - DF 9000 lost"
    err = make_pair(a, "vmk1", b, "vmk1", PairStatus.ERROR, detail="channel closed")
    assert view.describe(err) == "error (host-error) - channel closed"


def test_findings_grouped_by_severity_and_hosts_with_errors() -> None:
    text = terminal.render(rich_report(), width=120)
    lines = text.splitlines()
    order = [lines.index(f"  {title}") for title in ("Errors (1)", "Warnings (2)", "Info (1)")]
    assert order == sorted(order)
    assert "    [vmk_disabled] esx02:vmk1: is disabled" in lines
    assert "    [gateway] esx01: gateway outside" in lines
    assert "Hosts with errors (1)" in lines
    assert "  esx04 (esx04.lab.example): auth-failed - Authentication failed" in lines


def test_summary_line() -> None:
    text = terminal.render(rich_report(), width=120)
    assert text.splitlines()[-1] == "12 pairs: 9 pass, 2 fail, 1 error - FAIL"
    assert "Findings: 1 error, 2 warning, 1 info" in text
    assert view.summary_line(make_report(make_cluster(6))) == "30 pairs: 30 pass, 0 fail, 0 error - PASS"


def test_no_ansi_unless_color() -> None:
    report = rich_report()
    plain = terminal.render(report, width=120)
    assert not ANSI.search(plain)
    colored = terminal.render(report, width=120, color=True)
    assert ANSI.search(colored)
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == plain


def test_color_does_not_break_width() -> None:
    colored = terminal.render(big_report(), width=80, color=True)
    plain_lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in colored.splitlines()]
    assert max(len(line) for line in plain_lines) <= 80


# --- markdown ---------------------------------------------------------------------------------------------


def test_markdown() -> None:
    report = rich_report()
    text = markdown.render(report)
    assert text.startswith("# vMotion validation: FAIL")
    assert "**12 pairs: 9 pass, 2 fail, 1 error - FAIL**" in text
    assert (
        "| esx01:vmk1 (198.19.1.11) | esx02:vmk1 (198.19.2.11) | path-mtu (routed) "
        "| DF 9000 lost, 1500 passes (max 1500) |"
    ) in text
    assert "| error (host\\_error) |" not in text  # the reason value is escaped only where needed
    assert "| error | host\\_unreachable | esx04 | esx04 (esx04): auth-failed |" in text
    assert "## Hosts with errors (1)" in text
    # errors first
    assert text.index("| error | host") < text.index("| warning | gateway")


def test_markdown_escapes_cells() -> None:
    a, b = make_cluster(2)
    pair = make_pair(a, "vmk1", b, "vmk1", PairStatus.FAIL, Reason.LOSS, detail="a|b\nc <x>")
    text = markdown.render(make_report([a, b], [pair]))
    assert "a\\|b c \\<x\\>" in text
    assert markdown.render(make_report()).count("None.") == 2


# --- registry and files -----------------------------------------------------------------------------------


def test_formats_registry() -> None:
    assert {"table", "json", "markdown"} <= set(FORMAT_MODULES)
    report = make_report()
    filenames = set()
    for name in FORMAT_MODULES:
        fmt = get_format(name)
        assert fmt.name == name
        filenames.add(fmt.filename)
        assert isinstance(fmt.render(report, width=100, color=False, unknown_option=1), str)
    assert len(filenames) == len(FORMAT_MODULES)  # one file per format


def test_write_reports(tmp_path: Path) -> None:
    report = rich_report()
    out = tmp_path / "run" / "1"
    paths = write_reports(report, out, ["json", "markdown", "table"])
    assert paths == [out / "report.json", out / "report.md", out / "report.txt"]
    assert report_from_json((out / "report.json").read_text()) == report
    assert (out / "report.md").read_text() == markdown.render(report)
    txt = (out / "report.txt").read_text()
    assert not ANSI.search(txt)
    assert max(len(line) for line in txt.splitlines()) <= 120
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.md", "report.txt"]  # no temp files
    # rewriting replaces in place
    write_reports(make_report(), out, ["json"])
    assert json.loads((out / "report.json").read_text())["summary"]["verdict"] == "pass"
    assert get_format("json").filename == "report.json"


def test_write_reports_default_and_unknown(tmp_path: Path) -> None:
    assert [p.name for p in write_reports(make_report(), tmp_path)] == ["report.json", "report.md"]
    with pytest.raises(UsageError, match="'pdf'"):
        write_reports(make_report(), tmp_path / "x", ["json", "pdf"])
    assert not (tmp_path / "x").exists()


def test_write_reports_failure_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("reports.os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_reports(make_report(), tmp_path, ["json"])
    assert list(tmp_path.iterdir()) == []


def test_common_domain_left_out_of_matrix_labels() -> None:
    hosts = [make_host(f"esx0{i}.dc1.example.com", [make_vmk("vmk1", f"198.19.{i}.11/24")]) for i in (1, 2)]
    text = terminal.render(make_report(hosts), width=120)
    assert "host names without .dc1.example.com" in text
    assert matrix_rows(text)[""] == ["esx01:vmk1", "esx02:vmk1"]
    assert "esx01.dc1.example.com:vmk1 (198.19.1.11)" not in text  # nothing failed
    # IP addresses as host names are never cut
    hosts = [make_host(f"10.0.{i}.1", [make_vmk("vmk1", f"198.19.{i}.11/24")]) for i in (1, 2)]
    text = terminal.render(make_report(hosts), width=120)
    assert "without" not in text
    assert matrix_rows(text)[""] == ["10.0.1.1:vmk1", "10.0.2.1:vmk1"]


def test_failing_pairs_are_grouped_per_host_pair() -> None:
    from dataclasses import replace

    from reports.view import group_failures, group_line
    from validator.models import PairStatus, Reason

    report = make_report(make_cluster(3, 2))
    failing = [
        replace(p, status=PairStatus.FAIL, reason=Reason.PATH_MTU, detail="DF lost")
        for p in report.pairs
        if p.plan.src_host == report.hosts[0].name and p.plan.dst_host == report.hosts[1].name
    ]
    groups = group_failures(failing)
    assert len(groups) == 1 and len(groups[0]) == 4
    line = group_line(groups[0])
    assert line.startswith(f"{report.hosts[0].name} -> {report.hosts[1].name} (vmk1->vmk1, vmk1->vmk2")
    assert "path-mtu - DF lost" in line


def test_json_routed_by_round_trip_and_schema() -> None:
    """routed_by says which evidence made a pair routed: "ttl", "subnet" (IPv6 on ESXi) or null; optional key."""
    report = rich_report()
    first, second = report.pairs[0], report.pairs[1]
    marked = (dataclasses.replace(first, routed=True, routed_by="subnet"), dataclasses.replace(second, routed_by="ttl"))
    report = dataclasses.replace(report, pairs=(*marked, *report.pairs[2:]))
    d = report.to_dict()
    assert [p["routed_by"] for p in d["pairs"][:2]] == ["subnet", "ttl"]
    back = Report.from_dict(d)
    assert [p.routed_by for p in back.pairs[:2]] == ["subnet", "ttl"]
    assert back == report
    d["pairs"][0].pop("routed_by")  # an older report without the key still loads
    assert Report.from_dict(d).pairs[0].routed_by is None
    d["pairs"][1]["routed_by"] = "guess"
    with pytest.raises(ReportFormatError, match="routed_by"):
        Report.from_dict(d)


def test_schema_reason_enum_is_the_reason_enum() -> None:
    """The packaged schema lists every Reason (netstack-missing included), and nothing else."""
    enum = report_schema()["properties"]["pairs"]["items"]["properties"]["reason"]["enum"]
    assert enum == [*[r.value for r in Reason], None]


def test_an_interrupted_run_says_so_in_every_human_format() -> None:
    from dataclasses import replace as _replace

    from reports import html
    from tests.factories import make_cluster, make_pair, make_report
    from validator.models import PairStatus, Reason

    a, b = make_cluster(2)
    pairs = [make_pair(a, "vmk1", b, "vmk1"), make_pair(b, "vmk1", a, "vmk1", PairStatus.ERROR, Reason.NOT_PROBED)]
    report = _replace(make_report([a, b], pairs), interrupted=True)
    note = "INTERRUPTED: the run was stopped before it finished; 1 pair(s) not probed"
    assert note in terminal.render(report, width=120)
    assert note in markdown.render(report)
    assert note in html.render(report)
    assert "INTERRUPTED" not in terminal.render(_replace(report, interrupted=False), width=120)
