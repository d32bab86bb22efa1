"""Each check fires on a bad input (with the right fields) and stays silent on a good one; the registry."""

from __future__ import annotations

import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

import checks
from checks import CHECKS, FunctionCheck, load_entry_points, register, run_checks
from checks.drift import drift
from checks.duplicate_ip import duplicate_ip
from checks.extra_services import extra_services
from checks.gateway import gateway
from checks.host_unreachable import host_unreachable
from checks.mtu_consistency import mtu_consistency
from checks.no_vmotion_vmks import no_vmotion_vmks
from checks.rtt import rtt
from checks.vmk_disabled import vmk_disabled
from checks.vmotion_tag_on_default import vmotion_tag_on_default
from tests.factories import full_mesh, make_cluster, make_host, make_pair, make_vmk
from validator.errors import UsageError
from validator.models import DEFAULT_NETSTACK, CheckSettings, Family, Finding, HostInfo, HostStatus, Severity

BUILTINS = [
    "host_unreachable",
    "no_vmotion_vmks",
    "vmotion_tag_on_default",
    "extra_services",
    "vmk_disabled",
    "gateway",
    "gateway_unreachable",
    "gateway_mtu",
    "duplicate_ip",
    "mtu_consistency",
    "rtt",
]


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


# --- a healthy cluster is silent everywhere -----------------------------------------------------------


def test_good_cluster_has_no_findings() -> None:
    hosts = make_cluster(4, 2, ipv6=True)
    mgmt = make_vmk("vmk0", "10.0.0.1/24", netstack=DEFAULT_NETSTACK, tags=("Management",), mtu=1500)
    hosts[0] = make_host("esx01", hosts[0].vmks, gateway="198.19.1.1", gateway6="2001:db8:1::1", other_vmks=[mgmt])
    assert run_checks(hosts, full_mesh(hosts, list(Family))) == []


# --- vmotion_tag_on_default ------------------------------------------------------------------------------


def test_vmotion_tag_on_default_fires() -> None:
    vmk0 = make_vmk("vmk0", "10.0.0.11/24", netstack=DEFAULT_NETSTACK, tags=("Management", "VMotion"), mtu=1500)
    host = make_host("esx01", other_vmks=[vmk0])
    f = only(vmotion_tag_on_default([host], []))
    assert (f.check, f.severity, f.host, f.vmk) == ("vmotion_tag_on_default", Severity.ERROR, "esx01", "vmk0")
    assert "silently disables" in f.message
    assert "vmk1" in f.message  # names the vmotion-stack vmk that takes over


def test_vmotion_tag_on_default_silent_without_vmotion_stack_vmks() -> None:
    vmk0 = make_vmk("vmk0", "10.0.0.11/24", netstack=DEFAULT_NETSTACK, tags=("VMotion",))
    host = make_host("esx01", vmks=[], other_vmks=[vmk0], netstack_present=False)
    assert vmotion_tag_on_default([host], []) == []
    # untagged default-stack vmk next to vmotion-stack vmks: fine
    plain = make_vmk("vmk0", "10.0.0.11/24", netstack=DEFAULT_NETSTACK, tags=("Management",))
    assert vmotion_tag_on_default([make_host("esx01", other_vmks=[plain])], []) == []


def test_vmotion_tag_on_default_tag_case_insensitive() -> None:
    vmk0 = make_vmk("vmk0", "10.0.0.11/24", netstack=DEFAULT_NETSTACK, tags=("vmotion",))
    assert len(vmotion_tag_on_default([make_host("esx01", other_vmks=[vmk0])], [])) == 1


# --- extra_services --------------------------------------------------------------------------------------


def test_extra_services_fires() -> None:
    vmk = make_vmk("vmk1", tags=("VMotion", "faultToleranceLogging", "VSAN"))
    f = only(extra_services([make_host("esx02", [vmk])], []))
    assert (f.check, f.severity, f.host, f.vmk) == ("extra_services", Severity.ERROR, "esx02", "vmk1")
    assert "faultToleranceLogging, VSAN" in f.message
    assert "VMotion," not in f.message


def test_extra_services_silent() -> None:
    other = make_vmk("vmk0", "10.0.0.1/24", netstack=DEFAULT_NETSTACK, tags=("Management", "VSAN"))
    assert extra_services([make_host("esx01", [make_vmk(tags=("VMotion",))], other_vmks=[other])], []) == []
    assert extra_services([make_host("esx01", [make_vmk(tags=())])], []) == []


# --- gateway ---------------------------------------------------------------------------------------------


def test_gateway_missing_is_error() -> None:
    f = only(gateway([make_host("esx01", gateway=None)], []))
    assert (f.check, f.severity, f.host, f.vmk) == ("gateway", Severity.ERROR, "esx01", None)
    assert "IPv4" in f.message
    assert "routed vMotion" in f.message


def test_gateway_per_vmk_override_is_enough() -> None:
    host = make_host("esx01", [make_vmk(gateway="198.19.1.254")], gateway=None)
    assert gateway([host], []) == []


def test_gateway_missing_ipv6_only() -> None:
    host = make_host("esx01", [make_vmk(ipv6="2001:db8:1::11/64")], gateway="198.19.1.1", gateway6=None)
    f = only(gateway([host], []))
    assert f.severity is Severity.ERROR
    assert "IPv6" in f.message


def test_gateway_outside_subnet_is_warning() -> None:
    f = only(gateway([make_host("esx01", gateway="198.19.9.1")], []))
    assert (f.check, f.severity, f.host, f.vmk) == ("gateway", Severity.WARNING, "esx01", None)
    assert "198.19.9.1" in f.message


def test_gateway_inside_subnet_of_one_vmk_is_enough() -> None:
    vmks = [make_vmk("vmk1", "198.19.1.11/24"), make_vmk("vmk2", "198.19.2.11/24")]
    assert gateway([make_host("esx01", vmks, gateway="198.19.2.1")], []) == []


def test_gateway_vmks_with_override_are_exempt() -> None:
    # the only vmk in the stack gateway's subnet has its own override: nobody can use the stack gateway
    vmks = [make_vmk("vmk1", "198.19.1.11/24", gateway="198.19.1.254"), make_vmk("vmk2", "198.19.2.11/24")]
    f = only(gateway([make_host("esx01", vmks, gateway="198.19.1.1")], []))
    assert f.severity is Severity.WARNING
    assert "vmk2" in f.message
    # every vmk overrides: the stack default does not matter
    vmks = [make_vmk("vmk1", "198.19.1.11/24", gateway="198.19.1.254")]
    assert gateway([make_host("esx01", vmks, gateway="203.0.113.1")], []) == []


def test_gateway_override_outside_its_vmk_subnet() -> None:
    vmks = [make_vmk("vmk1", "198.19.1.11/24"), make_vmk("vmk2", "198.19.2.11/24", gateway="198.19.1.254")]
    f = only(gateway([make_host("esx01", vmks, gateway="198.19.1.1")], []))
    assert (f.severity, f.host, f.vmk) == (Severity.WARNING, "esx01", "vmk2")
    assert "198.19.2.0/24" in f.message


def test_gateway_ipv6_link_local_is_on_link() -> None:
    host = make_host("esx01", [make_vmk(ip=None, ipv6="2001:db8:1::11/64")], gateway=None, gateway6="fe80::1")
    assert gateway([host], []) == []


def test_gateway_skips_failed_hosts_and_hosts_without_vmks() -> None:
    hosts = [
        make_host("esx01", status=HostStatus.UNREACHABLE, error="timed out"),
        make_host("esx02", vmks=[], gateway=None),
    ]
    assert gateway(hosts, []) == []


# --- vmk_disabled ----------------------------------------------------------------------------------------


def test_vmk_disabled_fires_and_silent() -> None:
    host = make_host("esx03", [make_vmk("vmk1"), make_vmk("vmk2", "198.19.1.12/24", enabled=False)])
    f = only(vmk_disabled([host], []))
    assert (f.check, f.severity, f.host, f.vmk) == ("vmk_disabled", Severity.WARNING, "esx03", "vmk2")
    assert vmk_disabled(make_cluster(2), []) == []


def test_service_tags_match_without_case() -> None:
    vmk0 = make_vmk("vmk0", "10.0.0.11/24", netstack=DEFAULT_NETSTACK, tags=("vmotion",), mtu=1500)
    host = make_host("esx01", [make_vmk("vmk1", tags=("VMOTION",))], other_vmks=[vmk0])
    assert [(f.check, f.vmk) for f in vmotion_tag_on_default([host], [])] == [("vmotion_tag_on_default", "vmk0")]
    assert extra_services([host], []) == []


# --- mtu_consistency -------------------------------------------------------------------------------------


def test_mtu_consistency_mixed_mtus() -> None:
    hosts = make_cluster(3)
    hosts[2] = make_host("esx03", [make_vmk("vmk1", "198.19.3.11/24", mtu=1500)], gateway="198.19.3.1")
    summary, odd = mtu_consistency(hosts, [])
    assert (summary.check, summary.severity, summary.host, summary.vmk) == (
        "mtu_consistency", Severity.WARNING, None, None)
    assert "MTU 1500 on esx03:vmk1" in summary.message
    assert "MTU 9000 on esx01:vmk1, esx02:vmk1" in summary.message
    assert (odd.check, odd.severity, odd.host, odd.vmk) == ("mtu_consistency", Severity.WARNING, "esx03", "vmk1")
    assert odd.message == "esx03:vmk1 has MTU 1500 while 2 of 3 vMotion vmks use MTU 9000"


def test_mtu_consistency_names_every_vmk_outside_the_majority() -> None:
    hosts = make_cluster(5, 2)
    hosts[1] = make_host("esx02", [make_vmk("vmk1", "198.19.1.12/24", mtu=1500),
                                   make_vmk("vmk2", "198.19.2.12/24", mtu=9000)])
    hosts[4] = make_host("esx05", [make_vmk("vmk1", "198.19.1.15/24", mtu=8000),
                                   make_vmk("vmk2", "198.19.2.15/24", mtu=1500)])
    findings = mtu_consistency(hosts, [])
    assert [(f.host, f.vmk) for f in findings] == [(None, None), ("esx02", "vmk1"), ("esx05", "vmk1"),
                                                  ("esx05", "vmk2")]
    assert findings[3].message == "esx05:vmk2 has MTU 1500 while 7 of 10 vMotion vmks use MTU 9000"


def test_mtu_consistency_a_tie_goes_to_the_larger_mtu() -> None:
    hosts = make_cluster(4)
    hosts[0] = make_host("esx01", [make_vmk(mtu=1500)])
    hosts[3] = make_host("esx04", [make_vmk("vmk1", "198.19.1.14/24", mtu=1500)])
    assert [(f.host, f.vmk) for f in mtu_consistency(hosts, []) if f.host] == [("esx01", "vmk1"), ("esx04", "vmk1")]


def test_mtu_consistency_many_vmks_are_abbreviated() -> None:
    hosts = make_cluster(20)
    hosts[0] = make_host("esx01", [make_vmk(mtu=1500)])
    summary, odd = mtu_consistency(hosts, [])
    assert "+9 more" in summary.message  # 19 vmks at 9000: ten named
    assert (odd.host, odd.vmk) == ("esx01", "vmk1")


def test_mtu_consistency_no_jumbo_is_info() -> None:
    f = only(mtu_consistency(make_cluster(3, mtu=1500), []))
    assert (f.check, f.severity, f.host) == ("mtu_consistency", Severity.INFO, None)
    assert "no jumbo frames" in f.message
    assert "3 vMotion vmks" in f.message


def test_mtu_consistency_silent() -> None:
    assert mtu_consistency(make_cluster(3), []) == []
    assert mtu_consistency([], []) == []


# --- no_vmotion_vmks -------------------------------------------------------------------------------------


def test_no_vmotion_vmks_empty_stack() -> None:
    f = only(no_vmotion_vmks([make_host("esx04", vmks=[])], []))
    assert (f.check, f.severity, f.host, f.vmk) == ("no_vmotion_vmks", Severity.ERROR, "esx04", None)
    assert "no VMkernel adapter" in f.message


def test_no_vmotion_vmks_stack_missing() -> None:
    f = only(no_vmotion_vmks([make_host("esx04", vmks=[], netstack_present=False)], []))
    assert f.severity is Severity.ERROR
    assert "does not exist" in f.message


def test_no_vmotion_vmks_silent_for_good_and_unreachable_hosts() -> None:
    hosts = [*make_cluster(2), make_host("esx09", status=HostStatus.UNREACHABLE)]
    assert no_vmotion_vmks(hosts, []) == []


# --- host_unreachable ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [s for s in HostStatus if s is not HostStatus.OK])
def test_host_unreachable_fires(status: HostStatus) -> None:
    host = make_host("esx05", status=status, error="Connection timed out")
    f = only(host_unreachable([host], []))
    assert (f.check, f.severity, f.host, f.vmk) == ("host_unreachable", Severity.ERROR, "esx05", None)
    assert status.value in f.message
    assert "Connection timed out" in f.message


def test_host_unreachable_silent() -> None:
    assert host_unreachable(make_cluster(3), []) == []


# --- rtt -------------------------------------------------------------------------------------------------


def test_rtt_fires_on_sustained_latency_above_150ms() -> None:
    a, b = make_cluster(2)
    slow = make_pair(a, "vmk1", b, "vmk1", rtt_min_ms=180.5, rtt_avg_ms=190.0, rtt_max_ms=200.0)
    edge = make_pair(b, "vmk1", a, "vmk1", rtt_min_ms=150.0, rtt_avg_ms=150.0, rtt_max_ms=150.0)
    f = only(rtt([a, b], [slow, edge]))
    assert (f.check, f.severity, f.host, f.vmk) == ("rtt", Severity.WARNING, "esx01", "vmk1")
    assert "minimum RTT 180.5 ms" in f.message
    assert "esx02:vmk1" in f.message


def test_rtt_one_delayed_packet_is_not_a_slow_path() -> None:
    """A busy host delays one packet: min 0.007, avg 201.674, max 605 ms is a healthy path."""
    a, b = make_cluster(2)
    spike = make_pair(a, "vmk1", b, "vmk1", rtt_min_ms=0.007, rtt_avg_ms=201.674, rtt_max_ms=605.0)
    assert rtt([a, b], [spike]) == []


def test_rtt_threshold_from_settings() -> None:
    a, b = make_cluster(2)
    pair = make_pair(a, "vmk1", b, "vmk1", rtt_min_ms=20.0, rtt_avg_ms=25.0, rtt_max_ms=30.0)
    assert rtt([a, b], [pair]) == []
    f = only(rtt([a, b], [pair], settings=CheckSettings(max_rtt_ms=10)))
    assert "exceeds the 10 ms" in f.message
    assert only(run_checks([a, b], [pair], ["rtt"], settings=CheckSettings(max_rtt_ms=10))).message == f.message


def test_rtt_silent_without_rtt() -> None:
    a, b = make_cluster(2)
    assert rtt([a, b], [make_pair(a, "vmk1", b, "vmk1", rtt_min_ms=None, rtt_avg_ms=None)]) == []


# --- duplicate_ip ----------------------------------------------------------------------------------------


def test_duplicate_ip_across_hosts() -> None:
    hosts = [make_host("esx01"), make_host("esx02")]  # both default to 198.19.1.11
    f = only(duplicate_ip(hosts, []))
    assert (f.check, f.severity, f.host, f.vmk) == ("duplicate_ip", Severity.ERROR, None, None)
    assert "198.19.1.11" in f.message
    assert "esx01:vmk1" in f.message
    assert "esx02:vmk1" in f.message


def test_duplicate_ip_on_one_host() -> None:
    host = make_host("esx01", [make_vmk("vmk1"), make_vmk("vmk2")])
    f = only(duplicate_ip([host], []))
    assert f.host == "esx01"


def test_duplicate_ip_ignores_link_local_and_other_stacks() -> None:
    hosts = make_cluster(2)
    hosts = [
        make_host(
            h.name,
            [make_vmk(v.name, str(v.addresses[0]), ipv6="fe80::1/64") for v in h.vmks],
            other_vmks=[make_vmk("vmk0", "10.0.0.1/24", netstack=DEFAULT_NETSTACK)],
        )
        for h in hosts
    ]
    assert duplicate_ip(hosts, []) == []


# --- registry --------------------------------------------------------------------------------------------


def test_builtins_registered_in_order_with_descriptions() -> None:
    assert list(CHECKS)[: len(BUILTINS)] == BUILTINS
    for name in BUILTINS:
        chk = CHECKS[name]
        assert chk.name == name
        assert chk.description
        assert isinstance(chk, checks.Check)


def test_run_checks_selected_only() -> None:
    hosts = [make_host("esx01", gateway=None), make_host("esx02", status=HostStatus.UNREACHABLE)]
    findings = run_checks(hosts, [], ["gateway"])
    assert {f.check for f in findings} == {"gateway"}
    assert run_checks(hosts, [], []) == []
    assert {f.check for f in run_checks(hosts, [])} >= {"gateway", "host_unreachable"}


def test_run_checks_unknown_name() -> None:
    with pytest.raises(UsageError) as exc:
        run_checks([], [], ["gateway", "nope"])
    message = str(exc.value)
    assert "'nope'" in message
    for name in BUILTINS:
        assert name in message


def test_run_checks_crashing_check_becomes_finding() -> None:
    def boom(hosts: object, pairs: object) -> list[Finding]:
        """Always crashes."""
        raise RuntimeError("bad plugin")

    registry = {"boom": FunctionCheck("boom", boom), "gateway": CHECKS["gateway"]}
    findings = run_checks([make_host("esx01", gateway=None)], [], registry=registry)
    assert findings[0] == Finding(
        check="boom", severity=Severity.ERROR, message="check crashed: RuntimeError: bad plugin"
    )
    assert findings[1].check == "gateway"


def test_register_refuses_duplicates() -> None:
    registry: dict[str, checks.Check] = {}
    chk = FunctionCheck("x", rtt.func)
    assert register(chk, registry=registry) is chk
    assert register(chk, registry=registry) is chk  # same object: fine
    with pytest.raises(ValueError, match="already registered"):
        register(FunctionCheck("x", rtt.func), registry=registry)
    assert registry == {"x": chk}
    replacement = FunctionCheck("x", gateway.func)
    register(replacement, registry=registry, replace=True)
    assert registry == {"x": replacement}
    found = run_checks([make_host("esx01", gateway=None)], [], ["x"], registry=registry)
    assert [(f.check, f.host) for f in found] == [("gateway", "esx01")]  # the replacement is what runs


def test_function_check_passes_the_settings_to_a_function_that_takes_them() -> None:
    a, b = make_cluster(2)
    pairs = [make_pair(a, "vmk1", b, "vmk1", rtt_min_ms=120.0, rtt_avg_ms=125.0, rtt_max_ms=130.0)]
    assert rtt.name == "rtt" and "150 ms" in rtt.description
    assert rtt.takes_settings
    assert rtt.run([a, b], pairs, CheckSettings()) == []  # 120 ms is within the default 150 ms
    strict = CheckSettings(max_rtt_ms=100)
    assert [f.host for f in rtt.run([a, b], pairs, strict)] == ["esx01"]
    assert rtt([a, b], pairs, settings=strict) == rtt.run([a, b], pairs, strict)
    assert [f.check for f in run_checks([a, b], pairs, ["rtt"], settings=strict)] == ["rtt"]


def test_function_check_of_two_arguments_runs_without_the_settings() -> None:
    seen: list[int] = []

    def count(hosts: list[HostInfo], pairs: list[object]) -> list[Finding]:
        """Counts hosts."""
        seen.append(len(hosts))
        return [Finding(check="count", severity=Severity.INFO, message=str(len(hosts)))]

    chk = FunctionCheck("count", count)
    assert not chk.takes_settings and chk.description == "Counts hosts."
    assert [f.message for f in chk.run(make_cluster(3), [], CheckSettings(max_rtt_ms=1))] == ["3"]
    assert seen == [3]


PLUGIN = '''
from validator.models import Finding, Severity

class LabelCheck:  # the two-argument run of earlier releases
    name = "label"
    description = "every host gets a label"

    def run(self, hosts, pairs):
        return [Finding(check=self.name, severity=Severity.INFO, message="hi", host=h.name) for h in hosts]

class LimitCheck:
    name = "limit"
    description = "names the RTT limit it was given"

    def run(self, hosts, pairs, settings):
        return [Finding(check=self.name, severity=Severity.INFO, message=f"limit {settings.max_rtt_ms:g}")]

def counter(hosts, pairs):
    """Counts hosts."""
    return [Finding(check="count", severity=Severity.INFO, message=str(len(hosts)))]

NOT_A_CHECK = 42
'''


def test_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "vmv_plugin.py").write_text(textwrap.dedent(PLUGIN))
    monkeypatch.syspath_prepend(str(tmp_path))
    group = checks.ENTRY_POINT_GROUP
    eps = [
        EntryPoint("label", "vmv_plugin:LabelCheck", group),
        EntryPoint("limit", "vmv_plugin:LimitCheck", group),
        EntryPoint("count", "vmv_plugin:counter", group),
        EntryPoint("broken", "vmv_plugin_missing:thing", group),
        EntryPoint("junk", "vmv_plugin:NOT_A_CHECK", group),
        EntryPoint("rtt", "vmv_plugin:counter", group),  # clashes with a built-in
        EntryPoint("gateway", "checks.gateway:gateway", group),  # a built-in declared again: skipped
    ]
    registry = dict(CHECKS)
    errors: dict[str, str] = {}
    added = load_entry_points(eps, registry=registry, errors=errors)
    assert added == ["label", "limit", "count"]
    assert set(errors) == {"broken", "junk", "rtt"}
    assert "ModuleNotFoundError" in errors["broken"]
    assert registry["rtt"] is CHECKS["rtt"]
    assert registry["count"].description == "Counts hosts."
    findings = run_checks([make_host("esx01")], [], ["label", "limit", "count"], registry=registry,
                          settings=CheckSettings(max_rtt_ms=42))
    assert [(f.check, f.message) for f in findings] == [("label", "hi"), ("limit", "limit 42"), ("count", "1")]


def test_selected_plugin_that_failed_to_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(checks.PLUGIN_ERRORS, "broken", "x:y: ImportError: nope")
    with pytest.raises(UsageError, match="could not be loaded"):
        run_checks([], [], ["broken"])


# --- drift -----------------------------------------------------------------------------------------------


def _declared(host: HostInfo, *vmks: tuple[str, str, int | None]) -> HostInfo:
    from dataclasses import replace
    from ipaddress import ip_interface

    from validator.models import ExpectedVmk

    return replace(host, expected_vmks=tuple(ExpectedVmk(n, (ip_interface(ip),), mtu) for n, ip, mtu in vmks))


def test_drift_silent_when_declared_matches_found() -> None:
    (a,) = make_cluster(1, 2)
    declared = [(v.name, str(v.addresses[0]), v.mtu) for v in a.vmks]
    assert drift([_declared(a, *declared)], []) == []
    assert drift([_declared(a, *[(n, ip, None) for n, ip, _ in declared])], []) == []  # MTU not declared
    assert drift([a], []) == []  # nothing declared: nothing compared


def test_drift_names_each_difference() -> None:
    (a,) = make_cluster(1, 2)
    vmk1, vmk2 = a.vmks
    host = _declared(
        a,
        (vmk1.name, str(vmk1.addresses[0]), 1500),  # wrong MTU
        (vmk2.name, "198.19.99.5/24", vmk2.mtu),  # wrong address
        ("vmk9", "198.19.1.99/24", 9000),  # missing
    )
    found = {(f.vmk, f.severity): f.message for f in drift([host], [])}
    assert set(found) == {("vmk1", Severity.WARNING), ("vmk2", Severity.WARNING), ("vmk9", Severity.ERROR)}
    assert "MTU: declared 1500, found 9000" in found[("vmk1", Severity.WARNING)]
    assert "declared 198.19.99.5/24" in found[("vmk2", Severity.WARNING)]
    assert "missing on esx01" in found[("vmk9", Severity.ERROR)]


def test_drift_extra_vmk_and_other_stack() -> None:
    from dataclasses import replace

    (a,) = make_cluster(1, 2)
    vmk1, vmk2 = a.vmks
    moved = replace(a, vmks=(vmk1,), other_vmks=(replace(vmk2, netstack=DEFAULT_NETSTACK),))
    host = _declared(moved, (vmk2.name, str(vmk2.addresses[0]), vmk2.mtu))
    found = sorted((f.vmk or "", f.severity.value, f.message) for f in drift([host], []))
    assert found == [
        ("vmk1", "warning", "esx01:vmk1: found on the vmotion stack but not declared"),
        ("vmk2", "error", "esx01:vmk2: declared on the vmotion stack but found on defaultTcpipStack"),
    ]


def test_expected_mtu_flags_each_vmk_that_differs() -> None:
    hosts = make_cluster(2, mtu=1500)
    findings = mtu_consistency(hosts, [], settings=CheckSettings(expected_mtu=9000))
    assert sorted(f.message for f in findings) == [
        "esx01:vmk1 has MTU 1500, expected 9000",
        "esx02:vmk1 has MTU 1500, expected 9000",
    ]
    assert all(f.severity is Severity.WARNING for f in findings)


def test_expected_mtu_replaces_the_majority_per_vmk() -> None:
    hosts = make_cluster(3)
    hosts[0] = make_host("esx01", [make_vmk(mtu=1500)])
    findings = mtu_consistency(hosts, [], settings=CheckSettings(expected_mtu=9000))
    assert [(f.host, f.message) for f in findings] == [
        (None, "vMotion vmks use 2 different MTUs: MTU 1500 on esx01:vmk1; MTU 9000 on esx02:vmk1, esx03:vmk1"),
        ("esx01", "esx01:vmk1 has MTU 1500, expected 9000"),
    ]
