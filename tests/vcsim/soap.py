"""Plain SOAP over HTTPS for the simulator's esxcli-over-API methods (pyVmomi has none of their types):
a session cookie from Login, bodies built here with every value XML-escaped, answers read by local name."""

from __future__ import annotations

import http.client
import ssl
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from validator.lab.vcsim import VcsimEndpoint

ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>'
)
DIAG = "ha-cli-handler-network-diag"
PING = "vim.EsxCLI.network.diag.ping"


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def find(elem: ET.Element, name: str) -> ET.Element | None:
    """The first descendant (or elem itself) with that local name."""
    return next((e for e in elem.iter() if local(e.tag) == name), None)


def find_all(elem: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in elem.iter() if local(e.tag) == name]


def text(elem: ET.Element, name: str) -> str | None:
    found = find(elem, name)
    return None if found is None else (found.text or "")


@dataclass(frozen=True)
class Answer:
    status: int
    raw: str
    body: ET.Element  # the SOAP Body's first child (the response element or Fault)

    @property
    def fault_type(self) -> str | None:
        """The SOAP fault's detail type (NotAuthenticated, NoPermission, ...), None for a response."""
        if local(self.body.tag) != "Fault":
            return None
        detail = find(self.body, "detail")
        assert detail is not None and len(detail) == 1, self.raw
        return local(detail[0].tag).removesuffix("Fault")

    def returnval(self) -> ET.Element:
        found = find(self.body, "returnval")
        assert found is not None, self.raw
        return found


@dataclass(frozen=True)
class PingAnswer:
    """ExecuteSoap's result: the response document, or the fault's message and errMsg lines."""

    document: ET.Element | None
    fault_msg: str | None
    err_msgs: tuple[str, ...]


def argument(name: str, value: str | int | bool) -> str:
    """One ExecuteSoap argument: val is the XML text <name>value</name>, escaped again in the body."""
    shown = str(value).lower() if isinstance(value, bool) else str(value)
    val = f"<{name}>{escape(shown)}</{name}>"
    return f"<argument><name>{escape(name)}</name><val>{escape(val)}</val></argument>"


def this(kind: str, value: str) -> str:
    return f"<_this type={quoteattr(kind)}>{escape(value)}</_this>"


class SoapSession:
    """One HTTPS connection and one session cookie (not thread-safe: one per thread)."""

    def __init__(self, vc: VcsimEndpoint, timeout: float = 30.0) -> None:
        self.vc = vc
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=str(vc.ca_file))
        self.cookie: str | None = None
        self.conn = self._connect()

    def _connect(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(self.vc.host, self.vc.port, context=self.context, timeout=self.timeout)

    def close(self) -> None:
        self.conn.close()

    def post(self, body: str) -> Answer:
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "urn:vim25/7.0.3.0"}
        if self.cookie:
            headers["Cookie"] = f"vmware_soap_session={self.cookie}"
        self.conn.request("POST", "/sdk", ENVELOPE.format(body=body).encode(), headers)
        res = self.conn.getresponse()
        raw = res.read().decode()
        for header, value in res.getheaders():
            if header.lower() == "set-cookie" and value.startswith("vmware_soap_session="):
                self.cookie = value.split(";", 1)[0].split("=", 1)[1].strip('"')
        root = ET.fromstring(raw)
        body_elem = find(root, "Body")
        assert body_elem is not None and len(body_elem) == 1, raw
        return Answer(res.status, raw, body_elem[0])

    def login(self, password: str | None = None) -> Answer:
        secret = self.vc.password if password is None else password
        return self.post(
            f'<Login xmlns="urn:vim25">{this("SessionManager", "SessionManager")}'
            f"<userName>{escape(self.vc.username)}</userName><password>{escape(secret)}</password></Login>"
        )

    def call(self, method: str, kind: str, value: str, inner: str = "") -> Answer:
        return self.post(f'<{method} xmlns="urn:vim25">{this(kind, value)}{inner}</{method}>')

    def executer(self, host_moid: str) -> tuple[str, str]:
        """RetrieveManagedMethodExecuter: the (type, value) to send back in ExecuteSoap."""
        answer = self.call("RetrieveManagedMethodExecuter", "HostSystem", host_moid)
        ret = answer.returnval()
        return ret.attrib["type"], ret.text or ""

    def execute(
        self, executer: tuple[str, str], args: dict[str, str | int | bool], *, moid: str = DIAG, method: str = PING
    ) -> Answer:
        inner = f"<moid>{escape(moid)}</moid><version>urn:vim25/5.0</version><method>{escape(method)}</method>"
        inner += "".join(argument(name, value) for name, value in sorted(args.items()))
        return self.call("ExecuteSoap", executer[0], executer[1], inner)


def ping_answer(answer: Answer) -> PingAnswer:
    """ExecuteSoap's returnval read as the client must: response document, or fault + errMsg lines."""
    assert answer.status == 200 and answer.fault_type is None, answer.raw
    ret = answer.returnval()
    response = text(ret, "response")
    if response is not None:
        return PingAnswer(ET.fromstring(response), None, ())
    fault = find(ret, "fault")
    assert fault is not None, answer.raw
    detail = text(fault, "faultDetail")
    errs = tuple(e.text or "" for e in find_all(ET.fromstring(detail), "errMsg")) if detail else ()
    return PingAnswer(None, text(fault, "faultMsg"), errs)
