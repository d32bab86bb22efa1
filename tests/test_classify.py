"""Pair classification: every reason comes from the evidence in the vmkping statistics."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from validator.classify import ProbeFailure, classify_pair, hops_from_ttl
from validator.models import Family, PairPlan, PairStatus, PingStats, Reason

PLAN = PairPlan("esx01", "vmk1", ip_address("198.19.1.11"), "esx04", "vmk2", ip_address("198.19.3.12"),
                Family.IPV4, 9000)


def stats(received: int = 3, transmitted: int = 3, errors: tuple[str, ...] = (), ttl: int = 61,
          payload: int = 56) -> PingStats:
    loss = 100.0 * (transmitted - received) / transmitted
    return PingStats(
        target="198.19.3.12", payload=payload, transmitted=transmitted, received=received, loss_pct=loss,
        errors=errors, ttls=(ttl,) * received,
        rtt_min_ms=0.2 if received else None, rtt_avg_ms=0.3 if received else None,
        rtt_max_ms=0.4 if received else None,
    )


def test_pass_routed() -> None:
    r = classify_pair(PLAN, stats(), stats(payload=8972), 9000)
    assert r.status is PairStatus.PASS and r.reason is None
    assert r.routed is True and r.ttl == 61 and r.mtu_ok is True and r.mtu_tested == 9000


def test_on_link_is_not_routed() -> None:
    assert classify_pair(PLAN, stats(ttl=64), stats(ttl=64), 9000).routed is False


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("Network is unreachable", Reason.NO_ROUTE),
        ("Host is down", Reason.ARP),
        ("Network is down", Reason.VMK_DOWN),
        ("Message too long", Reason.LOCAL_MTU),
    ],
)
def test_local_errors_name_the_reason(error: str, reason: Reason) -> None:
    r = classify_pair(PLAN, stats(received=0, errors=(error,) * 3), stats(received=0, errors=(error,) * 3), 9000)
    assert r.status is PairStatus.FAIL and r.reason is reason and r.reachable is False


def test_total_loss_is_unreachable() -> None:
    r = classify_pair(PLAN, stats(received=0), stats(received=0), 9000)
    assert r.reason is Reason.UNREACHABLE


def test_small_pass_df_lost_is_path_mtu() -> None:
    r = classify_pair(PLAN, stats(), stats(received=0, payload=8972), 9000)
    assert r.reason is Reason.PATH_MTU and r.reachable is True and r.mtu_ok is False


def test_df_refused_locally_is_local_mtu() -> None:
    r = classify_pair(PLAN, stats(), stats(received=0, errors=("Message too long",) * 3), 9000)
    assert r.reason is Reason.LOCAL_MTU


def test_partial_loss() -> None:
    r = classify_pair(PLAN, stats(received=2), stats(), 9000)
    assert r.status is PairStatus.FAIL and r.reason is Reason.LOSS
    assert "2/3" in (r.detail or "")


def test_unknown_vmk_is_a_failure_and_parse_error_an_error() -> None:
    unknown = classify_pair(PLAN, ProbeFailure(Reason.UNKNOWN_VMK, "Unknown interface 'vmk2'"), None, 9000)
    assert unknown.status is PairStatus.FAIL and unknown.reason is Reason.UNKNOWN_VMK
    garbled = classify_pair(PLAN, ProbeFailure(Reason.PARSE_ERROR, "bad", raw="garbage"), None, 9000,
                            raw={"reach": "garbage"})
    assert garbled.status is PairStatus.ERROR and garbled.raw == {"reach": "garbage"}


@pytest.mark.parametrize(("ttl", "hops"), [(64, 0), (63, 1), (61, 3), (128, 0), (125, 3), (255, 0), (250, 5)])
def test_hops_from_ttl(ttl: int, hops: int) -> None:
    assert hops_from_ttl(ttl) == hops


def test_probe_session_timeout_grows_with_waves_and_respects_the_inventory_floor() -> None:
    from validator.options import ProbeOptions

    options = ProbeOptions(concurrency=10, command_timeout=120.0)
    assert options.session_timeout(5, 2.0) == 120.0  # one wave: the inventory's command_timeout wins
    assert options.session_timeout(100, 5.0) == 3 * 10 * 5.0 + 30.0  # ten waves on a loaded host
    assert ProbeOptions(command_timeout=600.0).session_timeout(1000, 5.0) == 600.0
