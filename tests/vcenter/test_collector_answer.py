"""The SOAP level of the host retrieval: answers read from samples/vcenter-retrieval (recorded from the simulator
serving the unseen model, and built), the candidates trimmed before the parse, the token read ahead, faults as
typed errors, hostile answers refused, and the request body pyVmomi would have sent."""

from __future__ import annotations

import importlib
import re
import xml.etree.ElementTree as ET
from ipaddress import ip_address, ip_interface
from pathlib import Path
from typing import Any

import pytest

from tests.vcenter.models import unseen_model
from validator.errors import VCenterApiError, VCenterAuthError, VCenterSessionError
from validator.models import ConnectionState, LockdownMode
from validator.vcenter import collector_answer, retrieve
from validator.vcenter._vmomi import vim, vmodl
from validator.vcenter.collector_answer import (
    AnswerShapeError,
    SoapFaultError,
    peek_token,
    read_page,
    read_pages,
    trim_unread,
)
from validator.vcenter.collector_soap import FilterSpec, continue_body, retrieval_error, retrieve_body
from validator.vcenter.mapping import (
    CLUSTER_PROPERTIES,
    DATACENTER_PROPERTIES,
    FOLDER_PROPERTIES,
    HOST_PROPERTIES,
    NETWORK_PROPERTIES,
    VM_PROPERTIES,
    VCenterHost,
    hosts_from_objects,
)
from validator.vcenter.vim_records import ManagedObjectReference

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "vcenter-retrieval"
PAGES = [f"unseen-page-{n}.xml" for n in (1, 2, 3, 4)]


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def unseen_hosts() -> dict[str, VCenterHost]:
    return {h.name: h for h in hosts_from_objects(read_pages(sample(p) for p in PAGES))}


def test_every_sample_is_described() -> None:
    sources = (SAMPLES / "SOURCES.md").read_text(encoding="utf-8")
    for path in SAMPLES.iterdir():
        if path.name != "SOURCES.md":
            assert f"`{path.name}`" in sources, path.name


def test_the_recorded_pages_read_as_the_model_says() -> None:
    hosts = unseen_hosts()
    model = unseen_model()
    assert sorted(hosts) == sorted(h["name"] for h in model["hosts"])
    for spec in model["hosts"]:
        host = hosts[spec["name"]]
        facts = host.facts
        assert host.cluster == spec["cluster"] and facts.datacenter == model["datacenter"]
        assert facts.connection_state is ConnectionState(spec.get("connection_state", "connected"))
        assert facts.in_maintenance is bool(spec.get("maintenance"))
        assert facts.lockdown_mode is LockdownMode(spec.get("lockdown", "lockdownDisabled"))
        if not facts.connected:
            assert facts.vmks == () and facts.ssh_running is None
            continue
        assert facts.ssh_running is spec["tsm_ssh"]
        assert host.address == spec["management_ip"] and host.service_system
        for vmk_spec in spec["vmks"]:
            vmk = facts.vmk(vmk_spec["device"])
            assert vmk is not None, vmk_spec
            assert vmk.netstack == vmk_spec.get("netstack", "defaultTcpipStack") and vmk.mtu == vmk_spec["mtu"]
            assert vmk.portgroup == vmk_spec["portgroup"] and vmk.mac
            assert vmk.addresses == tuple(ip_interface(a) for a in [vmk_spec["ip"], *vmk_spec.get("ip6", [])])
            assert set(vmk.services) == set(vmk_spec["services"])
            assert vmk.gateway == (ip_address(vmk_spec["gateway"]) if "gateway" in vmk_spec else None)
        for stack_spec in spec.get("netstacks", []):
            stack = facts.stack(stack_spec["key"])
            assert stack is not None and stack.gateway == ip_address(stack_spec["gateway"])
            assert stack.gateway6 == (ip_address(stack_spec["gateway6"]) if "gateway6" in stack_spec else None)
        assert set(spec.get("portgroups", [])) <= set(facts.portgroups)
        assert [(vm.name, set(vm.networks)) for vm in facts.vms] == [
            (vm["name"], set(vm["networks"])) for vm in spec.get("vms", [])]


def test_pages_carry_their_token_and_it_is_read_ahead_from_the_head() -> None:
    tokens = [read_page(sample(p)).token for p in PAGES]
    assert tokens == ["page-1", "page-2", "page-3", None]
    assert [peek_token(sample(p)) for p in PAGES] == tokens
    assert peek_token(sample("unseen-page-1.xml"), limit=300) is None  # not within the head: read after the parse
    for name in ("fault-invalid-token.xml", "empty-result.xml", "not-xml.txt", "hostile-doctype.xml"):
        assert peek_token(sample(name)) is None


def children(element: ET.Element) -> list[str]:
    return [child.tag.rpartition("}")[2] for child in element]


def test_what_is_never_read_is_cut_before_the_parse() -> None:
    data = sample("unseen-page-1.xml")
    trimmed = trim_unread(data)
    assert len(trimmed) < len(data) * 0.5
    tree, whole = ET.fromstring(trimmed), ET.fromstring(data)
    v = "{urn:vim25}"
    candidates = list(tree.iter(f"{v}candidateVnic"))
    assert candidates and all(children(c) == ["device", "key"] for c in candidates)
    for config in tree.iter(f"{v}VirtualNicManagerNetConfig"):
        selected = config.findall(f"{v}selectedVnic")
        assert children(config)[:1] == ["nicType"] and (selected or children(config) == ["nicType"])
    services = list(tree.iter(f"{v}service"))
    assert len(services) == len(list(whole.iter(f"{v}service")))
    assert all(children(s)[0] == "key" and children(s)[-1] == "running" for s in services)
    groups = list(tree.iter(f"{v}HostPortGroup"))
    assert len(groups) == len(list(whole.iter(f"{v}HostPortGroup")))
    assert all(children(g) == ["spec"] and children(g[0]) == ["name"] for g in groups)
    stacks = list(tree.iter(f"{v}HostNetStackInstance"))
    assert len(stacks) == len(list(whole.iter(f"{v}HostNetStackInstance")))
    assert all(children(s) == ["key", "ipRouteConfig"] for s in stacks)


def test_trimming_changes_no_fact(monkeypatch: pytest.MonkeyPatch) -> None:
    trimmed = read_pages(sample(p) for p in PAGES)
    monkeypatch.setattr(collector_answer, "trim_unread", lambda data: data)
    assert read_pages(sample(p) for p in PAGES) == trimmed


@pytest.mark.parametrize("change", [
    pytest.param(lambda d: d.replace(b"<returnval>", b"<!-- a comment --><returnval>"), id="comment: parsed whole"),
    pytest.param(lambda d: d.replace(b"<candidateVnic><device>", b"<candidateVnic> <device>"), id="not vCenter's order"),
    pytest.param(lambda d: re.sub(rb"<candidateVnic>(<device>[^<]*</device>)(<key>[^<]*</key>)",
                                  rb"<candidateVnic>\2\1", d), id="key before device"),
    pytest.param(lambda d: re.sub(rb"(<service>)(<key>[^<]*</key>)", rb"\1<policy>on</policy>\2", d),
                 id="a service's policy first"),
    pytest.param(lambda d: d.replace(b"<spec><name>", b"<spec><vlanId>0</vlanId><name>"), id="a port group's VLAN first"),
    pytest.param(lambda d: d.replace(b"<HostNetStackInstance><key>", b"<HostNetStackInstance><name>x</name><key>"),
                 id="a stack's name first"),
    pytest.param(lambda d: re.sub(rb"(<ipRouteConfig[^>]*>)", rb"\1<extra><nested>1</nested></extra>", d),
                 id="a stack's gateways not as leaves"),
    pytest.param(lambda d: re.sub(rb"(<running>[^<]*</running>)", rb"\1<service>nested</service>", d, count=1),
                 id="trimmed into malformed XML: parsed again whole"),
])
def test_an_element_not_as_expected_is_parsed_whole(change: Any) -> None:
    data = sample("unseen-page-3.xml")
    assert change(data) != data
    assert read_page(change(data)) == read_page(data)


def prefixed(data: bytes) -> bytes:
    """Every element of the answer under the ``vim25:`` prefix instead of the default namespace."""
    head, _, rest = data.partition(b'Response xmlns="urn:vim25">')
    start = head.rfind(b"<")
    body = re.sub(rb"<(/?)([A-Za-z_][\w.-]*)", rb"<\1vim25:\2", head[start:] + b"Response>" + rest)
    body = body.replace(b"Response>", b'Response xmlns:vim25="urn:vim25">', 1)
    return head[:start] + body.replace(b"<vim25:soapenv:", b"<soapenv:").replace(b"</vim25:soapenv:", b"</soapenv:")


def test_a_namespace_prefix_does_not_matter() -> None:
    data = sample("unseen-page-3.xml")
    assert b"<vim25:HostVirtualNic>" in prefixed(data)
    assert read_page(prefixed(data)) == read_page(data)
    assert peek_token(prefixed(data)) == "page-3"


def test_references_keep_their_type() -> None:
    [host] = [o for o in read_page(sample("unseen-page-1.xml")).objects if o.type == "HostSystem"]
    assert host.props["parent"] == ManagedObjectReference("ClusterComputeResource", "clustercomputeresource-10")
    assert all(ref.type == "Network" for ref in host.props["network"])
    assert host.props["runtime.inMaintenanceMode"] is False


def test_the_empty_result_has_no_objects_and_no_token() -> None:
    page = read_page(sample("empty-result.xml"))
    assert page.objects == [] and page.token is None


@pytest.mark.parametrize(("name", "kind"), [
    ("fault-invalid-token.xml", "InvalidArgument"),
    ("fault-object-not-found.xml", "ManagedObjectNotFound"),
    ("fault-not-authenticated.xml", "NotAuthenticated"),
    ("fault-no-permission.xml", "NoPermission"),
])
def test_a_fault_is_raised_with_its_kind(name: str, kind: str) -> None:
    with pytest.raises(SoapFaultError) as raised:
        read_page(sample(name))
    assert raised.value.fault.kind == kind


@pytest.mark.parametrize(("name", "error", "text"), [
    ("fault-not-authenticated.xml", VCenterSessionError, "vCenter vc9:443: session no longer valid (NotAuthenticated"),
    ("fault-no-permission.xml", VCenterAuthError, "vCenter vc9:443: user ro@vsphere.local lacks a privilege "
                                                  "(System.View)"),
    ("fault-invalid-token.xml", VCenterApiError, "vCenter vc9:443: InvalidArgument: unknown or finished token"),
])
def test_faults_become_the_projects_typed_errors(name: str, error: type[Exception], text: str) -> None:
    with pytest.raises(SoapFaultError) as raised:
        read_page(sample(name))
    mapped = retrieval_error(raised.value.fault, "vCenter vc9:443", "ro@vsphere.local")
    assert type(mapped) is error and str(mapped).startswith(text) and "\n" not in str(mapped)


@pytest.mark.parametrize("name", ["hostile-doctype.xml", "hostile-bad-number.xml", "hostile-long-value.xml",
                                  "not-xml.txt"])
def test_hostile_answers_are_refused(name: str) -> None:
    with pytest.raises(AnswerShapeError) as raised:
        read_page(sample(name))
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 300


def test_an_answer_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collector_answer, "MAX_PAGE", 10_000)
    with pytest.raises(AnswerShapeError, match="at most 10000"):
        read_page(sample("unseen-page-1.xml"))


def test_every_property_retrieved_has_a_reader() -> None:
    paths = {*HOST_PROPERTIES, *CLUSTER_PROPERTIES, *FOLDER_PROPERTIES, *DATACENTER_PROPERTIES, *VM_PROPERTIES,
             *NETWORK_PROPERTIES}
    assert paths == set(collector_answer.READERS) | collector_answer.TEXT_PATHS


def normalized(element: ET.Element) -> tuple[Any, ...]:
    attrs = tuple(sorted((k, v) for k, v in element.attrib.items() if k != "versionId"))
    return (element.tag, attrs, (element.text or "").strip(), tuple(normalized(c) for c in element))


def test_the_request_is_the_one_pyvmomi_would_send() -> None:
    soap_adapter: Any = importlib.import_module("pyVmomi.SoapAdapter")
    stub = soap_adapter.SoapStubAdapter(host="127.0.0.1", port=9)  # nothing is connected
    view = vim.view.ContainerView("session[52a3-77]0f1c", stub)
    collector = vmodl.query.PropertyCollector("propertyCollector", stub)
    options = vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=100)
    theirs = stub.SerializeRequest(collector, collector._GetMethodInfo("RetrievePropertiesEx"),
                                   [[retrieve.filter_spec(view)], options])
    ours = retrieve_body(retrieve.reference(collector), retrieve.soap_filter_spec(view), 100)
    assert normalized(ET.fromstring(ours)[0][0]) == normalized(ET.fromstring(theirs)[0][0])
    theirs = stub.SerializeRequest(collector, collector._GetMethodInfo("ContinueRetrievePropertiesEx"), ["t<1>"])
    ours = continue_body(retrieve.reference(collector), "t<1>")
    assert normalized(ET.fromstring(ours)[0][0]) == normalized(ET.fromstring(theirs)[0][0])


def test_ids_and_tokens_are_escaped() -> None:
    view = ManagedObjectReference('Container"View', "session[1]&<2>")
    spec = FilterSpec(root=view, traversals=retrieve.TRAVERSALS, properties=retrieve.PROPERTIES)
    body = ET.fromstring(retrieve_body(ManagedObjectReference("PropertyCollector", "pc"), spec, 7))
    obj = next(body.iter("{urn:vim25}obj"))
    assert (obj.get("type"), obj.text) == ('Container"View', "session[1]&<2>")
    token = next(ET.fromstring(continue_body(ManagedObjectReference("PropertyCollector", "pc"), "a&b<c>"))
                 .iter("{urn:vim25}token"))
    assert token.text == "a&b<c>"
