"""The project's error hierarchy; lower libraries' errors are mapped here, in one place each.

    ValidatorError
    +-- UsageError              bad command-line usage                      (exit 2)
    +-- InventoryError          bad inventory file or environment           (exit 2)
    +-- LabError                the lab could not be built or torn down
    |   +-- LabHostError        this machine cannot run a lab (not Linux, not root)  (validator/lab/api.py, exit 2)
    |   +-- StatePathError      unusable state directory path (a file, not writable)  (validator/lab/state.py, exit 2)
    |   +-- LabBusyError        another lab up/down/status holds the state directory  (validator/lab/state.py, exit 1)
    +-- TransportError          talking to one host failed
    |   +-- ConnectError        TCP connect failed or timed out (host unreachable)
    |   +-- AuthError           every authentication method was refused
    |   +-- HostKeyError        unknown or changed host key under strict checking
    |   +-- CommandTimeout      a remote command did not finish in time
    +-- ParseError              ESXi output did not have the expected shape (keeps the raw text)
    |   +-- UnknownInterfaceError   vmkping refused the source vmk          (validator/esxi/parsers.py)
    |   +-- NetstackMissingError    the host has no such TCP/IP stack       (validator/esxi/parsers.py)
    |   +-- EsxcliError             esxcli printed an error instead of a table  (validator/esxi/tables.py)
    +-- CommandValueError       a value refused before it is placed in a remote command
    +-- ReportFormatError       a saved report is not JSON or does not follow the report schema  (exit 2)
    +-- IncomparableReportsError  two reports a baseline diff refuses (other netstack or schema)  (exit 2)
    +-- VCenterError            talking to vCenter failed; never carries the password            (exit 2)
        +-- VCenterConnectError     vCenter unreachable (DNS, refused, timeout)
        +-- VCenterCertificateError vCenter's TLS certificate could not be verified
        +-- VCenterAuthError        vCenter refused the user name or password
        +-- VCenterScopeError       a datacenter, cluster or host named in the scope does not exist
        +-- VCenterApiError         a vCenter call failed (retrieval, starting or stopping a service)
            +-- VCenterSessionError     the session is no longer valid (NotAuthenticated): log in again
            +-- VCenterHostError        vCenter cannot run esxcli on a host (HostNotConnected, other faults)
            +-- VCenterPrivilegeError   the user lacks the privilege a call needs (NoPermission)
            +-- VCenterCallTimeout      a call got no answer within its own time limit

    KeyboardInterrupt
    +-- Interrupted             Ctrl-C stopped a validation; carries the partial report      (exit 130)

    Inside the vSphere API probe path, caught there and never raised to a caller:

    ValueError
    +-- AnswerError             an esxcli answer of an unexpected shape     (validator/esxi/diag_ping.py)
    +-- HttpError               an answer that is not HTTP/1.x as expected  (validator/vcenter/soap_http.py)
    ConnectionError
    +-- StaleConnection         vCenter closed a keep-alive connection      (validator/vcenter/soap_http.py)

    Inside the host retrieval's SOAP reading, caught by validator/vcenter/retrieve.py and raised again as a
    VCenterApiError (or the typed error of the fault) naming the vCenter:

    VCenterApiError
    +-- AnswerShapeError        a PropertyCollector answer of another shape  (validator/vcenter/collector_answer.py)
    +-- SoapFaultError          a SOAP fault in a PropertyCollector answer   (validator/vcenter/collector_answer.py)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from validator.report import Report


class ValidatorError(Exception):
    """Base of every error this project raises on purpose."""


class UsageError(ValidatorError):
    """The command line asked for something impossible."""


class InventoryError(ValidatorError):
    """The inventory (file, key, host or environment) is not valid."""


class LabError(ValidatorError):
    """The lab could not be built, inspected or torn down."""


class TransportError(ValidatorError):
    """A host could not be talked to."""

    def __init__(self, message: str, host: str | None = None) -> None:
        super().__init__(message)
        self.host = host


class ConnectError(TransportError):
    """The TCP connection failed or timed out."""


class AuthError(TransportError):
    """Authentication was refused."""


class HostKeyError(TransportError):
    """The host key is unknown or changed and the policy refuses it."""


class CommandTimeout(TransportError):
    """A remote command did not finish in time."""


class ParseError(ValidatorError):
    """ESXi output could not be parsed; ``raw`` holds the text that failed."""

    def __init__(self, message: str, raw: str = "") -> None:
        super().__init__(message)
        self.raw = raw


class CommandValueError(ValidatorError, ValueError):
    """A value was refused before being placed in a remote command."""


class ReportFormatError(ValidatorError, ValueError):
    """A saved report cannot be read: not JSON, or not following the report schema."""


class VCenterError(ValidatorError):
    """vCenter could not be used; the message is one line and never holds the password."""


class VCenterConnectError(VCenterError):
    """vCenter could not be reached."""


class VCenterCertificateError(VCenterError):
    """vCenter's certificate could not be verified."""


class VCenterAuthError(VCenterError):
    """vCenter refused the login."""


class VCenterScopeError(VCenterError):
    """A datacenter, cluster or host named in the scope is not in vCenter."""


class VCenterApiError(VCenterError):
    """A vCenter call failed."""


class VCenterSessionError(VCenterApiError):
    """vCenter no longer accepts the session's cookie (``NotAuthenticated``)."""


class VCenterHostError(VCenterApiError):
    """vCenter cannot run esxcli on the host (``HostNotConnected`` and other faults naming it)."""


class VCenterPrivilegeError(VCenterApiError):
    """The vCenter user lacks a privilege (``NoPermission``); ``privilege`` names it when vCenter says."""

    def __init__(self, message: str, privilege: str | None = None) -> None:
        super().__init__(message)
        self.privilege = privilege


class VCenterCallTimeout(VCenterApiError):
    """A vCenter call got no answer within its own time limit."""


class IncomparableReportsError(ValidatorError):
    """Two reports cannot be compared (different netstacks or schema versions); the message is one line."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a validation; ``report`` holds what was measured (``report.interrupted`` is set and the
    pairs without an outcome are ``not-probed``). A ``KeyboardInterrupt``, so code that does not expect it
    still stops as on any Ctrl-C."""

    def __init__(self, report: Report) -> None:
        super().__init__("validation interrupted")
        self.report = report
