"""SOAP on vCenter's ``/sdk`` endpoint, as both the retrieval and esxcli post it: the envelope around a call,
the fault of an answer, and the cookie of the pyVmomi session the calls ride on. pyVmomi is relied on for two
things only, checked by a test: the ``_stub`` of a service instance and the ``cookie`` its stub keeps after login.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any

from validator.errors import VCenterApiError
from validator.esxi.diag_ping import child_text, children, local_name, one_line

SOAP_PATH = "/sdk"
COOKIE_NAME = "vmware_soap_session"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
SOAP_HEAD = (  # every request body: the envelope around one call
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    f'xmlns:xsi="{_XSI}"><soapenv:Body>'
)
SOAP_TAIL = "</soapenv:Body></soapenv:Envelope>"


@dataclass(frozen=True, slots=True)
class SoapFault:
    """A SOAP fault: vim type (``NotAuthenticated``, ``HostNotConnected``...), message, privilege if named."""

    kind: str
    message: str
    privilege: str | None = None


def read_fault(fault: ET.Element) -> SoapFault:
    """A SOAP ``Fault`` element -> its vim type, message and privilege."""
    message = child_text(fault, "faultstring") or ""
    detail = next(children(fault, "detail"), None)
    kind, privilege = "", None
    if detail is not None and (first := next(iter(detail), None)) is not None:
        declared = first.get(f"{{{_XSI}}}type")
        kind = declared.rpartition(":")[2] if declared else local_name(first.tag).removesuffix("Fault")
        privilege = next((e.text.strip() for e in first.iter() if local_name(e.tag) == "privilegeId" and e.text), None)
    return SoapFault(kind or "SoapFault", one_line(message), privilege)


def session_cookie(service_instance: Any) -> str:
    """The ``Cookie`` header of the pyVmomi session (its stub keeps the login's ``Set-Cookie``)."""
    stub = getattr(service_instance, "_stub", None)
    header = getattr(stub, "cookie", None)
    if not isinstance(header, str) or not header:
        raise VCenterApiError("the vCenter session has no cookie (pyVmomi's stub changed, or not logged in)")
    try:
        morsel = SimpleCookie(header).get(COOKIE_NAME)
    except CookieError:
        morsel = None
    value = morsel.value if morsel is not None else ""
    if not value or any(c in value for c in '\r\n";'):
        raise VCenterApiError("the vCenter session cookie is not usable")
    return f'{COOKIE_NAME}="{value}"'
