"""The answer of esxcli network diag ping through the API: every sample in samples/vsphere-api reads as the
same outcome vmkping's text gives over SSH, and judged by the same classifier gives the same verdict."""

from __future__ import annotations

from ipaddress import ip_address
from pathlib import Path

import pytest

from validator.classify import NETSTACK_MISSING_DETAIL, ProbeFailure, classify_pair, read_outcome
from validator.esxi.diag_ping import MAX_MESSAGE, MAX_RAW, SoapResult, ping_outcome
from validator.models import Family, PairPlan, PairStatus, PingStats, Reason

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "vsphere-api"
ESXI = Path(__file__).resolve().parents[1] / "samples" / "esxi-output"
PLAN = PairPlan("esx01", "vmk1", ip_address("198.19.1.11"), "esx04", "vmk2", ip_address("198.19.2.12"),
                Family.IPV4, 9000)


def response(name: str, payload: int | None = None) -> PingStats | ProbeFailure:
    return ping_outcome(SoapResult(response=(SAMPLES / name).read_text(encoding="utf-8")), payload=payload)


def fault(name: str, message: str = "") -> PingStats | ProbeFailure:
    return ping_outcome(SoapResult(fault_msg=message, fault_detail=(SAMPLES / name).read_text(encoding="utf-8")))


def test_a_routed_reply_reads_counts_round_trips_in_microseconds_and_ttls() -> None:
    stats = response("response-ok-routed.xml", payload=8972)
    assert isinstance(stats, PingStats)
    assert (stats.target, stats.payload, stats.transmitted, stats.received, stats.loss_pct) == (
        "198.19.2.12", 8972, 3, 3, 0.0)
    assert (stats.rtt_min_ms, stats.rtt_avg_ms, stats.rtt_max_ms) == (0.301, 0.412, 0.53)
    assert stats.ttls == (61, 61, 61) and stats.errors == ()
    verdict = classify_pair(PLAN, stats, stats, 9000)
    assert verdict.status is PairStatus.PASS and verdict.routed is True and verdict.mtu_ok is True


def test_the_received_spelling_and_millisecond_fields_alone() -> None:
    stats = response("response-ok-received-ms-only.xml")
    assert isinstance(stats, PingStats)
    assert (stats.received, stats.payload) == (3, 56)
    assert (stats.rtt_min_ms, stats.rtt_avg_ms, stats.rtt_max_ms) == (1.0, 2.0, 3.0)
    assert classify_pair(PLAN, stats, None, 9000).routed is False  # TTL 64: on link


def test_both_spellings_count_what_came_back() -> None:
    stats = response("response-both-spellings.xml")
    assert isinstance(stats, PingStats) and stats.received == 3


def test_ipv6_replies_without_ttl_are_replies() -> None:
    stats = response("response-ipv6-no-ttl.xml")
    assert isinstance(stats, PingStats)
    assert stats.received == 3 and stats.ttls == () and stats.ttl is None


def test_partial_loss_is_loss() -> None:
    stats = response("response-partial-loss.xml")
    assert isinstance(stats, PingStats)
    assert (stats.received, stats.loss_pct, stats.ttls) == (2, 33.0, (61, 61))
    assert classify_pair(PLAN, stats, None, 9000).reason is Reason.LOSS


def test_no_reply_and_no_trace_is_unreachable() -> None:
    stats = response("response-no-reply-no-trace.xml")
    assert isinstance(stats, PingStats)
    assert (stats.transmitted, stats.received, stats.errors, stats.rtt_avg_ms) == (3, 0, (), None)
    assert classify_pair(PLAN, stats, None, 9000).reason is Reason.UNREACHABLE


@pytest.mark.parametrize(
    ("api_sample", "ssh_sample", "error", "reason"),
    [
        ("response-df-too-long.xml", "vmkping-df-too-long.txt", "Message too long", Reason.LOCAL_MTU),
        ("response-no-route.xml", "vmkping-no-route.txt", "Network is unreachable", Reason.NO_ROUTE),
        ("response-host-down.xml", "vmkping-host-down.txt", "Host is down", Reason.ARP),
        ("response-network-down.xml", None, "Network is down", Reason.VMK_DOWN),
    ],
)
def test_failed_sends_give_the_reasons_vmkping_gives(
    api_sample: str, ssh_sample: str | None, error: str, reason: Reason
) -> None:
    stats = response(api_sample)
    assert isinstance(stats, PingStats)
    assert stats.received == 0 and stats.errors == (error,) * 3
    small = classify_pair(PLAN, stats, None, 9000)
    assert small.status is PairStatus.FAIL and small.reason is reason
    if ssh_sample is not None:
        over_ssh = read_outcome((ESXI / ssh_sample).read_text(encoding="utf-8"))
        assert isinstance(over_ssh, PingStats)
        assert over_ssh.errors[:1] == stats.errors[:1]
        assert classify_pair(PLAN, over_ssh, None, 9000).reason is small.reason


def test_a_df_probe_refused_locally_is_local_mtu() -> None:
    reach = response("response-ok-routed.xml")
    df = response("response-df-too-long.xml", payload=8972)
    verdict = classify_pair(PLAN, reach, df, 9000)
    assert verdict.status is PairStatus.FAIL and verdict.reason is Reason.LOCAL_MTU and verdict.mtu_ok is False


def test_prefixed_elements_are_read_by_local_name() -> None:
    stats = response("response-prefixed.xml")
    assert isinstance(stats, PingStats)
    assert (stats.received, stats.ttls, stats.rtt_avg_ms) == (2, (64, 64), 0.15)


def test_unknown_elements_are_ignored() -> None:
    stats = response("response-unknown-elements.xml")
    assert isinstance(stats, PingStats) and stats.received == 3 and stats.ttls == (61, 61, 61)


def test_hostile_text_is_kept_printable_and_never_a_pass() -> None:
    stats = response("response-hostile.xml")
    assert isinstance(stats, PingStats) and stats.received == 0
    assert all(e.isprintable() and len(e) <= MAX_MESSAGE for e in stats.errors)
    assert stats.errors[0].startswith("Message too long\\x202e")
    assert classify_pair(PLAN, stats, None, 9000).status is PairStatus.FAIL


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("response-control-chars.xml", "not XML"),
        ("response-wrong-type.xml", "not VimEsxCLInetworkdiagpingVMKPing"),
        ("response-inconsistent.xml", "5 received of 3"),
        ("response-bad-count.xml", "Transmitted is not a count"),
        ("response-no-summary.xml", "no Summary"),
        ("response-doctype.xml", "document type declaration"),
        ("response-garbage.txt", "not XML"),
    ],
)
def test_unknown_shapes_are_a_parse_error_with_the_raw_text_kept(name: str, why: str) -> None:
    outcome = response(name)
    assert isinstance(outcome, ProbeFailure)
    assert outcome.reason is Reason.PARSE_ERROR and why in outcome.message
    assert outcome.raw == (SAMPLES / name).read_text(encoding="utf-8")[:MAX_RAW]
    assert classify_pair(PLAN, outcome, None, 9000).status is PairStatus.ERROR


def test_a_huge_answer_is_refused_and_cut_in_the_report() -> None:
    text = (SAMPLES / "response-ok-routed.xml").read_text(encoding="utf-8").replace(
        "<Duplicated>", "<Pad>" + "x" * (2 << 20) + "</Pad><Duplicated>")
    outcome = ping_outcome(SoapResult(response=text))
    assert isinstance(outcome, ProbeFailure) and outcome.reason is Reason.PARSE_ERROR
    assert len(outcome.raw) < MAX_RAW + 20 and outcome.raw.endswith("[... cut]")


@pytest.mark.parametrize("name", ["fault-unknown-interface.xml", "fault-wrapped-localized.xml"])
def test_an_unknown_interface_fault_is_unknown_vmk(name: str) -> None:
    outcome = fault(name)
    assert isinstance(outcome, ProbeFailure) and outcome.reason is Reason.UNKNOWN_VMK
    assert outcome.message.startswith("unknown interface 'vmk")
    assert classify_pair(PLAN, outcome, None, 9000).reason is Reason.UNKNOWN_VMK


def test_a_stack_that_is_not_configured_is_netstack_missing_as_over_ssh() -> None:
    outcome = fault("fault-netstack-missing.xml")
    over_ssh = read_outcome((ESXI / "vmkping-netstack-missing.txt").read_text(encoding="utf-8"))
    assert isinstance(outcome, ProbeFailure) and isinstance(over_ssh, ProbeFailure)
    assert outcome.reason is over_ssh.reason is Reason.NETSTACK_MISSING
    assert outcome.message == NETSTACK_MISSING_DETAIL


def test_several_err_msg_lines_make_one_line() -> None:
    outcome = fault("fault-several-errmsg.xml")
    assert isinstance(outcome, ProbeFailure) and outcome.reason is Reason.HOST_ERROR
    assert outcome.message.endswith("Unable to complete the operation:; hostd is not responding; try again later")
    assert "\n" not in outcome.message


def test_other_faults_are_host_errors_naming_the_message() -> None:
    bad = fault("fault-bad-value.xml")
    assert isinstance(bad, ProbeFailure) and bad.reason is Reason.HOST_ERROR and "Invalid value for 'size'" in bad.message
    bare = ping_outcome(SoapResult(fault_msg="The object or item referred to could not be found."))
    assert isinstance(bare, ProbeFailure) and bare.reason is Reason.HOST_ERROR and "could not be found" in bare.message
    empty = ping_outcome(SoapResult(fault_msg="", fault_detail="not xml"))
    assert isinstance(empty, ProbeFailure) and empty.reason is Reason.HOST_ERROR and "without a message" in empty.message


def _skipping(name: str) -> PingStats | ProbeFailure:
    return ping_outcome(SoapResult(response=(SAMPLES / name).read_text(encoding="utf-8")), skip=1)


def test_a_warm_up_riding_on_the_ping_is_not_counted() -> None:
    stats = _skipping("response-ok-routed.xml")  # 3 packets: the first was the warm-up
    assert isinstance(stats, PingStats)
    assert (stats.transmitted, stats.received, stats.loss_pct, stats.ttls) == (2, 2, 0.0, (61, 61))
    whole = response("response-ok-routed.xml")
    assert isinstance(whole, PingStats) and stats.rtt_max_ms == whole.rtt_max_ms


def test_an_unanswered_warm_up_is_not_loss_and_a_later_loss_is() -> None:
    first_lost = _skipping("response-partial-loss.xml")  # seq 0 and 2 came back, seq 1 did not
    assert isinstance(first_lost, PingStats)
    assert (first_lost.transmitted, first_lost.received, first_lost.loss_pct) == (2, 1, 50.0)
    assert classify_pair(PLAN, first_lost, None, 9000).reason is Reason.LOSS


@pytest.mark.parametrize(
    ("name", "error", "reason"),
    [
        ("response-df-too-long.xml", "Message too long", Reason.LOCAL_MTU),
        ("response-no-route.xml", "Network is unreachable", Reason.NO_ROUTE),
        ("response-host-down.xml", "Host is down", Reason.ARP),
    ],
)
def test_failed_sends_after_a_warm_up_give_the_same_reason(name: str, error: str, reason: Reason) -> None:
    stats = _skipping(name)
    assert isinstance(stats, PingStats)
    assert (stats.transmitted, stats.received, stats.errors) == (2, 0, (error,) * 2)  # the warm-up's own dropped
    assert classify_pair(PLAN, stats, None, 9000).reason is reason


def test_without_traces_the_warm_up_is_the_packet_lost_first() -> None:
    text = (SAMPLES / "response-partial-loss.xml").read_text(encoding="utf-8")
    bare = text[: text.index("<Trace")] + "</obj>"  # 2 of 3 back, no traces
    stats = ping_outcome(SoapResult(response=bare), skip=1)
    assert isinstance(stats, PingStats) and (stats.transmitted, stats.received) == (2, 2)
    none = ping_outcome(SoapResult(response=(SAMPLES / "response-no-reply-no-trace.xml").read_text()), skip=1)
    assert isinstance(none, PingStats) and (none.transmitted, none.received) == (2, 0)
