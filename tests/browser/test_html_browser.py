"""The HTML report in real headless Chromium: what a person sees, clicks and filters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reports import html
from tests.browser.chromium import console_errors, full_page_screenshot, open_report
from tests.factories import full_mesh, make_cluster, make_finding, make_report, replace_pair
from validator.models import Family, PairResult, PairStatus, Reason, Severity
from validator.report import Report

HOSTILE = '</script><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">\x1b[2J\x1b]0;owned\x07'

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def _with(
    pairs: list[PairResult], src: str, dst: str, status: PairStatus, reason: Reason, **fields: Any
) -> list[PairResult]:
    """``pairs`` with every IPv4 pair from host ``src`` to host ``dst`` set to a failure."""
    out = pairs
    for pair in pairs:
        p = pair.plan
        if p.src_host == src and p.dst_host == dst and p.family is Family.IPV4:
            failed = PairResult(plan=p, status=status, reason=reason, routed=True, mtu_tested=p.mtu, **fields)
            out = replace_pair(out, failed)
    return out


def sample_report() -> Report:
    """4 dual-stack hosts x 2 vmks; esx02->esx03 path-mtu (hostile raw output), esx04 unreachable."""
    hosts = make_cluster(4, 2, ipv6=True)
    pairs = full_mesh(hosts, list(Family))
    pairs = _with(
        pairs, "esx02", "esx03", PairStatus.FAIL, Reason.PATH_MTU,
        detail="DF packets of 9000 bytes lost while small packets pass", loss_pct=0.0, mtu_ok=False, max_mtu=1500,
        raw={"df": f"PING 198.19.3.11: 8972 data bytes\n{HOSTILE}\n3 packets transmitted, 0 packets received"},
    )  # fmt: skip
    pairs = _with(pairs, "esx04", "esx01", PairStatus.ERROR, Reason.HOST_ERROR, detail=HOSTILE, raw={"error": HOSTILE})
    findings = [make_finding("gateway", Severity.ERROR, HOSTILE, host="esx04")]
    return make_report(hosts, pairs, findings)


REPORT = sample_report()


@pytest.fixture(scope="module")
def page(driver: Any, tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path) -> Iterator[Any]:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(html.render(REPORT), encoding="utf-8")
    open_report(driver, path)
    yield driver
    full_page_screenshot(driver, artifacts_dir / "html-report.png")


@pytest.fixture(autouse=True)
def reset_filters(page: Any) -> None:
    page.find_element("id", "f-reset").click()


def family_pairs(family: Family) -> list[PairResult]:
    return [p for p in REPORT.pairs if p.plan.family is family]


def cell_colours(driver: Any, mi: int) -> list[list[str]]:
    """The colour drawn in each cell of matrix ``mi`` (a point inside the cell, away from text and marks)."""
    return list(
        driver.execute_script(
            """
            const mi = arguments[0], g = window.vmv.geometry(mi), n = window.vmv.endpoints(mi).length;
            const canvas = document.querySelectorAll('canvas.base')[mi];
            const dpr = canvas.width / g.width;
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            const hex = v => v.toString(16).padStart(2, '0');
            const rows = [];
            for (let r = 0; r < n; r++) {
              const row = [];
              for (let c = 0; c < n; c++) {
                const x = Math.floor((g.left + c * g.cs + 3) * dpr), y = Math.floor((g.top + (r + 1) * g.cs - 3) * dpr);
                const o = (y * canvas.width + x) * 4;
                row.push('#' + hex(data[o]) + hex(data[o + 1]) + hex(data[o + 2]));
              }
              rows.push(row);
            }
            return rows;
            """,
            mi,
        )
    )


def kind_fills(driver: Any) -> dict[str, str]:
    data = driver.execute_script("return JSON.parse(document.getElementById('vmv-data').textContent).kinds")
    return {k["label"]: k["fill"] for k in data}


def endpoint_index(driver: Any, mi: int) -> dict[str, int]:
    return {label: i for i, label in enumerate(driver.execute_script("return window.vmv.endpoints(arguments[0])", mi))}


def point_at_cell(driver: Any, mi: int, src: str, dst: str, action: str) -> None:
    """Move the real mouse to the cell (src row, dst column) of matrix ``mi``; ``action`` is move or click."""
    from selenium.webdriver.common.action_chains import ActionChains

    idx = endpoint_index(driver, mi)
    g = driver.execute_script("return window.vmv.geometry(arguments[0])", mi)
    overlay = driver.find_elements("css selector", "canvas.overlay")[mi]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", overlay)
    x = g["left"] + (idx[dst] + 0.5) * g["cs"] - g["width"] / 2
    y = g["top"] + (idx[src] + 0.5) * g["cs"] - g["height"] / 2
    chain = ActionChains(driver).move_to_element_with_offset(overlay, int(x), int(y))
    (chain.click() if action == "click" else chain).perform()


def shown_count(driver: Any) -> tuple[int, int]:
    words = driver.find_element("id", "f-count").text.split()  # "Showing N of M pairs"
    return int(words[1]), int(words[3])


def test_page_loads_without_console_errors_and_nothing_injected_runs(page: Any) -> None:
    assert page.execute_script("return document.documentElement.getAttribute('data-ready')") == "1"
    assert console_errors(page) == []
    assert page.execute_script("return window.pwned === undefined")
    assert page.find_element("id", "verdict").text == "FAIL"
    assert page.find_elements("css selector", "#detail img, #findings img, #hosts img") == []
    assert HOSTILE.split("\x1b", maxsplit=1)[0] in page.find_element("id", "findings").text


def test_one_cell_per_directed_pair_in_its_verdict_colour(page: Any) -> None:
    fills = kind_fills(page)
    for mi, family in enumerate((Family.IPV4, Family.IPV6)):
        pairs = {
            (f"{p.plan.src_host}:{p.plan.src_vmk}", f"{p.plan.dst_host}:{p.plan.dst_vmk}"): p
            for p in family_pairs(family)
        }
        canvas = page.find_elements("css selector", "canvas.base")[mi]
        assert int(canvas.get_attribute("data-cells")) == len(pairs) == 4 * 2 * 3 * 2
        labels = page.execute_script("return window.vmv.endpoints(arguments[0])", mi)
        assert len(labels) == 8
        colours = cell_colours(page, mi)
        for r, src in enumerate(labels):
            for c, dst in enumerate(labels):
                pair = pairs.get((src, dst))
                if pair is None:
                    assert src.split(":")[0] == dst.split(":")[0]  # only same-host cells are empty
                    assert colours[r][c] == "#eef1f5"
                else:
                    label = "pass" if pair.status is PairStatus.PASS else (
                        f"error ({pair.reason})" if pair.status is PairStatus.ERROR else str(pair.reason)
                    )  # fmt: skip
                    assert colours[r][c] == fills[label], (src, dst, label)


def test_hover_shows_the_pair(page: Any) -> None:
    point_at_cell(page, 0, "esx01:vmk1", "esx02:vmk2", "move")
    tip = page.find_element("id", "tooltip")
    assert tip.is_displayed()
    assert "esx01:vmk1 \u2192 esx02:vmk2" in tip.text
    assert "PASS" in tip.text


def test_click_on_a_failing_cell_shows_reason_and_raw_output_as_text(page: Any) -> None:
    point_at_cell(page, 0, "esx02:vmk1", "esx03:vmk2", "click")
    detail = page.find_element("id", "detail")
    assert "esx02:vmk1 \u2192 esx03:vmk2" in detail.text
    assert page.find_element("id", "detail-reason").text == "path-mtu"
    assert "DF packets of 9000 bytes lost" in page.find_element("id", "detail-text").text
    assert "(max 1500)" in page.find_element("id", "detail-text").text
    raw = page.find_element("id", "detail-raw").get_property("textContent")
    assert "PING 198.19.3.11: 8972 data bytes" in raw
    assert "<script>window.pwned = 1</script><img src=x" in raw  # shown, not run
    assert "\x1b" not in raw
    assert page.find_elements("css selector", "#detail img, #detail script") == []
    assert page.execute_script("return window.pwned === undefined")
    assert "1500" in detail.text and "9000" in detail.text


def test_error_cell_detail(page: Any) -> None:
    point_at_cell(page, 0, "esx04:vmk2", "esx01:vmk1", "click")
    assert page.find_element("id", "detail-reason").text == "error (host-error)"
    assert "window.pwned = 1" in page.find_element("id", "detail-raw").get_property("textContent")


def test_failing_only_filter(page: Any) -> None:
    fills = kind_fills(page)
    failing = [p for p in REPORT.pairs if p.status is not PairStatus.PASS]
    assert shown_count(page) == (len(REPORT.pairs), len(REPORT.pairs))
    page.find_element("id", "f-failing").click()
    assert shown_count(page) == (len(failing), len(REPORT.pairs))
    idx = endpoint_index(page, 0)
    colours = cell_colours(page, 0)
    assert colours[idx["esx02:vmk1"]][idx["esx03:vmk1"]] == fills["path-mtu"]
    assert colours[idx["esx01:vmk1"]][idx["esx02:vmk1"]] != fills["pass"]  # faded
    ipv6 = cell_colours(page, 1)
    assert all(c != fills["pass"] for row in ipv6 for c in row)


def test_host_filter(page: Any) -> None:
    from selenium.webdriver.support.ui import Select

    Select(page.find_element("id", "f-host")).select_by_visible_text("esx03")
    involved = [p for p in REPORT.pairs if "esx03" in (p.plan.src_host, p.plan.dst_host)]
    assert shown_count(page)[0] == len(involved)
    fills = kind_fills(page)
    idx = endpoint_index(page, 0)
    colours = cell_colours(page, 0)
    assert colours[idx["esx01:vmk1"]][idx["esx03:vmk1"]] == fills["pass"]
    assert colours[idx["esx01:vmk1"]][idx["esx02:vmk1"]] != fills["pass"]
    groups = page.find_elements("css selector", "#failing ul.groups li")
    visible = [g.text for g in groups if g.is_displayed()]
    assert visible and all("esx03" in text for text in visible)
    assert len(visible) < len(groups)


def test_reason_filter(page: Any) -> None:
    from selenium.webdriver.support.ui import Select

    path_mtu = [p for p in REPORT.pairs if p.reason is Reason.PATH_MTU]
    options = [o.text for o in Select(page.find_element("id", "f-reason")).options]
    assert f"path-mtu ({len(path_mtu)})" in options
    Select(page.find_element("id", "f-reason")).select_by_visible_text(f"path-mtu ({len(path_mtu)})")
    assert shown_count(page)[0] == len(path_mtu) == 4
    fills = kind_fills(page)
    idx = endpoint_index(page, 0)
    colours = cell_colours(page, 0)
    assert colours[idx["esx02:vmk2"]][idx["esx03:vmk1"]] == fills["path-mtu"]
    assert colours[idx["esx04:vmk1"]][idx["esx01:vmk1"]] != fills["error (host-error)"]
    page.find_element("css selector", "#legend .item[data-kind]").click()  # the legend filters too
    assert shown_count(page)[0] == sum(1 for p in REPORT.pairs if p.status is PairStatus.PASS)
    assert console_errors(page) == []
