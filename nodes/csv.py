"""The ``csv`` node: converts between CSV text and objects, in either direction.

As Node-RED's CSV node (nodes/core/parsers/70-CSV.js, 70-CSV.html and its RFC 4180 parser
lib/csv): ``spec`` "rfc" selects the RFC 4180 parser of Node-RED 4, anything else the legacy
parser that flows from before Node-RED 4 use. The parsers and writer themselves are in
flowred.nodes.codecs.csv_text; this module holds the node: settings, sequences, header state,
warnings.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from flowred import PENDING, Node, NodeConfig, NodeError, all_scalar, register
from flowred.fields import OrDefault, Text, TruthyFlag
from flowred.jscompat import js_to_string
from flowred.nodes.common import parse_int, unescape_controls as _unescape

from .codecs.csv_text import (
    LINE_BREAK,
    OBJECT_TYPES,
    CsvSyntaxError as _CsvSyntaxError,
    LegacyReader,
    RfcReader,
    blank_template,
    has_template,
    js_keys,
    legacy_array_line,
    legacy_column_list,
    legacy_columns,
    legacy_header_line,
    legacy_object_line,
    own_values,
    rfc_array_line,
    rfc_column_list,
    rfc_header_line,
    rfc_object_line,
    rfc_objects,
    rfc_template as _rfc_template,
)

__all__ = ["CsvConfig", "CsvNode"]

# Node-RED's texts (locales/en-US/messages.json, csv.errors)
NOT_CSV = "This node only handles CSV strings or js objects."
NO_TEMPLATE = "No columns template specified for object -> CSV."
BAD_CSV = "Malformed CSV data - output probably corrupt."
BAD_TEMPLATE = "Malformed columns template."


def _text(value: Any) -> str:
    """``msg.columns || ""`` as text."""
    if isinstance(value, str):
        return value
    return js_to_string(value) if value else ""


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
            self._reader = RfcReader(self._sep)
            self._from_csv, self._to_csv = self._rfc_from_csv, self._rfc_to_csv
        else:
            self._config_template = legacy_columns(config.temp, ",")
            self._legacy_reader = LegacyReader(self._sep, numbers=self._numbers, keep_empty=self._keep_empty,
                                               keep_null=self._keep_null)
            self._from_csv, self._to_csv = self._legacy_from_csv, self._legacy_to_csv
        self._no_template = blank_template(self._config_template)
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
        if payload is None or isinstance(payload, OBJECT_TYPES):
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
            m = LINE_BREAK.search(line, pos)
            end = m.start() if m and m.start() < len(line) - 1 else len(line) - 1
            header = line[pos:end] if end < len(line) - 1 else line[pos:]
            self._template = legacy_columns(header, self._sep)
            self._named = not blank_template(self._template)
            pos = end + 1
        rows, last_row, unclosed = self._legacy_reader.rows(line, pos, self._template, self._named)
        if unclosed:
            self.warn(BAD_CSV)
        columns = legacy_column_list([v for v in self._template if v])
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

    def _rfc_from_csv(self, msg: dict, text: str) -> Any:
        has_parts, parts, index, first, last = self._sequence(msg)
        cursor = 0
        if self._skip and first and index is not None and index < self._skip:
            count = index
            cursor = len(text)
            for m in LINE_BREAK.finditer(text):  # \r and \n each count as a line
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
        if has_template(template):
            names = template
        else:
            names = [f"col{i + 1}" for i in range(len(rows[0]))] if rows else []
        data = rfc_objects(rows, names, numbers=self._numbers, keep_empty=self._keep_empty,
                           keep_null=self._keep_null)
        columns = rfc_column_list(names)
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
            if blank_template(self._template):
                self._template = self._columns_or_keys(msg, rows, legacy=True)
            lines.append(legacy_header_line(self._template, sep))
            if self._hdrout == "once":
                self._hdr_sent = True
        s = 0
        while s < len(rows):
            row = rows[s]
            if isinstance(row, list) or (row is not None and not isinstance(row, OBJECT_TYPES)):
                if not isinstance(row, list):  # an array of values is one line
                    rows = [rows]
                    if s:
                        raise NodeError("Cannot read properties of undefined (reading 'length')")
                    row = rows[0]
                lines.append(legacy_array_line(row, sep))
            else:
                if blank_template(self._template) and "columns" in msg:
                    self._template = legacy_columns(_text(msg["columns"]), ",")
                    self._named = not blank_template(self._template)
                if blank_template(self._template):
                    self._warn_no_template()
                    lines.append(sep.join(own_values(rows[0], row, sep, legacy=True)))
                else:
                    lines.append(legacy_object_line(row, self._template, sep))
            s += 1
        msg["payload"] = self._ret.join(lines) + self._ret
        msg["columns"] = legacy_column_list(self._template)
        self.send(msg)

    def _warn_no_template(self) -> None:
        if not self._warned:
            self._warned = True
            self.warn(NO_TEMPLATE)

    def _columns_or_keys(self, msg: dict, rows: list, legacy: bool) -> list:
        """The header's column names when there is no template: ``msg.columns``, else the
        properties of the first row."""
        if "columns" in msg:
            if legacy:
                names = legacy_columns(_text(msg["columns"]), ",")
                self._named = not blank_template(names)
                return names
            return self._parse_columns(msg)
        if not rows or rows[0] is None:
            raise NodeError("Cannot convert undefined or null to object")
        return js_keys(rows[0])

    def _parse_columns(self, msg: dict) -> list:
        try:
            return _rfc_template(_text(msg["columns"]))
        except _CsvSyntaxError as exc:
            raise NodeError(str(exc)) from None

    def _rfc_to_csv(self, msg: dict, payload: Any) -> None:
        if isinstance(payload, list):
            rows = payload
            arrays = bool(rows) and isinstance(rows[0], list)
            if rows and not arrays and rows[0] is not None and not isinstance(rows[0], OBJECT_TYPES):
                rows, arrays = [rows], True  # an array of values is one line
        else:
            rows, arrays = [payload], False
        if not self._continues(msg):
            self._template = self._config_template
        sep = self._sep
        lines = []
        if self._hdrout != "none" and not self._hdr_sent:
            if not has_template(self._template):
                self._template = self._columns_or_keys(msg, rows, legacy=False)
            lines.append(rfc_header_line(self._template))
            if self._hdrout == "once":
                self._hdr_sent = True
        for row in rows:
            template = self._template
            if arrays:
                lines.append(rfc_array_line(row, template, sep))
                continue
            if not has_template(template) and "columns" in msg:
                template = self._template = self._parse_columns(msg)
            if not has_template(template):
                self._warn_no_template()
                lines.append(sep.join(own_values(rows[0], row, sep, legacy=False)))
            else:
                lines.append(rfc_object_line(row, template, sep))
        msg["payload"] = self._ret.join(lines) + self._ret
        msg["columns"] = rfc_column_list(self._template)
        self.send(msg)
