"""Property expressions such as ``ai.session.output_modalities[0]`` or ``a["b-c"].d``.

As Node-RED's ``RED.util.normalisePropertyExpression``, ``getMessageProperty``,
``setMessageProperty`` and ``setObjectProperty`` (@node-red/util/lib/util.js): dots and
brackets walk objects and arrays; setting with ``create_missing`` makes the missing parents
(an array when the next key is a number, else an object).
"""
from __future__ import annotations

from typing import Any

from .values import UNDEFINED

__all__ = [
    "PropertyError",
    "parse_path",
    "get_property",
    "set_property",
    "delete_property",
    "get_msg_property",
    "set_msg_property",
]


class PropertyError(ValueError):
    """A property expression that does not parse, or a set that cannot be done.

    The message names the expression and, for syntax errors, the 0-based position, e.g.
    ``Invalid property expression: unexpected " " at position 3 in "a.b c"``.
    """


_cache: dict[str, tuple] = {}


def parse_path(expr: str) -> tuple:
    """Split a property expression into its keys: ``'a["b-c"].d[0]'`` → ``("a", "b-c", "d", 0)``.

    Keys are ``str`` for object properties and ``int`` for array indices. Results are cached.
    Raises PropertyError on an empty expression, an empty part (``a..b``), an unclosed bracket or
    quote, or characters after a closing bracket that are not ``.`` or ``[``.
    """
    keys = _cache.get(expr)
    if keys is None:
        keys = _parse(expr)
        if len(_cache) < 10000:
            _cache[expr] = keys
    return keys


def _bad(expr: str, pos: int) -> PropertyError:
    ch = expr[pos] if pos < len(expr) else "end"
    return PropertyError(f'Invalid property expression: unexpected {ch!r} at position {pos} in "{expr}"')


def _parse(expr: str) -> tuple:
    if not isinstance(expr, str) or expr == "":
        raise PropertyError(f"Invalid property expression: {expr!r} is empty or not a string")
    keys: list = []
    i, n = 0, len(expr)
    start = 0
    while i < n:
        c = expr[i]
        if c == ".":
            if i == start:
                raise _bad(expr, i)
            keys.append(expr[start:i])
            i += 1
            start = i
            if i >= n:
                raise _bad(expr, i)
        elif c == "[":
            if i > start:
                keys.append(expr[start:i])
            elif i == 0:
                raise _bad(expr, i)
            i += 1
            if i < n and expr[i] in "\"'":
                quote = expr[i]
                end = expr.find(quote, i + 1)
                if end < 0 or end + 1 >= n or expr[end + 1] != "]":
                    raise _bad(expr, i)
                keys.append(expr[i + 1:end])
                i = end + 2
            else:
                end = expr.find("]", i)
                if end < 0:
                    raise _bad(expr, i)
                token = expr[i:end].strip()
                if not token.isdigit():
                    raise _bad(expr, i)
                keys.append(int(token))
                i = end + 1
            if i < n:
                if expr[i] == ".":
                    i += 1
                    if i >= n:
                        raise _bad(expr, i)
                elif expr[i] != "[":
                    raise _bad(expr, i)
            start = i
        elif c in " \t\n\"'" or c == "]":
            raise _bad(expr, i)
        else:
            i += 1
    if start < n:
        keys.append(expr[start:])
    return tuple(keys)


def _strip_msg(expr: str) -> str:
    return expr[4:] if expr.startswith("msg.") else expr


def get_property(obj: Any, expr: str | tuple) -> Any:
    """Read ``expr`` from ``obj``; UNDEFINED when any step is missing (as JavaScript would)."""
    keys = parse_path(expr) if isinstance(expr, str) else expr
    for k in keys:
        if type(obj) is dict or isinstance(obj, dict):
            obj = obj.get(k, UNDEFINED) if type(k) is str else obj.get(str(k), UNDEFINED)
        elif isinstance(obj, list) and type(k) is int:
            obj = obj[k] if k < len(obj) else UNDEFINED
        else:
            return UNDEFINED
        if obj is UNDEFINED:
            return UNDEFINED
    return obj


def set_property(obj: Any, expr: str | tuple, value: Any, create_missing: bool = True) -> None:
    """Set ``expr`` on ``obj`` to ``value``; with ``create_missing`` the missing parents are made.

    Setting an index past the end of a list pads it with None (JavaScript leaves holes).
    Setting ``UNDEFINED`` deletes the property, as assigning ``undefined`` hides it from JSON.
    Raises PropertyError when a parent exists but is not an object or list (e.g. a string).
    """
    keys = parse_path(expr) if isinstance(expr, str) else expr
    if value is UNDEFINED:
        delete_property(obj, keys)
        return
    for pos, k in enumerate(keys[:-1]):
        nxt = _child(obj, k)
        if nxt is UNDEFINED or nxt is None:
            if not create_missing:
                return
            nxt = [] if type(keys[pos + 1]) is int else {}
            _assign(obj, k, nxt, keys)
        elif not isinstance(nxt, (dict, list)):
            raise PropertyError(f"Cannot set property of non-object type: {_fmt(keys[:pos + 1])}")
        obj = nxt
    _assign(obj, keys[-1], value, keys)


def delete_property(obj: Any, expr: str | tuple) -> None:
    """Remove ``expr`` from ``obj``; a missing property or parent is not an error."""
    keys = parse_path(expr) if isinstance(expr, str) else expr
    parent = get_property(obj, keys[:-1]) if len(keys) > 1 else obj
    k = keys[-1]
    if isinstance(parent, dict):
        parent.pop(k if type(k) is str else str(k), None)
    elif isinstance(parent, list) and type(k) is int and k < len(parent):
        del parent[k]


def _child(obj: Any, k: Any) -> Any:
    if isinstance(obj, dict):
        return obj.get(k if type(k) is str else str(k), UNDEFINED)
    if isinstance(obj, list) and type(k) is int:
        return obj[k] if k < len(obj) else UNDEFINED
    return UNDEFINED


def _assign(obj: Any, k: Any, value: Any, keys: tuple) -> None:
    if isinstance(obj, dict):
        obj[k if type(k) is str else str(k)] = value
    elif isinstance(obj, list) and type(k) is int:
        if k >= len(obj):
            obj.extend([None] * (k + 1 - len(obj)))
        obj[k] = value
    else:
        raise PropertyError(f"Cannot set property {k!r} of non-object type in {_fmt(keys)}")


def _fmt(keys: tuple) -> str:
    out = ""
    for k in keys:
        out += f"[{k}]" if type(k) is int else (("." if out else "") + k)
    return out


def get_msg_property(msg: dict, expr: str) -> Any:
    """``RED.util.getMessageProperty``: as get_property, with a leading ``msg.`` ignored."""
    return get_property(msg, _strip_msg(expr))


def set_msg_property(msg: dict, expr: str, value: Any, create_missing: bool = True) -> None:
    """``RED.util.setMessageProperty``: as set_property, with a leading ``msg.`` ignored."""
    set_property(msg, _strip_msg(expr), value, create_missing)
