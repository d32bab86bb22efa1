"""Write samples/reports/demo-report.html and its screenshot report-html.png from demo-report.json.

    .venv/bin/python -m tests.browser.screenshot

The screenshot shows the top of the page with one failing pair's detail pinned (a click on its cell).
"""

from __future__ import annotations

import sys
from pathlib import Path

from reports import html
from tests.browser.chromium import chromium, console_errors, missing_reason, open_report
from validator.report import load_report

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "reports"
PINNED = ("esx01:vmk1", "esx07:vmk1")  # a routed path-mtu failure
WIDTH, HEIGHT = 1440, 1640


def main() -> int:
    reason = missing_reason()
    if reason:
        print(f"screenshot: {reason}", file=sys.stderr)
        return 2
    from selenium.webdriver.common.action_chains import ActionChains

    report = load_report(SAMPLES / "demo-report.json")
    page = SAMPLES / "demo-report.html"
    page.write_text(html.render(report), encoding="utf-8")
    with chromium(WIDTH, HEIGHT) as driver:
        open_report(driver, page)
        labels = driver.execute_script("return window.vmv.endpoints(0)")
        g = driver.execute_script("return window.vmv.geometry(0)")
        overlay = driver.find_elements("css selector", "canvas.overlay")[0]
        x = g["left"] + (labels.index(PINNED[1]) + 0.5) * g["cs"] - g["width"] / 2
        y = g["top"] + (labels.index(PINNED[0]) + 0.5) * g["cs"] - g["height"] / 2
        ActionChains(driver).move_to_element_with_offset(overlay, int(x), int(y)).click().perform()
        driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
        ActionChains(driver).move_to_element(driver.find_element("id", "stats")).perform()  # no tooltip
        errors = console_errors(driver)
        if errors:
            print(f"screenshot: console errors: {errors}", file=sys.stderr)
            return 1
        driver.save_screenshot(str(SAMPLES / "report-html.png"))
    print(f"wrote {page} and {SAMPLES / 'report-html.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
