"""Generic readers of esxcli output: column tables, key/value blocks, CSV and XML.

Every reader returns records as ``dict[str, str]`` whose keys are *normalized* field names
(:func:`norm_key`: whitespace removed, lower-cased), so that the table header ``IPv4 Address``,
the CSV header ``IPv4Address`` and the XML field ``IPv4Address`` all become ``ipv4address`` and the
record builders in :mod:`validator.esxi.parsers` work on every format alike.

Columns are found by header, never by position: from the dashed rule under the header (each dash run
is a column span) or, without a rule, from the header names themselves; each cell of a row (text
separated from its neighbours by two or more spaces) goes to the column it overlaps most, so
left- and right-aligned values both land in the right column.

Every reader raises :class:`validator.errors.ParseError` (never anything else) on input it cannot read.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from typing import Literal

from validator.errors import ParseError

__all__ = [
    "EsxcliError",
    "Format",
    "Record",
    "check_esxcli_error",
    "detect_format",
    "norm_key",
    "read_blocks",
    "read_csv",
    "read_records",
    "read_table",
    "read_xml_records",
    "read_xml_strings",
]

Record = dict[str, str]
Format = Literal["table", "blocks", "csv", "xml"]

_RULE_RE = re.compile(r"[ \t]*-+(?:[ \t]+-+)*[ \t]*")
_CELL_RE = re.compile(r"\S+(?: \S+)*")  # runs of text separated by at most one space
_CSV_HEADER_RE = re.compile(r"[A-Za-z][A-Za-z0-9 ]*(?:,[A-Za-z0-9 ]*)*,?")
_ERROR_RE = re.compile(r"Error:\s*(.*)")
_XML_FORBIDDEN_RE = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_MAX_COLUMNS = 64
_XML_ROOTS = frozenset({"output", "root", "list", "structure", "struct"})


class EsxcliError(ParseError):
    """The output is esxcli's own error message (``Error: ...``), not the data asked for.

    ``message`` is the text after ``Error:``, e.g. ``Interface 'vmk9' not found``.
    """

    def __init__(self, message: str, raw: str = "") -> None:
        super().__init__(f"esxcli error: {message}", raw=raw)
        self.message = message


def norm_key(name: str) -> str:
    """``'IPv4 Address'`` / ``'IPv4Address'`` -> ``'ipv4address'``."""
    return "".join(name.split()).lower()


def _text(text: object) -> str:
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}", raw=repr(text))
    return text


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in _text(text).expandtabs(8).splitlines()]


def check_esxcli_error(text: str) -> None:
    """Raise :class:`EsxcliError` when ``text`` is an esxcli error message."""
    stripped = text.strip()
    match = _ERROR_RE.match(stripped)
    if match:
        raise EsxcliError(match.group(1).strip() or "unknown error", raw=text)


def detect_format(text: str, native: Literal["table", "blocks"]) -> Format:
    """Guess how ``text`` is formatted: ``xml``, ``csv`` or the command's ``native`` text form."""
    stripped = text.lstrip()
    if stripped.startswith("<"):
        return "xml"
    first = next((line for line in _lines(text) if line.strip()), "")
    if "," in first and ":" not in first and _CSV_HEADER_RE.fullmatch(first.strip()) and "  " not in first:
        return "csv"
    return native


# --------------------------------------------------------------------------------------- tables


def _spans_from_rule(rule: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"-+", rule)]


def _cells(line: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0)) for m in _CELL_RE.finditer(line)]


def _column_of(start: int, end: int, spans: list[tuple[int, int]]) -> int:
    """Index of the span that ``[start, end)`` overlaps most, else the nearest one."""
    best, best_overlap = -1, 0
    for index, (lo, hi) in enumerate(spans):
        overlap = min(end, hi) - max(start, lo)
        if overlap > best_overlap:
            best, best_overlap = index, overlap
    if best >= 0:
        return best
    distances = [max(lo - end, start - hi, 0) for lo, hi in spans]
    return distances.index(min(distances))


def read_table(text: str) -> list[Record]:
    """Read an esxcli column table (header, optional dashed rule, rows) into records.

    Keys are normalized header names; a column with no text in a row maps to ``""``.
    """
    lines = [line for line in _lines(text) if line.strip()]
    if not lines:
        return []
    header, body = lines[0], lines[1:]
    if _RULE_RE.fullmatch(header):
        raise ParseError("table starts with a dashed rule, not a header", raw=text)
    if body and _RULE_RE.fullmatch(body[0]):
        spans = _spans_from_rule(body[0])
        body = body[1:]
        names = [""] * len(spans)
        for start, end, cell in _cells(header):
            index = _column_of(start, end, spans)
            if names[index]:
                raise ParseError(f"two header names over one column: {names[index]!r}, {cell!r}", raw=text)
            names[index] = cell
        if not all(names):
            raise ParseError("a dashed column has no header name", raw=text)
    else:
        header_cells = _cells(header)
        spans = [(start, end) for start, end, _ in header_cells]
        names = [cell for _, _, cell in header_cells]
    if len(spans) > _MAX_COLUMNS:
        raise ParseError("too many columns for an esxcli table", raw=text)
    keys = [norm_key(name) for name in names]
    if len(set(keys)) != len(keys):
        raise ParseError(f"duplicate column names in header {header.strip()!r}", raw=text)
    records: list[Record] = []
    for line in body:
        if _RULE_RE.fullmatch(line):
            raise ParseError("unexpected dashed rule inside the table", raw=text)
        values = [""] * len(spans)
        for start, end, cell in _cells(line):
            index = _column_of(start, end, spans)
            if values[index]:
                raise ParseError(f"two values over column {names[index]!r} in {line.strip()!r}", raw=text)
            values[index] = cell
        records.append(dict(zip(keys, values, strict=True)))
    return records


# ----------------------------------------------------------------------------- key/value blocks


def read_blocks(text: str) -> list[tuple[str, Record]]:
    """Read esxcli key/value blocks: a record name at column 0, then indented ``Key: value`` lines.

    Returns ``(title, record)`` pairs. Key lines before any title (``tag get``) form a record whose
    title is ``""``.
    """
    blocks: list[tuple[str, Record]] = []
    title: str | None = None
    record: Record = {}

    def flush() -> None:
        if title is None and not record:
            return
        if not record:
            raise ParseError(f"record {title!r} has no 'Key: value' lines", raw=text)
        blocks.append((title or "", dict(record)))

    for line in _lines(text):
        if not line.strip():
            continue
        if not line[0].isspace():
            flush()
            title, record = line.strip(), {}
            continue
        name, colon, value = line.lstrip().partition(":")
        if not colon or not name.strip() or name != name.rstrip() or value[:1].strip():
            raise ParseError(f"not a 'Key: value' line: {line.strip()!r}", raw=text)
        key = norm_key(name)
        if key in record:
            raise ParseError(f"key {name!r} repeated in one record", raw=text)
        record[key] = value.strip()
    flush()
    return blocks


# -------------------------------------------------------------------------------------------- csv


def read_csv(text: str) -> list[Record]:
    """Read esxcli ``--formatter=csv`` output by header name (any column order, trailing commas)."""
    try:
        rows = [row for row in csv.reader(io.StringIO(_text(text), newline=""), strict=True) if any(row)]
    except csv.Error as exc:
        raise ParseError(f"bad CSV: {exc}", raw=text) from exc
    if not rows:
        return []
    header = rows[0]
    while header and not header[-1].strip():
        header = header[:-1]
    keys = [norm_key(name) for name in header]
    if not keys or not all(keys):
        raise ParseError("CSV header has an empty column name", raw=text)
    if len(set(keys)) != len(keys):
        raise ParseError("CSV header repeats a column name", raw=text)
    records: list[Record] = []
    for row in rows[1:]:
        values = list(row)
        while len(values) > len(keys) and not values[-1].strip():
            values.pop()
        if len(values) != len(keys):
            raise ParseError(f"CSV row has {len(values)} values for {len(keys)} columns: {row!r}", raw=text)
        records.append({key: value.strip() for key, value in zip(keys, values, strict=True)})
    return records


# -------------------------------------------------------------------------------------------- xml


def _local(tag: object) -> str:
    name = tag if isinstance(tag, str) else ""
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _xml_root(text: str) -> ET.Element:
    if _XML_FORBIDDEN_RE.search(_text(text)):
        raise ParseError("XML with a DOCTYPE or ENTITY declaration is refused", raw=text)
    try:
        # Safe: DOCTYPE/ENTITY refused above, so no entity expansion; expat does not fetch anything.
        return ET.fromstring(text.strip())  # noqa: S314
    except (ET.ParseError, ValueError, LookupError) as exc:
        raise ParseError(f"bad XML: {exc}", raw=text) from exc


def _value_text(field: ET.Element) -> str:
    children = list(field)
    if not children:
        return (field.text or "").strip()
    value = children[0]
    if _local(value.tag) == "list":
        return ", ".join((item.text or "").strip() for item in value)
    return (value.text or "").strip()


def _structures(element: ET.Element) -> list[ET.Element]:
    """Top-level structures: those not nested inside another structure's field (no recursion)."""
    found: list[ET.Element] = []
    stack = list(reversed(list(element)))
    while stack:
        child = stack.pop()
        name = _local(child.tag)
        if name in ("structure", "struct"):
            found.append(child)
        elif name != "field":
            stack.extend(reversed(list(child)))
    return found


def read_xml_records(text: str) -> list[Record]:
    """Read esxcli ``--formatter=xml`` structures (``<structure><field name=..><string>..``)."""
    root = _xml_root(text)
    if _local(root.tag) not in _XML_ROOTS:
        raise ParseError(f"XML root <{_local(root.tag)}> is not esxcli output", raw=text)
    structures = [root] if _local(root.tag) in ("structure", "struct") else _structures(root)
    records: list[Record] = []
    for structure in structures:
        record: Record = {}
        for field in structure:
            if _local(field.tag) != "field":
                continue
            name = field.get("name")
            if not name or not norm_key(name):
                raise ParseError("XML field without a name", raw=text)
            key = norm_key(name)
            if key in record:
                raise ParseError(f"XML field {name!r} repeated in one structure", raw=text)
            record[key] = _value_text(field)
        records.append(record)
    return records


def read_xml_strings(text: str) -> list[str]:
    """Read an esxcli XML ``<list type="string">`` (e.g. ``tag get``) into its strings."""
    root = _xml_root(text)
    if _local(root.tag) not in _XML_ROOTS:
        raise ParseError(f"XML root <{_local(root.tag)}> is not esxcli output", raw=text)
    lists = [root] if _local(root.tag) == "list" else [e for e in root.iter() if _local(e.tag) == "list"]
    if not lists:
        raise ParseError("XML has no <list> of strings", raw=text)
    strings: list[str] = []
    for element in lists[0]:
        if _local(element.tag) != "string":
            raise ParseError(f"XML list holds <{_local(element.tag)}>, not <string>", raw=text)
        strings.append((element.text or "").strip())
    return strings


# ----------------------------------------------------------------------------------- dispatcher


def read_records(text: str, native: Literal["table", "blocks"]) -> list[Record]:
    """Read ``text`` whatever its format (native text, CSV or XML) into normalized records.

    For key/value blocks the block title is kept under the key ``""``.
    """
    check_esxcli_error(_text(text))
    fmt = detect_format(text, native)
    if fmt == "xml":
        return read_xml_records(text)
    if fmt == "csv":
        return read_csv(text)
    if fmt == "table":
        return read_table(text)
    return [{"": title, **record} for title, record in read_blocks(text)]
