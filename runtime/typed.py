"""Typed values: a value plus its type, as Node-RED's ``RED.util.evaluateNodeProperty``.

Types (the editor's typedInput): ``str``, ``num``, ``bool``, ``json``, ``bin``, ``date``, ``env``,
``flow``, ``global``, ``msg``, ``re``, ``jsonata`` (runtime.jsonata). Differences from Node-RED, on purpose: a ``num``
that is not a number raises (Node-RED silently gives NaN). ``date`` with any other value is a
moment.js format of the local time (runtime.moment).
"""
from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .context import parse_context_key
from .jscompat import js_to_string
from .props import get_msg_property

if TYPE_CHECKING:
    from .node import Node

__all__ = ["evaluate_value", "TypedValueError", "substitute_env", "to_number"]

_ENV_REF = re.compile(r"\$\{([^}]+)\}")


class TypedValueError(ValueError):
    """A value that does not fit its type, e.g. ``Invalid number: "abc"``."""


def to_number(v: Any) -> int | float:
    """JavaScript ``Number(v)`` for text, but raising TypedValueError instead of giving NaN.

    ``""`` and whitespace give 0; ``"600"`` gives int 600; ``"1.5"``/``"1e3"`` floats;
    ``"0x1f"`` 31. Booleans give 1/0.
    """
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return v
    s = "" if v is None else str(v).strip()
    if s == "":
        return 0
    try:
        return int(s, 10)
    except ValueError:
        pass
    try:
        if s.lower().startswith(("0x", "0o", "0b")):
            return int(s, 0)
        f = float(s)
    except ValueError:
        raise TypedValueError(f'Invalid number: "{v}"') from None
    if f != f and s.lower() != "nan":
        raise TypedValueError(f'Invalid number: "{v}"')
    return f


def substitute_env(text: str, node: "Node | None") -> Any:
    """``evaluateEnvProperty``: ``NAME`` gives that variable; ``"${A}-${B}"`` substitutes each."""
    get = node.get_env if node is not None else _process_env
    if "${" not in text:
        return get(text)
    if (m := _ENV_REF.fullmatch(text)) is not None:
        return get(m.group(1))
    return _ENV_REF.sub(lambda m: str(get(m.group(1))), text)


def _process_env(name: str) -> str:
    import os

    return os.environ.get(name, "")


def evaluate_value(value: Any, vt: str | None, node: "Node | None", msg: dict | None) -> Any:
    """Evaluate ``value`` as type ``vt`` for ``node`` and ``msg``.

    Raises TypedValueError (bad number, bad JSON, bad buffer data, unknown type) so that the
    caller can report it on the node.
    """
    if vt is None or vt == "str":
        return "" if value is None else value if isinstance(value, str) else js_to_string(value)
    if vt == "num":
        return to_number(value)
    if vt == "bool":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    if vt == "json":
        text = value if isinstance(value, str) else json.dumps(value)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise TypedValueError(f"Invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if vt == "date":
        return _date(value)
    if vt == "env":
        return substitute_env("" if value is None else str(value), node)
    if vt in ("flow", "global"):
        if node is None:
            raise TypedValueError(f"{vt} context needs a node")
        ctx = node.context().flow if vt == "flow" else node.context().global_
        store, key = parse_context_key(str(value))
        return ctx.get(key, store)
    if vt == "msg":
        return get_msg_property(msg or {}, str(value))
    if vt == "bin":
        data = json.loads(value) if isinstance(value, str) else value
        if isinstance(data, str):
            return data.encode()
        if isinstance(data, list):
            return bytes(data)
        raise TypedValueError("Not string or array")
    if vt == "re":
        return re.compile(str(value))
    if vt == "jsonata":
        from .jsonata import evaluate_jsonata

        return evaluate_jsonata(str(value), msg or {}, node)
    raise TypedValueError(f"Unknown value type: {vt!r}")


def _date(fmt: Any) -> Any:
    now = time.time()
    if fmt in (None, ""):
        return int(now * 1000)
    if fmt == "iso":
        return datetime.fromtimestamp(now, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if fmt == "object":
        return datetime.fromtimestamp(now, timezone.utc)
    from .moment import format_moment

    return format_moment(str(fmt))

