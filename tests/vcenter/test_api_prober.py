"""The API prober's own logic, without a lab or the simulator: a tiny TLS vCenter (fake_soap.py) answers from
recorded answers, hangs where a test says so, and the real SoapClient, Session and ApiProber talk to it.

Every wait is on an event (a call arrived, a call hangs, a call was broken off, the round returned), bounded only
so that a test that should fail does fail instead of hanging.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from tests.vcenter.fake_soap import (
    HANG,
    Answer,
    Certificates,
    FakeVCenter,
    Request,
    executer,
    fake_vcenter,
    make_certificates,
    pinged,
    recorded,
)
from validator.classify import ProbeFailure
from validator.errors import VCenterAuthError
from validator.models import Family, PingStats, Reason
from validator.prober import EndKind, Job, Ping, SessionEnd, StepOutput
from validator.vcenter.api_prober import ApiProber, api_prober, job_calls, rides_on
from validator.vcenter.connect import ssl_context
from validator.vcenter.settings import VCenterSettings
from validator.vcenter.soap import COOKIE_NAME
from validator.vcenter.soap_client import Session, SoapClient
from validator.vcenter.soap_http import HttpError, answer_end

HOSTS = {"esx-a": "host-1", "esx-b": "host-2"}
PASSWORD = "S3cret-Pa55word-xyz"
ROUND_BOUND = 20.0  # seconds a round may take before the test fails (never waited for when all goes well)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


def service_instance(cookie: str) -> Any:
    return SimpleNamespace(_stub=SimpleNamespace(cookie=f'{COOKIE_NAME}="{cookie}"; Path=/; HttpOnly; Secure;'))


def settings_for(server: FakeVCenter, certificates: Certificates) -> VCenterSettings:
    return VCenterSettings(host="127.0.0.1", port=server.port, username="probe@vsphere.local",
                           ca_file=certificates.ca_file)


@dataclass
class Logins:
    """The relogin of a Session: counts its calls; each gives the next cookie, or raises ``error``."""

    error: Exception | None = None
    count: int = 0

    def __call__(self) -> Any:
        self.count += 1
        if self.error is not None:
            raise self.error
        return service_instance(f"fresh-{self.count}")


def make_prober(server: FakeVCenter, certificates: Certificates, *, logins: Logins | None = None,
                call_margin: float = 30.0) -> tuple[ApiProber, Session]:
    settings = settings_for(server, certificates)
    session = Session(service_instance("first"), relogin=logins or Logins())
    client = SoapClient(settings, session, ssl_context(settings))
    return ApiProber(client, HOSTS, "vmotion", endpoint=settings.endpoint, call_margin=call_margin), session


def pair_job(dst: str) -> Job:
    """A pair's steps as the engine builds them: warm-up, reachability, DF."""
    return {
        "warm": Ping(dst, "vmk1", Family.IPV4, 1, 0.2, 1.0),
        "reach": Ping(dst, "vmk1", Family.IPV4, 3, 0.2, 1.0),
        "mtu": Ping(dst, "vmk1", Family.IPV4, 3, 0.2, 1.0, size=8972, df=True),
    }


def quick_job(dst: str) -> Job:
    """One step whose ping takes Ping.seconds = 2 s at most: with call_margin -1.7 a call's limit is 0.3 s."""
    return {"reach": Ping(dst, "vmk1", Family.IPV4, 1, 0.0, 0.0)}


QUICK_MARGIN = -1.7


@dataclass
class Round:
    """One host's round run in its own thread: what it handed over, and how it ended."""

    prober: ApiProber
    host: str
    jobs: Mapping[str, Job]
    concurrency: int = 4
    cancel: threading.Event = field(default_factory=threading.Event)
    handed: dict[str, Mapping[str, StepOutput]] = field(default_factory=dict)
    end: SessionEnd | None = None
    done: threading.Event = field(default_factory=threading.Event)
    returned_at: float = 0.0

    def start(self) -> Round:
        def run() -> None:
            try:
                self.end = self.prober.run(self.host, self.jobs, concurrency=self.concurrency, gate="reach",
                                           on_job=self.handed.__setitem__, cancel=self.cancel)
            finally:
                self.returned_at = time.monotonic()
                self.done.set()

        threading.Thread(target=run, daemon=True, name=f"round-{self.host}").start()
        return self

    def result(self) -> SessionEnd:
        assert self.done.wait(ROUND_BOUND), f"{self.host}'s round did not return"
        assert self.end is not None
        return self.end


def run_round(prober: ApiProber, host: str, jobs: Mapping[str, Job], concurrency: int = 4) -> Round:
    round_ = Round(prober, host, jobs, concurrency).start()
    round_.result()
    return round_


def by_destination(behaviour: Mapping[str, Answer | Callable[[Request], Answer]]) -> Callable[[Request], Answer]:
    """Executers for every host; a ping call answered by its destination's entry (default: every packet back)."""

    def answer(request: Request) -> Answer:
        if request.method == "RetrieveManagedMethodExecuter":
            return executer(request)
        if request.method != "ExecuteSoap":
            return 404, b""
        chosen = behaviour.get(request.arguments.get("host", ""), pinged)
        return chosen(request) if callable(chosen) else chosen

    return answer


@pytest.fixture()
def server_with(certificates: Certificates) -> Iterator[Callable[[Callable[[Request], Answer]], FakeVCenter]]:
    servers: list[Any] = []

    def start(answer: Callable[[Request], Answer]) -> FakeVCenter:
        context = fake_vcenter(certificates, answer)
        servers.append(context)
        return context.__enter__()

    yield start
    for context in reversed(servers):
        context.__exit__(None, None, None)


def stats(output: StepOutput) -> PingStats:
    assert isinstance(output.outcome, PingStats), output
    return output.outcome


# ------------------------------------------------------------------------------------------------ the calls


def test_a_pair_is_two_calls_its_warm_up_riding_on_the_reachability_ping(server_with: Any,
                                                                        certificates: Certificates) -> None:
    def first_packet_lost(request: Request) -> Answer:  # the warm-up's packet gets no reply: ARP takes a while
        return pinged(request, replied=None if "df" in request.arguments else int(request.arguments["count"]) - 1)

    lost_first = {"198.19.0.12": first_packet_lost}
    server = server_with(by_destination(lost_first))
    prober, _ = make_prober(server, certificates)
    jobs = {f"p{i}": pair_job(f"198.19.0.{10 + i}") for i in range(4)}
    round_ = run_round(prober, "esx-a", jobs)
    prober.close()
    assert round_.end == SessionEnd(EndKind.DONE)
    assert set(round_.handed) == set(jobs)
    for outputs in round_.handed.values():
        assert list(outputs) == ["reach", "mtu"]  # the warm-up rode on the reachability call
        reach = stats(outputs["reach"])
        assert (reach.transmitted, reach.received, reach.loss_pct, reach.ttls) == (3, 3, 0.0, (64, 64, 64))
        assert stats(outputs["mtu"]).received == 3
    pings = server.calls("ExecuteSoap")
    assert len(pings) == 2 * len(jobs) and len(server.calls("RetrieveManagedMethodExecuter")) == 1
    reach_calls = [r.arguments for r in pings if "df" not in r.arguments]
    assert {(a["count"], a["interval"], a["wait"]) for a in reach_calls} == {("4", "0.2", "1")}
    assert {r.arguments["count"] for r in pings if r.arguments.get("df") == "true"} == {"3"}
    assert {r.this for r in pings} == {"mme-host-1"}


def test_the_warm_up_rides_only_on_a_ping_of_the_same_packets() -> None:
    job = pair_job("198.19.0.10")
    calls = job_calls(job, lambda ping: repr(ping).encode())
    assert [(c.step, c.ping.count, c.skip) for c in calls] == [("reach", 4, 1), ("mtu", 3, 0)]
    other = dict(job, warm=Ping("198.19.0.10", "vmk1", Family.IPV4, 1, 0.2, 1.0, size=100))
    assert [c.step for c in job_calls(other, lambda ping: b"")] == ["warm", "reach", "mtu"]
    assert not rides_on(job["warm"], job["mtu"])  # DF and size differ
    assert not rides_on(job["reach"], job["reach"])  # not a one-packet step
    alone = {"reach": job["reach"]}
    assert [(c.step, c.skip) for c in job_calls(alone, lambda ping: b"")] == [("reach", 0)]


def test_a_kept_connection_the_server_closed_is_replaced_once(server_with: Any, certificates: Certificates) -> None:
    server = server_with(by_destination({}))
    prober, _ = make_prober(server, certificates)
    run_round(prober, "esx-a", {"p0": pair_job("198.19.0.10")}, concurrency=1)
    server.drop_after_answer = True  # from now on every connection the client keeps is closed under it
    round_ = run_round(prober, "esx-a", {f"p{i}": pair_job(f"198.19.0.{10 + i}") for i in range(3)}, concurrency=1)
    prober.close()
    assert round_.end == SessionEnd(EndKind.DONE) and len(round_.handed) == 3, round_.end
    assert all(stats(outputs["mtu"]).received == 3 for outputs in round_.handed.values())


@pytest.mark.parametrize("chunks", [[b"x" * 10], [b"ab", b"cdef", b""], [b"0123456789" * 300, b"z"]])
def test_an_answer_is_complete_only_with_all_its_bytes(chunks: list[bytes]) -> None:
    body = b"".join(chunks)
    framed = [b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body),
              b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n"
              + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks if c) + b"0\r\n\r\n"]
    for answer in framed:
        for cut in range(len(answer)):
            assert answer_end(answer[:cut], 1 << 20) is None
        status, got, keep, used = answer_end(answer + b"HTTP/1.1 next", 1 << 20) or (0, b"", False, 0)
        assert (got, keep, used) == (body, True, len(answer)) and status in (200, 500)
    with pytest.raises(HttpError):
        answer_end(framed[0], 5)


# ------------------------------------------------------------------------------------------------ cancel


def test_cancel_returns_within_a_second_while_every_call_hangs(server_with: Any, certificates: Certificates) -> None:
    server = server_with(by_destination({f"198.19.0.{10 + i}": HANG for i in range(8)}))
    prober, _ = make_prober(server, certificates)
    round_ = Round(prober, "esx-a", {f"p{i}": pair_job(f"198.19.0.{10 + i}") for i in range(8)}, 4).start()
    server.wait_for(lambda s: s.hanging == 4)
    cancelled_at = time.monotonic()
    round_.cancel.set()
    end = round_.result()
    assert end.kind is EndKind.INTERRUPTED
    assert round_.returned_at - cancelled_at < 1.0
    assert round_.handed == {}
    server.wait_for(lambda s: s.aborted == 4)  # the calls in flight were broken off, not waited for
    assert len(server.calls("ExecuteSoap")) == 4  # and no new call started
    prober.close()


# ------------------------------------------------------------------------------------------------ timeouts


def test_a_call_that_times_out_costs_only_its_pair(server_with: Any, certificates: Certificates) -> None:
    server = server_with(by_destination({"198.19.0.10": HANG}))
    prober, _ = make_prober(server, certificates, call_margin=QUICK_MARGIN)
    jobs = {f"p{i}": quick_job(f"198.19.0.{10 + i}") for i in range(3)}
    round_ = run_round(prober, "esx-a", jobs, concurrency=1)
    prober.close()
    assert round_.end == SessionEnd(EndKind.DONE)
    failure = round_.handed["p0"]["reach"].outcome
    assert isinstance(failure, ProbeFailure) and failure.reason is Reason.HOST_ERROR
    assert failure.message.startswith("esx-a: no answer from esxcli network diag ping through vCenter")
    assert stats(round_.handed["p1"]["reach"]).received == 1 and stats(round_.handed["p2"]["reach"]).received == 1


def test_two_timeouts_in_a_row_end_the_hosts_round_with_one_line(server_with: Any,
                                                                 certificates: Certificates) -> None:
    server = server_with(by_destination({"198.19.0.10": HANG, "198.19.0.11": HANG}))
    prober, _ = make_prober(server, certificates, call_margin=QUICK_MARGIN)
    jobs = {f"p{i}": quick_job(f"198.19.0.{10 + i}") for i in range(4)}
    round_ = run_round(prober, "esx-a", jobs, concurrency=1)
    prober.close()
    end = round_.result()
    assert end.kind is EndKind.SILENT and "\n" not in end.message
    assert end.message.startswith(f"esx-a: no answer from esxcli through vCenter 127.0.0.1:{server.port} to 2 calls "
                                  "in a row")
    assert list(round_.handed) == ["p0"]  # the first timeout cost its pair; nothing after the second was tried
    assert [r.arguments["host"] for r in server.calls("ExecuteSoap")] == ["198.19.0.10", "198.19.0.11"]


# ------------------------------------------------------------------------------------------------ host-wide


@pytest.mark.parametrize(
    ("sample", "method", "said"),
    [
        ("envelope-fault-no-permission.xml", "ExecuteSoap", "refused: the vCenter user lacks privilege "
                                                            "Host.Config.NetService"),
        ("envelope-fault-host-not-connected.xml", "ExecuteSoap", "refused: vCenter cannot run esxcli on the host"),
        ("envelope-fault-host-not-connected.xml", "RetrieveManagedMethodExecuter",
         "refused: vCenter cannot run esxcli on the host"),
    ],
)
def test_a_host_wide_fault_ends_only_that_hosts_round(server_with: Any, certificates: Certificates, sample: str,
                                                      method: str, said: str) -> None:
    def answer(request: Request) -> Answer:
        if request.method == method and request.this.endswith("host-1"):
            return recorded(sample)
        return by_destination({})(request)

    server = server_with(answer)
    prober, _ = make_prober(server, certificates)
    jobs = {f"p{i}": pair_job(f"198.19.0.{10 + i}") for i in range(6)}
    faulty, healthy = Round(prober, "esx-a", jobs).start(), Round(prober, "esx-b", jobs).start()
    end_a, end_b = faulty.result(), healthy.result()
    prober.close()
    assert end_a.kind is EndKind.FAILED and "\n" not in end_a.message
    assert end_a.message.startswith(f"esx-a: esxcli through vCenter 127.0.0.1:{server.port} {said}")
    assert faulty.handed == {}
    assert end_b == SessionEnd(EndKind.DONE) and set(healthy.handed) == set(jobs)
    if method == "ExecuteSoap":  # every thread of the faulty round stopped at its first answer
        assert len([r for r in server.calls("ExecuteSoap") if r.this == "mme-host-1"]) <= 4


# ------------------------------------------------------------------------------------------------ the session


def test_an_expired_session_is_logged_in_again_once_and_the_calls_sent_again(server_with: Any,
                                                                             certificates: Certificates) -> None:
    def answer(request: Request) -> Answer:
        if request.method == "ExecuteSoap" and request.cookie == "first":
            return recorded("envelope-fault-not-authenticated.xml")
        return by_destination({})(request)

    server = server_with(answer)
    logins = Logins()
    prober, session = make_prober(server, certificates, logins=logins)
    jobs = {f"p{i}": pair_job(f"198.19.0.{10 + i}") for i in range(8)}
    round_ = run_round(prober, "esx-a", jobs, concurrency=4)
    prober.close()
    assert round_.end == SessionEnd(EndKind.DONE) and set(round_.handed) == set(jobs)
    assert logins.count == 1 and session.logins == 1  # four calls refused at once, one login
    refused = [r for r in server.calls("ExecuteSoap") if r.cookie == "first"]
    assert 1 <= len(refused) <= 4
    assert len(server.calls("ExecuteSoap")) == len(refused) + 2 * len(jobs)  # each refused call sent once more
    assert {r.cookie for r in server.calls("ExecuteSoap")} == {"first", "fresh-1"}


def test_a_failed_login_again_ends_the_round_with_one_line(server_with: Any, certificates: Certificates) -> None:
    def answer(request: Request) -> Answer:
        if request.method == "ExecuteSoap":
            return recorded("envelope-fault-not-authenticated.xml")
        return by_destination({})(request)

    server = server_with(answer)
    logins = Logins(error=VCenterAuthError("vCenter vc1: login refused for user probe: wrong user name or password"))
    prober, _ = make_prober(server, certificates, logins=logins)
    round_ = run_round(prober, "esx-a", {f"p{i}": pair_job(f"198.19.0.{10 + i}") for i in range(4)})
    again = run_round(prober, "esx-b", {"p0": pair_job("198.19.0.10")})
    prober.close()
    for end in (round_.result(), again.result()):
        assert end.kind is EndKind.FAILED and "\n" not in end.message
        assert "failed: the session expired and logging in again failed: vCenter vc1: login refused" in end.message
    assert logins.count == 1  # a login that failed is not tried again for every call
    assert round_.handed == {} and again.handed == {}


VERSIONS = (b'<?xml version="1.0" encoding="UTF-8"?><namespaces version="1.0"><namespace><name>urn:vim25</name>'
            b"<version>7.0.3.0</version><priorVersions><version>6.7</version></priorVersions></namespace></namespaces>")
SERVICE_CONTENT = (
    b'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><FetchResponse '
    b'xmlns="urn:vim25"><returnval xsi:type="ServiceContent"><rootFolder type="Folder">group-d1</rootFolder><propertyCollector '
    b'type="PropertyCollector">propertyCollector</propertyCollector><about><name>VMware vCenter Server</name>'
    b"<fullName>VMware vCenter Server 7.0.3</fullName><vendor>VMware, Inc.</vendor><version>7.0.3</version>"
    b"<build>1</build><osType>linux-x64</osType><productLineId>vpx</productLineId><apiType>VirtualCenter</apiType>"
    b'<apiVersion>7.0.3.0</apiVersion></about><sessionManager type="SessionManager">SessionManager</sessionManager>'
    b"</returnval></FetchResponse></soapenv:Body></soapenv:Envelope>"
)


def test_the_password_is_in_no_error_even_when_vcenter_echoes_it(server_with: Any,
                                                                 certificates: Certificates) -> None:
    """The real login again (pyVmomi against this server) fails with the request, password included, echoed back."""

    def answer(request: Request) -> Answer:
        if request.method == "ExecuteSoap":
            return recorded("envelope-fault-not-authenticated.xml")
        if request.method == "RetrieveManagedMethodExecuter":
            return executer(request)
        if request.method == "GET":  # pyVmomi's version discovery
            return 200, VERSIONS
        if request.method == "Fetch":  # ServiceInstance.content
            return 200, SERVICE_CONTENT
        echoed = request.body.decode("utf-8", "replace").replace("<", "&lt;").replace(">", "&gt;")
        fault = (f"<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>password {PASSWORD} refused "
                 f"in {echoed}</faultstring><detail/></soapenv:Fault>")
        return 500, ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap'
                     f'.org/soap/envelope/"><soapenv:Body>{fault}</soapenv:Body></soapenv:Envelope>').encode()

    server = server_with(answer)
    settings = settings_for(server, certificates)
    hosts = [SimpleNamespace(name=name, moid=moid) for name, moid in HOSTS.items()]
    prober = api_prober(service_instance("first"), settings, PASSWORD, hosts, "vmotion")  # type: ignore[arg-type]
    round_ = run_round(prober, "esx-a", {"p0": pair_job("198.19.0.10")})
    prober.close()
    end = round_.result()
    logins = [r for r in server.requests if b"Login" in r.body]
    assert logins and PASSWORD.encode() in logins[0].body  # the login was tried, with the password ...
    assert end.kind is EndKind.FAILED and "logging in again failed" in end.message
    assert PASSWORD not in end.message and PASSWORD not in repr(end)  # ... and no error says it

