"""Nothing is tuned to the demo: another topology (names, subnets, MTUs, racks, faults) still matches."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Lab
from validator import validate
from validator.inventory import load_inventory
from validator.lab.compare import compare_with_ground_truth, load_ground_truth

pytestmark = pytest.mark.lab


def test_alt_topology_matches_ground_truth(alt_lab: Lab) -> None:
    inventory = load_inventory(alt_lab.inventory)
    report = validate(inventory, password=alt_lab.password)
    truth = load_ground_truth(alt_lab.ground_truth)
    assert [str(m) for m in compare_with_ground_truth(report, truth)] == []
    assert len(report.pairs) == len(truth) > 0


def test_generated_dual_stack_multi_nic_lab_matches(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A generated layout (3 racks, 3 vmks per host, IPv4 and IPv6) passes every pair, as engineered."""
    from tests.lab.conftest import lab_missing
    from validator.lab.api import running_lab
    from validator.lab.generate import generate_toml

    if reason := lab_missing():
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("gen")
    topology = folder / "gen.toml"
    topology.write_text(generate_toml(hosts=5, vmks=3, racks=3, ipv6=True))
    state = folder / "state"
    with running_lab(topology, state):  # torn down even when an assertion fails
        inventory = load_inventory(state / "inventory.toml")
        password = (state / "password").read_text().strip()
        report = validate(inventory, password=password)
        truth = load_ground_truth(state / "ground_truth.json")
    assert [str(m) for m in compare_with_ground_truth(report, truth)] == []
    assert len(report.pairs) == 5 * 4 * 3 * 3 * 2
    assert report.summary.verdict == "pass"
