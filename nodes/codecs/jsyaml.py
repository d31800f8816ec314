"""js-yaml 4 in Python: YAML text to values and values to YAML text, as js-yaml gives them.

Mirrors the JavaScript library js-yaml 4 (its default schema, lib/loader.js and lib/dumper.js) as
Node-RED's YAML node (nodes/core/parsers/70-YAML.js) uses it, on PyYAML. Reading uses PyYAML's
safe loader with js-yaml's implicit types (YAML 1.2 core: ``yes``/``no``/``on``/``off`` stay
strings, ``1e3`` is a number, ``010`` is ten) and js-yaml's rules for keys, merges and
duplicates; writing uses PyYAML's safe dumper shaped as js-yaml writes (block style, sequences
indented under their key, multi-line strings as ``|`` blocks, no ``...`` end marker, JavaScript
number text).

Interface: ``load_yaml(text) -> value`` and ``dump_yaml(value) -> text``; errors raise YamlError
with js-yaml's message shape.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.representer import RepresenterError
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from flowred import UNDEFINED, NodeError
from flowred.jscompat import js_number_text, js_to_string

__all__ = ["YamlError", "load_yaml", "dump_yaml", "MAX_ALIAS_EXPANSION"]


class YamlError(NodeError):
    """YAML that cannot be read (js-yaml's text: ``<reason> (<line>:<column>)`` and the lines
    around the place), or a value that cannot be written. A NodeError, so a node may let it
    reach catch nodes as is."""


_UTC = _dt.timezone.utc
_TAG = "tag:yaml.org,2002:"

# js-yaml 4's implicit scalar types (lib/type/{null,bool,int,float,timestamp,merge}.js)
_NULL = re.compile(r"(?:~|null|Null|NULL|)\Z")
_BOOL = re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z")
_INT = re.compile(r"[-+]?(?:0b[01_]*[01]|0x[0-9a-fA-F_]*[0-9a-fA-F]|0o[0-7_]*[0-7]"
                  r"|0|0[0-9](?:[0-9_]*[0-9])?|[1-9](?:[0-9_]*[0-9])?)\Z")
_FLOAT = re.compile(r"(?!.*_\Z)(?:[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?"
                    r"|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
_TIMESTAMP = re.compile(r"([0-9]{4})-([0-9][0-9]?)-([0-9][0-9]?)(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9]{2}):([0-9]{2})"
                        r"(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9]{2}))?))?\Z")
_MERGE = re.compile(r"<<\Z")
# what js-yaml's writer also quotes so that YAML 1.1 readers keep the text (noCompatMode off)
_OLD_BOOL = re.compile(r"(?:y|Y|yes|Yes|YES|on|On|ON|n|N|no|No|NO|off|Off|OFF)\Z")

_JS_YAML_RESOLVERS = (
    (_TAG + "null", _NULL), (_TAG + "bool", _BOOL), (_TAG + "int", _INT), (_TAG + "float", _FLOAT),
    (_TAG + "timestamp", _DATE), (_TAG + "timestamp", _TIMESTAMP), (_TAG + "merge", _MERGE),
)


# -- reading -------------------------------------------------------------------------------

class _Resolver(BaseResolver):
    """Only js-yaml's implicit types (no YAML 1.1 booleans, octals or sexagesimals)."""


for _tag, _re in _JS_YAML_RESOLVERS:
    _Resolver.add_implicit_resolver(_tag, _re, None)


def _key_text(key: Any) -> str:
    """A mapping key as JavaScript object keys are: ``String(key)``."""
    if isinstance(key, str):
        return key
    if isinstance(key, _dt.datetime):
        return key.astimezone(_UTC).strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")
    return js_to_string(key)


def _fit_int(value: int) -> int | float:
    """Integers past 64 bits become floats, as JavaScript numbers (and FlowRed's JSON) have them."""
    return value if -(1 << 63) <= value < (1 << 64) else float(value)


class _Constructor(SafeConstructor):
    """Builds values as js-yaml does: string keys, duplicate keys refused, merges in place,
    timestamps as UTC datetimes (JavaScript Dates), sets as objects of nulls, omap/pairs as
    arrays."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict:
        if not isinstance(node, MappingNode):
            raise ConstructorError(None, None, f"expected a mapping node, but found {node.id}", node.start_mark)
        result: dict[str, Any] = {}
        overridable: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                self._merge(result, overridable, value_node)
                continue
            key = _key_text(self.construct_object(key_node, deep=True))
            if key in result and key not in overridable:
                raise ConstructorError(None, None, "duplicated mapping key", key_node.start_mark)
            result[key] = self.construct_object(value_node, deep=deep)
            overridable.discard(key)
        return result

    def _merge(self, result: dict, overridable: set, value_node: Any) -> None:
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source_node in sources:
            source = self.construct_object(source_node, deep=True) if isinstance(source_node, MappingNode) else None
            if not isinstance(source, dict):
                raise ConstructorError(None, None, "cannot merge mappings; the provided source object is unacceptable",
                                       source_node.start_mark)
            for key, value in source.items():
                if key not in result:
                    result[key] = value
                    overridable.add(key)

    def construct_yaml_null(self, node: Any) -> None:
        self.construct_scalar(node)
        return None

    def construct_yaml_bool(self, node: Any) -> bool:
        return self.construct_scalar(node) in ("true", "True", "TRUE")

    def construct_yaml_int(self, node: Any) -> int | float:
        text = self.construct_scalar(node)
        if not _INT.match(text):
            raise ConstructorError(None, None, f"cannot resolve a node with !<{_TAG}int> explicit tag", node.start_mark)
        value = text.replace("_", "")
        sign = -1 if value[0] == "-" else 1
        value = value.lstrip("+-")
        base = {"0b": 2, "0x": 16, "0o": 8}.get(value[:2], 10)
        return _fit_int(sign * int(value[2:] if base != 10 else value, base))

    def construct_yaml_float(self, node: Any) -> float:
        text = self.construct_scalar(node)
        if not _FLOAT.match(text):
            raise ConstructorError(None, None, f"cannot resolve a node with !<{_TAG}float> explicit tag",
                                   node.start_mark)
        value = text.replace("_", "").lower()
        sign = -1.0 if value[0] == "-" else 1.0
        value = value.lstrip("+-")
        if value == ".inf":
            return sign * float("inf")
        if value == ".nan":
            return float("nan")
        return sign * float(value)

    def construct_yaml_timestamp(self, node: Any) -> _dt.datetime:
        text = self.construct_scalar(node)
        m = _DATE.match(text)
        if m:
            return _dt.datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=_UTC)
        m = _TIMESTAMP.match(text)
        if not m:
            raise ConstructorError(None, None, f"cannot resolve a node with !<{_TAG}timestamp> explicit tag",
                                   node.start_mark)
        millis = int((m[7] or "0")[:3].ljust(3, "0"))
        when = _dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6]), millis * 1000,
                            tzinfo=_UTC)
        if m[9]:
            offset = _dt.timedelta(hours=int(m[10]), minutes=int(m[11] or 0))
            when -= offset if m[9] == "+" else -offset
        return when

    def construct_yaml_set(self, node: Any) -> Any:
        data: dict[str, Any] = {}
        yield data
        data.update(dict.fromkeys(self.construct_mapping(node)))

    def construct_yaml_omap(self, node: Any) -> Any:
        data: list = []
        yield data
        for item in self._pair_nodes(node, "an ordered map"):
            data.append({_key_text(self.construct_object(item[0], deep=True)):
                         self.construct_object(item[1], deep=True)})

    def construct_yaml_pairs(self, node: Any) -> Any:
        data: list = []
        yield data
        for item in self._pair_nodes(node, "pairs"):
            data.append([self.construct_object(item[0], deep=True), self.construct_object(item[1], deep=True)])

    @staticmethod
    def _pair_nodes(node: Any, what: str) -> list:
        if not isinstance(node, SequenceNode):
            raise ConstructorError(f"while constructing {what}", node.start_mark,
                                   f"expected a sequence, but found {node.id}", node.start_mark)
        pairs = []
        for item in node.value:
            if not isinstance(item, MappingNode) or len(item.value) != 1:
                raise ConstructorError(f"while constructing {what}", node.start_mark,
                                       "expected a mapping of length 1", item.start_mark)
            pairs.append(item.value[0])
        return pairs


for _name in ("null", "bool", "int", "float", "timestamp", "set", "omap", "pairs"):
    _Constructor.add_constructor(_TAG + _name, getattr(_Constructor, f"construct_yaml_{_name}"))
_Constructor.add_constructor(_TAG + "map", SafeConstructor.construct_yaml_map)


class _Loader(Reader, Scanner, Parser, Composer, _Constructor, _Resolver):
    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Constructor.__init__(self)
        _Resolver.__init__(self)


def _snippet(buffer: str, position: int, line: int) -> str:
    """The source excerpt js-yaml puts under its errors: up to 3 lines before and 2 after, each
    `` N | text``, and a ``----^`` line under the place (js-yaml lib/snippet.js)."""
    starts, ends, found = [0], [], -1
    for m in re.finditer(r"\r?\n|\r|\0", buffer):
        ends.append(m.start())
        starts.append(m.end())
        if position <= m.start() and found < 0:
            found = len(starts) - 2
    if found < 0:
        found = len(starts) - 1
    width = len(str(min(line + 2, len(ends))))
    max_line = 79 - (1 + width + 3)

    def cut(start: int, end: int, pos: int) -> tuple[str, int]:
        head = tail = ""
        half = max_line // 2 - 1
        if pos - start > half:
            head = " ... "
            start = pos - half + len(head)
        if end - pos > half:
            tail = " ..."
            end = pos + half - len(tail)
        return head + buffer[start:end] + tail, pos - start + len(head)

    lines = []
    for i in range(3, 0, -1):
        if found - i >= 0:
            text, _ = cut(starts[found - i], ends[found - i], position - (starts[found] - starts[found - i]))
            lines.append(f" {str(line - i + 1).rjust(width)} | {text}")
    end = ends[found] if found < len(ends) else len(buffer)
    text, pos = cut(starts[found], end, position)
    lines.append(f" {str(line + 1).rjust(width)} | {text}")
    lines.append("-" * (1 + width + 3 + pos) + "^")
    for i in range(1, 3):
        if found + i >= len(ends):
            break
        text, _ = cut(starts[found + i], ends[found + i], position - (starts[found] - starts[found + i]))
        lines.append(f" {str(line + i + 1).rjust(width)} | {text}")
    return "\n".join(lines)


def _error_text(reason: str, buffer: str, position: int) -> str:
    """js-yaml's message shape: ``<reason> (<line>:<column>)`` and the snippet (1-based)."""
    line = len(re.findall(r"\r?\n|\r", buffer[:position]))
    line_start = max(buffer.rfind("\n", 0, position), buffer.rfind("\r", 0, position)) + 1
    return f"{reason} ({line + 1}:{position - line_start + 1})\n\n{_snippet(buffer, position, line)}"


def load_yaml(text: str) -> Any:
    """``yaml.load(text)`` of js-yaml 4: one document's value (dict, list, str, int, float,
    bool, None, datetime in UTC for timestamps, bytes for ``!!binary``); UNDEFINED when the
    text holds no document (empty, or only comments). Raises YamlError with js-yaml's message
    shape, e.g. ``duplicated mapping key (2:1)`` followed by the source excerpt."""
    buffer = text[1:] if text.startswith("\ufeff") else text
    if buffer and buffer[-1] not in "\r\n":
        buffer += "\n"
    if "\0" in buffer:
        raise YamlError(_error_text("null byte is not allowed in input", buffer, buffer.index("\0")))
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            return UNDEFINED
        expanded, distinct = _sizes(node)
        if expanded - distinct > MAX_ALIAS_EXPANSION:
            raise YamlError(f"aliases expand the document beyond {MAX_ALIAS_EXPANSION} values")
        return loader.construct_document(node)
    except yaml.composer.ComposerError as exc:
        if exc.problem == "but found another document":
            raise YamlError("expected a single document in the stream, but found more") from None
        raise YamlError(_marked_text(exc, buffer, text)) from None
    except yaml.MarkedYAMLError as exc:
        raise YamlError(_marked_text(exc, buffer, text)) from None
    except ReaderError as exc:
        raise YamlError(_error_text("the stream contains non-printable characters", buffer,
                                    _position(exc.position, text, buffer))) from None
    except RecursionError:
        raise YamlError("Maximum call stack size exceeded") from None
    finally:
        if loader is not None:
            loader.dispose()


#: Values that aliases may add to a document (each alias counts as a copy of what it names), a
#: bound on "billion laughs" documents whose value would be too large to send or show.
MAX_ALIAS_EXPANSION = 1_000_000


def _sizes(root: Any) -> tuple[int, int]:
    """(values with every alias expanded, distinct values) of a composed document."""
    sizes: dict[int, int] = {}
    busy: set[int] = set()

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in busy:             # an alias back into itself: a cycle, one reference
            return 1
        busy.add(key)
        if isinstance(node, ScalarNode):
            n = 1
        elif isinstance(node, SequenceNode):
            n = 1 + sum(size(item) for item in node.value)
        else:
            n = 1 + sum(size(k) + size(v) for k, v in node.value)
        busy.discard(key)
        sizes[key] = n
        return n

    return size(root), len(sizes)


def _position(index: int, text: str, buffer: str) -> int:
    """An index into ``text`` as an index into js-yaml's buffer, which drops a leading BOM."""
    if text.startswith("\ufeff"):
        index -= 1
    return max(0, min(index, len(buffer)))


def _marked_text(exc: yaml.MarkedYAMLError, buffer: str, text: str) -> str:
    reason = ", ".join(p for p in (exc.context, exc.problem) if p) or "(unknown reason)"
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return reason
    return _error_text(reason, buffer, _position(mark.index, text, buffer))


# -- writing -------------------------------------------------------------------------------

def _is_scientific_without_dot(text: str) -> bool:
    return re.match(r"[-+]?[0-9]+e", text) is not None


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper writing as js-yaml's ``dump``: sequences indented under their key,
    anchors named ``ref_N``, strings that either YAML 1.1 or js-yaml would read as another type
    quoted."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)

    def generate_anchor(self, node: Any) -> str:
        self.last_anchor_id += 1
        return f"ref_{self.last_anchor_id - 1}"


for _tag, _re in _JS_YAML_RESOLVERS:
    _Dumper.add_implicit_resolver(_tag, _re, None)
_Dumper.add_implicit_resolver(_TAG + "bool", _OLD_BOOL, None)


def _represent_str(dumper: _Dumper, data: str) -> Any:
    return dumper.represent_scalar(_TAG + "str", data, style="|" if "\n" in data else None)


def _represent_float(dumper: _Dumper, data: float) -> Any:
    if data != data:
        return dumper.represent_scalar(_TAG + "float", ".nan")
    if data in (float("inf"), float("-inf")):
        return dumper.represent_scalar(_TAG + "float", ".inf" if data > 0 else "-.inf")
    if data == 0 and str(data).startswith("-"):
        return dumper.represent_scalar(_TAG + "float", "-0.0")
    text = js_number_text(data)
    if data.is_integer() and "e" not in text:
        return dumper.represent_scalar(_TAG + "int", text)
    if _is_scientific_without_dot(text):
        text = text.replace("e", ".e", 1)
    return dumper.represent_scalar(_TAG + "float", text)


def _represent_dict(dumper: _Dumper, data: dict) -> Any:
    return dumper.represent_mapping(_TAG + "map", {_key_text(k): v for k, v in data.items()})


def _represent_datetime(dumper: _Dumper, data: _dt.date) -> Any:
    if not isinstance(data, _dt.datetime):
        data = _dt.datetime(data.year, data.month, data.day, tzinfo=_UTC)
    elif data.tzinfo is None:
        data = data.replace(tzinfo=_UTC)
    text = data.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{data.microsecond // 1000:03d}Z"
    return dumper.represent_scalar(_TAG + "timestamp", text)


def _refuse(dumper: _Dumper, data: Any) -> Any:
    raise RepresenterError("cannot represent an object", data)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(float, _represent_float)
_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(tuple, _Dumper.represent_list)
_Dumper.add_representer(bytearray, lambda d, data: d.represent_binary(bytes(data)))
_Dumper.add_representer(_dt.datetime, _represent_datetime)
_Dumper.add_representer(_dt.date, _represent_datetime)
_Dumper.add_representer(set, _refuse)
_Dumper.add_representer(frozenset, _refuse)
_Dumper.add_representer(type(UNDEFINED), _refuse)
_Dumper.add_multi_representer(dict, _represent_dict)


def dump_yaml(value: Any) -> str:
    """``yaml.dump(value)`` of js-yaml 4: YAML text for a value (dict, list, str, number, bool,
    None, datetime/date, bytes), block style, 2-space indent, keys in their order,
    ``\\n``-terminated. Raises YamlError for values YAML cannot hold (sets, undefined, other
    objects, nesting too deep to write)."""
    try:
        text = yaml.dump(value, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False,
                         indent=2, width=80)
    except RepresenterError as exc:
        what = type(exc.args[1]).__name__ if len(exc.args) > 1 else "value"
        raise YamlError(f"YAML cannot hold a value of type {what}") from None
    except RecursionError:
        raise YamlError("Maximum call stack size exceeded") from None
    except (yaml.YAMLError, TypeError, ValueError) as exc:
        raise YamlError(f"cannot write YAML: {exc}") from None
    return text[:-4] if text.endswith("\n...\n") else text
