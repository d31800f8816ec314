"""The ``csv`` node: converts between CSV text and objects, in either direction.

As Node-RED's CSV node (nodes/core/parsers/70-CSV.js, 70-CSV.html and its RFC 4180 parser
lib/csv): ``spec`` "rfc" selects the RFC 4180 parser of Node-RED 4, anything else the legacy
parser that flows from before Node-RED 4 use.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Literal

from pydantic import Field, field_validator

from flowred import PENDING, UNDEFINED, Node, NodeConfig, NodeError, all_scalar, register
from flowred.jscompat import js_parse_float, js_to_number as js_number, js_to_string as js_string  # the codec code's names

from flowred.nodes.common import parse_int, to_json, unescape_controls as _unescape
from flowred.fields import OrDefault, Text, TruthyFlag

__all__ = ["CsvConfig", "CsvNode"]

QUOTE = '"'

# Node-RED's texts (locales/en-US/messages.json, csv.errors)
NOT_CSV = "This node only handles CSV strings or js objects."
NO_TEMPLATE = "No columns template specified for object -> CSV."
BAD_CSV = "Malformed CSV data - output probably corrupt."
BAD_TEMPLATE = "Malformed columns template."

_LINE_BREAK = re.compile(r"[\r\n]")
# A text the legacy parser reads as a number (then with parseFloat), as 70-CSV.js's ``reg``.
_LEGACY_NUMBER = re.compile(r"-?(?![eE])(?!0[0-9])[0-9]*\.?[0-9]*(?:[eE]-?\+?)?[0-9]+\Z")
# A text the RFC 4180 parser reads as a number: what JavaScript's Number() reads, except
# texts starting (after spaces) with "+", "0<digit>" or "-0<digit>" (lib/csv).
_JS_SPACE = "[ \t\n\r\x0b\x0c\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*"
_RFC_NUMBER = re.compile(
    r"(?! *(?:\+|-0[0-9]|0[0-9]))" + _JS_SPACE
    + r"(?:(?P<int>-?[0-9]+)|(?P<float>[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    + r"|(?P<other>[+-]?Infinity|0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+))?" + _JS_SPACE + r"\Z")
_SAFE_INTEGER = 2 ** 53
# the characters a number can start with (a quick test before the patterns)
_LEGACY_NUMBER_START = frozenset("-.0123456789")
_RFC_NUMBER_START = frozenset("+-.0123456789I \t\n\r\x0b\x0c\xa0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff"
                              + "".join(map(chr, range(0x2000, 0x200b))))
_OBJECTS = (dict, list, tuple, bytes, bytearray, _dt.datetime)  # JavaScript's typeof "object"


def _number(value: int | float) -> int | float:
    """A JavaScript number as Python keeps it: whole values as ints (as JSON gives them),
    integers beyond 2**53 as floats (JavaScript keeps no more digits)."""
    if type(value) is float:
        return int(value) if value.is_integer() and abs(value) <= _SAFE_INTEGER else value
    return value if abs(value) <= _SAFE_INTEGER else float(value)


def _legacy_number(text: str) -> int | float | None:
    """A trimmed field as the legacy parser reads it: ``parseFloat`` when it looks like a
    number, else None."""
    if text[:1] not in _LEGACY_NUMBER_START or not _LEGACY_NUMBER.match(text):
        return None
    if "e" in text or "E" in text:
        return _number(js_parse_float(text))  # "1e-+5" is 1, as parseFloat reads it
    return _number(float(text) if "." in text else int(text))


def _rfc_number(text: str) -> str | int | float:
    """A non-empty field as the RFC 4180 parser reads it: ``Number(text)`` unless that is
    NaN or the text is one kept as text (blank text is 0, as in JavaScript)."""
    if text[0] not in _RFC_NUMBER_START:
        return text
    m = _RFC_NUMBER.match(text)
    if m is None:
        return text
    if m["int"] is not None:
        return _number(int(m["int"]))
    if m["float"] is not None:
        return _number(float(m["float"]))
    if m["other"] is not None:
        return _number(js_number(m["other"]))
    return 0


def _text(value: Any) -> str:
    """``msg.columns || ""`` as text."""
    if isinstance(value, str):
        return value
    return js_string(value) if value else ""


def _ensure_string(value: Any) -> str:
    """``RED.util.ensureString``: text as it is, a buffer decoded, an object or null as JSON."""
    if type(value) is str:
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if value is None or isinstance(value, _OBJECTS):
        return to_json(value)
    return js_string(value)


def _keys(value: Any) -> list[str]:
    """The keys ``for (key in value)`` visits: an object's keys, an array's indices."""
    if isinstance(value, dict):
        return list(value)
    if isinstance(value, (list, tuple, str, bytes, bytearray)):
        return [str(i) for i in range(len(value))]
    return []


def _get(value: Any, key: str) -> Any:
    """``value[key]`` in JavaScript (UNDEFINED when missing); null has no properties."""
    if isinstance(value, dict):
        return value.get(key, UNDEFINED)
    if value is None:
        raise NodeError(f"Cannot read properties of null (reading '{key}')")
    if isinstance(value, (list, tuple, str, bytes, bytearray)) and key.isascii() and key.isdigit():
        i = int(key)
        if str(i) == key and i < len(value):
            return value[i]
    return UNDEFINED


def _blank(template: list) -> bool:
    """No columns template: Node-RED's ``[""]``."""
    return len(template) == 1 and template[0] == ""


def _has_template(template: list) -> bool:
    return len(template) > 0 and not _blank(template)


# -- the legacy column template ------------------------------------------------------------

def _legacy_columns(text: str, sep: str) -> list[str]:
    """Column names as the legacy parser reads a template or header line: split at ``sep``
    outside double quotes, every quote removed, each name trimmed. ``[""]`` when empty."""
    splitter = re.compile(re.escape(sep) + r'(?=(?:(?:[^"]*"){2})*[^"]*\Z)')
    return [name.replace(QUOTE, "").strip() for name in splitter.split(text.strip())]


def _legacy_column_list(template: list[str]) -> str:
    """``msg.columns`` of the legacy parser: names with a comma in double quotes."""
    return ",".join(f'"{v}"' if "," in v else v for v in template)


# -- the RFC 4180 parser -------------------------------------------------------------------

class _CsvSyntaxError(ValueError):
    """CSV that the RFC 4180 parser rejects in strict mode (templates and header lines)."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


class _RfcReader:
    """Node-RED's RFC 4180 parser (lib/csv ``parse``) for one separator: fields in double
    quotes may hold separators, line breaks and doubled quotes; ``\\n``, ``\\r`` and ``\\r\\n``
    end a record; blank lines give no record. An empty field is ``None``, an empty quoted
    field ``""``. Strict mode raises _CsvSyntaxError for a quote inside an unquoted field, text
    after a closing quote and a quote left open; otherwise such quotes are kept as text."""

    def __init__(self, sep: str) -> None:
        self.sep = sep
        # a separator of more than one character never matches one character, as in lib/csv
        self._special = re.compile('["\r\n' + (re.escape(sep) if len(sep) == 1 else "") + "]")
        # a record without quotes is split at once (unless the separator is a line break or a
        # quote, which the parser sees first)
        self._split = sep not in ("\n", "\r", QUOTE)

    def rows(self, text: str, cursor: int = 0, strict: bool = False,
             first_only: bool = False) -> tuple[list[list[str | None]], int]:
        """The records of ``text`` from ``cursor`` (only the first with ``first_only``) and the
        position after the last one read."""
        sep = self.sep
        find = self._special.search
        n = len(text)
        rows: list[list[str | None]] = []
        row: list[str | None] = []
        cell: list[str] = []
        new_cell, in_quote, closed = True, False, False
        while cursor < n:
            if in_quote:
                end = text.find(QUOTE, cursor)
                if end < 0:
                    cell.append(text[cursor:])
                    cursor = n
                    break
                if end > cursor:
                    cell.append(text[cursor:end])
                if text.startswith(QUOTE, end + 1):
                    cell.append(QUOTE)
                    cursor = end + 2
                else:
                    in_quote, closed = False, True
                    cursor = end + 1
                continue
            if new_cell and not row and not cell and self._split:  # a record starts here
                m = _LINE_BREAK.search(text, cursor)
                end = m.start() if m else n
                record = text[cursor:end]
                if QUOTE not in record:
                    fields = record.split(sep) if len(sep) == 1 else [record]
                    if not fields[-1]:
                        fields.pop()  # a field ended by the separator only is not a field
                    if fields:
                        rows.append([f or None for f in fields])
                    if m is None:
                        cursor = n
                        break
                    cursor = end + (2 if text.startswith("\n", end + 1) else 1)
                    if first_only:
                        break
                    continue
            m = find(text, cursor)
            end = m.start() if m else n
            if end > cursor:  # plain text
                if closed:
                    if strict:
                        raise _CsvSyntaxError("Data found after closing quote", cursor)
                    cell.append(QUOTE)  # the closing quote was text after all
                    closed = False
                cell.append(text[cursor:end])
                new_cell = False
                cursor = end
                continue
            c = text[cursor]
            if c == sep:
                row.append("".join(cell) or (None if new_cell else ""))
                cell.clear()
                new_cell, closed = True, False
                cursor += 1
            elif c == QUOTE:
                cursor += 1
                if new_cell:
                    in_quote, new_cell, closed = True, False, False
                elif strict:
                    raise _CsvSyntaxError("Quote found in the middle of an unquoted field", cursor - 1)
                elif cursor < n and text[cursor] not in ("\n", "\r", sep):
                    cell.append(QUOTE)
                    if text[cursor] == QUOTE:
                        cursor += 1
            else:  # a line break
                if cell:
                    row.append("".join(cell) or (None if new_cell else ""))
                    cell.clear()
                if row:
                    rows.append(row)
                    row = []
                cursor += 2 if text.startswith("\n", cursor + 1) else 1
                new_cell, closed = True, False
                if first_only:
                    break
        if strict and in_quote:
            raise _CsvSyntaxError("Missing quote, unclosed cell", cursor)
        if cell:
            row.append("".join(cell) or (None if new_cell else ""))
        if row:
            rows.append(row)
        return rows, cursor


_COMMA_READER = _RfcReader(",")


def _rfc_template(text: str) -> list[str | None]:
    """A comma-separated columns template read by the strict RFC 4180 parser (its first
    record); ``[""]`` when there is none. Raises _CsvSyntaxError."""
    rows, _ = _COMMA_READER.rows(text, strict=True)
    return rows[0] if rows else [""]


def _quote_cell(cell: str, sep: str) -> str:
    """A field quoted as RFC 4180 wants it: in double quotes, quotes doubled, when it holds a
    quote, the separator or a line break."""
    if QUOTE in cell:
        return '"' + cell.replace(QUOTE, '""') + '"'
    if sep in cell or "\n" in cell or "\r" in cell:
        return '"' + cell + '"'
    return cell


def _rfc_column_list(template: list) -> str:
    """``msg.columns`` of the RFC 4180 parser: the named columns, quoted, joined by commas."""
    return ",".join(_quote_cell(name, ",") for name in template if name)


# -- configuration -------------------------------------------------------------------------

class CsvConfig(NodeConfig):
    """CSV node settings (Node-RED's names; a field missing from the flow gets the value
    Node-RED's runtime gives it, the editor's defaults for a new node are in the schema).

    ``spec``: ``"rfc"`` for the RFC 4180 parser, ``""`` for the legacy one (flows from before
    Node-RED 4 have no ``spec``; new nodes get ``"rfc"``). ``temp``: the columns template,
    comma-separated names whatever the separator (``""``: none). ``sep``: the separator
    (``\\t`` allowed). ``ret``: the line end written (``\\n``, ``\\r``, ``\\r\\n``; empty:
    ``\\n`` in legacy mode, ``\\r\\n`` in RFC 4180 mode). CSV to object: ``skip`` lines first,
    ``hdrin`` take the column names from the first line, ``strings`` parse numbers,
    ``include_empty_strings`` and ``include_null_values`` keep ``""`` and missing values,
    ``multi`` ``"one"`` (a msg per row) or ``"mult"`` (one msg with an array; ``"yes"`` of old
    flows is read as ``"mult"``). Object to CSV: ``hdrout`` ``"none"``, ``"all"`` (a header
    line in every msg) or ``"once"`` (until ``msg.reset``); true/false of old flows mean
    all/none. An RFC 4180 template that does not parse is a deploy error.
    """

    spec: Literal["", "rfc"] = Field("", json_schema_extra={"default": "rfc"})
    sep: OrDefault[str] = ","
    hdrin: TruthyFlag = False
    hdrout: Literal["none", "all", "once"] = "none"
    multi: Literal["one", "mult"] = "one"
    ret: Text = Field("", json_schema_extra={"default": "\\r\\n"})
    temp: Text = ""
    skip: int = 0
    strings: TruthyFlag = True
    include_empty_strings: TruthyFlag = False
    include_null_values: TruthyFlag = False

    @field_validator("spec", mode="before")
    @classmethod
    def _spec(cls, v: Any) -> str:
        return "rfc" if v == "rfc" else ""

    @field_validator("hdrout", mode="before")
    @classmethod
    def _hdrout(cls, v: Any) -> Any:
        if v is True:
            return "all"
        return v or "none"

    @field_validator("multi", mode="before")
    @classmethod
    def _multi(cls, v: Any) -> Any:
        return "mult" if v == "yes" else (v or "one")

    @field_validator("skip", mode="before")
    @classmethod
    def _skip(cls, v: Any) -> int:
        n = parse_int(v if v not in (None, "") else 0)
        return n if n is not None and n > 0 else 0

    @field_validator("temp")
    @classmethod
    def _template(cls, v: str, info) -> str:
        if info.data.get("spec") == "rfc":
            try:
                _rfc_template(v)
            except _CsvSyntaxError as exc:
                raise ValueError(f"{BAD_TEMPLATE} {exc} at position {exc.position}") from None
        return v


# -- the node ------------------------------------------------------------------------------

@register("csv", category="parser", color="#DEBD5C", inputs=1, outputs=1, icon="parser-csv.svg")
class CsvNode(Node):
    """Converts between a CSV string and its object form, in either direction.

    **CSV text to objects** (``msg.payload`` a string): each line becomes an object keyed by the
    column names: the *columns* template, the first line (*first row contains column names*),
    or ``col1``, ``col2``... A column left out of the template (``a,,c``) is dropped. Fields in
    double quotes may hold the separator, line breaks and doubled quotes (``"a ""quoted"" word"``).
    Numbers are parsed (*parse numerical values*) except ``+1``, ``01`` and the like, which
    stay text. Empty fields are left out unless *include empty strings* (``""``) or *include
    null values* (``,,`` gives ``null``) is set. *Skip first n lines* drops lines first.

    Output: a msg per row, each a copy of the input with ``payload`` the row object,
    ``columns`` the column names (comma-separated) and ``parts`` ``{id, index, count}`` so a
    join node can gather them; or one msg whose ``payload`` is the array of rows. An input
    that carries ``msg.parts`` (lines from a split or file-in node) is one part of a CSV: its
    header line comes from the first part, the rows keep ``parts`` (index and count shifted
    past the skipped and header lines), the rows of the last part get ``complete: true``, and
    with *a single message [array]* the rows of single-line parts are gathered and sent as
    one array (without ``parts``) when the last part arrives.

    **Objects to CSV text** (an object, an array of objects, an array of arrays, or an array of
    values for one line): the *columns* template picks the properties and their order; without
    one ``msg.columns`` (comma-separated names) does, else every property of the first object.
    Fields holding the separator, a double quote or a line break are quoted, quotes doubled;
    objects are written as JSON. Lines end with *newline*; ``msg.columns`` is set. A header
    line of column names is written never, in every msg, or once until a msg with
    ``msg.reset`` arrives (a msg with only ``reset`` just resets). Within a sequence (inputs
    with ``msg.parts``, e.g. from a split node) the column names found with the first part
    are kept for the rest, so a join node can put the lines back into one CSV text.

    A msg without ``payload`` passes unchanged.

    Errors and warnings: a payload that is neither text nor object gives *This node only
    handles CSV strings or js objects.* (a warning in legacy mode; an error with a red status
    in RFC 4180 mode); an object without column names warns once *No columns template
    specified for object -> CSV.*; a quote left open warns *Malformed CSV data - output
    probably corrupt.* (legacy mode); in RFC 4180 mode a header line or ``msg.columns`` that
    does not parse is an error (e.g. *Quote found in the middle of an unquoted field*) and a
    bad header line shows the red status *Malformed columns template.*.

    *Legacy* mode keeps the older parser's ways: template and header names are trimmed and
    lose their quotes, only ``\\n`` inside a field is quoted on output, a quote inside a field
    toggles quoting, and ``null`` in an array row is an error. *RFC 4180* mode keeps spaces,
    reads ``"a"b`` as ``a"b``, writes the header line comma-separated, and with a template
    writes exactly the template's columns of an array row.

    As Node-RED's csv node (70-CSV.js).
    """

    Config = CsvConfig

    def __init__(self, config: CsvConfig, flow) -> None:
        super().__init__(config, flow)
        self._rfc = config.spec == "rfc"
        self._sep = _unescape(config.sep)
        self._ret = _unescape(config.ret or ("\r\n" if self._rfc else "\n"))
        self._multi = config.multi
        self._hdrin = config.hdrin
        self._hdrout = config.hdrout
        self._skip = config.skip
        self._numbers = config.strings
        self._keep_empty = config.include_empty_strings
        self._keep_null = config.include_null_values
        self._hdr_sent = False
        self._store: list[dict] = []       # rows of a sequence gathered into one array
        self._warned = False               # the missing template warning is given once
        self._status_shown = False
        if self._rfc:
            self._config_template: list = _rfc_template(config.temp)
            self._reader = _RfcReader(self._sep)
            self._from_csv, self._to_csv = self._rfc_from_csv, self._rfc_to_csv
        else:
            self._config_template = _legacy_columns(config.temp, ",")
            self._special = re.compile('["\r\n' + (re.escape(self._sep) if len(self._sep) == 1 else "") + "]")
            self._from_csv, self._to_csv = self._legacy_from_csv, self._legacy_to_csv
        self._no_template = _blank(self._config_template)
        # the template in use; as in Node-RED it outlives a msg (a header line read from the
        # first part of a sequence serves the later parts)
        self._template: list = list(self._config_template)
        self._named = not self._no_template  # legacy: False names the columns col1, col2...

    def on_input(self, msg: dict) -> Any:
        if self._status_shown:
            self._status_shown = False
            self.status({})
        if "reset" in msg:
            self._hdr_sent = False
        if "payload" not in msg:
            if "reset" not in msg:
                self.send(msg)
            return None
        payload = msg["payload"]
        if type(payload) is str:
            return self._from_csv(msg, payload)
        if payload is None or isinstance(payload, _OBJECTS):
            self._to_csv(msg, payload)
            return None
        if self._rfc:
            self._red_status(NOT_CSV)
            raise NodeError(NOT_CSV)
        self.warn(NOT_CSV)
        return None

    def _red_status(self, text: str) -> None:
        self._status_shown = True
        self.status({"fill": "red", "shape": "dot", "text": text})

    # -- CSV text to objects ---------------------------------------------------------------
    def _sequence(self, msg: dict) -> tuple[bool, dict, Any, bool, bool]:
        """Where a msg stands in a sequence: (has parts, parts, index (None when not a
        number), first line of the CSV, last part)."""
        if "parts" not in msg:
            return False, {}, 0, True, False
        parts = msg["parts"] if isinstance(msg["parts"], dict) else {}
        index = parts.get("index")
        if not isinstance(index, (int, float)) or isinstance(index, bool):
            return True, parts, None, True, False
        count = parts.get("count")
        last = isinstance(count, (int, float)) and index + 1 >= count
        return True, parts, index, not index > self._skip, last

    def _legacy_from_csv(self, msg: dict, line: str) -> Any:
        has_parts, parts, index, first, last = self._sequence(msg)
        breaks = line.count("\n") + line.count("\r")
        if has_parts and self._multi == "mult" and breaks > 1:
            first = True
        pos = 0
        if first and index is not None and index < self._skip:  # skip lines (ended by \n)
            count = index
            while count < self._skip:
                nl = line.find("\n", pos)
                if nl < 0:
                    pos = len(line)
                    break
                pos, count = nl + 1, count + 1
        if self._hdrin and first and pos < len(line):
            m = _LINE_BREAK.search(line, pos)
            end = m.start() if m and m.start() < len(line) - 1 else len(line) - 1
            header = line[pos:end] if end < len(line) - 1 else line[pos:]
            self._template = _legacy_columns(header, self._sep)
            self._named = not _blank(self._template)
            pos = end + 1
        rows, last_row = self._legacy_rows(line, pos)
        columns = _legacy_column_list([v for v in self._template if v])
        if self._multi == "one":
            self._send_rows(msg, rows, columns, has_parts, parts, last)
            return None
        if has_parts and breaks <= 1:
            if last_row:
                self._store.append(last_row)
            self._send_gathered(msg, parts, columns)
            return None
        msg["payload"] = rows
        msg["columns"] = columns
        self.send(msg)
        return None

    def _legacy_rows(self, line: str, pos: int) -> tuple[list[dict], dict]:
        """The legacy parser from ``pos``: the row objects and the last row (empty when the
        text ends with a line break). A quote toggles quoting wherever it is; a field ends at
        the separator or a line break outside quotes."""
        sep = self._sep
        put = self._legacy_put
        column = self._legacy_column
        template = self._template
        named = self._named  # else column() names the columns (and may grow the template)
        width = len(template)
        end = len(line) - 1
        rows: list[dict] = []
        row: dict = {}
        j = 0
        cell: str | None = ""
        inside = False
        start = pos
        for m in self._special.finditer(line, pos):
            i = m.start()
            if i > start:
                cell += line[start:i]
            start = i + 1
            c = line[i]
            if c == QUOTE:
                inside = not inside
                if inside and i and line[i - 1] == QUOTE:  # "" inside quotes is a quote
                    cell += QUOTE
            elif inside:
                cell += c
            elif c == sep:
                name = (template[j] if j < width else None) if named else column(j)
                if name:
                    if i == 0:  # a text starting with a separator: 70-CSV.js fails reading line[-1]
                        raise NodeError("Cannot read properties of undefined (reading 'includes')")
                    if line[i - 1] == sep or line[i - 1] == "\n":
                        cell = None
                    put(row, name, cell)
                j += 1
                cell = None if i == end else ""
            else:  # a line break
                name = (template[j] if j < width else None) if named else column(j)
                if name:
                    if i and line[i - 1] == sep:
                        cell = None
                    put(row, name, cell)
                if row:
                    rows.append(row)
                    row = {}
                j = 0
                cell = ""
        if start <= end:
            cell += line[start:]
        if inside:
            self.warn(BAD_CSV)
        name = column(j)
        if name:
            put(row, name, cell)
        if row:
            rows.append(row)
        return rows, row

    def _legacy_column(self, j: int) -> str | None:
        """The name of column ``j`` (None: dropped); without a template ``col<j+1>``, kept in
        the template as Node-RED keeps it."""
        template = self._template
        if not self._named:
            name = f"col{j + 1}"
            if j < len(template):
                template[j] = name
            else:
                template.append(name)
            return name
        return template[j] if j < len(template) else None

    def _legacy_put(self, row: dict, name: str, value: str | None) -> None:
        if value is None:
            if self._keep_null:
                row[name] = None
            return
        if not value:
            if self._keep_empty:
                row[name] = ""
        elif self._numbers:
            number = _legacy_number(value.strip())
            row[name] = value if number is None else number
        else:
            row[name] = value

    def _rfc_from_csv(self, msg: dict, text: str) -> Any:
        has_parts, parts, index, first, last = self._sequence(msg)
        cursor = 0
        if self._skip and first and index is not None and index < self._skip:
            count = index
            cursor = len(text)
            for m in _LINE_BREAK.finditer(text):  # \r and \n each count as a line
                count += 1
                if count >= self._skip:
                    cursor = m.end()
                    break
            if cursor >= len(text):
                return PENDING  # nothing left: as Node-RED, the msg is never completed
        breaks = text.count("\n", cursor) + text.count("\r", cursor)
        if has_parts and self._multi == "mult" and breaks > 1:
            first = True
        if first and self._hdrin:
            try:
                header, cursor = self._reader.rows(text, cursor, strict=True, first_only=True)
            except _CsvSyntaxError as exc:
                self._red_status(BAD_TEMPLATE)
                raise NodeError(str(exc)) from None
            self._template = header[0] if header else []
        rows, _ = self._reader.rows(text, cursor)
        template = self._template
        if _has_template(template):
            names = template
        else:
            names = [f"col{i + 1}" for i in range(len(rows[0]))] if rows else []
        data = self._rfc_objects(rows, names)
        columns = _rfc_column_list(names)
        if self._multi == "one":
            self._send_rows(msg, data, columns, has_parts, parts, last)
            return None
        if has_parts and breaks <= 1:
            self._store.extend(data)
            self._send_gathered(msg, parts, columns)
            return None
        msg["payload"] = data
        msg["columns"] = columns
        self.send(msg)
        return None

    def _rfc_objects(self, rows: list[list], names: list) -> list[dict]:
        keep_null, keep_empty, numbers = self._keep_null, self._keep_empty, self._numbers
        named = [(j, name) for j, name in enumerate(names) if name]
        out = []
        for row in rows:
            width = len(row)
            obj = {}
            for j, name in named:
                v = row[j] if j < width else None
                if v is None:
                    if not keep_null:
                        continue
                elif v == "":
                    if not keep_empty:
                        continue
                elif numbers:
                    v = _rfc_number(v)
                obj[name] = v
            if obj:
                out.append(obj)
        return out

    def _send_rows(self, msg: dict, rows: list[dict], columns: str, has_parts: bool, parts: dict,
                   last: bool) -> None:
        """A msg per row: a copy of ``msg`` with the row, ``columns`` and ``parts``."""
        if not rows:
            if has_parts and last:
                self.send({"complete": True})
            return
        shifted = None
        if has_parts and isinstance(msg["parts"], dict):  # shifted past skipped and header lines
            shift = self._skip + (1 if self._hdrin else 0)
            shifted = dict(parts)
            for key in ("index", "count"):
                if isinstance(shifted.get(key), (int, float)):
                    shifted[key] -= shift
        seq_id, count = msg.get("_msgid"), len(rows)
        outs = []
        for i, row in enumerate(rows):
            out = msg.copy()
            out["columns"] = columns
            out["payload"] = row
            if shifted is not None:
                out["parts"] = shifted.copy()
            elif not has_parts:
                out["parts"] = {"id": seq_id, "index": i, "count": count}
            if last:
                out["complete"] = True
            outs.append(out)
        # Each copy holds its own row and parts; when everything else in the msg is immutable
        # the copies are as independent as the clones send() would make.
        others = (v for k, v in msg.items() if k != "parts" or shifted is None)
        if all_scalar(others) and (shifted is None or all_scalar(shifted.values())):
            self.send_built(outs)
        else:
            self.send([outs])

    def _send_gathered(self, msg: dict, parts: dict, columns: str) -> None:
        """With *a single message [array]*, the rows gathered from the parts of a sequence,
        sent with its last part."""
        index, count = parts.get("index"), parts.get("count")
        if isinstance(index, (int, float)) and isinstance(count, (int, float)) and index + 1 == count:
            msg["payload"], self._store = self._store, []
            msg["columns"] = columns
            del msg["parts"]
            self.send(msg)

    # -- objects to CSV text ---------------------------------------------------------------
    def _continues(self, msg: dict) -> bool:
        """A later part of a sequence, without a template: the column names of the first part
        stay in use."""
        if not self._no_template:
            return False
        parts = msg.get("parts")
        index = parts.get("index") if isinstance(parts, dict) else None
        return isinstance(index, (int, float)) and not isinstance(index, bool) and index > 0

    def _legacy_to_csv(self, msg: dict, payload: Any) -> None:
        if not self._continues(msg):
            self._template = list(self._config_template)
            self._named = not self._no_template
        rows = payload if isinstance(payload, list) else [payload]
        sep = self._sep
        lines = []
        if self._hdrout != "none" and not self._hdr_sent:
            if _blank(self._template):
                self._template = self._columns_or_keys(msg, rows, legacy=True)
            lines.append(sep.join(f'"{v}"' if sep in v else v for v in self._template))
            if self._hdrout == "once":
                self._hdr_sent = True
        s = 0
        while s < len(rows):
            row = rows[s]
            if isinstance(row, list) or (row is not None and not isinstance(row, _OBJECTS)):
                if not isinstance(row, list):  # an array of values is one line
                    rows = [rows]
                    if s:
                        raise NodeError("Cannot read properties of undefined (reading 'length')")
                    row = rows[0]
                lines.append(sep.join(self._legacy_value(v) for v in row))
            else:
                if _blank(self._template) and "columns" in msg:
                    self._template = _legacy_columns(_text(msg["columns"]), ",")
                    self._named = not _blank(self._template)
                if _blank(self._template):
                    self._warn_no_template()
                    lines.append(sep.join(self._own_values(rows[0], row, legacy=True)))
                else:
                    lines.append(sep.join(self._legacy_field(_get(row, name)) if name else ""
                                          for name in self._template))
            s += 1
        msg["payload"] = self._ret.join(lines) + self._ret
        msg["columns"] = _legacy_column_list(self._template)
        self.send(msg)

    def _legacy_value(self, value: Any) -> str:
        """A value of an array row, as the legacy parser writes it."""
        if value is None:
            raise NodeError("Cannot read properties of null (reading 'toString')")
        return self._legacy_field("" if value is UNDEFINED else js_string(value))

    def _legacy_field(self, value: Any) -> str:
        text = "" if value is UNDEFINED else _ensure_string(value)
        if QUOTE in text:
            return '"' + text.replace(QUOTE, '""') + '"'
        if self._sep in text or "\n" in text:
            return '"' + text + '"'
        return text

    def _warn_no_template(self) -> None:
        if not self._warned:
            self._warned = True
            self.warn(NO_TEMPLATE)

    def _own_values(self, first: Any, row: Any, legacy: bool) -> list[str]:
        """A row without a template: the values of the first row's properties that this row
        has and that are not objects."""
        sep = self._sep
        out = []
        for key in _keys(first):
            if row is None:
                raise NodeError("Cannot read properties of null (reading 'hasOwnProperty')")
            value = _get(row, key)
            if value is UNDEFINED or value is None or isinstance(value, _OBJECTS):
                continue
            text = js_string(value)
            if not legacy:
                out.append(_quote_cell(text, sep))
            elif QUOTE in text:
                out.append('"' + text.replace(QUOTE, '""') + '"')
            elif sep in text or "\n" in key:  # as 70-CSV.js: the key, not the value, is checked
                out.append('"' + text + '"')
            else:
                out.append(text)
        return out

    def _columns_or_keys(self, msg: dict, rows: list, legacy: bool) -> list:
        """The header's column names when there is no template: ``msg.columns``, else the
        properties of the first row."""
        if "columns" in msg:
            if legacy:
                names = _legacy_columns(_text(msg["columns"]), ",")
                self._named = not _blank(names)
                return names
            return self._parse_columns(msg)
        if not rows or rows[0] is None:
            raise NodeError("Cannot convert undefined or null to object")
        return _keys(rows[0])

    def _parse_columns(self, msg: dict) -> list:
        try:
            return _rfc_template(_text(msg["columns"]))
        except _CsvSyntaxError as exc:
            raise NodeError(str(exc)) from None

    def _rfc_to_csv(self, msg: dict, payload: Any) -> None:
        if isinstance(payload, list):
            rows = payload
            arrays = bool(rows) and isinstance(rows[0], list)
            if rows and not arrays and rows[0] is not None and not isinstance(rows[0], _OBJECTS):
                rows, arrays = [rows], True  # an array of values is one line
        else:
            rows, arrays = [payload], False
        if not self._continues(msg):
            self._template = self._config_template
        sep = self._sep
        lines = []
        if self._hdrout != "none" and not self._hdr_sent:
            if not _has_template(self._template):
                self._template = self._columns_or_keys(msg, rows, legacy=False)
            lines.append(",".join(_quote_cell(name or "", ",") for name in self._template))
            if self._hdrout == "once":
                self._hdr_sent = True
        for row in rows:
            template = self._template
            if arrays:
                if isinstance(row, (str, bytes, bytearray)):
                    row = list(row)
                if _has_template(template):
                    cells = [_quote_cell(self._array_cell(row, t), sep) if name else ""
                             for t, name in enumerate(template)]
                else:
                    if row is None:
                        raise NodeError("Cannot read properties of null (reading 'length')")
                    width = len(row) if isinstance(row, (list, tuple)) else 0
                    cells = [_quote_cell(self._array_cell(row, t), sep) for t in range(width)]
            else:
                if not _has_template(template) and "columns" in msg:
                    template = self._template = self._parse_columns(msg)
                if not _has_template(template):
                    self._warn_no_template()
                    cells = self._own_values(rows[0], row, legacy=False)
                else:
                    cells = []
                    for name in template:
                        if not name:
                            cells.append("")
                            continue
                        value = _get(row, name)
                        cells.append(_quote_cell("" if value is UNDEFINED else _ensure_string(value), sep))
            lines.append(sep.join(cells))
        msg["payload"] = self._ret.join(lines) + self._ret
        msg["columns"] = _rfc_column_list(self._template)
        self.send(msg)

    @staticmethod
    def _array_cell(row: Any, t: int) -> str:
        value = _get(row, str(t)) if not isinstance(row, list) else (row[t] if t < len(row) else UNDEFINED)
        return "" if value is UNDEFINED else _ensure_string(value)
