"""The validator against the lab's demo topology: verdicts, reports, exit codes, secrets, host keys."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.cli_run import run_cli
from tests.fakes import inventory_of
from tests.integration.conftest import Lab
from validator import validate
from validator.cli import main
from validator.inventory import load_inventory
from validator.lab.compare import compare_with_ground_truth, load_ground_truth
from validator.models import HostStatus, Reason
from validator.report import Report
from validator.transport import SshConnector

pytestmark = pytest.mark.lab




@pytest.fixture(scope="module")
def demo_run(demo_lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One full validation of the demo lab through the CLI, shared by the tests below."""
    out_dir = tmp_path_factory.mktemp("report")
    mp = pytest.MonkeyPatch()
    mp.setenv("VMOTION_VALIDATOR_PASSWORD", demo_lab.password)
    import contextlib
    import io

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["validate", "-i", str(demo_lab.inventory), "-o", str(out_dir), "--width", "100",
                     "--discover-mtu", "--format", "table,json,html,junit,markdown"])
    mp.undo()
    return {"code": code, "out": stdout.getvalue(), "err": stderr.getvalue(), "dir": out_dir}


def test_one_run_writes_every_format_and_they_agree(demo_run: dict[str, object]) -> None:
    """The JUnit failures are the failing pairs plus the error findings; the Markdown names exactly the
    failing pairs; the HTML is one self-contained file."""
    import re
    import xml.etree.ElementTree as ET

    out = Path(str(demo_run["dir"]))
    names = {"report.txt", "report.json", "report.html", "report.junit.xml", "report.md"}
    assert names <= {p.name for p in out.iterdir()}
    report = Report.from_dict(json.loads((out / "report.json").read_text()))
    failing = report.failing_pairs()
    error_findings = [f for f in report.findings if f.severity.value == "error"]
    root = ET.parse(out / "report.junit.xml").getroot()
    assert int(root.get("failures", "0")) + int(root.get("errors", "0")) == len(failing) + len(error_findings)
    markdown = (out / "report.md").read_text()
    named = set(re.findall(r"^\| (\S+:vmk\d+) \(([^)]+)\) \| (\S+:vmk\d+) \(([^)]+)\)", markdown, re.M))
    expected = {(f"{p.plan.src_host}:{p.plan.src_vmk}", str(p.plan.src_ip), f"{p.plan.dst_host}:{p.plan.dst_vmk}",
                 str(p.plan.dst_ip)) for p in failing}
    assert named == expected and len(failing) > 0
    page = (out / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)  # nothing fetched
    assert str(demo_run["out"]).startswith("vMotion validation:")  # the table still goes to stdout


def test_report_prints_the_same_table_as_validate(demo_run: dict[str, object],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """``report DIR/report.json`` re-renders exactly the table the validation printed."""
    saved = Path(str(demo_run["dir"])) / "report.json"
    code, out, _ = run_cli(["report", str(saved), "--format", "table", "--width", "100"], capsys)
    assert code == 0
    assert "Findings" in out and out == demo_run["out"]


def test_every_verdict_matches_ground_truth(demo_lab: Lab, demo_run: dict[str, object]) -> None:
    report = json.loads((Path(str(demo_run["dir"])) / "report.json").read_text())
    mismatches = compare_with_ground_truth(Report.from_dict(report), load_ground_truth(demo_lab.ground_truth))
    assert [str(m) for m in mismatches] == []
    reasons = {p["reason"] for p in report["pairs"]}
    # the demo engineers every fault knob that shows up as a pair verdict
    assert {"no-route", "path-mtu", "unreachable", "vmk-down", "host-error"} <= reasons
    assert any(p["src_ip"].count(":") for p in report["pairs"]), "IPv6 pairs are planned"
    assert demo_run["code"] == 1  # faults => the gate fails


def test_discover_mtu_finds_the_hop_mtu(demo_lab: Lab, demo_run: dict[str, object]) -> None:
    report = json.loads((Path(str(demo_run["dir"])) / "report.json").read_text())
    truth = {(t["src_host"], t["src_vmk"], t["dst_host"], t["dst_vmk"], t["family"]): t
             for t in load_ground_truth(demo_lab.ground_truth)}
    path_mtu = [p for p in report["pairs"] if p["reason"] == "path-mtu"]
    assert path_mtu
    for pair in path_mtu:
        key = (pair["src_host"], pair["src_vmk"], pair["dst_host"], pair["dst_vmk"], pair["family"])
        assert pair["max_mtu"] == truth[key]["max_mtu"]


def test_report_contract_and_findings(demo_lab: Lab, demo_run: dict[str, object]) -> None:
    report = json.loads((Path(str(demo_run["dir"])) / "report.json").read_text())
    assert report["schema"] == "vmotion-validator/report/v1"
    assert set(report) >= {"started_at", "duration_s", "hosts", "pairs", "findings", "summary"}
    summary = report["summary"]
    assert summary["pairs"] == len(report["pairs"]) == summary["pass"] + summary["fail"] + summary["error"]
    assert summary["verdict"] == "fail"
    hosts = {h["name"]: h for h in report["hosts"]}
    assert any(h["status"] == "unreachable" for h in hosts.values())  # the host whose sshd is stopped
    expected = json.loads(demo_lab.ground_truth.read_text())["findings_expected"]
    assert {item["kind"] for item in expected} >= {"vmk-tag-on-default-stack", "extra-service-on-vmotion-vmk"}
    found = {(f["host"], f["check"]) for f in report["findings"]}
    kind_to_check = {
        "vmk-tag-on-default-stack": "vmotion_tag_on_default",
        "extra-service-on-vmotion-vmk": "extra_services",
        "no-gateway": "gateway",
        "vmk-disabled": "vmk_disabled",
        "sshd-stopped": "host_unreachable",
    }
    for item in expected:
        assert (item["host"], kind_to_check[item["kind"]]) in found, item
    assert (Path(str(demo_run["dir"])) / "report.md").read_text().count("|") > 10


def test_terminal_matrix_fits_and_names_failures(demo_run: dict[str, object]) -> None:
    out = str(demo_run["out"])
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "path-mtu" in out and "no-route" in out
    assert "pairs:" in out


def test_matrix_fits_80_columns(demo_lab: Lab, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VMOTION_VALIDATOR_PASSWORD", demo_lab.password)
    code, out, _ = run_cli(["validate", "-i", str(demo_lab.inventory), "--width", "80", "-q",
                            "--checks", "gateway"], capsys)
    assert code == 1
    assert max(len(line) for line in out.splitlines()) <= 80


def test_password_never_leaks(demo_lab: Lab, demo_run: dict[str, object], tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = demo_lab.password
    texts = [str(demo_run["out"]), str(demo_run["err"])]
    texts += [p.read_text() for p in Path(str(demo_run["dir"])).iterdir()]
    # a wrong password: auth errors must not echo what was tried
    wrong = secret[::-1] + "-wrong"
    monkeypatch.setenv("VMOTION_VALIDATOR_PASSWORD", wrong)
    code, out, err = run_cli(["validate", "-i", str(demo_lab.inventory), "-o", str(tmp_path)], capsys)
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    assert {h["status"] for h in report["hosts"]} <= {"auth-failed", "unreachable"}
    texts += [out, err, caplog.text] + [p.read_text() for p in tmp_path.iterdir()]
    for text in texts:
        assert secret not in text
        assert wrong not in text


def test_strict_host_keys_refuse_unknown_and_changed(demo_lab: Lab, tmp_path: Path) -> None:
    inventory = load_inventory(demo_lab.inventory)
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    ssh = inventory.ssh.__class__(**{**inventory.ssh.__dict__, "known_hosts": empty})
    hosts = inventory.hosts[:2]
    report = validate(inventory_of(hosts), connector=SshConnector(ssh, demo_lab.password))
    assert all(h.status in (HostStatus.HOST_KEY, HostStatus.UNREACHABLE) for h in report.hosts)
    assert any(h.status is HostStatus.HOST_KEY and "unknown" in (h.error or "") for h in report.hosts)

    # accept-new records the keys, then strict accepts them
    accept = ssh.__class__(**{**ssh.__dict__, "host_key_policy": "accept-new"})
    ok_host = [h for h in inventory.hosts if h.target.name in _sshd_hosts(demo_lab)][:1]
    validate(inventory_of(ok_host), connector=SshConnector(accept, demo_lab.password))
    assert ok_host[0].target.address in empty.read_text()
    again = validate(inventory_of(ok_host), connector=SshConnector(ssh, demo_lab.password))
    assert again.hosts[0].status is HostStatus.OK

    # a changed key is refused even under accept-new
    line = empty.read_text().split()
    fake_key = (tmp_path / "fake").with_suffix("")
    import subprocess

    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(fake_key)], check=True)
    other = fake_key.with_suffix(".pub").read_text().split()[1]
    empty.write_text(f"{line[0]} {line[1]} {other}\n")
    changed = validate(inventory_of(ok_host), connector=SshConnector(accept, demo_lab.password))
    assert changed.hosts[0].status is HostStatus.HOST_KEY
    assert "CHANGED" in (changed.hosts[0].error or "")


def _sshd_hosts(lab: Lab) -> set[str]:
    status = json.loads(lab.ground_truth.read_text())
    down = {p["src_host"] for p in status["pairs"] if p["expected_reason"] == Reason.HOST_ERROR.value}
    return {h.target.name for h in load_inventory(lab.inventory).hosts} - down


def test_bad_inventory_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "inv.toml"
    bad.write_text('[ssh]\nusername = "root"\n[[hosts]]\nname = "a"\naddress = "999.1.1.1"\n')
    code, _, err = run_cli(["validate", "-i", str(bad)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and str(bad) in err and "'a'" in err


def test_key_file_login_without_password(demo_lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """key_file in the inventory logs in with the lab's client key; no password anywhere."""
    monkeypatch.delenv("VMOTION_VALIDATOR_PASSWORD", raising=False)
    text = demo_lab.inventory.read_text().replace(
        'password_env = "VMOTION_VALIDATOR_PASSWORD"', f'key_file = "{demo_lab.state / "id_ed25519"}"'
    ).replace('known_hosts = "known_hosts"', f'known_hosts = "{demo_lab.state / "known_hosts"}"')
    inventory_path = tmp_path / "inventory.toml"
    inventory_path.write_text(text)
    inventory = load_inventory(inventory_path)
    assert inventory.ssh.password_env is None
    hosts = [h for h in inventory.hosts if h.target.name in _sshd_hosts(demo_lab)][:2]
    report = validate(inventory_of(hosts), connector=SshConnector(inventory.ssh, None))
    assert [h.status for h in report.hosts] == [HostStatus.OK, HostStatus.OK]
    assert all(h.vmks for h in report.hosts)


def test_gateway_probe_on_the_demo(demo_run: dict[str, object]) -> None:
    """esx06 has no gateway: nothing to ping, the gateway check says so and its routed pairs point at it; the
    r3 uplink's 1500 lies beyond the gateway: a path-mtu pair verdict, no gateway finding."""
    report = Report.from_dict(json.loads((Path(str(demo_run["dir"])) / "report.json").read_text()))
    hosts = {h.name: h for h in report.hosts}
    for name in ("esx01", "esx02", "esx03", "esx04", "esx05", "esx07"):
        assert hosts[name].gateway_probes and all(g.reachable and g.mtu_ok for g in hosts[name].gateway_probes)
    assert len(hosts["esx04"].gateway_probes) == 4  # vmk1 and vmk2 (override), IPv4 and IPv6
    assert [g.vmk for g in hosts["esx05"].gateway_probes] == ["vmk1"]  # vmk2 is down: vmk_disabled says so
    assert hosts["esx06"].gateway_probes == () and hosts["esx08"].gateway_probes == ()
    assert ("gateway", "esx06") in {(f.check, f.host) for f in report.findings}
    assert not [f for f in report.findings if f.check in ("gateway_unreachable", "gateway_mtu")]
    no_route = [p for p in report.pairs if p.plan.src_host == "esx06" and p.reason is Reason.NO_ROUTE]
    assert no_route and all((p.detail or "").startswith("the source has no IPv4 gateway on the vmotion stack: "
                                                        "fix that first") for p in no_route)
    hop = [p for p in report.pairs if p.reason is Reason.PATH_MTU]
    assert hop and not any("gateway" in (p.detail or "") for p in hop)
