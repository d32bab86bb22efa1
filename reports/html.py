"""The HTML report: one self-contained page for a browser or a mail attachment.

The page needs no network: CSS and JavaScript are inline (``reports/html_assets/``) and the report is
embedded as JSON in a ``<script type="application/json">`` block. The summary, failing pairs, findings and
hosts are plain HTML written here; the pair matrices are drawn by the page's script on a canvas from the
embedded data (hover and click show a pair's detail; filters: failing only, by host, by reason).

Every text that came from a host goes through :func:`reports.view.printable` and is HTML-escaped here;
the script only ever sets ``textContent``. In the JSON block ``<``, ``>`` and ``&`` are ``\\uXXXX`` escapes,
so no host text can close the block.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from importlib import resources
from string import Template
from typing import Any

from reports import _html_data
from reports.next_steps import command_lines, step_title, steps_of
from reports.view import (
    by_severity,
    finding_where,
    group_failures,
    group_line,
    interrupted_note,
    printable,
    reason_counts,
    reason_label,
    severity_counts,
    severity_counts_line,
    summary_line,
)
from validator.models import Finding, HostInfo, Severity, Vmk
from validator.report import Report

NAME = "html"
FILENAME = "report.html"

MAX_GROUPS = 200  # failing-pair lines shown as HTML; every pair stays in the matrix

def _asset(name: str) -> str:
    text = (resources.files("reports") / "html_assets" / name).read_text(encoding="utf-8")
    if name.endswith((".js", ".css")):  # inlined: must not close its element
        assert "</" + "script" not in text.lower() and "</" + "style" not in text.lower(), name
    return text


def _t(text: object) -> str:
    """Untrusted text as HTML: printable, then escaped (quotes too, so it is safe in attributes)."""
    return html.escape(printable(None if text is None else str(text)), quote=True)


def script_json(data: object) -> str:
    """``data`` as JSON that cannot end a ``<script>`` element nor open an HTML comment in it."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _stat(label: str, value: object, cls: str = "", note: str = "") -> str:
    note_html = f'<span class="stat-note">{_t(note)}</span>' if note else ""
    return (
        f'<div class="stat {cls}"><span class="stat-value">{_t(value)}</span>'
        f'<span class="stat-label">{_t(label)}</span>{note_html}</div>'
    )


def _header(report: Report) -> str:
    s = report.summary
    hosts_ok = sum(1 for h in report.hosts if h.ok)
    by_sev = severity_counts(report.findings)
    verdict = s.verdict
    note = interrupted_note(report)
    interrupted = f'<p class="summary-line" id="interrupted"><b>{_t(note)}</b></p>' if note else ""
    meta = (
        f"netstack <b>{_t(report.netstack)}</b> &middot; probe <b>{_t(report.probe)}</b>"
        f" &middot; started <b>{_t(report.started_at)}</b>"
        f" &middot; took <b>{report.duration_s:.1f} s</b>"
    )
    stats = "".join(
        [
            _stat("pairs", s.pairs),
            _stat("pass", s.passed, "ok" if s.passed else ""),
            _stat("fail", s.failed, "bad" if s.failed else ""),
            _stat("error", s.errors, "bad" if s.errors else ""),
            _stat("hosts", len(report.hosts), "", f"{hosts_ok} reachable"),
            _stat(
                "findings",
                len(report.findings),
                "bad" if by_sev[Severity.ERROR] else ("warn" if by_sev[Severity.WARNING] else ""),
                severity_counts_line(report.findings),
            ),
        ]
    )
    return (
        f'<header class="top {verdict}"><div class="verdict" id="verdict">{verdict.upper()}</div>'
        f'<div class="title"><h1>vMotion validation</h1><p class="meta">{meta}</p>'
        f'<p class="summary-line">{_t(summary_line(report))}</p>{interrupted}</div></header>'
        f'<section class="stats" id="stats">{stats}</section>'
    )


def _failing(report: Report) -> str:
    failing = report.failing_pairs()
    if not failing:
        return '<section class="card"><h2>Failing pairs: none</h2></section>'
    by_reason = ", ".join(f"{_t(r)} {n}" for r, n in reason_counts(failing))
    groups = group_failures(failing)
    items = []
    for group in groups[:MAX_GROUPS]:
        first = group[0]
        hosts = sorted({g.plan.src_host for g in group} | {g.plan.dst_host for g in group})
        hosts_json = html.escape(json.dumps([printable(h) for h in hosts]))
        items.append(
            f'<li data-reason="{_t(reason_label(first))}" data-hosts="{hosts_json}" '
            f'data-family="{first.plan.family.value}"><span class="chip" data-kind="{_t(reason_label(first))}">'
            f"{_t(reason_label(first))}</span> {_t(group_line(group))}</li>"
        )
    more = (
        f'<p class="more">... and {len(groups) - MAX_GROUPS} more groups: every pair is in the matrix above.</p>'
        if len(groups) > MAX_GROUPS
        else ""
    )
    return (
        f'<section class="card" id="failing"><h2>Failing pairs ({len(failing)})</h2>'
        f'<p class="muted">By reason: {by_reason}</p><ul class="groups">{"".join(items)}</ul>{more}</section>'
    )


def _findings(findings: tuple[Finding, ...]) -> str:
    if not findings:
        return '<section class="card" id="findings"><h2>Findings: none</h2></section>'
    rows = []
    for f in by_severity(findings):
        where = finding_where(f)
        rows.append(
            f'<tr class="sev-{f.severity.value}"><td><span class="sev">{_t(f.severity.value)}</span></td>'
            f'<td class="nowrap"><code>{_t(f.check)}</code></td><td class="where">{_t(where)}</td>'
            f"<td>{_t(f.message)}</td></tr>"
        )
    return (
        f'<section class="card" id="findings"><h2>Findings ({len(findings)})</h2>'
        '<table class="data"><thead><tr><th>Severity</th><th>Check</th><th>Where</th><th>Message</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _next_steps(report: Report) -> str:
    steps = steps_of(report)
    if not steps:
        return ""
    items = []
    for step in steps:
        lines = "".join(f'<div class="step-line"><span class="muted">{_t(label)}:</span> <code>{_t(text)}</code></div>'
                        for label, text in command_lines(step))
        items.append(f'<li data-owner="{_t(step.owner.value)}">{_t(step_title(step))}{lines}</li>')
    return (f'<section class="card" id="next-steps"><h2>Next steps ({len(steps)})</h2>'
            f'<ol class="steps">{"".join(items)}</ol></section>')


def _vmk_row(vmk: Vmk) -> str:
    addresses = ", ".join(str(a) for a in vmk.addresses) or "no address"
    state = "" if vmk.enabled else ' <span class="sev warn">disabled</span>'
    gateway = f" &middot; gw {_t(vmk.gateway)}" if vmk.gateway else ""
    tags = " ".join(f'<span class="tag">{_t(tag)}</span>' for tag in vmk.tags)
    return (
        f'<div class="vmk"><b>{_t(vmk.name)}</b> <span class="muted">MTU</span> {vmk.mtu}{state} '
        f'<span class="addr">{_t(addresses)}</span>{gateway} {tags}</div>'
    )


def _host_row(host: HostInfo) -> str:
    status = f'<span class="status {"ok" if host.ok else "bad"}">{_t(host.status.value)}</span>'
    if host.error:
        status += f'<div class="error">{_t(host.error)}</div>'
    if host.ok and not host.netstack_present:
        status += f'<div class="error">no {_t(host.netstack)} netstack</div>'
    gateways = [str(g) for g in (host.gateway, host.gateway6) if g is not None]
    gateway = _t(", ".join(gateways)) if gateways else ('<span class="bad-text">none</span>' if host.ok else "-")
    vmks = "".join(_vmk_row(v) for v in host.vmks) or '<span class="muted">-</span>'
    return (
        f'<tr><td class="nowrap"><b>{_t(host.name)}</b></td><td class="nowrap">{_t(host.address)}</td>'
        f'<td>{status}</td><td class="nowrap">{gateway}</td><td>{vmks}</td></tr>'
    )


def _hosts(report: Report) -> str:
    return (
        f'<section class="card" id="hosts"><h2>Hosts ({len(report.hosts)})</h2>'
        '<table class="data"><thead><tr><th>Host</th><th>Address</th><th>Status</th><th>Gateway</th>'
        f"<th>vmks on the {_t(report.netstack)} stack</th></tr></thead>"
        f"<tbody>{''.join(_host_row(h) for h in report.hosts)}</tbody></table></section>"
    )


def render(report: Report, **_options: object) -> str:
    """The report as one HTML document."""
    data: dict[str, Any] = _html_data.payload(report)
    body = "".join(
        [
            _header(report),
            '<section class="card" id="matrix-card"><div class="matrix-head"><h2>Pair matrix</h2>'
            '<div class="filters" id="filters"></div></div><div id="legend" class="legend"></div>'
            '<div class="matrix-layout"><div id="matrices"></div><aside id="detail" class="detail">'
            '<p class="muted">Hover a cell for its pair; click to pin its detail here.</p></aside></div>'
            "<noscript><p>The matrix needs JavaScript; every pair is listed in report.json.</p></noscript></section>",
            _failing(report),
            _findings(report.findings),
            _next_steps(report),
            _hosts(report),
            f"<footer>{_t(report.schema)} &middot; generated by vmotion-validator</footer>",
        ]
    )
    js = _asset("report.js")
    # the page's only script, allowed by hash in its Content-Security-Policy: no other script can run
    digest = hashlib.sha256(f"\n{js}\n".encode()).digest()
    return Template(_asset("report.html")).substitute(
        title=_t(f"vMotion validation: {report.summary.verdict.upper()} - {report.started_at}"),
        css=_asset("report.css"),
        body=body,
        data=script_json(data),
        js=js,
        js_hash=base64.b64encode(digest).decode(),
    )
