"""The checks only a migration plan can make: address family, MTU, VM networks and the vMotion service."""

from __future__ import annotations

from dataclasses import replace

from checks import run_checks
from tests.factories import make_host, make_vmk
from validator.models import CheckSettings, HostInfo, MigrationPlan, VCenterFacts, VCenterVm, VCenterVmk

CHECKS = ["migration_family", "migration_mtu", "migration_networks", "migration_vmotion"]


def _facts(host: HostInfo, portgroups: tuple[str, ...], vms: tuple[VCenterVm, ...] = (),
           services: tuple[str, ...] = ("vmotion",)) -> HostInfo:
    vmks = tuple(VCenterVmk(v.name, v.netstack, v.mtu, v.addresses, services=services) for v in host.vmks)
    return replace(host, vcenter=VCenterFacts(vmks=vmks, portgroups=portgroups, vms=vms))


def _settings(source: list[HostInfo], target: list[HostInfo], both_ways: bool = True) -> CheckSettings:
    plan = MigrationPlan("vc1/DC0/A", "vc2/DC0/B", tuple(h.name for h in source), tuple(h.name for h in target),
                         both_ways=both_ways)
    return CheckSettings(migration=plan)


A1 = _facts(make_host("vc1/a1", [make_vmk("vmk1", "198.19.1.11/24")]), ("App", "Web"),
            (VCenterVm("app01", ("App", "Web")),))
A2 = _facts(make_host("vc1/a2", [make_vmk("vmk1", "198.19.1.12/24")]), ("App", "Web"))
B1 = _facts(make_host("vc2/b1", [make_vmk("vmk1", "198.19.2.11/24")]), ("App", "Web"))
B2 = _facts(make_host("vc2/b2", [make_vmk("vmk1", "198.19.2.12/24", mtu=1500)]), ("App",),
            (VCenterVm("db01", ("Db",)),))


def test_without_a_migration_plan_the_migration_checks_say_nothing() -> None:
    assert run_checks([A1, A2, B1, B2], [], CHECKS) == []


def test_the_smaller_mtu_and_the_missing_networks_are_findings_on_the_hosts_at_fault() -> None:
    findings = run_checks([A1, A2, B1, B2], [], CHECKS, settings=_settings([A1, A2], [B1, B2]))
    by_check = {(f.check, f.host, f.vmk): f for f in findings}
    mtu = by_check[("migration_mtu", "vc2/b2", "vmk1")]
    assert "MTU 1500, below the MTU 9000 of vc1/DC0/A" in mtu.message
    assert "configuration mismatch, not a path fault" in mtu.message
    web = by_check[("migration_networks", "vc2/b2", None)]
    assert "'Web'" in web.message and "app01 (vc1/a1)" in web.message
    db = by_check[("migration_networks", "vc1/a1", None)]  # both ways: b2's db01 cannot come back
    assert "'Db' on no host of vc1/DC0/A" in db.message
    assert {(f.check, f.host) for f in findings} == {
        ("migration_mtu", "vc2/b2"), ("migration_networks", "vc2/b2"),
        ("migration_networks", "vc1/a1"), ("migration_networks", "vc1/a2"),
    }


def test_one_way_looks_at_the_source_vms_only() -> None:
    findings = run_checks([A1, A2, B1, B2], [], ["migration_networks"],
                          settings=_settings([A1, A2], [B1, B2], both_ways=False))
    assert [f.host for f in findings] == ["vc2/b2"]


def test_no_shared_address_family_is_an_error_on_both_sides() -> None:
    v6 = _facts(make_host("vc2/b6", [make_vmk("vmk1", None, ipv6="2001:db8:2::6/64")]), ("App", "Web"))
    findings = run_checks([A1, v6], [], ["migration_family"], settings=_settings([A1], [v6]))
    assert {f.host for f in findings} == {"vc1/a1", "vc2/b6"}
    assert "shares no address family with 1 host(s) of vc2/DC0/B: vc2/b6 (ipv6)" in findings[0].message


def test_a_host_without_the_vmotion_service_cannot_take_part() -> None:
    silent = _facts(make_host("vc2/b1", [make_vmk("vmk1", "198.19.2.11/24")]), ("App",), services=())
    findings = run_checks([A1, silent], [], ["migration_vmotion"], settings=_settings([A1], [silent]))
    assert [(f.host, f.message.split(":")[0]) for f in findings] == [
        ("vc2/b1", "vc2/b1 (vc2/DC0/B) has no vmk with the vMotion service"),
        (None, "no host of vc2/DC0/B has a vMotion vmk"),
    ]
