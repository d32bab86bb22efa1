"""vCenter as the source of hosts, against the simulator and the lab loaded with one topology."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import own_sample
from tests.lab.conftest import lab_missing
from tests.vcsim.binary import vcsim_binary_or_skip
from validator.lab.demo import run_demo
from validator.options import RunOptions
from validator.report import Report

pytestmark = pytest.mark.lab

def _verdicts(report: Report) -> dict[tuple[str, ...], tuple[str, str | None]]:
    return {p.plan.key: (p.status.value, p.reason.value if p.reason else None) for p in report.pairs}


def test_validate_through_vcenter_gives_the_inventorys_verdicts(tmp_path: Path) -> None:
    """The same topology in the simulator and the lab: every pair verdict through vCenter equals the one from
    the lab's own inventory, and both equal the lab's ground truth; by default the mesh stays in each cluster."""
    if reason := lab_missing():
        pytest.skip(reason)
    vcsim_binary_or_skip()
    topology = own_sample("vcenter", tmp_path)  # its own prefix and management subnet
    notes: list[str] = []
    across = run_demo(topology, None, RunOptions(cross_cluster=True), vcenter=True, notify=notes.append)
    direct = run_demo(topology, None, RunOptions(), vcenter=False, notify=notes.append)
    within = run_demo(topology, None, RunOptions(), vcenter=True, notify=notes.append)
    assert across.mismatches == () and direct.mismatches == () and within.mismatches == ()
    assert _verdicts(across.report) == _verdicts(direct.report)
    clusters = {h.name: h.cluster for h in within.report.hosts}
    assert len(set(clusters.values())) > 1
    assert set(_verdicts(within.report)) == {
        key for key in _verdicts(direct.report) if clusters[key[0]] == clusters[key[2]]
    }
    assert any("host(s) in scope" in note for note in notes)
    assert all(h.vcenter is not None for h in across.report.hosts)
