"""Pair classification: every reason comes from the evidence in the vmkping statistics."""

from __future__ import annotations

from dataclasses import replace
from ipaddress import ip_address, ip_interface

import pytest

from validator.classify import ProbeFailure, classify_pair, hops_from_ttl, read_outcome
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


def test_probe_seconds_count_the_timeout_in_whole_seconds() -> None:
    from validator.options import ProbeOptions

    assert ProbeOptions(count=3, interval=0.2, timeout=0.3).probe_seconds() == pytest.approx(0.4 + 1 + 1.0)
    assert ProbeOptions(count=1, timeout=2.5).probe_seconds() == 3 + 1.0


# ------------------------------------------------------------------------------ IPv6: no TTL on ESXi

PLAN6 = PairPlan("esx01", "vmk1", ip_address("2001:db8:1::11"), "esx04", "vmk1", ip_address("2001:db8:2::14"),
                 Family.IPV6, 9000, src_prefix=64)


def stats6(received: int = 3, payload: int = 56) -> PingStats:
    """What parse_vmkping returns for ESXi's IPv6 replies: no TTL at all."""
    return PingStats(target=str(PLAN6.dst_ip), payload=payload, transmitted=3, received=received,
                     loss_pct=100.0 * (3 - received) / 3, rtt_avg_ms=0.2 if received else None)


def test_ipv6_without_ttl_is_routed_by_subnet() -> None:
    r = classify_pair(PLAN6, stats6(), stats6(payload=8952), 9000)
    assert r.status is PairStatus.PASS and r.ttl is None
    assert (r.routed, r.routed_by) == (True, "subnet")


def test_ipv6_without_ttl_same_subnet_is_on_link() -> None:
    plan = replace(PLAN6, dst_ip=ip_address("2001:db8:1::12"))
    r = classify_pair(plan, stats6(), stats6(), 9000)
    assert (r.routed, r.routed_by) == (False, "subnet")


def test_ttl_is_the_evidence_when_present() -> None:
    r = classify_pair(replace(PLAN, src_prefix=16), stats(ttl=61), stats(ttl=61), 9000)
    assert (r.routed, r.routed_by) == (True, "ttl")  # the /16 would say on-link: the TTL wins


def test_no_ttl_and_no_prefix_or_no_reply_says_nothing() -> None:
    r = classify_pair(replace(PLAN6, src_prefix=None), stats6(), stats6(), 9000)
    assert (r.routed, r.routed_by) == (None, None)
    r = classify_pair(PLAN6, stats6(received=0), None, 9000)
    assert (r.routed, r.routed_by, r.reason) == (None, None, Reason.UNREACHABLE)


def test_ipv6_esxi_output_end_to_end() -> None:
    text = (
        "PING 2001:db8:2::14 (2001:db8:2::14): 56 data bytes\n"
        "64 bytes from 2001:db8:2::14: icmp_seq=0 time=0.190 ms\n"
        "64 bytes from 2001:db8:2::14: icmp_seq=1 time=0.201 ms\n"
        "64 bytes from 2001:db8:2::14: icmp_seq=2 time=0.214 ms\n\n"
        "--- 2001:db8:2::14 ping statistics ---\n"
        "3 packets transmitted, 3 packets received, 0% packet loss\n"
        "round-trip min/avg/max = 0.190/0.202/0.214 ms\n"
    )
    r = classify_pair(PLAN6, read_outcome(text), read_outcome(text), 9000)
    assert r.status is PairStatus.PASS and (r.routed, r.routed_by) == (True, "subnet")


# --------------------------------------------------------------------------- missing netstack

NO_STACK = "*** vmkernel stack not configured ***\n"


def test_netstack_missing_is_its_own_reason() -> None:
    outcome = read_outcome(NO_STACK)
    assert isinstance(outcome, ProbeFailure) and outcome.reason is Reason.NETSTACK_MISSING
    r = classify_pair(PLAN, outcome, None, 9000, raw={"reach": NO_STACK})
    assert r.status is PairStatus.FAIL and r.reason is Reason.NETSTACK_MISSING and r.reachable is False
    assert "vmkernel stack not configured" in (r.detail or "") and "--netstack" in (r.detail or "")
    assert r.raw == {"reach": NO_STACK}


def test_probes_read_a_missing_stack_as_its_own_reason() -> None:
    """A step's output read by the probe seam (what the mesh, confirmation and MTU search all use) knows the stack."""
    from validator import classify
    from validator.prober import StepOutput

    outcome = StepOutput(NO_STACK).outcome
    assert isinstance(outcome, ProbeFailure) and outcome.reason is Reason.NETSTACK_MISSING
    assert classify_pair(PLAN, outcome, None, 9000).reason is Reason.NETSTACK_MISSING
    garbled = classify.read_outcome("garbage")
    assert isinstance(garbled, ProbeFailure) and garbled.reason is Reason.PARSE_ERROR


def test_planner_fills_the_source_prefix() -> None:
    from validator.models import Vmk
    from validator.planner import pair_plan

    src = Vmk("vmk1", "vmotion", 9000, addresses=(ip_interface("198.19.1.11/25"), ip_interface("2001:db8:1::11/64")))
    dst = Vmk("vmk1", "vmotion", 9000, addresses=(ip_interface("198.19.1.200/25"), ip_interface("2001:db8:1::12/64")))
    v4 = pair_plan("a", src, "b", dst, Family.IPV4)
    v6 = pair_plan("a", src, "b", dst, Family.IPV6)
    assert v4 is not None and v6 is not None
    assert (v4.src_prefix, v6.src_prefix) == (25, 64)
