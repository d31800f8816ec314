"""The switch node's rules compiled for the msg path: tests with their constant values bound
once when the node starts, and a direct read of a short msg property.

Each specialised test is the generic rule (nodes/switch.py ``OPERATORS``, JavaScript's
``==``/``<``/``String()`` of flowred.jscompat, as Node-RED's 10-switch.js) with a shortcut for
the value types that rule sees most (a number against a number, text against text); any
other value goes through the generic rule, so the result is the same for every value.
"""
from __future__ import annotations

from typing import Any, Callable

from flowred import UNDEFINED, get_property
from flowred.jscompat import js_loose_equal, js_regex, js_to_string

__all__ = ["specialise", "property_reader"]

Test = Callable[[Any, dict], bool]


def _is_num(v: Any) -> bool:
    t = type(v)
    return t is int or t is float


def _eq(b: Any, generic: Test) -> Test | None:
    if type(b) is str:
        def eq_text(a: Any, msg: dict) -> bool:
            return a == b if type(a) is str else js_loose_equal(a, b)
        return eq_text
    if _is_num(b):
        def eq_num(a: Any, msg: dict) -> bool:
            t = type(a)
            return a == b if (t is int or t is float) else js_loose_equal(a, b)
        return eq_num
    return None


def _compare(op: str, b: Any, generic: Test) -> Test | None:
    """``lt``/``lte``/``gt``/``gte`` against a constant number (a number value compares as
    Python numbers do: NaN is never smaller, larger or equal, as in JavaScript), or against
    constant text (a text value compares as text, as js_less does)."""
    if _is_num(b):
        same = _is_num
    elif type(b) is str:
        def same(a: Any) -> bool:
            return type(a) is str
    else:
        return None
    if op == "lt":
        def test(a: Any, msg: dict) -> bool:
            return a < b if same(a) else generic(a, msg)
    elif op == "lte":
        def test(a: Any, msg: dict) -> bool:
            return a <= b if same(a) else generic(a, msg)
    elif op == "gt":
        def test(a: Any, msg: dict) -> bool:
            return a > b if same(a) else generic(a, msg)
    else:
        def test(a: Any, msg: dict) -> bool:
            return a >= b if same(a) else generic(a, msg)
    return test


def specialise(t: str, v1: Any, v2: Any, case: bool, generic: Test) -> Test:
    """The test of a rule of operator ``t`` whose values ``v1``/``v2`` are constants
    (``v2`` is UNDEFINED when the rule has none); ``generic`` is the rule's own test, used
    for what the shortcuts do not cover. Raises nothing: a constant that cannot be prepared
    (an invalid regex) keeps the generic test, which reports it per msg as before."""
    test: Test | None = None
    if t == "eq":
        test = _eq(v1, generic)
    elif t == "neq":
        eq = _eq(v1, generic)
        if eq is not None:
            def test(a: Any, msg: dict) -> bool:
                return not eq(a, msg)
    elif t in ("lt", "lte", "gt", "gte"):
        test = _compare(t, v1, generic)
    elif t == "btwn" and _is_num(v1) and _is_num(v2):
        def test(a: Any, msg: dict) -> bool:
            if _is_num(a):
                return (v1 <= a <= v2) or (v2 <= a <= v1)
            return generic(a, msg)
    elif t == "cont":
        text = js_to_string(v1)

        def test(a: Any, msg: dict) -> bool:
            return text in (a if type(a) is str else js_to_string(a))
    elif t == "regex":
        try:
            pattern = js_regex(js_to_string(v1), "i" if case else "")
        except Exception:  # noqa: BLE001 - the generic test reports it with each msg
            return generic
        search = pattern.search

        def test(a: Any, msg: dict) -> bool:
            return search(a if type(a) is str else js_to_string(a)) is not None
    elif t == "true":
        def test(a: Any, msg: dict) -> bool:
            return a is True
    elif t == "false":
        def test(a: Any, msg: dict) -> bool:
            return a is False
    elif t == "null":
        def test(a: Any, msg: dict) -> bool:
            return a is None or a is UNDEFINED
    elif t == "nnull":
        def test(a: Any, msg: dict) -> bool:
            return a is not None and a is not UNDEFINED
    return test or generic


def property_reader(keys: tuple) -> Callable[[dict], Any]:
    """A reader of the msg property ``keys`` (from parse_path) that gives what get_property
    gives: one or two object keys are read directly, anything else (a list index, a value on
    the way that is not a dict, a longer path) through get_property."""
    if len(keys) == 1 and type(keys[0]) is str:
        key = keys[0]

        def one(msg: dict) -> Any:
            return msg.get(key, UNDEFINED) if type(msg) is dict else get_property(msg, keys)
        return one
    if len(keys) == 2 and type(keys[0]) is str and type(keys[1]) is str:
        first, second = keys

        def two(msg: dict) -> Any:
            if type(msg) is dict:
                parent = msg.get(first, UNDEFINED)
                if type(parent) is dict:
                    return parent.get(second, UNDEFINED)
            return get_property(msg, keys)
        return two
    return lambda msg: get_property(msg, keys)
