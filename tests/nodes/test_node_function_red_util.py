"""RED.util's property helpers in function nodes, through a running runtime. The expected values
were read from Node-RED 5.0.7's @node-red/util (lib/util.js) given the same calls."""
from __future__ import annotations

import json

from conftest import TEST_TAB, feeder, make_node

CODE = r"""
const tryit = (f) => { try { return {ok: f()}; } catch (e) { return {err: e.message}; } };
const u = RED.util;
const out = {};
out.norm = ["a.b[0]['c d']", 'a["x.y"].z', "a[1][2]", "a.", "a..b", "[0]", "a[b]", ""]
    .map((e) => [e, tryit(() => u.normalisePropertyExpression(e))]);
const m = {payload: {a: [1, {b: 2}]}, topic: "t"};
out.get = ["payload.a[1].b", "msg.payload.a[0]", "payload.zz", "topic"]
    .map((e) => [e, tryit(() => u.getMessageProperty(m, e))]);
out.getMissingParent = tryit(() => u.getMessageProperty({}, "a.b.c"));
const m2 = {payload: 1, s: "str"};
out.setResults = [u.setMessageProperty(m2, "a.b[1].c", 5), u.setMessageProperty(m2, "msg.x", "y"),
    u.setMessageProperty(m2, "payload.q", 1), u.setMessageProperty(m2, "nope.deep", 1, false),
    u.setMessageProperty(m2, "x", undefined), u.setMessageProperty(m2, "s.x", 1)];
out.set = m2;
out.ensure = [u.ensureString({a: 1}), u.ensureString(5), u.ensureString("s")];
msg.payload = out;
return msg;
"""

NODE_RED = {
    "norm": [["a.b[0]['c d']", {"ok": ["a", "b", 0, "c d"]}], ['a["x.y"].z', {"ok": ["a", "x.y", "z"]}],
             ["a[1][2]", {"ok": ["a", 1, 2]}], ["a.", {"err": "Invalid property expression: unterminated expression"}],
             ["a..b", {"err": "Invalid property expression: unexpected . at position 2"}],
             ["[0]", {"err": "Invalid property expression: unexpected [ at position 0"}],
             ["a[b]", {"err": "Invalid property expression: unexpected b at position 2"}],
             ["", {"err": "Invalid property expression: zero-length"}]],
    "get": [["payload.a[1].b", {"ok": 2}], ["msg.payload.a[0]", {"ok": 1}], ["payload.zz", {}], ["topic", {"ok": "t"}]],
    "getMissingParent": {"err": "Cannot read properties of undefined (reading 'b')"},
    "setResults": [True, True, False, False, True, False],
    "set": {"payload": 1, "s": "str", "a": {"b": [None, {"c": 5}]}},
    "ensure": ['{"a":1}', "5", "s"],
}


async def test_red_util_property_helpers_answer_as_node_red(start_runtime):
    flows = [TEST_TAB, feeder("in", "f1"),
             make_node("f1", "function", [["d1"]], func=CODE, outputs=1, noerr=0, initialize="", finalize="", libs=[]),
             make_node("d1", "debug", complete="true")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("in", {"payload": None})
    [data] = await comms.debug(1)
    assert json.loads(data["msg"])["payload"] == NODE_RED
