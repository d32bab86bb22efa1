"""The command line without hosts: report re-rendering, formats, bad files and bad values end in one line."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from reports import terminal
from tests.cli_run import run_cli
from tests.factories import make_cluster, make_finding, make_host, make_report
from validator.models import HostStatus, Severity

ESC = "\x1b"




def saved_report(tmp_path: Path) -> Path:
    from reports import write_reports

    report = make_report(make_cluster(3, 2))
    write_reports(report, tmp_path / "run", ["json"])
    return tmp_path / "run" / "report.json"


def test_report_rewrites_every_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = saved_report(tmp_path)
    out_dir = tmp_path / "again"
    code, _, err = run_cli(["report", str(path), "--format", "json,markdown,junit", "-o", str(out_dir)], capsys)
    assert code == 0
    assert sorted(p.name for p in out_dir.iterdir()) == ["report.json", "report.junit.xml", "report.md"]
    assert json.loads((out_dir / "report.json").read_text()) == json.loads(path.read_text())
    assert err.count("wrote ") == 3


def test_report_json_to_stdout_is_one_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = saved_report(tmp_path)
    code, out, _ = run_cli(["report", str(path), "--format", "json"], capsys)
    assert code == 0 and json.loads(out) == json.loads(path.read_text())


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("truncated", "not JSON"),
        ('{"schema": "vmotion-validator/report/v1", "started_at": "x"', "not JSON"),
        ('{"kind": "something else"}', "schema None is not vmotion-validator/report/v1"),
    ],
)
def test_report_on_a_bad_file_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, problem: str
) -> None:
    path = tmp_path / "report.json"
    if content == "truncated":
        full = saved_report(tmp_path).read_text()
        content = full[: len(full) // 2]
    path.write_text(content)
    code, out, err = run_cli(["report", str(path)], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and str(path) in err and problem in err


def test_unknown_format_is_refused_before_reading(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["report", str(tmp_path / "missing.json"), "--format", "table,pdf"], capsys)
    assert code == 2 and "'pdf'" in err and "valid formats" in err


def write_inventory(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "inventory.toml"
    path.write_text(body)
    return path


HOST = '[[hosts]]\nname = "esx01"\naddress = "198.18.255.11"\n'


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local TCP listener that never accepts: a connection attempt to it stays queued, to be seen."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        yield server


def listening_host(listener: socket.socket) -> str:
    return f'[ssh]\nconnect_timeout = 1\n[[hosts]]\nname = "esx01"\naddress = "127.0.0.1"\nport = {listener.getsockname()[1]}\n'


def was_contacted(listener: socket.socket) -> bool:
    try:
        conn, _ = listener.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[ssh]\ncommand_timeout = nan\n" + HOST, "ssh.command_timeout"),
        ("[ssh]\ncommand_timeout = inf\n" + HOST, "ssh.command_timeout"),
        ("[ssh]\ncommand_timeout = 1e308\n" + HOST, "ssh.command_timeout"),
        ("[ssh]\nconnect_timeout = nan\n" + HOST, "ssh.connect_timeout"),
        ("[ssh]\nport = 70000\n" + HOST, "ssh.port"),
        (HOST + 'vmks = [{ name = "vmk1", ip = 5 }]\n', "host 'esx01': vmk1: 'ip' must be"),
        (HOST + 'vmks = [{ name = "vmk1", ip = "198.19.1.11/24", mtu = 9000.5 }]\n', "mtu"),
        (HOST + "port = -1\n", "host 'esx01': port"),
        ("[checks]\nmax_rtt_ms = nan\n" + HOST, "checks.max_rtt_ms"),
        ("[checks]\nexpected_mtu = 100\n" + HOST, "expected_mtu"),
        (HOST + 'name2 = "x"\n', "unknown key 'name2'"),
        (HOST + '[[hosts]]\nname = "esx02"\naddress = "::ffff:198.18.255.11"\n', "already used by host 'esx01'"),
    ],
)
def test_bad_values_exit_2_with_one_line_naming_file_key_and_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, named: str
) -> None:
    path = write_inventory(tmp_path, text)
    code, out, err = run_cli(["validate", "-i", str(path), "-q"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and str(path) in err and named in err
    assert "Traceback" not in err


def test_a_valid_run_contacts_the_listening_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], listener: socket.socket
) -> None:
    """The control for the refusals below: a run that is let go reaches the host."""
    path = write_inventory(tmp_path, listening_host(listener))
    code, _, _ = run_cli(["validate", "-i", str(path), "-q"], capsys)
    assert code == 1  # the listener never speaks SSH: unreachable
    assert was_contacted(listener)


def test_output_that_is_a_file_is_refused_before_any_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], listener: socket.socket
) -> None:
    path = write_inventory(tmp_path, listening_host(listener))
    taken = tmp_path / "taken"
    taken.write_text("not a directory")
    code, _, err = run_cli(["validate", "-i", str(path), "-o", str(taken), "-q"], capsys)
    assert code == 2 and "exists and is not a directory" in err
    assert not was_contacted(listener)  # nothing was tried


def test_bad_option_value_is_refused_before_any_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], listener: socket.socket
) -> None:
    path = write_inventory(tmp_path, listening_host(listener))
    code, _, err = run_cli(["validate", "-i", str(path), "--mtu", "60000", "-q"], capsys)
    assert code == 2 and "mtu must be an integer 576..9216" in err
    assert not was_contacted(listener)


def test_host_text_with_escape_sequences_is_made_printable(tmp_path: Path) -> None:
    """esxcli text or an error holding ESC]0;...BEL or ESC[2J never reaches a terminal or report.md raw."""
    from reports import markdown

    hostile = f"boom{ESC}]0;owned\x07{ESC}[2J\x9b31m tail\r\nnext"
    hosts = [*make_cluster(2), make_host("esx09", [], status=HostStatus.ERROR, error=hostile)]
    report = make_report(hosts, findings=[make_finding(severity=Severity.ERROR, message=hostile)])
    for text in (terminal.render(report, width=120), markdown.render(report)):
        assert ESC not in text and "\x07" not in text and "\x9b" not in text and "\r" not in text
        assert "boom" in text and "tail" in text
    from reports import json_report

    assert json.loads(json_report.render(report))["findings"][0]["message"] == hostile  # JSON keeps it, escaped


def test_bad_baseline_is_refused_before_any_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], listener: socket.socket
) -> None:
    path = write_inventory(tmp_path, listening_host(listener))
    baseline = tmp_path / "before.json"
    baseline.write_text("{}")
    code, _, err = run_cli(["validate", "-i", str(path), "--baseline", str(baseline), "-q"], capsys)
    assert code == 2 and err.count("\n") == 1 and str(baseline) in err
    assert not was_contacted(listener)
