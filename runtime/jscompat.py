"""JavaScript's value semantics where Node-RED's behaviour depends on them: ``Number()``,
``String()``, ``Array.prototype.join``, ``Number.prototype.toString``, loose ``==``, relational
comparison, and JS regular expressions in Python's ``re``.

This module is the one place FlowRed's nodes and runtime take these rules from; the names say
which JavaScript operation each function is (``js_to_number`` is ``Number(v)``,
``js_number_text`` is a number printed as text).

Node-RED nodes (switch, change, sort, rbe ...) compare and convert values the JavaScript way;
these helpers let FlowRed's nodes give the same results (ECMAScript §7.1.4 ToNumber, §7.1.17
ToString, §7.2.15 IsLooselyEqual, §7.2.13 IsLessThan).
"""
from __future__ import annotations

import math
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from .values import UNDEFINED

__all__ = ["js_to_number", "js_is_number", "js_to_string", "js_number_text", "js_array_join", "js_to_primitive",
           "js_loose_equal", "js_lt", "js_gt", "js_lte", "js_gte", "js_regex", "NAN", "js_truthy", "js_object_key",
           "js_parse_float", "js_length"]

NAN = float("nan")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|Infinity)")
_RADIX = re.compile(r"0([xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")
_JS_WS = " \t\n\r\x0b\x0c\xa0\u2028\u2029\ufeff"


# -- JavaScript value semantics ------------------------------------------------------------

def js_length(text: str) -> int:
    """A JavaScript string's ``length``: UTF-16 code units, so a character beyond U+FFFF
    (an emoji) counts 2."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def js_number_text(value: int | float) -> str:
    """``value`` as JavaScript's ``Number.prototype.toString()`` writes it: ``1.0`` → ``"1"``,
    ``1e-7`` → ``"1e-7"``, ``1e21`` → ``"1e+21"``, NaN → ``"NaN"``, inf → ``"Infinity"``."""
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    # shortest round-trip digits (repr), then JavaScript's choice of fixed or exponent notation
    sign, digit_tuple, exp = Decimal(repr(value)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    k = len(digits)
    point = exp + k  # value = 0.<digits> * 10**point
    prefix = "-" if sign else ""
    if k <= point <= 21:
        return prefix + digits + "0" * (point - k)
    if 0 < point <= 21:
        return prefix + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return prefix + "0." + "0" * -point + digits
    e = point - 1
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{prefix}{head}e{'+' if e >= 0 else '-'}{abs(e)}"


def js_to_number(v: Any) -> int | float:
    """JavaScript's ``Number(v)``: text is parsed as a JS numeric literal (``""`` is 0, bad text
    NaN), ``null`` is 0, ``undefined`` and objects NaN, arrays go through their text."""
    t = type(v)
    if t is int or t is float:
        return v
    if t is bool:
        return int(v)
    if t is str:
        s = v.strip(_JS_WS)
        if not s:
            return 0
        if _NUMBER.fullmatch(s):
            if "Infinity" in s:
                return -math.inf if s[0] == "-" else math.inf
            return int(s) if s.lstrip("+-").isdigit() else float(s)
        if _RADIX.fullmatch(s):
            return int(s, 0)
        return NAN
    if v is None:
        return 0
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, (list, bytes, bytearray)):
        return js_to_number(js_to_string(v))
    return NAN


def js_to_string(v: Any) -> str:
    """JavaScript's ``String(v)``: ``null``, ``undefined``, ``true``, JS number formatting,
    arrays joined with ``,``, objects ``[object Object]``, Buffers decoded as UTF-8."""
    t = type(v)
    if t is str:
        return v
    if t is bool:
        return "true" if v else "false"
    if t is int or t is float:
        return js_number_text(v)
    if v is None:
        return "null"
    if v is UNDEFINED:
        return "undefined"
    if isinstance(v, (list, tuple)):
        return js_array_join(v)
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("utf-8", "replace")
    if isinstance(v, dict):
        return "[object Object]"
    if isinstance(v, re.Pattern):
        return f"/{v.pattern}/"
    return str(v)


def js_array_join(items: Any, separator: Any = ",") -> str:
    """JavaScript's ``items.join(separator)``: each item as ``String(item)`` except null and
    undefined, which give ``""``; the separator as ``String(separator)`` (undefined: ``","``)."""
    sep = separator if type(separator) is str else "," if separator is UNDEFINED else js_to_string(separator)
    return sep.join("" if x is None or x is UNDEFINED else x if type(x) is str else js_to_string(x) for x in items)


def js_is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def js_to_primitive(v: Any) -> Any:
    """JavaScript's ToPrimitive (hint default) as comparisons apply it: objects, arrays and
    Buffers become their ``String()`` text; other values stay as they are."""
    return js_to_string(v) if isinstance(v, (dict, list, tuple, bytes, bytearray)) else v


def js_loose_equal(a: Any, b: Any) -> bool:
    """JavaScript's ``a == b``."""
    if a is None or a is UNDEFINED or b is None or b is UNDEFINED:
        return (a is None or a is UNDEFINED) and (b is None or b is UNDEFINED)
    a_obj = isinstance(a, (dict, list, tuple, bytes, bytearray))
    b_obj = isinstance(b, (dict, list, tuple, bytes, bytearray))
    if a_obj and b_obj:
        return a is b
    if a_obj or b_obj:
        return js_loose_equal(js_to_primitive(a), js_to_primitive(b))
    if isinstance(a, bool) or isinstance(b, bool):
        if isinstance(a, bool) and isinstance(b, bool):
            return a is b
        return js_loose_equal(int(a) if isinstance(a, bool) else a, int(b) if isinstance(b, bool) else b)
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if js_is_number(a) or js_is_number(b):
        return js_to_number(a) == js_to_number(b)
    return a == b


def js_less(a: Any, b: Any) -> bool | None:
    """JavaScript's abstract ``a < b``: text against text compares as text, anything else as
    numbers; None (JavaScript's undefined result) when either side is NaN."""
    a, b = js_to_primitive(a), js_to_primitive(b)
    if isinstance(a, str) and isinstance(b, str):
        return a < b
    x, y = js_to_number(a), js_to_number(b)
    if x != x or y != y:
        return None
    return x < y


def js_lt(a: Any, b: Any) -> bool:
    """``a < b``."""
    return js_less(a, b) is True


def js_gt(a: Any, b: Any) -> bool:
    """``a > b``."""
    return js_less(b, a) is True


def js_lte(a: Any, b: Any) -> bool:
    """``a <= b``."""
    return js_less(b, a) is False


def js_gte(a: Any, b: Any) -> bool:
    """``a >= b``."""
    return js_less(a, b) is False


def _convert_regex(source: str, multiline: bool) -> str:
    """A JavaScript RegExp source as a Python pattern: named groups ``(?<n>)`` and ``\\k<n>``
    are rewritten, and ``$`` outside a class means the very end unless multiline."""
    out: list[str] = []
    i, n, in_class = 0, len(source), False
    while i < n:
        c = source[i]
        if c == "\\" and i + 1 < n:
            nxt = source[i + 1]
            if nxt == "k" and not in_class and source.startswith("<", i + 2) and (end := source.find(">", i)) > 0:
                out.append(f"(?P={source[i + 3:end]})")
                i = end + 1
                continue
            out.append(source[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(" and source.startswith("(?<", i) and not source.startswith(("(?<=", "(?<!"), i):
            out.append("(?P<")
            i += 3
            continue
        elif c == "$" and not multiline:
            out.append(r"(?!(?s:.))")
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


@lru_cache(maxsize=512)
def js_regex(source: str, flags: str = "") -> re.Pattern:
    """Compile a JavaScript RegExp source with its flags (``i``, ``m``, ``s``; ``g`` is the
    caller's business). Raises NodeError with JavaScript's wording for an invalid pattern."""
    py_flags = (re.IGNORECASE if "i" in flags else 0) | (re.MULTILINE if "m" in flags else 0) \
        | (re.DOTALL if "s" in flags else 0)
    try:
        return re.compile(_convert_regex(source, "m" in flags), py_flags)
    except re.error as exc:
        from .node import NodeError  # here: node.py itself uses this module
        raise NodeError(f"Invalid regular expression: /{source}/: {exc}") from None


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness: false for undefined, null, false, 0, NaN and ""; objects,
    arrays and buffers are true even when empty."""
    if isinstance(value, float):
        return value == value and value != 0
    return value not in (None, UNDEFINED, "", 0, False) or isinstance(value, (dict, list))


def js_object_key(value: Any, default: str) -> str:
    """The key a topic value has in a JavaScript object: ``String(topic)``, or ``default`` for a
    falsy topic (missing, "", 0, false, null)."""
    return js_to_string(value) if js_truthy(value) else default


_FLOAT_PREFIX = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")


def js_parse_float(value: Any) -> float | None:
    """JavaScript's ``parseFloat``: the number a number or text starts with (``"150ms"`` → 150),
    or None where JavaScript gives NaN (booleans, null, text without a leading number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return None if value != value else float(value)
    if isinstance(value, str):
        m = _FLOAT_PREFIX.match(value.lstrip())
        if m:
            return float(m.group().replace("Infinity", "inf"))
    return None
