"""The SOAP level of esxcli through vCenter: request bodies (validated, escaped, in order), answers and faults
read from samples/vsphere-api, and the pyVmomi internals the transport relies on."""

from __future__ import annotations

import importlib
import inspect
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from validator.errors import (
    CommandValueError,
    VCenterApiError,
    VCenterHostError,
    VCenterPrivilegeError,
    VCenterSessionError,
)
from validator.esxi.diag_ping import ping_outcome
from validator.models import Family, PingStats, Reason
from validator.prober import Ping
from validator.vcenter._vmomi import vim
from validator.vcenter.esxcli_soap import (
    _PLAIN_RESULT,
    DIAG_MOID,
    PING_METHOD,
    MoRef,
    execute_soap_body,
    execute_soap_result,
    executer_from,
    ping_arguments,
    read_answer,
    retrieve_executer_body,
    soap_result_from,
)
from validator.vcenter.soap import COOKIE_NAME, session_cookie

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "vsphere-api"
EXECUTER = MoRef("ReflectManagedMethodExecuter", "mme-host-21")
DF = Ping("198.19.2.12", "vmk1", Family.IPV4, 3, 0.2, 1.0, size=8972, df=True)


def envelope(name: str) -> ET.Element:
    return read_answer((SAMPLES / name).read_bytes())


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def test_ping_arguments_follow_the_commands_parameter_order() -> None:
    assert ping_arguments(DF, "vmotion") == [
        ("count", "3"), ("df", "true"), ("host", "198.19.2.12"), ("interface", "vmk1"), ("interval", "0.2"),
        ("ipv4", "true"), ("netstack", "vmotion"), ("size", "8972"), ("wait", "1"),
    ]
    v6 = ping_arguments(Ping("2001:db8:2::14", "vmk2", Family.IPV6, 1, 0.2, 2.5), "vmotion")
    assert ("ipv6", "true") in v6 and ("wait", "3") in v6 and all(name != "df" for name, _ in v6)


@pytest.mark.parametrize(
    "bad",
    [
        replace(DF, dst="198.19.2.12</val><evil/>"),
        replace(DF, vmk="vmk1<x>"),
        replace(DF, dst="2001:db8::1"),  # not the ping's family
        replace(DF, count=0),
        replace(DF, size=70000),
        replace(DF, interval=float("nan")),
    ],
)
def test_every_value_is_validated_before_a_body_is_built(bad: Ping) -> None:
    with pytest.raises(CommandValueError):
        execute_soap_body(EXECUTER, bad, "vmotion")


def test_a_bad_netstack_is_refused() -> None:
    with pytest.raises(CommandValueError):
        execute_soap_body(EXECUTER, DF, "vmotion<x/>")


def test_the_execute_soap_body_echoes_the_executer_and_escapes_each_val() -> None:
    executer = MoRef('Odd"Type<', "mme&1")
    body = ET.fromstring(execute_soap_body(executer, DF, "vmotion"))
    call = body[0][0]
    assert local(call.tag) == "ExecuteSoap"
    this = call.find("{urn:vim25}_this")
    assert this is not None and this.get("type") == 'Odd"Type<' and this.text == "mme&1"
    assert call.findtext("{urn:vim25}moid") == DIAG_MOID and call.findtext("{urn:vim25}method") == PING_METHOD
    arguments = {a.findtext("{urn:vim25}name"): a.findtext("{urn:vim25}val") for a in call.iter("{urn:vim25}argument")}
    assert arguments["host"] == "<host>198.19.2.12</host>" and arguments["size"] == "<size>8972</size>"
    assert all(ET.fromstring(val or "").text for val in arguments.values())  # each val is itself XML


def test_the_retrieve_body_names_the_host() -> None:
    call = ET.fromstring(retrieve_executer_body("host-21"))[0][0]
    assert local(call.tag) == "RetrieveManagedMethodExecuter"
    assert call[0].get("type") == "HostSystem" and call[0].text == "host-21"


def test_the_executer_is_taken_as_vcenter_returned_it() -> None:
    assert executer_from(envelope("envelope-retrieve-executer.xml")) == EXECUTER


@pytest.mark.parametrize("name", ["envelope-execute-soap-response.xml", "envelope-execute-soap-prefixed.xml"])
def test_an_execute_soap_response_holds_the_ping_document(name: str) -> None:
    result = soap_result_from(envelope(name))
    assert result.fault_msg is None and result.response is not None
    stats = ping_outcome(result)
    assert isinstance(stats, PingStats) and stats.received == 3 and stats.ttls == (61, 61, 61)


def test_an_execute_soap_fault_holds_the_cli_fault() -> None:
    result = soap_result_from(envelope("envelope-execute-soap-fault.xml"))
    assert result.response is None and result.fault_msg == "Unknown interface 'vmk9': Invalid argument"
    outcome = ping_outcome(result)
    assert not isinstance(outcome, PingStats) and outcome.reason is Reason.UNKNOWN_VMK


@pytest.mark.parametrize(
    ("name", "error", "text"),
    [
        ("envelope-fault-not-authenticated.xml", VCenterSessionError, "NotAuthenticated"),
        ("envelope-fault-no-permission.xml", VCenterPrivilegeError, "privilege Host.Config.NetService"),
        ("envelope-fault-host-not-connected.xml", VCenterHostError, "Host is not connected"),
    ],
)
def test_soap_faults_become_typed_one_line_errors(name: str, error: type[Exception], text: str) -> None:
    with pytest.raises(error) as raised:
        envelope(name)
    assert text in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize("data", [b"", b"<html>502</html>", b"<!DOCTYPE x []><x/>", b"\xff\xfe garbage"])
def test_anything_but_a_soap_envelope_is_an_api_error(data: bytes) -> None:
    with pytest.raises(VCenterApiError):
        read_answer(data)


def test_the_session_cookie_is_read_from_the_login_set_cookie_header() -> None:
    si = SimpleNamespace(_stub=SimpleNamespace(cookie=f'{COOKIE_NAME}="52a3-77"; Path=/; HttpOnly; Secure;'))
    assert session_cookie(si) == f'{COOKIE_NAME}="52a3-77"'
    for broken in ("", "other=1", None):
        with pytest.raises(VCenterApiError):
            session_cookie(SimpleNamespace(_stub=SimpleNamespace(cookie=broken)))


def test_the_pyvmomi_internals_the_transport_relies_on_are_still_there() -> None:
    """Fails when pyVmomi changes what the SOAP calls read: a service instance's ``_stub``, the stub's
    ``cookie`` (the login's Set-Cookie, kept verbatim) and the cookie's name."""
    soap_adapter: Any = importlib.import_module("pyVmomi.SoapAdapter")
    SoapAdapter = soap_adapter

    stub = SoapAdapter.SoapStubAdapter(host="127.0.0.1", port=9)  # nothing is connected yet
    assert stub.cookie == ""
    assert vim.ServiceInstance("ServiceInstance", stub)._stub is stub
    assert SoapAdapter.COOKIE_NAME == COOKIE_NAME
    source = inspect.getsource(SoapAdapter.SoapStubAdapter.InvokeMethod)
    assert "self.cookie = cookie" in source and "'Cookie'" in source


def _result_or_error(read: Any, data: bytes) -> object:
    try:
        return read(data)
    except Exception as exc:  # the two ways must fail alike
        return type(exc)


def _plain_envelopes() -> list[bytes]:
    """ExecuteSoap answers as the simulator writes them, around every response sample, and hostile variants."""
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/'
            'encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/'
            'XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><ExecuteSoapResponse '
            'xmlns="urn:vim25"><returnval><response>')
    tail = "</response></returnval></ExecuteSoapResponse></soapenv:Body></soapenv:Envelope>"
    docs = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(SAMPLES.glob("response-*"))]
    escaped = [d.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for d in docs]
    go_escaped = [d.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
                  .replace("'", "&#39;").replace("\t", "&#x9;").replace("\n", "&#xA;").replace("\r", "&#xD;")
                  for d in docs]  # as Go's xml.EscapeText writes them (vcsim)
    odd = ["  &amp;lt;x&amp;gt; ", "&#60;obj/&#62;", "a\r\nb", "a&#xD;&#xA;b", "\x01", "&bogus;", "]]>", "\uffff",
           "&quot;&apos;&#34;&#39;", "&amp;#34;", "&#xa;", "", "   "]
    out = [(head + e + tail).encode() for e in go_escaped + escaped + odd]
    out.append((head.replace('xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ', "") + "x" + tail).encode())
    out.append((head + "x" + tail).encode()[:-10])
    out.append(b"\xff" + (head + "x" + tail).encode())
    out.append((head + "x" + tail).encode().replace(b"x</response>", b"\xc3\x28</response>"))
    return out


@pytest.mark.parametrize("data", [*(p.read_bytes() for p in sorted(SAMPLES.glob("envelope-*.xml"))), *_plain_envelopes()])
def test_the_fast_read_of_an_execute_soap_answer_reads_as_the_full_parse(data: bytes) -> None:
    full = _result_or_error(lambda d: soap_result_from(read_answer(d)), data)
    assert _result_or_error(execute_soap_result, data) == full


def test_the_simulators_plain_answer_takes_the_fast_read() -> None:
    [plain, *_] = _plain_envelopes()
    assert _PLAIN_RESULT.fullmatch(plain) is not None
