"""The next steps in every human format, and the fix-script command, on the demo lab's saved report."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from reports import get_format
from reports._html_data import payload
from tests.cli_run import run_cli
from tests.factories import make_cluster, make_finding, make_host, make_report, make_vmk
from validator.fix_script import fix_files
from validator.models import Severity
from validator.remediation import for_report
from validator.report import Report, load_report

DEMO = Path(__file__).resolve().parents[1] / "samples" / "reports" / "demo-report.json"
GATEWAY_ADD = "esxcli network ip route ipv4 add -N vmotion -n default -g 198.19.2.1"


@pytest.fixture(scope="module")
def demo() -> Report:
    return load_report(DEMO)


def test_every_failing_pair_and_finding_of_the_demo_has_a_step(demo: Report) -> None:
    steps = for_report(demo)
    covered = {key for s in steps for key in s.pairs}
    assert all(p.plan.key in covered for p in demo.failing_pairs())
    assert {i for s in steps for i in s.findings} == set(range(len(demo.findings)))
    gateway = next(s for s in steps if s.action == "add-gateway")
    assert gateway.host == "esx06" and gateway.esxcli == (GATEWAY_ADD,) and len(gateway.pairs) > 20


def test_table_has_a_numbered_next_steps_section_within_the_width(demo: Report) -> None:
    text = get_format("table").render(demo, width=90)
    section = text.split("\nNext steps (", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"^  1\. DF packets of MTU 9000", section, re.M)
    flat = " ".join(section.split())
    assert "(clears 48 pairs)" in flat and f"on esx06: {GATEWAY_ADD}" in flat
    assert all(len(line) <= 90 for line in text.splitlines())


def test_markdown_lists_the_steps_with_commands_in_code_blocks(demo: Report) -> None:
    text = get_format("markdown").render(demo)
    section = text.split("## Next steps (", 1)[1]
    assert f"   {GATEWAY_ADD}\n" in section
    assert "   ```sh\n   # on esx06\n" in section


def test_html_has_a_steps_card_and_the_detail_pane_data(demo: Report) -> None:
    page = get_format("html").render(demo)
    assert '<section class="card" id="next-steps"><h2>Next steps (' in page and GATEWAY_ADD in page
    data = payload(demo)
    column = data["fields"].index("next")
    titles = [s["title"] for s in data["steps"]]
    for matrix in data["matrices"]:
        for row in matrix["pairs"]:
            kind = data["kinds"][row[data["fields"].index("kind")]]
            assert bool(row[column]) == (not kind["pass"])  # every failing cell points at a step, passing ones none
    assert any("esx06: add the IPv4 default gateway" in t for t in titles)


def test_junit_failure_text_starts_with_the_next_steps(demo: Report) -> None:
    root = ET.fromstring(get_format("junit").render(demo).split("\n", 1)[1])
    case = root.find(".//testcase[@name='esx06:vmk1->esx01:vmk1']")
    assert case is not None
    text = case.findtext("failure") or ""
    assert text.startswith("Next steps:\n- esx06: add the IPv4 default gateway 198.19.2.1")
    assert f"on esx06: {GATEWAY_ADD}" in text
    finding = root.find(".//testcase[@name='[vmotion_tag_on_default] esx03:vmk2']")
    assert finding is not None
    assert "esxcli network ip interface tag remove -i vmk2 -t VMotion" in (finding.findtext("failure") or "")


def test_host_text_in_steps_is_made_printable() -> None:
    vmk = make_vmk("vmk1", "198.19.1.11/24", mtu=1500, portgroup="pg\x1b[2J\nx")
    hosts = [*make_cluster(3), make_host("esx04", [vmk], gateway="198.19.4.1")]
    report = make_report(hosts, [], [make_finding("third_party", Severity.ERROR, "bad\x1b]0;title\x07 thing")])
    for name in ("table", "markdown", "html", "junit"):
        text = get_format(name).render(report, width=100)
        assert "\x1b" not in text and "\x07" not in text, name
    for item in fix_files(report):
        assert "\x1b" not in item.text
        assert all(line.startswith("#") or line in ("set -eu", "") or line.startswith("esxcli ")
                   for line in item.text.splitlines()[1:]), item.text


def test_fix_script_writes_a_reviewable_script_per_host(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["fix-script", str(DEMO), "-o", str(tmp_path / "fix")], capsys)
    assert code == 0 and "nothing has been run" in out
    written = sorted(p.name for p in (tmp_path / "fix").iterdir())
    assert written == ["fix-esx02.sh", "fix-esx03.sh", "fix-esx05.sh", "fix-esx06.sh", "fix-esx08.sh",
                       "other-steps.txt"]
    script = (tmp_path / "fix" / "fix-esx06.sh").read_text()
    lines = script.splitlines()
    assert lines[0] == "#!/bin/sh" and "set -eu" in lines
    command = lines.index(GATEWAY_ADD)
    assert lines[command - 1].startswith("#") and any(
        "fixes finding [gateway]" in line for line in lines[command - 5:command])
    for path in (tmp_path / "fix").glob("*.sh"):
        assert subprocess.run(["sh", "-n", str(path)], check=False).returncode == 0
        assert not path.stat().st_mode & 0o111  # written for review, not to be executed as is


def test_fix_script_errors_name_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "report.json"
    bad.write_text("{not json")
    code, _, err = run_cli(["fix-script", str(bad), "-o", str(tmp_path / "out")], capsys)
    assert code == 2 and err.count("\n") == 1 and str(bad) in err and "not JSON" in err
    bad.write_text(json.dumps({"schema": "someone-else/v1"}))
    code, _, err = run_cli(["fix-script", str(bad)], capsys)
    assert code == 2 and "not a vmotion-validator report" in err
    code, _, err = run_cli(["fix-script", str(tmp_path / "missing.json")], capsys)
    assert code == 2 and "missing.json" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_fix_script_with_nothing_to_fix_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(make_report().to_dict()))
    code, out, _ = run_cli(["fix-script", str(path), "-o", str(tmp_path / "fix")], capsys)
    assert code == 0 and "nothing to fix" in out and not (tmp_path / "fix").exists()
