"""The function node: Node-RED's JavaScript function node, run in V8, through deployed flows."""
from __future__ import annotations

import asyncio
import json
import time

from conftest import TEST_TAB, feeder, make_node


def fn(id_: str, func: str, wires=(), **fields) -> dict:
    """A function node as the Node-RED editor exports it."""
    base = {"func": func, "outputs": max(1, len(wires)), "timeout": 0, "noerr": 0,
            "initialize": "", "finalize": "", "libs": []}
    base.update(fields)
    return make_node(id_, "function", wires, **base)


def debug(id_: str) -> dict:
    return make_node(id_, "debug", [], active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full", statusVal="", statusType="auto")


def payloads(data: list[dict]) -> list:
    return [json.loads(d["msg"])["payload"] for d in data]


# A flow exactly as Node-RED 3.1 exports it: inject -> function -> debug.
EXPORTED = [
    {"id": "a1b2c3d4e5f60718", "type": "tab", "label": "Flow 1", "disabled": False, "info": "", "env": []},
    {"id": "0f1e2d3c4b5a6978", "type": "inject", "z": "a1b2c3d4e5f60718", "name": "", "props": [
        {"p": "payload"}, {"p": "topic", "vt": "str"}], "repeat": "", "crontab": "", "once": False,
     "onceDelay": 0.1, "topic": "n", "payload": "21", "payloadType": "num", "x": 130, "y": 80,
     "wires": [["9a8b7c6d5e4f3021"]]},
    {"id": "9a8b7c6d5e4f3021", "type": "function", "z": "a1b2c3d4e5f60718", "name": "double",
     "func": "msg.payload = msg.payload * 2;\nreturn msg;", "outputs": 1, "timeout": 0, "noerr": 0,
     "initialize": "", "finalize": "", "libs": [], "x": 300, "y": 80, "wires": [["1234567890abcdef"]]},
    {"id": "1234567890abcdef", "type": "debug", "z": "a1b2c3d4e5f60718", "name": "", "active": True,
     "tosidebar": True, "console": False, "tostatus": False, "complete": "true", "targetType": "full",
     "statusVal": "", "statusType": "auto", "x": 470, "y": 80, "wires": []},
]


async def test_exported_flow_doubles_the_payload_and_keeps_the_msg(start_runtime):
    rt = await start_runtime(EXPORTED)
    comms = await rt.comms()
    await rt.inject("0f1e2d3c4b5a6978")
    [data] = await comms.debug(1)
    msg = json.loads(data["msg"])
    assert msg["payload"] == 42 and msg["topic"] == "n" and data["format"] == "Object"
    assert msg["_msgid"]


async def test_outputs_with_arrays_of_msgs_and_null(start_runtime):
    code = ("var a = {payload: 'a1'}; var b = {payload: 'a2'};\n"
            "return [[a, b], null, {payload: msg.payload + '!'}];")
    flows = [TEST_TAB, feeder("in", "f1"), fn("f1", code, [["d1"], ["d2"], ["d3"]], outputs=3),
             debug("d1"), debug("d2"), debug("d3")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("in", {"payload": "x"})
    got = await comms.debug(3)
    assert {d["id"]: [] for d in got}.keys() == {"d1", "d3"}
    assert payloads([d for d in got if d["id"] == "d1"]) == ["a1", "a2"]
    assert payloads([d for d in got if d["id"] == "d3"]) == ["x!"]
    await asyncio.sleep(0.1)
    assert not [d for d in comms.topic("debug") if d.get("id") == "d2"]


async def test_returning_null_sends_nothing_and_node_send_sends_later(start_runtime):
    code = ("node.outputCount === 1 && setTimeout(function () {\n"
            "    msg.payload = 'late ' + node.name; node.send(msg);\n"
            "}, 50);\nreturn null;")
    flows = [TEST_TAB, feeder("in", "f1"), {**fn("f1", code, [["d1"]]), "name": "fn1"}, debug("d1")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    start = time.monotonic()
    await rt.inject("in", {"payload": 1})
    [data] = await comms.debug(1)
    assert json.loads(data["msg"])["payload"] == "late fn1"
    assert time.monotonic() - start >= 0.05


async def test_context_flow_and_global_round_trip(start_runtime):
    writer = ("var n = (context.get('n') || 0) + 1; context.set('n', n);\n"
              "flow.set('last', msg.payload); global.set('g.count', n);\n"
              "flow.set(['x', 'y'], [1, 2]);\n"
              "return {payload: [n, context.keys()]};")
    reader = ("flow.get('last', function (err, v) { msg.last = v; });\n"
              "msg.payload = {last: msg.last, g: global.get('g'), xy: flow.get(['x', 'y']),\n"
              "               keys: flow.keys().sort(), missing: flow.get('nope') === undefined};\n"
              "return msg;")
    flows = [TEST_TAB, feeder("in", "w"), fn("w", writer, [["r"]]), fn("r", reader, [["d1"]]),
             debug("d1"), make_node("flowinj", "inject", [["d2"]], props=[{"p": "payload", "v": "last", "vt": "flow"}]),
             debug("d2")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("in", {"payload": "first"})
    await rt.inject("in", {"payload": "second"})
    got = await comms.debug(2, node_id="d1")
    assert payloads(got)[1] == {"last": "second", "g": {"count": 2}, "xy": [1, 2],
                                "keys": ["last", "x", "y"], "missing": True}
    await rt.inject("flowinj")
    [data] = await comms.debug(1, node_id="d2")
    assert json.loads(data["msg"])["payload"] == "second"


async def test_status_and_warn_reach_the_editor(start_runtime):
    code = ("node.status({fill: 'green', shape: 'dot', text: 'got ' + msg.payload});\n"
            "node.warn('careful');\nreturn null;")
    flows = [TEST_TAB, feeder("in", "f1"), fn("f1", code)]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("in", {"payload": 7})
    [warn] = await comms.debug(1)
    assert warn["level"] == 30 and warn["id"] == "f1" and warn["msg"] == "careful"
    await comms.wait_for(lambda m: m["topic"] == "status/f1")
    assert comms.topic("status/f1")[-1] == {"fill": "green", "shape": "dot", "text": "got 7"}


async def test_runtime_error_goes_to_catch_with_message_as_node_red(start_runtime):
    code = "var a = 1;\nreturn msg.nope.deeper;"
    flows = [TEST_TAB, feeder("in", "f1"), fn("f1", code), make_node("c1", "catch", [["d1"]]), debug("d1")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("in", {"payload": "p"})
    [data] = await comms.debug(1)
    msg = json.loads(data["msg"])
    assert msg["payload"] == "p" and msg["error"]["source"]["id"] == "f1"
    assert msg["error"]["message"].startswith("TypeError: Cannot read properties of undefined")
    # as Node-RED's 10-function.js: only a ReferenceError gets "(line, col)" (see test_node_function_compat.py)
    assert msg["error"]["message"] == "TypeError: Cannot read properties of undefined (reading 'deeper')"


async def test_syntax_error_is_reported_at_start_and_the_node_handles_nothing(start_runtime):
    rt = await start_runtime([TEST_TAB])
    comms = await rt.comms()
    await rt.deploy([TEST_TAB, feeder("in", "f1"), fn("f1", "var a = 1;\nvar b = ;\nreturn msg;", [["d1"]]),
                     debug("d1")])
    [err] = await comms.debug(1)
    assert err["level"] == 20 and err["id"] == "f1"
    assert err["msg"] == "SyntaxError: Unexpected token ';' (body:line 2)"
    await rt.inject("in", {"payload": 1})
    await asyncio.sleep(0.2)
    assert len(comms.topic("debug")) == 1


async def test_runaway_loop_is_stopped_while_the_runtime_keeps_serving(start_runtime):
    flows = [TEST_TAB, feeder("in", "loop"), fn("loop", "while (true) {}", [["d1"]], timeout=1),
             feeder("in2", "ok"), fn("ok", "msg.payload = 'fine'; return msg;", [["d1"]]),
             make_node("c1", "catch", [["d2"]]), debug("d1"), debug("d2")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    start = time.monotonic()
    await rt.inject("in", {"payload": "spin"})
    resp = await rt.http.get(rt.url + "/flows/state")
    assert resp.status == 200 and time.monotonic() - start < 0.5
    [caught] = await comms.debug(1, node_id="d2")
    msg = json.loads(caught["msg"])
    assert msg["payload"] == "spin"
    assert msg["error"]["message"] == "Error: Script execution timed out after 1000ms"
    assert time.monotonic() - start >= 1.0
    await rt.inject("in2", {"payload": 0})
    [data] = await comms.debug(1, node_id="d1")
    assert json.loads(data["msg"])["payload"] == "fine"


async def test_on_start_runs_first_and_on_stop_runs_on_redeploy(start_runtime):
    init = "context.set('base', 100);\nnode.send({payload: 'started'});"
    fin = "global.set('stopped', context.get('base'));"
    flows = [TEST_TAB, feeder("in", "f1"),
             fn("f1", "msg.payload += context.get('base'); return msg;", [["d1"]], initialize=init, finalize=fin),
             debug("d1")]
    rt = await start_runtime([TEST_TAB])
    comms = await rt.comms()
    await rt.deploy(flows)
    await rt.inject("in", {"payload": 1})
    got = await comms.debug(2)
    assert payloads(got) == ["started", 101]
    await rt.deploy([TEST_TAB, feeder("in", "f2"),
                     fn("f2", "msg.payload = global.get('stopped'); return msg;", [["d1"]]), debug("d1")])
    await rt.inject("in", {"payload": 0})
    got = await comms.debug(3)
    assert payloads(got)[2] == 100


async def test_intervals_are_cleared_when_the_node_stops(start_runtime):
    code = "var n = 0;\nsetInterval(function () { node.send({payload: ++n}); }, 20);\nreturn null;"
    rt = await start_runtime([TEST_TAB, feeder("in", "f1"), fn("f1", code, [["d1"]]), debug("d1")])
    comms = await rt.comms()
    await rt.inject("in", {})
    got = await comms.debug(3)
    assert payloads(got)[:3] == [1, 2, 3]
    await rt.deploy([TEST_TAB])
    await asyncio.sleep(0.3)  # a msg sent just before the stop may still be on its way to /comms
    count = len(comms.topic("debug"))
    await asyncio.sleep(0.3)  # an interval still running would send about 15 more
    assert len(comms.topic("debug")) == count


async def test_await_env_clone_and_node_done_with_a_complete_node(start_runtime, monkeypatch):
    monkeypatch.setenv("FUNCTION_TEST_VAR", "from-env")
    code = ("await new Promise(function (resolve) { setTimeout(resolve, 20); });\n"
            "var copy = RED.util.cloneMessage(msg); copy.payload = env.get('FUNCTION_TEST_VAR');\n"
            "node.send(copy); node.done();")
    flows = [TEST_TAB, feeder("in", "f1"), fn("f1", code, [["d1"]]), debug("d1"),
             make_node("k1", "complete", [["d2"]], scope=["f1"]), debug("d2")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("in", {"payload": "orig"})
    [sent] = await comms.debug(1, node_id="d1")
    [done] = await comms.debug(1, node_id="d2")
    assert json.loads(sent["msg"])["payload"] == "from-env"
    assert json.loads(done["msg"])["complete"]["source"]["id"] == "f1"


class FakeRequest:
    """Stands for an HTTP request handle: not JSON, must come out as the same object."""

    method = "GET"
    headers = {"x-a": "1"}


async def test_req_and_res_stay_references_and_bytes_stay_bytes(start_runtime):
    code = "msg.topic = msg.req.method + ' ' + msg.req.headers['x-a'] + ' ' + msg.payload.length;\nreturn msg;"
    flows = [TEST_TAB, fn("f1", code, [["d1"]]), debug("d1"), make_node("c1", "catch", [["d2"]]), debug("d2")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    req = FakeRequest()
    seen = []
    rt.engine.get_node("d1")._handle = seen.append
    rt.engine.get_node("f1").receive({"payload": b"\x01\x02\x03", "req": req, "res": {"id": 5}})
    for _ in range(100):
        if seen:
            break
        await asyncio.sleep(0.02)
    [msg] = seen
    assert msg["topic"] == "GET 1 3"
    assert msg["req"] is req and msg["payload"] == b"\x01\x02\x03" and msg["res"] == {"id": 5}
    assert not [d for d in comms.topic("debug") if d.get("id") == "d2"]  # the catch node saw no error


async def test_non_msg_results_and_external_modules_are_errors(start_runtime):
    rt = await start_runtime([TEST_TAB])
    comms = await rt.comms()
    await rt.deploy([TEST_TAB, feeder("in", "f1"), fn("f1", "return 'text';", [["d1"]]), debug("d1"),
                     fn("f2", "return msg;", libs=[{"var": "fs", "module": "fs"}])])
    [libs] = await comms.debug(1)
    assert libs["id"] == "f2" and libs["msg"] == "Function node not allowed to load external modules"
    await rt.inject("in", {"payload": 1})
    got = await comms.debug(2)
    assert got[1]["id"] == "f1" and got[1]["msg"] == "Function tried to send a message of type string"


async def test_msgs_keep_their_order_through_a_busy_node(start_runtime):
    flows = [TEST_TAB, feeder("in", "f1"), fn("f1", "msg.payload = msg.payload * 10; return msg;", [["d1"]]),
             debug("d1")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    node = rt.engine.get_node("f1")
    for i in range(300):
        node.receive({"payload": i})
    got = await comms.debug(300)
    assert payloads(got) == [i * 10 for i in range(300)]


async def test_large_context_values_and_sends_from_settled_promises(start_runtime):
    writer = "flow.set('big', 'x'.repeat(200000) + '\\u00e9\\ud83d\\ude00'); return msg;"
    reader = ("var big = flow.get('big');\n"
              "Promise.resolve().then(function () { node.send({payload: [big.length, big.slice(-3)]}); });\n"
              "node.error('checked', msg);\nreturn null;")
    flows = [TEST_TAB, feeder("in", "w"), fn("w", writer, [["r"]]), fn("r", reader, [["d1"]]), debug("d1"),
             make_node("c1", "catch", [["d2"]], scope=["r"]), debug("d2")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("in", {"payload": 1})
    [data] = await comms.debug(1, node_id="d1")
    [caught] = await comms.debug(1, node_id="d2")
    assert json.loads(data["msg"])["payload"] == [200003, "é😀"]
    assert rt.engine.context.flow_context("t1").get("big") == "x" * 200000 + "\u00e9\U0001f600"
    assert json.loads(caught["msg"])["error"]["message"] == "checked"


async def test_http_in_function_http_response_keeps_the_request_handles(start_runtime):
    code = ("setTimeout(function () {\n"
            "    msg.payload = 'hi ' + msg.req.query.name + ' via ' + msg.req.method;\n"
            "    node.send(msg);\n}, 10);\nreturn null;")
    flows = [TEST_TAB, make_node("h1", "http in", [["f1"]], url="/hello", method="get", upload=False, swaggerDoc=""),
             fn("f1", code, [["r1"]]), make_node("r1", "http response", [], statusCode="", headers={})]
    rt = await start_runtime(flows)
    resp = await rt.http.get(rt.url + "/hello?name=ann")
    assert resp.status == 200 and await resp.text() == "hi ann via GET"
