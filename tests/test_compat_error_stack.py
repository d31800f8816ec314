"""compat's error-stack-frames allowance: JavaScript stacks may differ below their first line only."""
from __future__ import annotations

import json

from compat.allowances import apply
from compat.compare import Difference


def _sidebar(message: str, stack: str) -> dict:
    data = {"name": "TypeError", "message": message, "stack": stack}
    return {"format": "error", "msg": json.dumps({"__enc__": True, "type": "error", "data": data},
                                                   separators=(",", ":")), "level": 20}


def test_stacks_equal_in_their_first_line_are_accepted():
    fr = _sidebar("boom", "TypeError: boom\n    at function-body:5:18\n    at runMessage (<anonymous>:9:1)")
    nr = _sidebar("boom", "TypeError: boom\n    at Function node:c91 [os]:5:18\n    at Script.runInContext")
    [d] = apply("function/function/08", [Difference("debug function:f", 0, fr, nr)])
    assert d.allowance == "error-stack-frames"


def test_other_differences_next_to_a_stack_are_not():
    fr = _sidebar("boom", "TypeError: boom\n    at function-body:5:18")
    nr = _sidebar("bang", "TypeError: bang\n    at Function node:c91 [os]:5:18")
    caught_fr = {"msg": {"_msgid": "a", "error": {"message": "Error: x (line 1, col 7)", "stack": "Error: x\n at a"}}}
    caught_nr = {"msg": {"_msgid": "b", "error": {"message": "Error: x", "stack": "Error: x\n at b"}}}
    diffs = apply("common/catch/01", [Difference("debug function:f", 0, fr, nr),
                                      Difference("debug debug:d", 0, caught_fr, caught_nr)])
    assert [d.allowance for d in diffs] == [None, None]
