"""esxcli network diag ping through the vSphere API, against the simulator alone (no lab behind it): the
executer and type manager, faults for what esxcli rejects, the per-host api knobs, session expiry."""

from __future__ import annotations

import copy
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.vcsim.client import host_moids
from tests.vcsim.soap import DIAG, SoapSession, find, find_all, ping_answer, text
from validator.errors import LabError
from validator.lab.vcsim import VcsimEndpoint, running_vcsim

KNOBS = {"esx02": "fault", "esx03": "hang", "esx05": "no-permission"}
DISCONNECTED = "esx04"
PING = {"host": "198.19.2.12", "interface": "vmk1", "netstack": "vmotion", "count": 1, "wait": "1"}


def knob_model(model: dict[str, Any], expire: int = 0) -> dict[str, Any]:
    """The sample with the api knobs above, esx04 disconnected and no lab behind any host."""
    out = copy.deepcopy(model)
    for host in out["hosts"]:
        host["api"] = KNOBS.get(host["name"], "ok")
        if host["name"] == DISCONNECTED:
            host["connection_state"] = "disconnected"
    out["expire_sessions_after_calls"] = expire
    return out


@pytest.fixture(scope="module")
def knobbed(
    vcsim_binary: Path, model: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[VcsimEndpoint, dict[str, str]]]:
    with running_vcsim(knob_model(model), tmp_path_factory.mktemp("vcsim-api"), binary=vcsim_binary) as vc:
        yield vc, host_moids(vc)


@pytest.fixture
def session(knobbed: tuple[VcsimEndpoint, dict[str, str]]) -> Iterator[SoapSession]:
    s = SoapSession(knobbed[0])
    assert s.login().status == 200
    yield s
    s.close()


def test_every_method_needs_a_session(knobbed: tuple[VcsimEndpoint, dict[str, str]]) -> None:
    vc, moids = knobbed
    anonymous = SoapSession(vc)
    host = moids["esx01"]
    calls = [
        ("RetrieveManagedMethodExecuter", "HostSystem", host),
        ("RetrieveDynamicTypeManager", "HostSystem", host),
        ("DynamicTypeMgrQueryMoInstances", "InternalDynamicTypeManager", "dtm-" + host),
        ("ExecuteSoap", "ReflectManagedMethodExecuter", "mme-" + host),
    ]
    for method, kind, value in calls:
        answer = anonymous.call(method, kind, value)
        assert answer.status == 500 and answer.fault_type == "NotAuthenticated", answer.raw
        assert find(answer.body, "object") is not None and text(answer.body, "object") == value
    anonymous.cookie = "not-a-session"
    assert anonymous.call(*calls[0]).fault_type == "NotAuthenticated"
    anonymous.close()


def test_executer_and_type_manager_per_host(
    session: SoapSession, knobbed: tuple[VcsimEndpoint, dict[str, str]]
) -> None:
    moids = knobbed[1]
    assert session.executer(moids["esx01"]) == ("ReflectManagedMethodExecuter", "mme-" + moids["esx01"])
    dtm = session.call("RetrieveDynamicTypeManager", "HostSystem", moids["esx01"]).returnval()
    assert (dtm.attrib["type"], dtm.text) == ("InternalDynamicTypeManager", "dtm-" + moids["esx01"])
    listed = session.call("DynamicTypeMgrQueryMoInstances", dtm.attrib["type"], dtm.text or "")
    instances = [(text(r, "id"), text(r, "moType")) for r in find_all(listed.body, "returnval")]
    assert (DIAG, "vim.EsxCLI.network.diag") in instances
    filtered = session.call(
        "DynamicTypeMgrQueryMoInstances", dtm.attrib["type"], dtm.text or "",
        "<filterSpec><typeSubstr>vim.EsxCLI.storage</typeSubstr></filterSpec>",
    )
    assert find_all(filtered.body, "returnval") == []


def test_unknown_objects_and_disconnected_hosts_fault(
    session: SoapSession, knobbed: tuple[VcsimEndpoint, dict[str, str]]
) -> None:
    moids = knobbed[1]
    assert session.call("RetrieveManagedMethodExecuter", "HostSystem", "host-0").fault_type == "ManagedObjectNotFound"
    wrong_type = session.call("ExecuteSoap", "ManagedMethodExecuter", "mme-" + moids["esx01"])
    assert wrong_type.fault_type == "ManagedObjectNotFound"
    for method in ("RetrieveManagedMethodExecuter", "RetrieveDynamicTypeManager"):
        answer = session.call(method, "HostSystem", moids[DISCONNECTED])
        assert answer.fault_type == "HostNotConnected", answer.raw
    executer = ("ReflectManagedMethodExecuter", "mme-" + moids[DISCONNECTED])
    assert session.execute(executer, PING).fault_type == "HostNotConnected"


def test_unknown_method_or_handler_is_not_found(
    session: SoapSession, knobbed: tuple[VcsimEndpoint, dict[str, str]]
) -> None:
    executer = session.executer(knobbed[1]["esx01"])
    for moid, method in [(DIAG, "vim.EsxCLI.network.diag.pong"), ("ha-cli-handler-storage-core", "vim.EsxCLI.network.diag.ping")]:
        result = ping_answer(session.execute(executer, PING, moid=moid, method=method))
        assert result.document is None
        assert result.fault_msg == "The object or item referred to could not be found."


@pytest.mark.parametrize(
    ("args", "err"),
    [
        ({"interface": "vmk1"}, "Missing required parameter -H|--host"),
        ({**PING, "colour": "red"}, "Invalid option 'colour'"),
        ({**PING, "size": 99999}, "Invalid value for 'size': '99999' is outside 0..65507"),
        ({**PING, "count": "three"}, "Invalid value for 'count': 'three' is not an integer"),
        ({**PING, "df": "maybe"}, "Invalid value for 'df': 'maybe' is not a boolean"),
        ({**PING, "interval": "1s"}, "Invalid value for 'interval': '1s' is not a number of seconds"),
        ({**PING, "ipv4": True, "ipv6": True}, "Invalid value for 'ipv6': --ipv4 and --ipv6 cannot be given together"),
    ],
)
def test_bad_arguments_fault_as_esxcli(
    session: SoapSession, knobbed: tuple[VcsimEndpoint, dict[str, str]], args: dict[str, Any], err: str
) -> None:
    result = ping_answer(session.execute(session.executer(knobbed[1]["esx01"]), args))
    assert result.document is None and result.err_msgs == (err,)


def test_hostile_argument_text_is_quoted_back_escaped(
    session: SoapSession, knobbed: tuple[VcsimEndpoint, dict[str, str]]
) -> None:
    """Markup, entities and quotes in a value come back as text: the answer stays well-formed and holds
    no element the value tried to inject."""
    hostile = "vmk1</interface><injected/>&amp;'\"<"
    answer = session.execute(session.executer(knobbed[1]["esx01"]), {**PING, "interface": hostile})
    result = ping_answer(answer)
    assert result.err_msgs == (f"Invalid value for 'interface': '{hostile}' is not a valid name",)
    assert "injected" not in {e.tag.rsplit("}", 1)[-1] for e in answer.body.iter()}
    # a val that is not <name>value</name> is refused, not parsed into other arguments
    body_arg = "<argument><name>host</name><val>&lt;host&gt;1&lt;/host&gt;&lt;count&gt;9&lt;/count&gt;</val></argument>"
    raw = session.call(
        "ExecuteSoap", "ReflectManagedMethodExecuter", "mme-" + knobbed[1]["esx01"],
        f"<moid>{DIAG}</moid><version>urn:vim25/5.0</version><method>vim.EsxCLI.network.diag.ping</method>{body_arg}",
    )
    errs = ping_answer(raw).err_msgs
    assert len(errs) == 1 and errs[0].startswith("Invalid value for 'host':"), errs


def test_a_host_without_a_lab_host_faults(session: SoapSession, knobbed: tuple[VcsimEndpoint, dict[str, str]]) -> None:
    result = ping_answer(session.execute(session.executer(knobbed[1]["esx01"]), PING))
    assert result.err_msgs == ("Unable to complete the operation: host esx01 has no lab host to ping from",)


def test_api_fault_and_no_permission_knobs(session: SoapSession, knobbed: tuple[VcsimEndpoint, dict[str, str]]) -> None:
    moids = knobbed[1]
    result = ping_answer(session.execute(session.executer(moids["esx02"]), PING))
    assert result.err_msgs == ("Unable to complete the operation: hostd is not responding",)
    denied = session.execute(session.executer(moids["esx05"]), PING)
    assert denied.status == 500 and denied.fault_type == "NoPermission", denied.raw
    assert text(denied.body, "privilegeId") == "Host.Config.NetService"
    assert text(denied.body, "object") == moids["esx05"]


def test_a_hung_call_is_bounded_by_the_client_alone(
    vcsim_binary: Path, model: dict[str, Any], tmp_path: Path
) -> None:
    """hang: ExecuteSoap never answers (the client's socket timeout ends the wait); the simulator keeps
    serving, and stops cleanly with hung calls in flight."""
    with running_vcsim(knob_model(model), tmp_path / "vcsim", binary=vcsim_binary) as vc:
        moids = host_moids(vc)
        hung = [SoapSession(vc, timeout=1.0) for _ in range(2)]
        for s in hung:
            s.login()
            executer = s.executer(moids["esx03"])
            with pytest.raises(socket.timeout):
                s.execute(executer, PING)
        other = SoapSession(vc)
        other.login()
        assert other.executer(moids["esx01"])[1] == "mme-" + moids["esx01"]
        hung[0].close()  # one client goes away, the other is still waiting when vcsim stops
        other.close()
    log = vc.log_file.read_text()
    assert "vcsim: stopped" in log
    hung[1].close()


def test_sessions_expire_after_the_models_call_count(
    vcsim_binary: Path, model: dict[str, Any], tmp_path: Path
) -> None:
    with running_vcsim(knob_model(model, expire=2), tmp_path / "vcsim", binary=vcsim_binary) as vc:
        moids = host_moids(vc)
        s = SoapSession(vc)
        s.login()
        executer = s.executer(moids["esx01"])
        for _ in range(2):
            assert s.execute(executer, PING).status == 200
        assert s.execute(executer, PING).fault_type == "NotAuthenticated"
        assert s.call("RetrieveManagedMethodExecuter", "HostSystem", moids["esx01"]).fault_type == "NotAuthenticated"
        current = s.call("CurrentTime", "ServiceInstance", "ServiceInstance")  # the simulator's own methods too
        assert current.fault_type == "NotAuthenticated", current.raw
        assert s.login().status == 200
        assert s.execute(executer, PING).status == 200
        s.close()


def test_other_requests_reach_the_simulator_untouched(knobbed: tuple[VcsimEndpoint, dict[str, str]]) -> None:
    """A request that merely mentions ExecuteSoap (here in a property path) is the library's to answer."""
    vc, _ = knobbed
    s = SoapSession(vc)
    s.login()
    answer = s.call("CurrentTime", "ServiceInstance", "ServiceInstance", "<note>ExecuteSoap</note>")
    assert answer.status == 200 and ET.fromstring(answer.raw) is not None
    assert text(answer.body, "returnval")
    s.close()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"api": "slow"}, "api must be one of"),
        ({"lab": {"host_dir": "hosts/esx01", "vmkping": "/bin/vmkping"}}, "must be absolute paths"),
    ],
)
def test_bad_api_model_keys_are_refused(
    vcsim_binary: Path, model: dict[str, Any], tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    bad = copy.deepcopy(model)
    bad["hosts"][1].update(change)
    with (
        pytest.raises(LabError, match=rf"hosts\[1\] \(esx02\): .*{message}"),
        running_vcsim(bad, tmp_path / "vcsim", binary=vcsim_binary),
    ):
        pass
