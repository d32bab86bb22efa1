"""A tiny vCenter for the API prober's unit tests: TLS, HTTP/1.1 keep-alive, the SOAP calls the prober posts,
answered by a test's own function from recorded answers (samples/vsphere-api) or ping documents made here.

Nothing here sleeps: a call the test wants to hang blocks until its client closes the connection (or the
server stops), and every call and every hang is counted under a condition a test can wait on.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "vsphere-api"
HANG = object()  # an answer: never answer; the call blocks until the client goes away

_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/'
         'envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
         "<soapenv:Body>")
_TAIL = "</soapenv:Body></soapenv:Envelope>"


@dataclass(frozen=True)
class Request:
    """One SOAP call as the server read it."""

    method: str  # RetrieveManagedMethodExecuter, ExecuteSoap, ... (the Body's first element); GET for a GET
    this: str  # the _this value
    cookie: str  # the vmware_soap_session value sent ("" when none)
    arguments: dict[str, str] = field(default_factory=dict)  # ExecuteSoap: name -> value
    body: bytes = b""


Answer = tuple[int, bytes] | object  # (HTTP status, envelope) or HANG


def envelope(inner: str) -> bytes:
    return (_HEAD + inner + _TAIL).encode()


def executer(request: Request) -> tuple[int, bytes]:
    """RetrieveManagedMethodExecuter's answer for the host in ``request``."""
    return 200, envelope(f'<RetrieveManagedMethodExecuterResponse xmlns="urn:vim25"><returnval type="ReflectManaged'
                         f'MethodExecuter">mme-{escape(request.this)}</returnval></RetrieveManagedMethodExecuterResponse>')


def ping_document(address: str, count: int, replied: int | None = None, ttl: int = 64) -> str:
    """esxcli network diag ping's response document: ``replied`` replies (all by default) of ``count`` packets."""
    replied = count if replied is None else replied
    traces = "".join(
        f'<Trace xsi:type="VimEsxCLInetworkdiagpingVMKPingTrace"><Detail></Detail><Dup>false</Dup><Host>{address}'
        f"</Host><ICMPSeq>{seq}</ICMPSeq><ReceivedBytes>64</ReceivedBytes><RoundtripTime>{100 + seq}</RoundtripTime>"
        f"<RoundtripTimeMS>0</RoundtripTimeMS><TTL>{ttl}</TTL></Trace>"
        for seq in range(count - replied, count)
    )
    lost = (count - replied) * 100 // count
    return (
        '<obj xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="urn:vim25" versionId="5.0" '
        'xsi:type="VimEsxCLInetworkdiagpingVMKPing"><Summary xsi:type="VimEsxCLInetworkdiagpingVMKPingSummary">'
        f"<Duplicated>0</Duplicated><HostAddr>{address}</HostAddr><PacketLost>{lost}</PacketLost>"
        f"<Recieved>{replied}</Recieved><RoundtripAvg>100</RoundtripAvg><RoundtripAvgMS>0</RoundtripAvgMS>"
        "<RoundtripMax>100</RoundtripMax><RoundtripMaxMS>0</RoundtripMaxMS><RoundtripMin>100</RoundtripMin>"
        f"<RoundtripMinMS>0</RoundtripMinMS><Transmitted>{count}</Transmitted></Summary>{traces}</obj>"
    )


def pinged(request: Request, replied: int | None = None) -> tuple[int, bytes]:
    """ExecuteSoap's answer to a ping call: every packet answered (or ``replied`` of them)."""
    count = int(request.arguments.get("count", "3"))
    document = ping_document(request.arguments.get("host", ""), count, replied)
    return 200, envelope(f'<ExecuteSoapResponse xmlns="urn:vim25"><returnval><response>{escape(document)}'
                         "</response></returnval></ExecuteSoapResponse>")


def recorded(name: str) -> tuple[int, bytes]:
    """A recorded envelope of samples/vsphere-api (a SOAP fault answers with status 500)."""
    data = (SAMPLES / name).read_bytes()
    return (500 if b"Fault>" in data else 200), data


class FakeVCenter:
    """Serves ``answer(request)`` for every POST; counts calls and hangs under :attr:`changed`."""

    def __init__(self, context: ssl.SSLContext, answer: Callable[[Request], Answer]) -> None:
        self.answer = answer
        self.requests: list[Request] = []
        self.drop_after_answer = False  # close each connection after one answer, without saying so
        self.connections = 0  # TLS connections accepted
        self.hanging = 0  # calls blocked right now
        self.aborted = 0  # hung calls whose client went away
        self.changed = threading.Condition()
        self._context = context
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._connections: list[socket.socket] = []
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True, name="fake-vcenter").start()

    def wait_for(self, predicate: Callable[[FakeVCenter], bool], timeout: float = 10.0) -> None:
        """Until ``predicate(self)`` holds; AssertionError when it does not within ``timeout`` (a bound, not a wait)."""
        with self.changed:
            assert self.changed.wait_for(lambda: predicate(self), timeout), "the fake vCenter never got there"

    def calls(self, method: str) -> list[Request]:
        with self.changed:
            return [r for r in self.requests if r.method == method]

    def stop(self) -> None:
        self._stopped = True
        self._listener.close()
        with self.changed:
            connections = list(self._connections)
        for conn in connections:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True, name="fake-vcenter-conn").start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            conn = self._context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        with self.changed:
            self._connections.append(conn)
            self.connections += 1
        reader = conn.makefile("rb")
        try:
            while (request := _read_request(reader)) is not None:
                with self.changed:
                    self.requests.append(request)
                    self.changed.notify_all()
                answer = self.answer(request)
                if answer is HANG:
                    self._hang(conn)
                    return
                assert isinstance(answer, tuple)
                status, data = answer
                head = (f"HTTP/1.1 {status} {'OK' if status == 200 else 'Internal Server Error'}\r\n"
                        f"Content-Type: text/xml; charset=utf-8\r\nContent-Length: {len(data)}\r\n\r\n")
                conn.sendall(head.encode() + data)
                if self.drop_after_answer:
                    return
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            with suppress(OSError):
                conn.close()

    def _hang(self, conn: ssl.SSLSocket) -> None:
        with self.changed:
            self.hanging += 1
            self.changed.notify_all()
        try:
            while conn.recv(4096):  # until the client shuts the connection down or closes it
                pass
        except (OSError, ssl.SSLError):
            pass
        with self.changed:
            self.hanging -= 1
            if not self._stopped:
                self.aborted += 1
            self.changed.notify_all()


def _read_request(reader: object) -> Request | None:
    lines = []
    while True:
        line = reader.readline(65536)  # type: ignore[attr-defined]
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            break
        lines.append(line.decode("latin-1").strip())
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    body = reader.read(int(headers.get("content-length", "0")))  # type: ignore[attr-defined]
    if not lines[0].startswith("POST ") or not body:
        return Request("GET", lines[0], "", {}, body)
    cookie = ""
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "vmware_soap_session":
            cookie = value.strip('"')
    try:
        call = ET.fromstring(body)[0][0]
    except (ET.ParseError, IndexError):
        return Request("?", "", cookie, {}, body)
    method = call.tag.rpartition("}")[2]
    this = next((c.text or "" for c in call if c.tag.rpartition("}")[2] == "_this"), "")
    arguments = {}
    for argument in (c for c in call if c.tag.rpartition("}")[2] == "argument"):
        name = argument.findtext("{urn:vim25}name") or ""
        arguments[name] = ET.fromstring(argument.findtext("{urn:vim25}val") or "<x/>").text or ""
    return Request(method, this, cookie, arguments, body)


@dataclass(frozen=True)
class Certificates:
    ca_file: Path
    server: ssl.SSLContext


def make_certificates(folder: Path) -> Certificates:
    """A CA and a server certificate for 127.0.0.1 signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake vCenter CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    return Certificates(ca_file, server)


@contextmanager
def fake_vcenter(certificates: Certificates, answer: Callable[[Request], Answer]) -> Iterator[FakeVCenter]:
    server = FakeVCenter(certificates.server, answer)
    try:
        yield server
    finally:
        server.stop()
