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
    from tests.integration.conftest import own_lab
    from validator.lab.generate import generate_toml

    text = generate_toml(hosts=5, vmks=3, racks=3, ipv6=True)
    with own_lab(text, "<generated 5x3>", tmp_path_factory) as lab:  # torn down even when an assertion fails
        report = validate(load_inventory(lab.inventory), password=lab.password)
        truth = load_ground_truth(lab.ground_truth)
    assert [str(m) for m in compare_with_ground_truth(report, truth)] == []
    assert len(report.pairs) == 5 * 4 * 3 * 3 * 2
    assert report.summary.verdict == "pass"
    # every vmk reached its gateway in both families at its MTU: no gateway finding on a healthy lab
    assert [len(h.gateway_probes) for h in report.hosts] == [3 * 2] * 5
    assert all(g.reachable and g.mtu_ok for h in report.hosts for g in h.gateway_probes)
    assert not [f for f in report.findings if f.check.startswith("gateway")]
