"""Encoding of values for the debug sidebar, as Node-RED's ``RED.util.encodeObject``
(@node-red/util/lib/util.js) with ``json-stringify-safe``.

``encode_object({"msg": value, ...}, max_length)`` returns a copy of the dict whose ``msg`` is
a string and which gains a ``format`` naming the type, the pair the editor decodes:

==================  ==================  ====================================================
value               ``format``          ``msg``
==================  ==================  ====================================================
str                 ``string[<len>]``   the string, cut to max_length + ``"..."``
int / float         ``number``          JavaScript's ``Number#toString`` (``"1"``, ``"NaN"``)
bool                ``boolean``         ``"true"`` / ``"false"``
None / UNDEFINED    ``null`` / ``undefined``  ``"(undefined)"``
bytes               ``buffer[<len>]``   hex, cut to max_length characters
list / tuple        ``array[<n>]``      JSON; over max_length items ``{"__enc__":true,"type":"array",...}``
dict                ``Object``          JSON (compact, non-ASCII kept)
set / frozenset     ``set[<n>]``        ``{"__enc__":true,"type":"set","data":[...],"length":n}``
exception           ``error``           ``{"__enc__":true,"type":"error","data":{name,message,...}}``
datetime / date     ``Date``            its ISO string as JSON
other objects       the class name      JSON of ``model_dump()`` / ``vars()``, else ``str()``
==================  ==================  ====================================================

Inside JSON, as json-stringify-safe with Node-RED's replacer: a string over max_length is cut
and ends in ``"..."``; a list over max_length becomes an ``array`` marker with its first
max_length items; bytes become ``{"type":"Buffer","data":[...],"__enc__":true,"length":n}``;
NaN/Infinity become ``{"__enc__":true,"type":"number","data":"NaN"}``; UNDEFINED becomes
``{"__enc__":true,"type":"undefined"}``; a reference back to an enclosing container becomes
``"[Circular ~]"`` / ``"[Circular ~.a.b]"``; ``_req``/``_res`` and non-JSON ``req``/``res``
(HTTP handles) become ``{"__enc__":true,"type":"internal"}``; a nested exception becomes
``"Name: message"``.

Plain-JSON values whose JSON fits in max_length characters (most debug messages) are
encoded by one orjson call; the rest go through the walker.
"""
from __future__ import annotations

import datetime as _dt
import inspect
import json
import math
import traceback
from typing import Any

import orjson

from .jscompat import js_length, js_number_text
from .values import UNDEFINED

__all__ = ["encode_object"]

_INTERNAL = {"__enc__": True, "type": "internal"}
_UNDEF = {"__enc__": True, "type": "undefined"}
_dumps = orjson.dumps


def encode_object(data: dict, max_length: int = 1000) -> dict:
    """Encode ``data["msg"]`` for the debug sidebar (a missing ``msg`` is undefined).

    Returns a new dict: ``data``'s keys with ``msg`` replaced by its string form and
    ``format`` added (see the module docstring). ``max_length`` (characters and items,
    Node-RED's ``debugMaxLength``, default 1000) bounds strings, arrays and buffers. Never
    raises: a value that cannot be encoded gives ``format: "error"`` and a message saying why.
    """
    out = dict(data)
    try:
        out["msg"], out["format"] = _encode_top(data.get("msg", UNDEFINED), max_length)
    except Exception as err:  # a broken __repr__/model_dump must not lose the debug message
        out["msg"], out["format"] = f"[cannot encode value: {type(err).__name__}: {err}]", "error"
    return out


def _js_cut(text: str, max_length: int) -> str:
    """``text.substring(0, max_length)`` + ``"..."`` when longer, counting UTF-16 code units."""
    if text.isascii() or len(text) * 2 <= max_length:
        return text[:max_length] + "..." if len(text) > max_length else text
    units = 0
    for i, c in enumerate(text):
        units += 2 if ord(c) > 0xFFFF else 1
        if units > max_length:
            return text[:i] + "..."
    return text


def _encode_top(value: Any, max_length: int) -> tuple[str, str]:
    if isinstance(value, str):
        return _js_cut(value, max_length), f"string[{js_length(value)}]"
    if value is None:
        return "(undefined)", "null"
    if value is UNDEFINED:
        return "(undefined)", "undefined"
    if isinstance(value, bool):
        return ("true" if value else "false"), "boolean"
    if isinstance(value, (int, float)):
        return js_number_text(value), "number"
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        return raw.hex()[:max_length], f"buffer[{len(raw)}]"
    if isinstance(value, BaseException):
        return _to_json(_error_marker(value), max_length), "error"
    if isinstance(value, (list, tuple)):
        n = len(value)
        if n > max_length:
            value = {"__enc__": True, "type": "array", "data": value[:max_length], "length": n}
        return _to_json(value, max_length), f"array[{n}]"
    if isinstance(value, (set, frozenset)):
        marker = {"__enc__": True, "type": "set", "data": list(value)[:max_length], "length": len(value)}
        return _to_json(marker, max_length), f"set[{len(value)}]"
    if isinstance(value, dict):
        return _to_json(value, max_length), "Object"
    if isinstance(value, (_dt.datetime, _dt.date)):
        return json.dumps(value.isoformat()), "Date"
    if inspect.isroutine(value):
        return "[function]", "function"
    return _to_json(_plain(value), max_length), type(value).__name__


def _to_json(value: Any, max_length: int) -> str:
    """Compact JSON of a container, by orjson when nothing needs replacing."""
    try:
        raw = _dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        raw = None
    if raw is not None and len(raw) <= max_length and b"null" not in raw and b'"_re' not in raw:
        return raw.decode()
    safe = _Walker(max_length).walk(value, "~", [])
    return json.dumps(safe, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _error_marker(err: BaseException) -> dict:
    js_error = getattr(err, "js_error", None)
    if isinstance(js_error, dict):  # a JavaScript Error (the function node's JSError)
        return {"__enc__": True, "type": "error", "data": dict(js_error)}
    data: dict[str, Any] = {"name": type(err).__name__, "message": str(err)}
    code = getattr(err, "code", None)
    if isinstance(code, (str, int)) and not isinstance(code, bool):
        data["code"] = code
    if err.__cause__ is not None:
        data["cause"] = f"{type(err.__cause__).__name__}: {err.__cause__}"
    if err.__traceback__ is not None:
        data["stack"] = "".join(traceback.format_exception(err)).rstrip()
    return {"__enc__": True, "type": "error", "data": data}


def _plain(value: Any) -> Any:
    """A JSON-able view of an arbitrary object: pydantic models dump, plain objects give vars."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    try:
        return dict(vars(value))
    except TypeError:
        return str(value)


class _Walker:
    """json-stringify-safe with Node-RED's debug replacer, producing plain JSON values."""

    __slots__ = ("max",)

    def __init__(self, max_length: int) -> None:
        self.max = max_length

    def walk(self, value: Any, path: str, stack: list) -> Any:
        if isinstance(value, str):
            return value[: self.max] + "..." if len(value) > self.max else value
        if value is None or isinstance(value, (bool, int)):
            return value
        if isinstance(value, float):
            if math.isfinite(value):
                return value
            return {"__enc__": True, "type": "number", "data": js_number_text(value)}
        if value is UNDEFINED:
            return _UNDEF
        if isinstance(value, (dict, list, tuple, set, frozenset)):
            for ancestor, ancestor_path in stack:
                if ancestor is value:
                    return "[Circular ~]" if ancestor_path == "~" else f"[Circular {ancestor_path}]"
            stack.append((value, path))
            try:
                return self._container(value, path, stack)
            finally:
                stack.pop()
        if isinstance(value, (bytes, bytearray, memoryview)):
            raw = bytes(value)
            return {"type": "Buffer", "data": list(raw[: self.max]), "__enc__": True, "length": len(raw)}
        if isinstance(value, BaseException):
            if isinstance(getattr(value, "js_error", None), dict):
                return _error_marker(value)
            return f"{type(value).__name__}: {value}"
        if isinstance(value, (_dt.datetime, _dt.date)):
            return value.isoformat()
        if inspect.isroutine(value):
            return {"__enc__": True, "type": "function"}
        return self.walk(_plain(value), path, stack)

    def _container(self, value: Any, path: str, stack: list) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                key = key if isinstance(key, str) else str(key)
                if key in ("_req", "_res") or (key in ("req", "res") and not _is_json_like(item)):
                    out[key] = _INTERNAL
                else:
                    out[key] = self.walk(item, f"{path}.{key}", stack)
            return out
        if isinstance(value, (set, frozenset)):
            items = list(value)
            return {"__enc__": True, "type": "set",
                    "data": [self.walk(v, f"{path}.{i}", stack) for i, v in enumerate(items[: self.max])],
                    "length": len(items)}
        if len(value) > self.max:
            return {"__enc__": True, "type": "array",
                    "data": [self.walk(v, f"{path}.{i}", stack) for i, v in enumerate(value[: self.max])],
                    "length": len(value)}
        return [self.walk(v, f"{path}.{i}", stack) for i, v in enumerate(value)]


def _is_json_like(value: Any) -> bool:
    return value is None or isinstance(value, (dict, list, str, int, float, bool))
