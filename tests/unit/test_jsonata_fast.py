"""jsonata_fast's results against the jsonata library's, on generated expressions and msgs."""
from __future__ import annotations

import itertools
import random

import pytest

import flowred.jsonata as flowred_jsonata
from flowred.jsonata import JsonataError, compile_jsonata, evaluate_jsonata
from flowred.jsonata_fast import FALLBACK, MISSING, fast_evaluator

VALUES = [0, 1, -3, 2.5, 3.0, 1e20, 10**20 + 1, 10**400, 0.1, -0.0, 7, "7", "", "text", True, False, None,
          [1, 2], [], {"value": 4}, {}, float("nan"), float("inf"), b"ab"]
PATHS = ["payload", "payload.value", "payload.a.b", "topic", "missing.x", "payload.value.deep"]
OPERANDS = PATHS[1:4] + ["2", "0", "0.5", "10"]
EXPRESSIONS = PATHS + [f"{a} {op} {b}" for a, b in itertools.product(OPERANDS, OPERANDS) for op in "+-*/"
                       if not (a[0].isdigit() and b[0].isdigit())]


def library(expr: str, msg: dict):
    """What evaluate_jsonata gives on the library alone: ("ok", value or MISSING) or ("error", text)."""
    flowred_jsonata._fast[expr] = None   # no fast evaluator for expr: the library evaluates
    try:
        return ("ok", evaluate_jsonata(expr, msg, undefined=MISSING))
    except JsonataError as exc:
        return ("error", str(exc))
    finally:
        del flowred_jsonata._fast[expr]


def msgs(rng: random.Random):
    for _ in range(60):
        value = rng.choice(VALUES)
        yield {"payload": {"value": value, "a": {"b": rng.choice(VALUES)}}, "topic": rng.choice(VALUES)}
    for value in VALUES:
        yield {"payload": value, "topic": "t"}
        yield {"payload": {"value": value}}


def test_the_fast_path_gives_the_librarys_results():
    rng = random.Random(16)
    checked = fast_taken = 0
    for expr in EXPRESSIONS:
        fast = fast_evaluator(compile_jsonata(expr).ast)
        assert fast is not None, expr
        for msg in msgs(rng):
            got = fast(msg)
            if got is FALLBACK:
                continue
            fast_taken += 1
            want = library(expr, msg)
            assert want[0] == "ok", (expr, msg, want)
            expected = want[1]
            assert got == expected and type(got) is type(expected), (expr, msg, got, expected)
            checked += 1
    assert checked == fast_taken and checked > 2000


@pytest.mark.parametrize("expr", ["payload[0]", "$string(payload)", "payload.value * 2 + 1", "payload.*",
                                  "payload.value % 2", "-payload", "payload.value = 2", "$x * 2", "payload{}"])
def test_other_forms_use_the_library(expr):
    assert fast_evaluator(compile_jsonata(expr).ast) is None


def test_evaluate_jsonata_takes_the_fast_path_and_falls_back():
    assert evaluate_jsonata("payload.value * 2", {"payload": {"value": 1.5}}) == 3
    assert evaluate_jsonata("payload.value * 2", {"payload": {}}, undefined="U") == "U"
    with pytest.raises(JsonataError):
        evaluate_jsonata("payload.value * 2", {"payload": {"value": "x"}})
