"""The function node where it must match Node-RED 5 exactly: error texts, node.linkcall, Buffer.

The expected values are what Node-RED 5 showed for the same flows in the compat harness
(compat/; the examples common/catch/01, function/function/08, common/link/03, network/tcp/03).
"""
from __future__ import annotations

import json

from conftest import TEST_TAB, catch_all, feeder, full_debug, make_node


def fn(id_: str, func: str, wires=(), **fields) -> dict:
    """A function node as the Node-RED editor exports it."""
    base = {"func": func, "outputs": 1, "timeout": 0, "noerr": 0, "initialize": "", "finalize": "", "libs": []}
    base.update(fields)
    return make_node(id_, "function", wires, **base)


async def _caught(start_runtime, code: str) -> dict:
    """The msg a catch node gets when a function running ``code`` fails on ``{payload: "p"}``."""
    rt = await start_runtime([TEST_TAB, feeder("in", "f1"), fn("f1", code), catch_all("c1", "dc"), full_debug("dc")])
    comms = await rt.comms()
    await rt.inject("in", {"payload": "p"})
    [data] = await comms.debug(1, node_id="dc")
    return json.loads(data["msg"])


async def test_thrown_error_keeps_its_message_and_reaches_catch_with_its_stack(start_runtime):
    msg = await _caught(start_runtime, 'throw new Error("Error Occured!");')
    assert msg["error"]["message"] == "Error: Error Occured!"
    assert msg["error"]["source"] == {"id": "f1", "type": "function", "name": "", "count": 1}
    assert msg["error"]["stack"].startswith("Error: Error Occured!\n    at ")
    # Node-RED puts the Error on the msg (msg.error) before the catch node moves it to msg._error
    assert msg["_error"]["__enc__"] is True and msg["_error"]["type"] == "error"
    assert msg["_error"]["data"]["name"] == "Error" and msg["_error"]["data"]["message"] == "Error Occured!"


async def test_reference_error_gets_its_place_as_node_red_writes_it(start_runtime):
    msg = await _caught(start_runtime, "var a = 1;\nreturn retunr;")
    assert msg["error"]["message"] == "ReferenceError: ReferenceError: retunr is not defined (line 2, col 1)"
    assert msg["error"]["stack"].startswith("ReferenceError: retunr is not defined\n")


async def test_type_error_has_no_place_and_the_sidebar_shows_the_error_object(start_runtime):
    code = 'var os = global.get("os");\nmsg.payload = {\n    hostname: os.hostname()\n};\nreturn msg;'
    rt = await start_runtime([TEST_TAB, feeder("in", "f1"), fn("f1", code)])
    comms = await rt.comms()
    await rt.inject("in", {"payload": "p"})
    [data] = await comms.debug(1, node_id="f1")
    assert data["level"] == 20 and data["format"] == "error"
    shown = json.loads(data["msg"])
    assert shown["__enc__"] is True and shown["type"] == "error"
    assert shown["data"]["name"] == "TypeError"
    assert shown["data"]["message"] == "Cannot read properties of undefined (reading 'hostname')"
    assert shown["data"]["stack"].startswith("TypeError: Cannot read properties of undefined (reading 'hostname')\n")


def _subroutine(name: str = "subroutine-1") -> list[dict]:
    """link in ``name`` → change (payload "Hello, from <name>") → link out in return mode."""
    return [make_node("li", "link in", [["ch"]], name=name, links=[]),
            make_node("ch", "change", [["lo"]], rules=[{"t": "set", "p": "payload", "pt": "msg",
                                                         "to": f"Hello, from {name}", "tot": "str"}]),
            make_node("lo", "link out", [], mode="return", links=[])]


async def test_linkcall_calls_a_subroutine_by_name_and_by_id(start_runtime):
    by_name = "\nconst m = await node.linkcall('subroutine-1', msg, { timeout: 1000 })\n\nreturn m;"
    by_id = "const m = await node.linkcall('li', msg);\nm.topic = 'by id';\nreturn m;"
    flows = [TEST_TAB, feeder("in", "f1", "f2"), fn("f1", by_name, [["d1"]]), fn("f2", by_id, [["d1"]]),
             full_debug("d1"), *_subroutine()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("in", {"payload": 1, "topic": "t"})
    got = [json.loads(d["msg"]) for d in await comms.debug(2, node_id="d1")]
    assert sorted(m["topic"] for m in got) == ["by id", "t"]
    for m in got:
        assert m["payload"] == "Hello, from subroutine-1" and "_linkSource" not in m


async def test_linkcall_errors_reject_and_can_be_caught(start_runtime):
    missing = "await node.linkcall('nope', msg);\nreturn msg;"
    caught = ("try {\n  await node.linkcall('lo-less', msg, {timeout: 200});\n} catch (e) {\n"
              "  msg.payload = e.message;\n  return msg;\n}")
    flows = [TEST_TAB, feeder("in", "f1", "f2"), fn("f1", missing), fn("f2", caught, [["d1"]]), full_debug("d1"),
             make_node("l2", "link in", [], name="lo-less", links=[]), catch_all("c1", "dc"), full_debug("dc")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("in", {"payload": 1})
    [err] = await comms.debug(1, node_id="dc")
    assert json.loads(err["msg"])["error"]["message"] == "Error: target link-in node 'nope' not found"
    [timed_out] = await comms.debug(1, node_id="d1")
    assert json.loads(timed_out["msg"])["payload"] == "timeout"


BUFFER_CODE = r'''
const b = Buffer.from("héllo €", "utf8");
const h = Buffer.from("48690a", "hex");
const s = Buffer.from("SGVsbG8=", "base64");
msg.payload = {
 utf8: b.toString(), hex: b.toString("hex"), b64: b.toString("base64"), len: b.length,
 fromhex: h.toString(), froms: s.toString(), isb: Buffer.isBuffer(b), isnot: Buffer.isBuffer("x"),
 arr: Buffer.from([1,2,255]).toString("hex"), json: JSON.stringify(Buffer.from("ab")),
 sub: b.slice(1,3).toString("hex"), bad: Buffer.from([0xff,0x41]).toString(),
 latin: Buffer.from("é","latin1").toString("hex"),
 cat: Buffer.concat([Buffer.from("a"), Buffer.from("b")]).toString(), alloc: Buffer.alloc(3).toString("hex"),
 bl: Buffer.byteLength("€"), b64u: Buffer.from("hi?>").toString("base64"),
 eq: Buffer.from("a").equals(Buffer.from("a")),
};
msg.buf = Buffer.from("xyz");
return msg;'''

# What Node-RED 5 gave for BUFFER_CODE.
BUFFER_EXPECTED = {
    "utf8": "héllo €", "hex": "68c3a96c6c6f20e282ac", "b64": "aMOpbGxvIOKCrA==", "len": 10, "fromhex": "Hi\n",
    "froms": "Hello", "isb": True, "isnot": False, "arr": "0102ff", "json": '{"type":"Buffer","data":[97,98]}',
    "sub": "c3a9", "bad": "\ufffdA", "latin": "e9", "cat": "ab", "alloc": "000000", "bl": 3, "b64u": "aGk/Pg==",
    "eq": True}


async def test_buffer_methods_give_what_node_js_gives(start_runtime):
    inspect = "msg.payload = [Buffer.isBuffer(msg.buf), msg.buf.toString(), typeof msg.buf];\nreturn msg;"
    flows = [TEST_TAB, feeder("in", "f1"), fn("f1", BUFFER_CODE, [["d1", "f2"]]), fn("f2", inspect, [["d2"]]),
             full_debug("d1"), full_debug("d2")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("in", {"payload": 1})
    [made] = await comms.debug(1, node_id="d1")
    made = json.loads(made["msg"])
    assert made["payload"] == BUFFER_EXPECTED
    # a Buffer leaves the function as bytes (the sidebar shows Node-RED's Buffer shape)
    assert made["buf"]["type"] == "Buffer" and made["buf"]["data"] == [120, 121, 122]
    [seen] = await comms.debug(1, node_id="d2")
    assert json.loads(seen["msg"])["payload"] == [True, "xyz", "object"]


async def test_bytes_payload_arrives_as_a_buffer(start_runtime):
    # as network/tcp/03's "Buffer to String": a tcp node's bytes payload becomes text
    code = "msg.payload = msg.payload.toString();\nreturn msg;"
    rt = await start_runtime([TEST_TAB, feeder("in", "f1"), fn("f1", code, [["d1"]]), full_debug("d1")])
    comms = await rt.comms()
    rt.engine.get_node("f1").receive({"payload": b"Received: Hello, World!\x08\n"})
    [data] = await comms.debug(1, node_id="d1")
    assert json.loads(data["msg"])["payload"] == "Received: Hello, World!\x08\n"
