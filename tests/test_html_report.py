"""The HTML report without a browser: one self-contained document, host text escaped, the embedded data."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from reports import _html_data, html
from tests.factories import full_mesh, make_cluster, make_finding, make_host, make_report, make_vmk, replace_pair
from tests.factories import make_pair as pair_of
from validator.models import Family, HostStatus, PairStatus, Reason, Severity
from validator.report import Report

BREAKOUT = "</script><script>alert(1)</script>"
TERMINAL = "\x1b[2J\x1b[31mred\x1b[0m\x1b]0;title\x07\x9b1m"
HOSTILE = f"{BREAKOUT}<img src=x onerror=alert(2)>{TERMINAL}&amp;<!--"


class Doc(HTMLParser):
    """What a browser's tokenizer sees: elements, and the text inside each script element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text.append(data)


def parse(page: str) -> Doc:
    doc = Doc()
    doc.feed(page)
    doc.close()
    return doc


def hostile_report() -> Report:
    """Host text everywhere a host can put it: error, tags, vmk name, raw output, pair detail, finding."""
    hosts = make_cluster(3, 1)
    hosts[1] = make_host(
        "esx02",
        [make_vmk("vmk1", "198.19.2.11/24", tags=("VMotion", HOSTILE))],
        address="10.0.0.2",
        gateway="198.19.2.1",
    )
    bad = make_host("esx04", status=HostStatus.UNREACHABLE, error=HOSTILE)
    pairs = full_mesh(hosts)
    pairs = replace_pair(
        pairs,
        pair_of(hosts[0], "vmk1", hosts[1], "vmk1", PairStatus.FAIL, Reason.UNREACHABLE, detail=HOSTILE,
                raw={"reach": HOSTILE}),
    )  # fmt: skip
    findings = [make_finding("gateway", Severity.ERROR, HOSTILE, host="esx02", vmk="vmk1")]
    return make_report([*hosts, bad], pairs, findings)


def embedded(page: str) -> dict[str, Any]:
    doc = parse(page)
    blocks = [text for attrs, text in doc.scripts if attrs.get("type") == "application/json"]
    assert len(blocks) == 1
    data: dict[str, Any] = json.loads(blocks[0])
    return data


def test_contract() -> None:
    assert html.NAME == "html"
    assert html.FILENAME == "report.html"
    page = html.render(make_report(), width=80, color=True)  # options it does not use are ignored
    assert page.startswith("<!DOCTYPE html>")


def test_self_contained_nothing_fetched() -> None:
    page = html.render(hostile_report())
    doc = parse(page)
    for tag, attrs in doc.tags:
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(name)
            assert value is None or value.startswith("data:"), (tag, name, value)
        assert tag not in ("iframe", "object", "embed", "img", "base", "form")
    assert "@import" not in page
    assert not re.search(r"url\(\s*['\"]?(?!data:)", page)
    assert not re.search(r"\b(fetch|XMLHttpRequest|WebSocket|EventSource|importScripts)\s*\(", page)
    assert "<style>" in page


def test_host_text_cannot_break_out_or_run() -> None:
    page = html.render(hostile_report())
    doc = parse(page)
    # exactly the two script elements the page has: the data block and its own code
    assert [attrs.get("type") for attrs, _ in doc.scripts] == ["application/json", None]
    assert page.count("</script>") == 2
    assert "alert(1)" not in doc.scripts[1][1]
    assert not [t for t, a in doc.tags if t == "img" or any(k.startswith("on") for k in a)]
    assert "<script>alert" not in page and "<img src=x" not in page
    # terminal escape sequences never reach the page; other control characters become visible text
    assert "\x1b" not in page and "\x9b" not in page and "\x07" not in page
    text = "".join(doc.text)
    assert f"{BREAKOUT}<img src=x onerror=alert(2)>red&amp;<!--" in text  # shown as text, in the tables
    assert text.count(BREAKOUT) == 4  # host error, tag, failing-pair line, finding


def test_embedded_json_is_escaped_and_round_trips() -> None:
    page = html.render(hostile_report())
    raw_block = page.split('id="vmv-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in raw_block and ">" not in raw_block and "&" not in raw_block
    data = embedded(page)
    shown = f"{BREAKOUT}<img src=x onerror=alert(2)>red&amp;<!--"
    assert f"[reach]\n{shown}" in data["strings"]  # raw output
    assert shown in data["strings"]  # pair detail
    assert all("\x1b" not in s and "\x07" not in s for s in data["strings"])


def test_script_json_escapes_what_ends_a_script() -> None:
    text = html.script_json({"a": "</script><!-- & \u2028 \u2029 </SCRIPT >"})
    assert re.search(r"[<>&\u2028\u2029]", text) is None
    assert json.loads(text) == {"a": "</script><!-- & \u2028 \u2029 </SCRIPT >"}


def test_content_security_policy_allows_only_the_page_script() -> None:
    page = html.render(make_report())
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    policy = dict(part.strip().split(" ", 1) for part in csp.group(1).split(";"))
    assert policy["default-src"] == "'none'"
    script = parse(page).scripts[1][1]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert policy["script-src"] == f"'sha256-{digest}'"


def test_summary_header() -> None:
    report = hostile_report()
    text = " ".join(parse(html.render(report)).text)
    s = report.summary
    assert "FAIL" in text
    assert f"{s.pairs} pairs: {s.passed} pass, {s.failed} fail, {s.errors} error - FAIL" in text
    assert "1 error, 0 warning, 0 info" in text
    assert "4 reachable" not in text and "3 reachable" in text
    assert "vmotion" in text and report.started_at in text and "1.2 s" in text


def test_one_pair_entry_per_directed_pair() -> None:
    hosts = make_cluster(3, 2, ipv6=True)
    report = make_report(hosts, full_mesh(hosts, list(Family)))
    data = embedded(html.render(report))
    assert [m["family"] for m in data["matrices"]] == ["ipv4", "ipv6"]
    for m in data["matrices"]:
        labels = [f"{data['hosts'][h]}:{v}" for h, v, _ip, _mtu in m["eps"]]
        assert labels == [f"esx0{i}:vmk{j}" for i in (1, 2, 3) for j in (1, 2)]
        cells = {(p[0], p[1]) for p in m["pairs"]}
        assert len(cells) == len(m["pairs"]) == 6 * 4
        assert all(labels[s].split(":")[0] != labels[d].split(":")[0] for s, d in cells)
    assert sum(k["n"] for k in data["kinds"]) == len(report.pairs)


def test_pair_fields_for_the_detail() -> None:
    hosts = make_cluster(2, 1)
    failing = pair_of(hosts[0], "vmk1", hosts[1], "vmk1", PairStatus.FAIL, Reason.PATH_MTU, rtt_min_ms=0.1234)
    report = make_report(hosts, replace_pair(full_mesh(hosts), failing))
    data = embedded(html.render(report))
    fields = data["fields"]
    row = next(dict(zip(fields, p, strict=True)) for p in data["matrices"][0]["pairs"] if p[0] == 0)
    kind = data["kinds"][row["kind"]]
    assert (kind["label"], kind["code"], kind["pass"]) == ("path-mtu", "MTU", False)
    assert data["strings"][row["detail"]] == "DF 9000 lost (max 1500)"  # reports.view.describe's wording
    assert (row["mtu_tested"], row["mtu_ok"], row["max_mtu"], row["routed"], row["ttl"]) == (9000, 0, 1500, 1, 63)
    assert row["rtt_min"] == 0.123
    assert "3 packets transmitted" in data["strings"][row["raw"]]


def test_raw_output_of_passing_pairs_dropped_over_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    hosts = make_cluster(2, 1)
    passing = full_mesh(hosts, raw={"reach": "x" * 100})
    report = make_report(hosts, passing)
    data = embedded(html.render(report))
    assert data["passRaw"] is True and f"[reach]\n{'x' * 100}" in data["strings"]
    monkeypatch.setattr(_html_data, "RAW_BUDGET", 150)
    data = embedded(html.render(report))
    assert data["passRaw"] is False and data["strings"] == []


def test_long_raw_output_is_cut() -> None:
    hosts = make_cluster(2, 1)
    long_raw = pair_of(hosts[0], "vmk1", hosts[1], "vmk1", PairStatus.FAIL, raw={"reach": "y" * 50_000})
    data = embedded(html.render(make_report(hosts, replace_pair(full_mesh(hosts), long_raw))))
    raw = next(s for s in data["strings"] if s.startswith("[reach]"))
    assert len(raw) < _html_data.RAW_PER_PAIR + 100 and raw.endswith("more characters)")


def test_unreachable_source_host_endpoints_grouped() -> None:
    hosts = make_cluster(3, 2)
    pairs = full_mesh(hosts)
    down = make_host("esx03", status=HostStatus.UNREACHABLE, error="timed out")
    report = make_report([hosts[0], hosts[1], down], pairs)
    data = embedded(html.render(report))
    hosts_of = [ep[0] for ep in data["matrices"][0]["eps"]]
    assert hosts_of == sorted(hosts_of)  # each host's vmks next to each other
    page = html.render(report)
    assert "timed out" in page and "unreachable" in page


def test_empty_report() -> None:
    page = html.render(make_report([], []))
    data = embedded(page)
    assert data["matrices"] == [] and data["kinds"] == []
    assert "Failing pairs: none" in page
