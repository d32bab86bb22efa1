"""The pytest plugin against the demo lab: ``pytest --vmotion-inventory`` gives one test per pair and per
check, failing exactly on what the lab engineered to fail; the validation runs once for items and fixture."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_diff_lab import private_topology
from tests.lab.conftest import lab_missing, quiet
from validator.report import Report

pytestmark = pytest.mark.lab
pytest_plugins = ["pytester"]  # for this module only (tests/integration/conftest.py does not enable it)

PREFIX = "vmvplug"
# ground-truth finding kind -> the check that fails on it (vmk-disabled is a warning: its check passes)
FAILING_CHECK = {
    "sshd-stopped": "host_unreachable",
    "no-gateway": "gateway",
    "vmk-tag-on-default-stack": "vmotion_tag_on_default",
    "extra-service-on-vmotion-vmk": "extra_services",
}


@pytest.fixture(scope="module")
def plugin_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if reason := lab_missing():
        pytest.skip(reason)
    from validator.lab.api import running_lab

    topo = private_topology("demo", PREFIX, range(232, 236))
    with running_lab(topo, tmp_path_factory.mktemp("plugin-lab") / "state", log=quiet) as lab:
        yield lab


def item_id(pair: dict[str, Any]) -> str:
    name = f"vmotion::pairs::{pair['src_host']}:{pair['src_vmk']}->{pair['dst_host']}:{pair['dst_vmk']}"
    return name + ("[ipv6]" if pair["family"] == "ipv6" else "")


def test_one_test_per_pair_and_check_failing_exactly_as_engineered(
    plugin_lab: Any, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    import validator.api

    calls: list[int] = []
    real_validate = validator.api.validate

    def counting(*args: Any, **kwargs: Any) -> Report:
        calls.append(1)
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(validator.api, "validate", counting)
    monkeypatch.setenv("VMV_PLUGIN_LAB_PASSWORD", plugin_lab.password())
    pytester.makepyfile(test_users_own="""
        def test_users_own(vmotion_report):
            assert len(vmotion_report.failing_pairs()) > 0
    """)
    xml = pytester.path / "junit.xml"
    reprec = pytester.inline_run("-p", "no:hypothesispytest", f"--vmotion-inventory={plugin_lab.inventory}",
                                 "--vmotion-password-env", "VMV_PLUGIN_LAB_PASSWORD", f"--junitxml={xml}")

    truth = json.loads(Path(plugin_lab.ground_truth).read_text(encoding="utf-8"))
    check_names = [r.nodeid for r in reprec.getreports("pytest_runtest_logreport")
                   if r.when == "call" and r.nodeid.startswith("vmotion::checks::")]
    expected = {item_id(p): "passed" if p["expected_status"] == "pass" else "failed" for p in truth["pairs"]}
    failing_checks = {FAILING_CHECK[f["kind"]] for f in truth["findings_expected"] if f["kind"] in FAILING_CHECK}
    expected |= {name: "failed" if name.rpartition("::")[2] in failing_checks else "passed" for name in check_names}
    expected["test_users_own.py::test_users_own"] = "passed"

    got = {r.nodeid: r.outcome for r in reprec.getreports("pytest_runtest_logreport") if r.when == "call"}
    assert got == expected
    assert len(check_names) >= 10 and len(failing_checks) == 4
    assert calls == [1]  # one validation for every item and the fixture
    assert plugin_lab.password() not in xml.read_text(encoding="utf-8")
