"""The function node: a returned msg comes back from V8 as the top-level keys the code changed.

Whatever the code did to the msg it returns, the msg that leaves the node must read as
``JSON.stringify(msg)`` of the JavaScript object would (values, key order, keys left out),
which is what Node-RED sends on. The oracle here is V8 itself: each case's code is run on the
same msg in a bare MiniRacer and stringified.
"""
from __future__ import annotations

import json

import pytest
from py_mini_racer import MiniRacer

from conftest import TEST_TAB, feeder, full_debug, make_node

MSG = {"_msgid": "m1", "payload": {"a": {"b": 1}, "list": [1, 2]}, "topic": "t", "keep": "k"}

CASES = {
    "set": "msg.x = 1; return msg;",
    "nested": "msg.payload.a.b = 2; return msg;",
    "push": "msg.payload.list.push(3); return msg;",
    "delete": "delete msg.topic; return msg;",
    "undefined": "msg.payload = undefined; return msg;",
    "reorder": "var t = msg.topic; delete msg.topic; msg.topic = t; return msg;",
    "moved": "var p = msg.payload; delete msg.payload; msg.a = 1; msg.payload = p; return msg;",
    "omitted": "msg.f = function () {}; msg.s = Symbol('s'); msg.keep = undefined; msg.z = 2; return msg;",
    "date": "msg.when = new Date(0); return msg;",
    "equal": "msg.payload = {a: {b: 1}, list: [1, 2]}; return msg;",
    "nested-order": "msg.payload = {list: [1, 2], a: {b: 1}}; return msg;",
    "nulls": "msg.n = null; msg.topic = null; return msg;",
    "swap": "delete msg.keep; msg.extra = [{}, []]; return msg;",
    "msgid": "msg._msgid = 'other'; return msg;",
    "nothing": "return msg;",
    "object-to-array": "msg.payload = [msg.payload.a]; msg.topic = {t: msg.topic}; return msg;",
    "async": "await null; msg.payload.a.b = 5; delete msg.keep; return msg;",
    "user-done": "msg.payload.list = []; setTimeout(function () { node.done(); }, 0); return msg;",
}


def expected(code: str) -> dict:
    """The msg as V8 stringifies it after running ``code`` on it (the msg id put back, as the
    function node does)."""
    body = code.replace("await null; ", "")
    mr = MiniRacer()
    text = mr.eval(f"""(function () {{
        var node = {{done: function () {{}}}};
        var setTimeout = function () {{}};
        var msg = JSON.parse({json.dumps(json.dumps(MSG))});
        var id = msg._msgid;
        var out = (function (msg) {{ {body} }})(msg);
        out._msgid = id;
        return JSON.stringify(out);
    }})()""")
    return json.loads(text)


@pytest.mark.parametrize("chained", [False, True])
async def test_returned_msg_reads_as_v8_would_stringify_it(start_runtime, chained):
    flows = [TEST_TAB]
    for i, code in enumerate(CASES.values()):
        func = make_node(f"f{i}", "function", [[f"d{i}"]], func=code, outputs=1, timeout=0, noerr=0,
                         initialize="", finalize="", libs=[])
        if chained:  # a node that returns its msg untouched first: the msg crossed V8 once already
            flows += [feeder(f"in{i}", f"p{i}"),
                      make_node(f"p{i}", "function", [[f"f{i}"]], func="return msg;", outputs=1),
                      func, full_debug(f"d{i}")]
        else:
            flows += [feeder(f"in{i}", f"f{i}"), func, full_debug(f"d{i}")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    for i in range(len(CASES)):
        await rt.inject(f"in{i}", MSG)
    got = {}
    for i, name in enumerate(CASES):
        [data] = await comms.debug(1, node_id=f"d{i}")
        got[name] = json.loads(data["msg"])
    for name, code in CASES.items():
        want = expected(code)
        assert got[name] == want, name
        assert list(got[name]) == list(want), f"{name}: key order"


async def test_a_chain_of_changes_reaches_a_complete_node_and_catch_sees_errors(start_runtime):
    flows = [TEST_TAB, feeder("in", "f1"),
             make_node("f1", "function", [["f2"]], func="msg.x = 1; delete msg.topic; return msg;", outputs=1),
             make_node("f2", "function", [["f3"]], func="msg.payload.push(msg.x + 1); return msg;", outputs=1),
             make_node("f3", "function", [["d1"]], outputs=1,
                       func="if (msg.payload.length > 3) { throw new Error('too long'); }\n"
                            "msg.y = msg.payload.length; return msg;"),
             full_debug("d1"),
             make_node("k1", "complete", [["d2"]], scope=["f3"]), full_debug("d2"),
             make_node("c1", "catch", [["d3"]], scope=None, uncaught=False), full_debug("d3")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("in", {"payload": [0], "topic": "gone", "keep": True})
    [sent] = await comms.debug(1, node_id="d1")
    [done] = await comms.debug(1, node_id="d2")
    msg = json.loads(sent["msg"])
    assert msg["payload"] == [0, 2] and msg["x"] == 1 and msg["y"] == 2 and msg["keep"] is True
    assert "topic" not in msg
    completed = json.loads(done["msg"])
    assert completed["y"] == 2 and completed["complete"]["source"]["id"] == "f3"
    await rt.inject("in", {"payload": [0, 1, 2]})
    [caught] = await comms.debug(1, node_id="d3")
    error_msg = json.loads(caught["msg"])
    assert error_msg["error"]["message"] == "Error: too long"
    assert error_msg["payload"] == [0, 1, 2, 2] and error_msg["x"] == 1  # the mutations made before the throw
