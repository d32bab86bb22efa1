"""Fuzzing: every parser and reader raises nothing but ParseError, whatever text it is given.

Inputs, ~200 per parser: random unicode, random text over an ESXi-ish alphabet, and the real
samples (the parser's own and any other command's) mutated (lines dropped, duplicated or swapped, columns shifted, truncation, random
unicode inserted, characters replaced).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validator.errors import ParseError
from validator.esxi import batch
from validator.esxi import parsers as p
from validator.esxi import tables as t
from validator.models import PingStats

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "esxi-output"
EXAMPLES = int(os.environ.get("VMV_FUZZ_EXAMPLES", "200"))  # raise for a deeper local campaign
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _texts(*patterns: str) -> list[str]:
    found = sorted({path for pattern in patterns for path in SAMPLES.glob(pattern)})
    assert found, patterns
    return [path.read_text() for path in found]


ALL = _texts("*.txt", "*.csv", "*.xml")
PARSERS: dict[str, tuple[Callable[[str], Any], list[str]]] = {
    "vmkping": (p.parse_vmkping, _texts("vmkping-*")),
    "netstack_list": (p.parse_netstack_list, _texts("esxcli-netstack-*")),
    "interface_list": (p.parse_interface_list, _texts("esxcli-interface-*")),
    "ipv4_get": (p.parse_ipv4_get, _texts("esxcli-ipv4-*")),
    "ipv6_address_list": (p.parse_ipv6_address_list, _texts("esxcli-ipv6-*")),
    "route_list": (p.parse_route_list, _texts("esxcli-route-*")),
    "route_ipv4_list": (p.parse_route_ipv4_list, _texts("esxcli-route-ipv4-*")),
    "route_ipv6_list": (p.parse_route_ipv6_list, _texts("esxcli-route-ipv6-*")),
    "tags": (p.parse_tags, _texts("esxcli-tag-*")),
    "read_table": (t.read_table, _texts("esxcli-ipv4-*.txt", "esxcli-ipv6-*.txt", "esxcli-route-*.txt")),
    "read_blocks": (t.read_blocks, _texts("esxcli-netstack-*.txt", "esxcli-interface-*.txt", "esxcli-tag-*.txt")),
    "read_csv": (t.read_csv, _texts("*.csv")),
    "read_xml_records": (t.read_xml_records, _texts("*.xml")),
    "read_xml_strings": (t.read_xml_strings, _texts("*.xml")),
}

ESXI_ALPHABET = st.sampled_from(
    [*"vmk0123456789abcdef.:,;- \t\n\r<>/=\"'()%!?&",
       "  ", "   ", "\n", "----", "PING ", " data bytes", " bytes from ", "icmp_seq=", "ttl=", "hlim=", "time=",
       " ms", "sendto() failed (", ")", " packets transmitted, ", " packets received, ", "% packet loss",
       "round-trip min/avg/max = ", "Unknown interface '", "Error: ", "Tags: ", "Name: ", "Key: ", "MTU: ",
       "Netstack Instance: ", "Enabled: ", "true", "false", "N/A", "default", "0.0.0.0", "::", "198.19.1.1",
       "2001:db8::1", "255.255.255.0", "64", "Name", "IPv4 Address", "IPv4 Netmask", "Gateway", "Network",
       "Netmask", "Interface", "Address", "<output>", "</output>", "<list type=\"structure\">", "</list>",
       "<structure>", "</structure>", "<field name=\"Name\">", "</field>", "<string>", "</string>", "<!DOCTYPE",
       "&amp;", "&#0;", "\x00", "\u2028", "\x85", "\u0663", "\uff11"]
)  # fmt: skip
ESXI_TEXT = st.lists(ESXI_ALPHABET, max_size=60).map("".join)


@st.composite
def mutated(draw: st.DrawFn, texts: list[str]) -> str:
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        kind = draw(st.sampled_from(["drop", "dup", "swap", "shift", "unshift", "truncate", "insert", "replace"]))
        i = draw(st.integers(0, max(0, len(lines) - 1)))
        if kind == "drop" and lines:
            del lines[i]
        elif kind == "dup" and lines:
            lines.insert(i, lines[i])
        elif kind == "swap" and len(lines) > 1:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind in ("shift", "unshift") and lines:
            line = lines[i]
            at = draw(st.integers(0, len(line)))
            if kind == "shift":
                lines[i] = line[:at] + " " * draw(st.integers(1, 3)) + line[at:]
            else:  # remove up to 3 spaces at ``at``
                k = draw(st.integers(1, 3))
                lines[i] = line[:at] + line[at : at + k].replace(" ", "") + line[at + k :]
        text = "\n".join(lines)
        if kind == "truncate":
            text = text[: draw(st.integers(0, len(text)))]
        elif kind == "insert":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.text(max_size=5)) + text[at:]
        elif kind == "replace" and text:
            at = draw(st.integers(0, len(text) - 1))
            text = text[:at] + draw(st.characters()) + text[at + 1 :]
    return text


def only_parse_error(parser: Callable[[str], Any], text: str) -> Any:
    try:
        return parser(text)
    except ParseError as exc:
        assert isinstance(exc.raw, str)
        return None


def inputs(name: str) -> st.SearchStrategy[str]:
    own = PARSERS[name][1]
    return st.one_of(
        st.text(max_size=300),  # random unicode
        ESXI_TEXT,  # random text over an ESXi-ish alphabet
        mutated(own),  # this command's samples, mutated
        mutated(own),
        mutated(ALL),  # any command's samples, mutated
    )


INPUTS = {name: inputs(name) for name in PARSERS}  # built once: hypothesis validates each strategy


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(data=st.data())
def test_parser_raises_only_parse_error(name: str, data: st.DataObject) -> None:
    result = only_parse_error(PARSERS[name][0], data.draw(INPUTS[name]))
    if isinstance(result, PingStats):
        assert 0 <= result.received <= result.transmitted and 0.0 <= result.loss_pct <= 100.0


@FUZZ
@given(text=st.text(max_size=400))
def test_split_output_never_raises(text: str) -> None:
    assert isinstance(batch.split_output(text, batch.new_nonce()), dict)


@FUZZ
@given(
    outputs=st.lists(
        st.tuples(st.text(alphabet=st.characters(exclude_characters="\r"), max_size=80), st.integers(0, 255)),
        max_size=5,
    ),
    noise=st.text(max_size=20),
)
def test_split_output_round_trip(outputs: list[tuple[str, int]], noise: str) -> None:
    nonce = batch.new_nonce()
    framed = noise.replace("\r", "")
    for index, (out, status) in enumerate(outputs):
        framed += f"\n@@vmv-{nonce}-begin t{index}\n{out}\n@@vmv-{nonce}-end t{index} rc={status}\n"
    expected = {f"t{index}": batch.CommandOutput(out, status) for index, (out, status) in enumerate(outputs)}
    assert batch.split_output(framed, nonce) == expected


@st.composite
def plain_vmkping(draw: st.DrawFn) -> str:
    """vmkping output in the usual shape, with values drawn at random (replies may lack their ttl, as ESXi's
    IPv6 replies do; the round-trip line may be missing, as some builds print it)."""
    host = draw(st.sampled_from(["198.19.2.11", "2001:db8::5", "10.44.44.22", "esx-peer"]))
    payload = draw(st.integers(0, 999_999))
    sent = draw(st.integers(0, 20))
    received = draw(st.integers(0, sent + 1))
    replies = [
        f"{payload + 8} bytes from {host}: icmp_seq={seq}"
        + (f" ttl={draw(st.integers(0, 999))}" if draw(st.booleans()) else "")
        + f" time={draw(st.integers(0, 9999))}.{draw(st.integers(0, 999)):03d} ms"
        for seq in range(min(received, 5))
    ]
    loss = draw(st.sampled_from(["0", "33.3", "100", "100.5", str(draw(st.integers(0, 200)))]))
    lines = [f"PING {host} ({host}): {payload} data bytes", *replies, "", f"--- {host} ping statistics ---",
             f"{sent} packets transmitted, {received} packets received, {loss}% packet loss"]
    if draw(st.booleans()):
        lines.append("round-trip min/avg/max = 0.190/0.202/0.214 ms")
    return "\n".join(lines) + "\n" * draw(st.integers(0, 2))


@FUZZ
@given(text=st.one_of(plain_vmkping(), mutated(PARSERS["vmkping"][1]), ESXI_TEXT))
def test_the_plain_vmkping_reader_agrees_with_the_full_one(text: str) -> None:
    """Where the quick reader of the usual output answers, the full reader gives the very same result."""
    quick = p.parse_plain_vmkping(text)
    if quick is not None:
        assert quick == p._parse_vmkping(text)


def test_the_plain_vmkping_reader_reads_the_usual_samples() -> None:
    for name in ("vmkping-ok-routed.txt", "vmkping-ipv6-no-hlim.txt", "vmkping-nsx-df-1572.txt",
                 "vmkping-partial-loss.txt"):
        text = (SAMPLES / name).read_text()
        assert p.parse_plain_vmkping(text) == p._parse_vmkping(text) is not None, name
    assert p.parse_plain_vmkping((SAMPLES / "vmkping-no-route.txt").read_text()) is None  # sendto lines: the full one
