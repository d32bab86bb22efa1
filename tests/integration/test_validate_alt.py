"""Nothing is tuned to the demo: another topology (names, subnets, MTUs, racks, faults) still matches."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Lab
from validator.inventory import load_inventory
from validator.lab.compare import compare_with_ground_truth, load_ground_truth
from validator.runner import RunOptions, run_validation
from validator.transport import SshConnector

pytestmark = pytest.mark.lab


def test_alt_topology_matches_ground_truth(alt_lab: Lab) -> None:
    inventory = load_inventory(alt_lab.inventory)
    report = run_validation(inventory.hosts, SshConnector(inventory.ssh, alt_lab.password), RunOptions())
    truth = load_ground_truth(alt_lab.ground_truth)
    assert [str(m) for m in compare_with_ground_truth(report, truth)] == []
    assert len(report.pairs) == len(truth) > 0
