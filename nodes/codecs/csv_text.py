"""CSV text to rows and rows to CSV text, as Node-RED's CSV node reads and writes it.

Mirrors Node-RED's nodes/core/parsers/70-CSV.js (its legacy parser and writer, used by flows
from before Node-RED 4) and the RFC 4180 parser of Node-RED 4 (nodes/core/parsers/lib/csv,
which 70-CSV.js uses when ``spec`` is ``"rfc"``). Node-RED uses no CSV library; this module
holds the format only: reading records, numbers, column templates, quoting and writing lines.
The node (flowred.nodes.csv) keeps what belongs to msgs: sequences, header state, warnings.

Interface: ``RfcReader(sep).rows(text)`` and ``rfc_objects(rows, names, ...)`` read RFC 4180
text, ``LegacyReader(sep, ...).rows(text, pos, template, named)`` the legacy text;
``legacy_columns`` / ``rfc_template`` read column templates; ``*_line`` functions write one
line of CSV. Errors: CsvSyntaxError (a ValueError with a position) for RFC 4180 text the strict
parser rejects; CsvError for values 70-CSV.js fails on, with JavaScript's TypeError texts.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from flowred import UNDEFINED, NodeError
from flowred.jscompat import js_parse_float, js_to_number, js_to_string

from ..common import to_json

__all__ = ["QUOTE", "LINE_BREAK", "OBJECT_TYPES", "CsvError", "CsvSyntaxError", "RfcReader", "LegacyReader",
           "rfc_template", "rfc_objects", "rfc_number", "rfc_column_list", "rfc_header_line", "rfc_array_line",
           "rfc_object_line", "legacy_columns", "legacy_column_list", "legacy_number", "legacy_header_line",
           "legacy_array_line", "legacy_object_line", "own_values", "quote_cell", "ensure_string",
           "js_keys", "js_get", "blank_template", "has_template"]

QUOTE = '"'


class CsvError(NodeError):
    """A value 70-CSV.js fails on while reading or writing, with the text of the JavaScript
    TypeError Node-RED reports (e.g. ``Cannot read properties of null (reading 'toString')``).
    A NodeError, so a node may let it reach catch nodes as is."""


LINE_BREAK = re.compile(r"[\r\n]")
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
OBJECT_TYPES = (dict, list, tuple, bytes, bytearray, _dt.datetime)  # JavaScript's typeof "object"


def _number(value: int | float) -> int | float:
    """A JavaScript number as Python keeps it: whole values as ints (as JSON gives them),
    integers beyond 2**53 as floats (JavaScript keeps no more digits)."""
    if type(value) is float:
        return int(value) if value.is_integer() and abs(value) <= _SAFE_INTEGER else value
    return value if abs(value) <= _SAFE_INTEGER else float(value)


def legacy_number(text: str) -> int | float | None:
    """A trimmed field as the legacy parser reads it: ``parseFloat`` when it looks like a
    number, else None."""
    if text[:1] not in _LEGACY_NUMBER_START or not _LEGACY_NUMBER.match(text):
        return None
    if "e" in text or "E" in text:
        return _number(js_parse_float(text))  # "1e-+5" is 1, as parseFloat reads it
    return _number(float(text) if "." in text else int(text))


def rfc_number(text: str) -> str | int | float:
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
        return _number(js_to_number(m["other"]))
    return 0



def ensure_string(value: Any) -> str:
    """``RED.util.ensureString``: text as it is, a buffer decoded, an object or null as JSON."""
    if type(value) is str:
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if value is None or isinstance(value, OBJECT_TYPES):
        return to_json(value)
    return js_to_string(value)


def js_keys(value: Any) -> list[str]:
    """The keys ``for (key in value)`` visits: an object's keys, an array's indices."""
    if isinstance(value, dict):
        return list(value)
    if isinstance(value, (list, tuple, str, bytes, bytearray)):
        return [str(i) for i in range(len(value))]
    return []


def js_get(value: Any, key: str) -> Any:
    """``value[key]`` in JavaScript (UNDEFINED when missing); null has no properties."""
    if isinstance(value, dict):
        return value.get(key, UNDEFINED)
    if value is None:
        raise CsvError(f"Cannot read properties of null (reading '{key}')")
    if isinstance(value, (list, tuple, str, bytes, bytearray)) and key.isascii() and key.isdigit():
        i = int(key)
        if str(i) == key and i < len(value):
            return value[i]
    return UNDEFINED


def blank_template(template: list) -> bool:
    """No columns template: Node-RED's ``[""]``."""
    return len(template) == 1 and template[0] == ""


def has_template(template: list) -> bool:
    return len(template) > 0 and not blank_template(template)



# -- the legacy column template ------------------------------------------------------------

def legacy_columns(text: str, sep: str) -> list[str]:
    """Column names as the legacy parser reads a template or header line: split at ``sep``
    outside double quotes, every quote removed, each name trimmed. ``[""]`` when empty."""
    splitter = re.compile(re.escape(sep) + r'(?=(?:(?:[^"]*"){2})*[^"]*\Z)')
    return [name.replace(QUOTE, "").strip() for name in splitter.split(text.strip())]


def legacy_column_list(template: list[str]) -> str:
    """``msg.columns`` of the legacy parser: names with a comma in double quotes."""
    return ",".join(f'"{v}"' if "," in v else v for v in template)


# -- the RFC 4180 parser -------------------------------------------------------------------

class CsvSyntaxError(ValueError):
    """CSV that the RFC 4180 parser rejects in strict mode (templates and header lines)."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


class RfcReader:
    """Node-RED's RFC 4180 parser (lib/csv ``parse``) for one separator: fields in double
    quotes may hold separators, line breaks and doubled quotes; ``\\n``, ``\\r`` and ``\\r\\n``
    end a record; blank lines give no record. An empty field is ``None``, an empty quoted
    field ``""``. Strict mode raises CsvSyntaxError for a quote inside an unquoted field, text
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
                m = LINE_BREAK.search(text, cursor)
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
                        raise CsvSyntaxError("Data found after closing quote", cursor)
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
                    raise CsvSyntaxError("Quote found in the middle of an unquoted field", cursor - 1)
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
            raise CsvSyntaxError("Missing quote, unclosed cell", cursor)
        if cell:
            row.append("".join(cell) or (None if new_cell else ""))
        if row:
            rows.append(row)
        return rows, cursor


_COMMA_READER = RfcReader(",")


def rfc_template(text: str) -> list[str | None]:
    """A comma-separated columns template read by the strict RFC 4180 parser (its first
    record); ``[""]`` when there is none. Raises CsvSyntaxError."""
    rows, _ = _COMMA_READER.rows(text, strict=True)
    return rows[0] if rows else [""]


def quote_cell(cell: str, sep: str) -> str:
    """A field quoted as RFC 4180 wants it: in double quotes, quotes doubled, when it holds a
    quote, the separator or a line break."""
    if QUOTE in cell:
        return '"' + cell.replace(QUOTE, '""') + '"'
    if sep in cell or "\n" in cell or "\r" in cell:
        return '"' + cell + '"'
    return cell


def rfc_column_list(template: list) -> str:
    """``msg.columns`` of the RFC 4180 parser: the named columns, quoted, joined by commas."""
    return ",".join(quote_cell(name, ",") for name in template if name)


# -- the legacy parser ---------------------------------------------------------------------

class LegacyReader:
    """70-CSV.js's legacy parser for one separator and one set of options: a quote toggles
    quoting wherever it is (``""`` inside quotes is a quote); a field ends at the separator or
    a line break outside quotes; ``\\n``, ``\\r`` and ``\\r\\n`` end a row.

    ``numbers``: fields that look like numbers become numbers (``parseFloat``); ``keep_empty``:
    empty fields give ``""`` (else they are left out); ``keep_null``: missing fields (``a,,c``)
    give ``None`` (else they are left out).
    """

    def __init__(self, sep: str, *, numbers: bool, keep_empty: bool, keep_null: bool) -> None:
        self.sep = sep
        self.numbers, self.keep_empty, self.keep_null = numbers, keep_empty, keep_null
        self._special = re.compile('["\r\n' + (re.escape(sep) if len(sep) == 1 else "") + "]")

    def rows(self, line: str, pos: int, template: list, named: bool) -> tuple[list[dict], dict, bool]:
        """The row objects of ``line`` from ``pos``, the last row (empty when the text ends with
        a line break) and whether a quote was left open (70-CSV.js then warns that the output
        is probably corrupt).

        Rows are keyed by ``template`` (a name per column; a column without a name is dropped)
        when ``named``; otherwise the columns are named ``col1``, ``col2``... and those names
        are written into ``template`` (grown as needed), as 70-CSV.js keeps them for later
        msgs. Raises CsvError for a text that starts with the separator, which 70-CSV.js fails
        on."""
        sep = self.sep
        put = self._put
        width = len(template)
        end = len(line) - 1
        rows: list[dict] = []
        row: dict = {}
        j = 0
        cell: str | None = ""
        inside = False
        start = pos

        def column(j: int) -> str | None:
            if not named:
                name = f"col{j + 1}"
                if j < len(template):
                    template[j] = name
                else:
                    template.append(name)
                return name
            return template[j] if j < len(template) else None

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
                        raise CsvError("Cannot read properties of undefined (reading 'includes')")
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
        name = column(j)
        if name:
            put(row, name, cell)
        if row:
            rows.append(row)
        return rows, row, inside

    def _put(self, row: dict, name: str, value: str | None) -> None:
        if value is None:
            if self.keep_null:
                row[name] = None
            return
        if not value:
            if self.keep_empty:
                row[name] = ""
        elif self.numbers:
            number = legacy_number(value.strip())
            row[name] = value if number is None else number
        else:
            row[name] = value


def rfc_objects(rows: list[list], names: list, *, numbers: bool, keep_empty: bool, keep_null: bool) -> list[dict]:
    """Records of RfcReader.rows as objects keyed by ``names`` (a column without a name is
    dropped). ``numbers``: fields that JavaScript's ``Number()`` reads become numbers (see
    rfc_number); ``keep_empty``: ``""`` fields are kept; ``keep_null``: missing fields are kept
    as ``None``. A record that gives an empty object is left out."""
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
                v = rfc_number(v)
            obj[name] = v
        if obj:
            out.append(obj)
    return out


# -- writing -------------------------------------------------------------------------------

def legacy_header_line(template: list[str], sep: str) -> str:
    """The legacy header line: the names joined by ``sep``, a name holding ``sep`` quoted."""
    return sep.join(f'"{v}"' if sep in v else v for v in template)


def legacy_field(value: Any, sep: str) -> str:
    """A value as the legacy writer writes it: text as it is (objects as JSON), quoted with
    quotes doubled when it holds a quote, quoted when it holds ``sep`` or ``\\n``."""
    text = "" if value is UNDEFINED else ensure_string(value)
    if QUOTE in text:
        return '"' + text.replace(QUOTE, '""') + '"'
    if sep in text or "\n" in text:
        return '"' + text + '"'
    return text


def _legacy_value(value: Any, sep: str) -> str:
    if value is None:
        raise CsvError("Cannot read properties of null (reading 'toString')")
    return legacy_field("" if value is UNDEFINED else js_to_string(value), sep)


def legacy_array_line(row: list, sep: str) -> str:
    """A line of the legacy writer for an array of values. Raises CsvError for ``None`` in it
    (70-CSV.js calls its ``toString``)."""
    return sep.join(_legacy_value(v, sep) for v in row)


def legacy_object_line(row: Any, template: list[str], sep: str) -> str:
    """A line of the legacy writer for an object: its properties named in ``template``, in that
    order (a column without a name, or a property missing, is an empty field)."""
    return sep.join(legacy_field(js_get(row, name), sep) if name else "" for name in template)


def rfc_header_line(template: list) -> str:
    """The RFC 4180 header line: the names joined by commas (whatever the separator), quoted
    as needed."""
    return ",".join(quote_cell(name or "", ",") for name in template)


def _array_cell(row: Any, t: int) -> str:
    value = js_get(row, str(t)) if not isinstance(row, list) else (row[t] if t < len(row) else UNDEFINED)
    return "" if value is UNDEFINED else ensure_string(value)


def rfc_array_line(row: Any, template: list, sep: str) -> str:
    """A line of the RFC 4180 writer for an array row: with a template exactly its columns (an
    unnamed column is an empty field), else every value; a string counts as an array of its
    characters. Raises CsvError for a ``None`` row without a template."""
    if isinstance(row, (str, bytes, bytearray)):
        row = list(row)
    if has_template(template):
        cells = [quote_cell(_array_cell(row, t), sep) if name else "" for t, name in enumerate(template)]
    else:
        if row is None:
            raise CsvError("Cannot read properties of null (reading 'length')")
        width = len(row) if isinstance(row, (list, tuple)) else 0
        cells = [quote_cell(_array_cell(row, t), sep) for t in range(width)]
    return sep.join(cells)


def rfc_object_line(row: Any, template: list, sep: str) -> str:
    """A line of the RFC 4180 writer for an object: its properties named in ``template``, in
    that order, quoted as needed (objects as JSON; missing or unnamed: an empty field)."""
    cells = []
    for name in template:
        if not name:
            cells.append("")
            continue
        value = js_get(row, name)
        cells.append(quote_cell("" if value is UNDEFINED else ensure_string(value), sep))
    return sep.join(cells)


def own_values(first: Any, row: Any, sep: str, legacy: bool) -> list[str]:
    """The fields of a row written without a template: the values of the first row's
    properties that this row has and that are not objects (quoted as the legacy or the
    RFC 4180 writer quotes). Raises CsvError for a ``None`` row."""
    out = []
    for key in js_keys(first):
        if row is None:
            raise CsvError("Cannot read properties of null (reading 'hasOwnProperty')")
        value = js_get(row, key)
        if value is UNDEFINED or value is None or isinstance(value, OBJECT_TYPES):
            continue
        text = js_to_string(value)
        if not legacy:
            out.append(quote_cell(text, sep))
        elif QUOTE in text:
            out.append('"' + text.replace(QUOTE, '""') + '"')
        elif sep in text or "\n" in key:  # as 70-CSV.js: the key, not the value, is checked
            out.append('"' + text + '"')
        else:
            out.append(text)
    return out
