"""The paging of the host retrieval at the SOAP level, over a fake connection serving recorded answers: every
page is asked for once, with the token vCenter gave, before the page before it is parsed; faults and endless
paging end it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

from validator.errors import VCenterApiError
from validator.vcenter import collector_answer, collector_soap
from validator.vcenter.collector_answer import AnswerShapeError, Page, SoapFaultError, read_pages
from validator.vcenter.collector_soap import FilterSpec, retrieve, soap_action
from validator.vcenter.retrieve import PROPERTIES, TRAVERSALS
from validator.vcenter.vim_records import ManagedObjectReference

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "vcenter-retrieval"
PAGES = [(SAMPLES / f"unseen-page-{n}.xml").read_bytes() for n in (1, 2, 3, 4)]
COLLECTOR = ManagedObjectReference("PropertyCollector", "propertyCollector")
SPEC = FilterSpec(root=ManagedObjectReference("ContainerView", "session[1]2"), traversals=TRAVERSALS,
                  properties=PROPERTIES)


class FakeChannel:
    """Answers each request with the next recorded answer, logging what happens in order."""

    def __init__(self, answers: list[bytes], log: list[str]) -> None:
        self.answers = list(answers)
        self.log = log
        self.pending = 0

    def send(self, method: str, body: bytes) -> None:
        token = next(ET.fromstring(body).iter("{urn:vim25}token"), None)
        self.log.append(f"send {method}" + (f" {token.text}" if token is not None else ""))
        self.pending += 1

    def receive(self) -> bytes:
        assert self.pending == 1, "one request in flight at a time"
        self.pending -= 1
        self.log.append("receive")
        return self.answers.pop(0)


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    events: list[str] = []
    read_page = collector_answer.read_page

    def logged(data: bytes) -> Page:
        events.append("parse")
        return read_page(data)

    monkeypatch.setattr(collector_soap, "read_page", logged)
    return events


def test_each_page_is_asked_for_before_the_one_before_is_parsed(log: list[str]) -> None:
    objects = retrieve(FakeChannel(PAGES, log), COLLECTOR, SPEC, 6)
    assert objects == read_pages(PAGES)
    assert log == [
        "send RetrievePropertiesEx", "receive",
        "send ContinueRetrievePropertiesEx page-1", "parse", "receive",
        "send ContinueRetrievePropertiesEx page-2", "parse", "receive",
        "send ContinueRetrievePropertiesEx page-3", "parse", "receive",
        "parse",
    ]


def test_a_token_only_the_parse_finds_is_followed_after_it(log: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collector_soap, "peek_token", lambda data: None)
    assert retrieve(FakeChannel(PAGES, log), COLLECTOR, SPEC, 6) == read_pages(PAGES)
    assert log[:5] == ["send RetrievePropertiesEx", "receive", "parse", "send ContinueRetrievePropertiesEx page-1",
                       "receive"]


def test_a_fault_on_a_later_page_ends_the_retrieval(log: list[str]) -> None:
    answers = [*PAGES[:2], (SAMPLES / "fault-invalid-token.xml").read_bytes()]
    with pytest.raises(SoapFaultError) as raised:
        retrieve(FakeChannel(answers, log), COLLECTOR, SPEC, 6)
    assert raised.value.fault.kind == "InvalidArgument"


def test_endless_paging_is_cut(log: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collector_soap, "MAX_PAGES", 5)
    with pytest.raises(AnswerShapeError, match="more than 5 pages"):
        retrieve(FakeChannel([PAGES[0]] * 6, log), COLLECTOR, SPEC, 6)


def test_a_token_read_ahead_that_the_parse_contradicts_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                                  log: list[str]) -> None:
    monkeypatch.setattr(collector_soap, "peek_token", lambda data: "page-7")
    with pytest.raises(AnswerShapeError, match="read ahead"):
        retrieve(FakeChannel(PAGES, log), COLLECTOR, SPEC, 6)


def test_the_soap_action_is_the_api_version_pyvmomi_agreed_on() -> None:
    def session(version_id: object) -> SimpleNamespace:
        return SimpleNamespace(_stub=SimpleNamespace(versionId=version_id))

    assert soap_action(session('"urn:vim25/8.0.2.0"'), "8.0.3.0") == "urn:vim25/8.0.2.0"
    assert soap_action(session(""), "7.0.3.0") == "urn:vim25/7.0.3.0"
    assert soap_action(SimpleNamespace(), "6.7") == "urn:vim25/6.7"
    with pytest.raises(VCenterApiError):
        soap_action(session('"urn:vim25/8.0\r\nX-Evil: 1"'), "8.0 injected")
    with pytest.raises(VCenterApiError):
        soap_action(session("urn:vim25/8.0\n"), "8.0\n")
