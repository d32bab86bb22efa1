"""JUnit XML for CI (Jenkins, GitLab): a testsuite per source host, a testcase per directed pair, and a
``findings`` testsuite.

What counts as a failure:

* a pair with status ``fail`` is a ``<failure>``, one with status ``error`` (the source host could not be
  used, or its output could not be parsed) an ``<error>``; ``message`` is the reason and its detail, the
  element's text the raw vmkping output;
* a finding of severity ``error`` is a ``<failure>`` of the ``findings`` suite; ``warning`` and ``info``
  findings are passing testcases whose ``<system-out>`` holds the message.

So the root ``failures`` is the failing pairs plus the error findings, ``errors`` the pairs that could
not be tested. ``time`` is the run's wall time on the root and on every host suite (hosts are probed in
parallel, so their suites overlap rather than add up); testcases have no time of their own. Host text
is made printable (newlines kept in raw output) and anything XML 1.0 cannot hold is escaped, so the
document follows the Jenkins xUnit plugin's ``junit-10.xsd``.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reports.next_steps import StepIndex, command_lines, index_steps, step_title, steps_of
from reports.view import describe, endpoint, printable
from validator.models import Family, Finding, PairResult, PairStatus, Severity
from validator.remediation import NextStep
from validator.report import Report

NAME = "junit"
FILENAME = "report.junit.xml"

FINDINGS_SUITE = "findings"

# everything outside XML 1.0's Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str | None, *, keep_newlines: bool = False) -> str:
    """Host text as XML 1.0 can hold it: printable first, then any character XML forbids as ``\\xNN``."""
    return _NOT_XML_CHAR.sub(lambda m: f"\\x{ord(m.group()):02x}", printable(text, keep_newlines=keep_newlines))


def _time(seconds: float) -> str:
    """Seconds as SUREFIRE_TIME (digits, at most three decimals); 0 for a negative or non-finite value."""
    return f"{seconds:.3f}" if math.isfinite(seconds) and seconds >= 0 else "0.000"


def _classname(netstack: str, host: str) -> str:
    """``netstack.host`` with the host's dots as ``_``: Jenkins splits a classname at its last dot."""
    return f"{xml_text(netstack)}.{xml_text(host).replace('.', '_')}"


def pair_name(pair: PairResult) -> str:
    """``esx01:vmk1->esx02:vmk2``, with `` (ipv6)`` for IPv6 pairs."""
    p = pair.plan
    name = f"{endpoint(p.src_host, p.src_vmk)}->{endpoint(p.dst_host, p.dst_vmk)}"
    return xml_text(name + (f" ({p.family.value})" if p.family is Family.IPV6 else ""))


def raw_output(pair: PairResult) -> str:
    """The pair in one line, then each raw output it kept, labelled (``--- reach ---``)."""
    p = pair.plan
    lines = [f"{endpoint(p.src_host, p.src_vmk)} ({p.src_ip}) -> {endpoint(p.dst_host, p.dst_vmk)} ({p.dst_ip})"]
    if pair.mtu_tested is not None:
        lines[0] += f", DF tested at MTU {pair.mtu_tested}"
    for label, text in pair.raw.items():
        lines += [f"--- {label} ---", text.rstrip("\n")]
    return xml_text("\n".join(lines), keep_newlines=True) + "\n"


@dataclass(frozen=True)
class _Counts:
    tests: int
    failures: int
    errors: int

    def attrs(self) -> dict[str, str]:
        return {"tests": str(self.tests), "failures": str(self.failures), "errors": str(self.errors)}


@dataclass(frozen=True)
class _Steps:
    """The report's next steps and which of them address each pair and finding."""

    steps: tuple[NextStep, ...]
    index: StepIndex

    def text(self, numbers: Sequence[int]) -> str:
        """``Next steps:`` and each step with its commands, or ``""``."""
        lines = []
        for n in numbers:
            step = self.steps[n]
            lines.append(f"- {step_title(step)}")
            lines += [f"  {label}: {text}" for label, text in command_lines(step)]
        return xml_text("Next steps:\n" + "\n".join(lines), keep_newlines=True) + "\n" if lines else ""


def _pair_case(pair: PairResult, classname: str, steps: _Steps) -> ET.Element:
    case = ET.Element("testcase", {"name": pair_name(pair), "classname": classname})
    if pair.status is not PairStatus.PASS:
        tag = "error" if pair.status is PairStatus.ERROR else "failure"
        kind = pair.reason.value if pair.reason else pair.status.value
        outcome = ET.SubElement(case, tag, {"type": kind, "message": xml_text(describe(pair))})
        next_steps = steps.text(steps.index.for_pair(pair))
        outcome.text = (next_steps + "\n" if next_steps else "") + raw_output(pair)
    return case


def _suite(name: str, cases: Sequence[ET.Element], counts: _Counts, seconds: float) -> ET.Element:
    suite = ET.Element("testsuite", {"name": xml_text(name), **counts.attrs(), "skipped": "0", "time": _time(seconds)})
    suite.extend(cases)
    return suite


def _properties(values: dict[str, str | None]) -> ET.Element:
    props = ET.Element("properties")
    for key, value in values.items():
        if value is not None:
            ET.SubElement(props, "property", {"name": key, "value": xml_text(value)})
    return props


def _host_suites(report: Report, steps: _Steps) -> Iterable[tuple[ET.Element, _Counts]]:
    hosts = {h.name: h for h in report.hosts}
    sources = list(dict.fromkeys([*hosts, *(p.plan.src_host for p in report.pairs)]))
    for source in sources:
        pairs = [p for p in report.pairs if p.plan.src_host == source]
        classname = _classname(report.netstack, source)
        counts = _Counts(
            tests=len(pairs),
            failures=sum(1 for p in pairs if p.status is PairStatus.FAIL),
            errors=sum(1 for p in pairs if p.status is PairStatus.ERROR),
        )
        suite = _suite(source, [_pair_case(p, classname, steps) for p in pairs], counts, report.duration_s)
        host = hosts.get(source)
        info: dict[str, str | None] = {"netstack": report.netstack, "started_at": report.started_at}
        if host is not None:
            info |= {"address": host.address, "status": host.status.value, "error": host.error}
        suite.insert(0, _properties(info))
        yield suite, counts


def finding_name(finding: Finding) -> str:
    """``[check] host:vmk`` (or ``host``, or ``cluster`` when the finding names no host)."""
    where = endpoint(finding.host, finding.vmk) if finding.host and finding.vmk else finding.host or "cluster"
    return xml_text(f"[{finding.check}] {where}")


def _finding_suite(report: Report, steps: _Steps) -> tuple[ET.Element, _Counts]:
    cases = []
    seen: dict[str, int] = {}
    for index, f in enumerate(report.findings):
        name = finding_name(f)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:  # two findings of one check on one place stay two testcases
            name = f"{name} #{seen[name]}"
        case = ET.Element("testcase", {"name": name, "classname": f"{FINDINGS_SUITE}.{xml_text(f.check)}"})
        message = xml_text(f.message)
        next_steps = steps.text(steps.index.for_finding(index))
        if f.severity is Severity.ERROR:
            failure = ET.SubElement(case, "failure", {"type": f.severity.value, "message": message})
            failure.text = message + "\n" + next_steps
        else:
            ET.SubElement(case, "system-out").text = f"{f.severity.value}: {message}\n{next_steps}"
        cases.append(case)
    failures = sum(1 for f in report.findings if f.severity is Severity.ERROR)
    counts = _Counts(tests=len(cases), failures=failures, errors=0)
    return _suite(FINDINGS_SUITE, cases, counts, 0.0), counts


def render(report: Report, **_options: object) -> str:
    """The report as a JUnit XML document (UTF-8, with declaration)."""
    found = steps_of(report)
    steps = _Steps(found, index_steps(found))
    suites = [*_host_suites(report, steps), _finding_suite(report, steps)]
    total = _Counts(
        tests=sum(c.tests for _, c in suites),
        failures=sum(c.failures for _, c in suites),
        errors=sum(c.errors for _, c in suites),
    )
    root = ET.Element("testsuites", {"name": "vmotion-validator", **total.attrs(), "time": _time(report.duration_s)})
    root.extend(suite for suite, _ in suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
