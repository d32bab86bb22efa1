"""``validate --vcenter --via api`` on the demo lab: the verdicts of the SSH path, with no SSH at all; and what
a hung, faulting or refusing host, Ctrl-C, a wrong password, an expiring session and a vanished vCenter cost.

One lab for the module. Its SSH run is measured first; then every lab host's sshd is stopped for good.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import interruptible_cli
from tests.integration.api_lab import (
    PASSWORD_ENV,
    Served,
    everything_written,
    lab_sshd_running,
    saved,
    served_lab,
    stop_every_sshd,
    vc_args,
    verdicts,
)
from tests.integration.conftest import SAMPLES
from validator.lab.compare import compare_with_ground_truth, load_ground_truth
from validator.lab.groundtruth import truth_pairs
from validator.lab.vcsim import running_vcsim
from validator.report import Report, load_report

pytestmark = pytest.mark.lab
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Report]]:
    """The demo lab, its SSH report (with --discover-mtu), then no sshd anywhere."""
    with served_lab(SAMPLES / "demo.toml", tmp_path_factory) as served:
        out = tmp_path_factory.mktemp("ssh")
        env = dict(os.environ, **{served.lab.password_env: served.lab.password()})
        done = subprocess.run(
            interruptible_cli("validate", "-i", str(served.lab.inventory), "--discover-mtu", "-q", "-o", str(out)),
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
        )
        assert done.returncode == 1, done.stderr  # the demo's faults fail by design
        assert stop_every_sshd(served.lab) > 0
        yield served, load_report(out / "report.json")


def run_api(vc: Any, out: Path, *extra: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, **{PASSWORD_ENV: password if password is not None else vc.password})
    return subprocess.run(
        interruptible_cli("validate", *vc_args(vc), "--via", "api", "-q", "-o", str(out), *extra),
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def tsm_ssh(vc: Any) -> dict[str, bool | None]:
    from validator.vcenter.connect import vcenter_session
    from validator.vcenter.retrieve import retrieve_hosts
    from validator.vcenter.settings import VCenterSettings

    settings = VCenterSettings(host=vc.host, port=vc.port, username=vc.username, ca_file=vc.ca_file)
    with vcenter_session(settings, vc.password) as si:
        return {h.name: h.facts.ssh_running for h in retrieve_hosts(si, settings)}


def test_the_api_path_gives_the_ssh_verdicts_with_no_ssh_at_all(demo: tuple[Served, Report], tmp_path: Path) -> None:
    served, over_ssh = demo
    assert lab_sshd_running(served.lab) == []
    assert compare_with_ground_truth(over_ssh, load_ground_truth(served.lab.ground_truth)) == []
    with running_vcsim(served.model(), tmp_path / "vc") as vc:
        before = tsm_ssh(vc)
        done = run_api(vc, tmp_path / "api", "--discover-mtu")
        after = tsm_ssh(vc)
    assert done.returncode == 1, done.stderr  # the demo's faults fail by design
    over_api = load_report(tmp_path / "api" / "report.json")
    assert over_api.probe == "api" and over_ssh.probe == "ssh"
    assert "probe api" in done.stdout
    mismatches = compare_with_ground_truth(over_api, [p.to_json() for p in truth_pairs(served.lab.topology, ssh=False)])
    details = {p.plan.key: p.detail for p in over_api.pairs}
    assert mismatches == [], [(m, details.get(m.key)) for m in mismatches]
    # the pairs from hosts whose sshd was up during the SSH run are judged alike, MTU search included
    ssh_up = {h.name for h in served.lab.topology.hosts if h.sshd}
    api, ssh = verdicts(over_api), verdicts(over_ssh)
    assert set(api) == set(ssh)
    assert {k: v for k, v in api.items() if k[0] in ssh_up} == {k: v for k, v in ssh.items() if k[0] in ssh_up}
    assert any(v[4] is not None for v in api.values()), "--discover-mtu found a maximum"
    assert before == after and lab_sshd_running(served.lab) == []
    assert vc.password not in everything_written(tmp_path / "api", done.stdout, done.stderr)


def test_hung_faulting_and_refusing_hosts_cost_their_own_pairs(demo: tuple[Served, Report], tmp_path: Path) -> None:
    served, _ = demo
    truth = {(t["src_host"], t["src_vmk"], t["dst_host"], t["dst_vmk"], t["family"]): t
             for t in (p.to_json() for p in truth_pairs(served.lab.topology, ssh=False))}
    knobs = {"esx02": "hang", "esx03": "fault", "esx06": "no-permission"}
    with running_vcsim(served.model(**knobs), tmp_path / "vc") as vc:
        done = run_api(vc, tmp_path / "api", "--no-confirm")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    report = saved(tmp_path / "api")
    causes = {"esx02": "no answer", "esx03": "hostd is not responding", "esx06": "Host.Config.NetService"}
    for pair in report["pairs"]:
        key = (pair["src_host"], pair["src_vmk"], pair["dst_host"], pair["dst_vmk"], pair["family"])
        if pair["src_host"] in knobs:
            assert (pair["status"], pair["reason"]) == ("error", "host-error"), pair
            assert pair["src_host"] in pair["detail"] and causes[pair["src_host"]] in pair["detail"], pair
            assert "\n" not in pair["detail"]
        else:  # every other host's pairs, to these hosts too, are measured as the lab built them
            assert (pair["status"], pair["reason"]) == (truth[key]["expected_status"], truth[key]["expected_reason"])


def test_ctrl_c_during_a_hung_call_exits_130_within_2_s_with_the_partial_report(
    demo: tuple[Served, Report], tmp_path: Path
) -> None:
    served, _ = demo
    out = tmp_path / "api"
    with running_vcsim(served.model(esx02="hang"), tmp_path / "vc") as vc:
        env = dict(os.environ, **{PASSWORD_ENV: vc.password})
        proc = subprocess.Popen(
            interruptible_cli("validate", *vc_args(vc), "--via", "api", "-o", str(out)),
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            assert proc.stderr is not None
            for line in proc.stderr:  # progress: wait until other hosts' rounds have finished
                if "pairs probed" in line:
                    break
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=30)
            stopped_in = time.monotonic() - sent
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    print(f"Ctrl-C stopped the API run in {stopped_in:.2f} s")
    assert proc.returncode == 130, stderr
    assert stopped_in < 2.0, f"Ctrl-C took {stopped_in:.1f} s"
    assert "Traceback" not in stderr
    report = saved(out)
    assert report["interrupted"] is True and report["probe"] == "api"
    assert any(p["status"] == "pass" for p in report["pairs"]), "what was measured is kept"
    assert {p["src_host"] for p in report["pairs"] if p["reason"] == "not-probed"} >= {"esx02"}
    assert vc.password not in everything_written(out, stdout, stderr)


def test_a_session_that_expires_mid_run_is_logged_in_again(demo: tuple[Served, Report], tmp_path: Path) -> None:
    served, _ = demo
    model = served.model()
    model["expire_sessions_after_calls"] = 150
    with running_vcsim(model, tmp_path / "vc") as vc:
        done = run_api(vc, tmp_path / "api", "--no-confirm")
    assert done.returncode == 1, done.stderr
    report = load_report(tmp_path / "api" / "report.json")
    assert len(report.pairs) * 2 > 150  # two calls per pair at least: the run outlived a session
    assert compare_with_ground_truth(report, [p.to_json() for p in truth_pairs(served.lab.topology, ssh=False)]) == []


def test_a_wrong_vcenter_password_is_one_line_without_it(demo: tuple[Served, Report], tmp_path: Path) -> None:
    served, _ = demo
    wrong = "Wr0ng-S3cret-Value"
    with running_vcsim(served.model(), tmp_path / "vc") as vc:
        done = run_api(vc, tmp_path / "api", password=wrong)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "login refused" in lines[0], done.stderr
    assert wrong not in done.stdout + done.stderr and "Traceback" not in done.stderr


def test_a_vcenter_that_vanishes_mid_run_ends_cleanly_keeping_what_was_measured(
    demo: tuple[Served, Report], tmp_path: Path
) -> None:
    served, _ = demo
    out = tmp_path / "api"
    with running_vcsim(served.model(), tmp_path / "vc") as vc:
        env = dict(os.environ, **{PASSWORD_ENV: vc.password})
        proc = subprocess.Popen(  # slow probes, so the run is still going when vCenter goes
            interruptible_cli("validate", *vc_args(vc), "--via", "api", "-o", str(out), "--concurrency", "1",
                              "--no-confirm"),
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            assert proc.stderr is not None
            for line in proc.stderr:
                if "probing" in line:
                    break
            time.sleep(4.0)  # some pairs come back ...
            os.kill(vc.pid, signal.SIGKILL)  # ... then vCenter is gone
            stdout, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr
    report = saved(out)
    details = [p["detail"] for p in report["pairs"] if p["status"] == "error"]
    assert details and all("connection to vCenter lost" in d or "cannot connect" in d for d in details), details[:3]
    assert any(p["status"] == "pass" for p in report["pairs"]), "what was measured is kept"
    assert vc.password not in everything_written(out, stdout, stderr)
