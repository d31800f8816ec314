"""JSONata expressions, as Node-RED's ``RED.util.prepareJSONataExpression`` /
``evaluateJSONataExpression``, on the pure-Python ``jsonata-python`` library.

Expressions are compiled once and cached. Node-RED's helper functions are bound per call:
``$flowContext(key)``, ``$globalContext(key)``, ``$env(name)``, ``$clone(value)``. A path or
one arithmetic operation on paths and numbers is evaluated by jsonata_fast.py when the msg
allows it (same results), else by the library.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .jsonata_fast import FALLBACK, MISSING, fast_evaluator
from .values import clone_message

if TYPE_CHECKING:
    from .node import Node

__all__ = ["JsonataError", "compile_jsonata", "evaluate_jsonata"]

_cache: dict[str, Any] = {}
_fast: dict[str, Any] = {}   # expr -> jsonata_fast's evaluator, or None


class JsonataError(ValueError):
    """An expression that does not compile (``Invalid JSONata expression: ...``) or fails."""


def compile_jsonata(expr: str) -> Any:
    """The compiled expression (a ``jsonata.Jsonata``, cached). Raises JsonataError naming the
    syntax problem. The library is imported with the first expression, not at startup."""
    compiled = _cache.get(expr)
    if compiled is None:
        import jsonata
        try:
            compiled = jsonata.Jsonata(expr)
        except jsonata.JException as exc:
            raise JsonataError(f"Invalid JSONata expression: {exc}") from None
        if len(_cache) < 5000:
            _cache[expr] = compiled
    return compiled


def evaluate_jsonata(expr: str, msg: Any, node: "Node | None" = None, bindings: dict | None = None,
                     undefined: Any = None) -> Any:
    """Evaluate ``expr`` against ``msg`` for ``node``; extra ``bindings`` are ``$name`` values.

    A result JSONata leaves undefined gives ``undefined`` (None unless the caller passes e.g.
    ``runtime.UNDEFINED``); JSON ``null`` gives None. Bytes in the input are seen as arrays of
    byte values (a Buffer's JSON form). Raises JsonataError with JSONata's message when
    evaluation fails.
    """
    try:
        fast = _fast[expr]
    except KeyError:
        fast = fast_evaluator(compile_jsonata(expr).ast)
        if len(_fast) < 5000:
            _fast[expr] = fast
    if fast is not None:
        result = fast(msg)
        if result is not FALLBACK:
            return undefined if result is MISSING else result
    compiled = compile_jsonata(expr)
    import jsonata
    from jsonata.utils import Utils as _Utils
    if node is not None:
        ctx = node.context()
        compiled.register_lambda("flowContext", lambda key: _ctx_get(ctx.flow, key))
        compiled.register_lambda("globalContext", lambda key: _ctx_get(ctx.global_, key))
        compiled.register_lambda("env", lambda name: node.get_env(name))
    compiled.register_lambda("clone", lambda value: clone_message(value) if isinstance(value, dict) else value)
    compiled.set_output_convert_nulls(False)
    try:
        try:
            result = compiled.evaluate(msg, bindings)
        except ValueError as exc:  # input with bytes, sets or UNDEFINED (not JSON types)
            if "Unsupported type" not in str(exc):
                raise
            result = compiled.evaluate(_jsonable(msg), bindings)
    except (jsonata.JException, ValueError, TypeError, ArithmeticError) as exc:  # e.g. $number("x")
        raise JsonataError(str(exc)) from None
    if result is None:
        return undefined
    return _Utils.convert_nulls(result)


def _jsonable(value: Any) -> Any:
    """A copy of ``value`` with only JSON types: bytes become lists of byte values, sets and
    tuples lists, UNDEFINED entries are left out."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if v.__class__.__name__ != "_Undefined"}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return list(value)
    return value


def _ctx_get(ctx: Any, key: str) -> Any:
    value = ctx.get(key)
    return None if value.__class__.__name__ == "_Undefined" else value
