"""The host retrieval read at the SOAP level gives the same VCenterHost records as pyVmomi's data objects, on the
same simulator: the proof the fast reading changed no fact. Also its errors, named and typed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.vcenter.helpers import settings_for
from tests.vcenter.models import scale_model
from validator.errors import VCenterApiError, VCenterScopeError
from validator.lab.vcsim import VcsimEndpoint, running_vcsim
from validator.vcenter import collector_soap, retrieve
from validator.vcenter.connect import vcenter_session
from validator.vcenter.retrieve import retrieve_hosts


@pytest.mark.parametrize("scope", [
    {},
    {"datacenter": "DC-West"},
    {"clusters": ("Silver",)},
    {"clusters": ("Gold", "Silver"), "hosts": ("hv-a1", "hv-b3")},
])
@pytest.mark.parametrize("page_size", [1, 4, 100])
def test_the_soap_reading_and_pyvmomis_give_the_same_hosts(vc: VcsimEndpoint, monkeypatch: pytest.MonkeyPatch,
                                                           scope: dict[str, Any], page_size: int) -> None:
    monkeypatch.setattr(retrieve, "PAGE_SIZE", page_size)
    settings = settings_for(vc, **scope)
    with vcenter_session(settings, vc.password) as si:
        fast = retrieve_hosts(si, settings)
        reference = retrieve_hosts(si, settings, pyvmomi=True)
    assert fast and fast == reference


def test_the_same_hosts_at_scale(vcsim_binary: Path, tmp_path: Path) -> None:
    with running_vcsim(scale_model(120, vms_per_host=2), tmp_path, binary=vcsim_binary, timeout=300) as vc:
        settings = settings_for(vc, clusters=("k0", "k2"))
        with vcenter_session(settings, vc.password) as si:
            fast = retrieve_hosts(si, settings)
            reference = retrieve_hosts(si, settings, pyvmomi=True)
    assert len(fast) == 70 and fast == reference  # k0: 50 hosts, k2: the last 20


def test_an_unknown_scope_is_the_same_error_both_ways(vc: VcsimEndpoint) -> None:
    settings = settings_for(vc, clusters=("Bronze",))
    with vcenter_session(settings, vc.password) as si:
        for pyvmomi in (False, True):
            with pytest.raises(VCenterScopeError, match="no cluster named 'Bronze'"):
                retrieve_hosts(si, settings, pyvmomi=pyvmomi)


def test_a_fault_of_the_soap_reading_names_the_vcenter(vc: VcsimEndpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cookie the simulator does not know: the session's view is not found (vCenter says NotAuthenticated)."""
    monkeypatch.setattr(retrieve, "session_cookie", lambda si: 'vmware_soap_session="expired"')
    settings = settings_for(vc)
    with vcenter_session(settings, vc.password) as si, pytest.raises(VCenterApiError) as raised:
        retrieve_hosts(si, settings)
    message = str(raised.value)
    assert message.startswith(f"vCenter {settings.endpoint}: ManagedObjectNotFound") and "\n" not in message


def test_the_calls_are_watched_and_the_connection_closed(vc: VcsimEndpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retrieve, "PAGE_SIZE", 4)
    seen: list[tuple[str, int]] = []
    closed: list[bool] = []
    close = collector_soap.Connection.close

    def closing(self: collector_soap.Connection) -> None:
        closed.append(True)
        close(self)

    monkeypatch.setattr(collector_soap.Connection, "close", closing)
    monkeypatch.setattr(collector_soap, "WATCHERS", [lambda si, method, request, answer: seen.append(
        (method, len(answer)))])
    settings = settings_for(vc)
    with vcenter_session(settings, vc.password) as si:
        retrieve_hosts(si, settings)
    assert [m for m, _ in seen] == ["RetrievePropertiesEx"] + ["ContinueRetrievePropertiesEx"] * (len(seen) - 1)
    assert len(seen) > 3 and all(size > 0 for _, size in seen) and closed
