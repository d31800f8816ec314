"""A fast path for the simplest JSONata expressions, with the ``jsonata`` package's results.

Expressions people write in change and switch nodes are often a property path
(``payload.value``) or one arithmetic operation on paths and numbers (``payload.value * 2``).
For those, ``fast_evaluator(ast)`` returns a plain Python function of the msg that gives what
``jsonata.Jsonata(expr).evaluate(msg)`` gives (as jsonata-python's evaluate_path and
evaluate_numeric_expression compute it), or ``FALLBACK`` whenever the input leaves that
simple case (arrays, JSON null, objects as results, non-numbers in arithmetic, errors); the
caller then evaluates with the library. ``MISSING`` stands for JSONata's undefined.
tests/unit/test_jsonata_fast.py compares both on generated expressions and msgs.
"""
from __future__ import annotations

import math
from typing import Any, Callable

__all__ = ["fast_evaluator", "FALLBACK", "MISSING"]

FALLBACK = object()
MISSING = object()
_SCALARS = (str, int, float)
_OPS = {"+": float.__add__, "-": float.__sub__, "*": float.__mul__, "/": float.__truediv__}
_PLAIN_STEP = ("predicate", "stages", "group", "focus", "index", "tuple", "ancestor", "keep_array",
               "keep_singleton_array", "consarray", "next_function")


def _plain(node: Any) -> bool:
    return not any(getattr(node, attr, None) for attr in _PLAIN_STEP)


def _path_names(node: Any) -> tuple[str, ...] | None:
    if node.type == "path" and _plain(node) and node.steps:
        names = []
        for step in node.steps:
            if step.type != "name" or not _plain(step) or not isinstance(step.value, str):
                return None
            names.append(step.value)
        return tuple(names)
    if node.type == "name" and _plain(node) and isinstance(node.value, str):
        return (node.value,)
    return None


def _lookup(names: tuple[str, ...]) -> Callable[[Any], Any]:
    def value(msg: Any) -> Any:
        cur = msg
        for name in names:
            if type(cur) is dict:
                cur = cur.get(name, MISSING)
                if cur is MISSING:
                    return MISSING
                if cur is None:
                    return FALLBACK
            elif type(cur) in _SCALARS:
                return MISSING
            else:
                return FALLBACK
        return cur
    return value


def _convert(n: float) -> Any:
    if n.is_integer():
        return int(n)
    return n


def fast_evaluator(ast: Any) -> Callable[[Any], Any] | None:
    """A function msg -> result | MISSING | FALLBACK for a compiled expression's ``ast``
    (``jsonata.Jsonata(expr).ast``), or None when the expression is not one of the simple forms."""
    names = _path_names(ast)
    if names is not None:
        look = _lookup(names)

        def path(msg: Any) -> Any:
            value = look(msg)
            if value is MISSING or value is FALLBACK or type(value) is str:
                return value
            if type(value) is int or (type(value) is float and math.isfinite(value)):
                return value
            return FALLBACK
        return path
    if ast.type != "binary" or ast.value not in _OPS or not _plain(ast):
        return None
    op = _OPS[ast.value]
    sides = []
    for side in (ast.lhs, ast.rhs):
        if side.type == "number" and type(side.value) in (int, float) and _plain(side):
            constant = float(side.value)
            sides.append(lambda msg, c=constant: c)
        else:
            side_names = _path_names(side)
            if side_names is None:
                return None
            sides.append(_lookup(side_names))
    left, right = sides

    def arithmetic(msg: Any) -> Any:
        a = left(msg)
        b = right(msg)
        if a is FALLBACK or b is FALLBACK:
            return FALLBACK
        for v in (a, b):
            if v is not MISSING and type(v) is not int and (type(v) is not float or not math.isfinite(v)):
                return FALLBACK  # the library's T2001/T2002 (or D1001) error
        if a is MISSING or b is MISSING:
            return MISSING
        try:
            result = op(float(a), float(b))
        except (ZeroDivisionError, OverflowError):
            return FALLBACK
        if not math.isfinite(result):
            return FALLBACK
        return _convert(result)
    return arithmetic
