"""link in / link out / link call: virtual wires across tabs and call-and-return (60-link.js)."""
from __future__ import annotations

import json

from conftest import TEST_TAB, feeder, make_node

TAB2 = {"id": "t2", "type": "tab", "label": "other"}


def on_tab2(node: dict) -> dict:
    return {**node, "z": "t2"}


async def test_link_out_to_two_link_ins_across_tabs(start_runtime):
    flows = [TEST_TAB, TAB2, feeder("i1", "lo"),
             make_node("lo", "link out", mode="link", links=["li1", "li2"]),
             on_tab2(make_node("li1", "link in", [["d1"]], links=["lo"])),
             make_node("li2", "link in", [["d2"]], links=["lo"]),
             on_tab2(make_node("d1", "debug", complete="true")), make_node("d2", "debug", complete="true")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": {"n": 1}})
    got = await comms.debug(2)
    assert sorted(d["id"] for d in got) == ["d1", "d2"]
    assert {d["path"] for d in got} == {"t1", "t2"}
    assert all(json.loads(d["msg"])["payload"] == {"n": 1} for d in got)


NODE_RED_EXPORT = [
    {"id": "f1", "type": "tab", "label": "Flow 1", "disabled": False, "info": "", "env": []},
    {"id": "in1", "type": "inject", "z": "f1", "name": "", "props": [{"p": "payload"}], "repeat": "",
     "crontab": "", "once": False, "onceDelay": 0.1, "topic": "", "payload": "21", "payloadType": "num",
     "x": 110, "y": 80, "wires": [["call1"]]},
    {"id": "call1", "type": "link call", "z": "f1", "name": "", "links": ["lin1"], "linkType": "static",
     "timeout": "30", "x": 280, "y": 80, "wires": [["dbg1"]]},
    {"id": "lin1", "type": "link in", "z": "f1", "name": "double", "links": [], "x": 110, "y": 160,
     "wires": [["sub1"]]},
    {"id": "sub1", "type": "junction", "z": "f1", "x": 200, "y": 160, "wires": [["lout1"]]},
    {"id": "lout1", "type": "link out", "z": "f1", "name": "", "mode": "return", "links": [], "x": 300,
     "y": 160, "wires": []},
    {"id": "dbg1", "type": "debug", "z": "f1", "name": "", "active": True, "tosidebar": True, "console": False,
     "tostatus": False, "complete": "true", "targetType": "full", "statusVal": "", "statusType": "auto",
     "x": 450, "y": 80, "wires": []},
]


async def test_link_call_round_trip_from_a_node_red_export(start_runtime):
    rt = await start_runtime(NODE_RED_EXPORT)
    comms = await rt.comms()
    await rt.inject("in1")
    [data] = await comms.debug(1)
    msg = json.loads(data["msg"])
    assert data["id"] == "dbg1" and msg["payload"] == 21
    assert "_linkSource" not in msg  # the call stack is emptied on return


async def test_dynamic_link_call_by_name_and_unknown_target(start_runtime):
    flows = [TEST_TAB, feeder("i1", "call"),
             make_node("call", "link call", [["d1"]], links=[], linkType="dynamic", timeout="5"),
             make_node("li", "link in", [["lo"]], name="echo"),
             make_node("lo", "link out", mode="return"),
             make_node("c1", "catch", [["d2"]], scope=["call"]),
             make_node("d1", "debug"), make_node("d2", "debug", complete="error.message")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": "by name", "target": "echo"})
    [ok] = await comms.debug(1, node_id="d1")
    assert ok["msg"] == "by name"
    await rt.inject("i1", {"payload": "x", "target": "nowhere"})
    [err] = await comms.debug(1, node_id="d2")
    assert err["msg"] == "target link-in node 'nowhere' not found"


async def test_link_call_times_out_with_an_error_and_nested_calls_return_in_order(start_runtime):
    flows = [TEST_TAB, feeder("i1", "call"),
             make_node("call", "link call", [["d1"]], links=["dead"], timeout="0.2"),
             make_node("dead", "link in", [[]]),
             make_node("c1", "catch", [["d2"]]),
             make_node("d1", "debug"), make_node("d2", "debug", complete="true")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": "lost"})
    [err] = await comms.debug(1, node_id="d2")
    msg = json.loads(err["msg"])
    assert msg["error"]["message"] == "timeout" and msg["error"]["source"]["id"] == "call"
    assert msg["payload"] == "lost"
    assert comms.topic("debug") == [err]


async def test_nested_link_calls_return_to_their_callers(start_runtime):
    flows = [TEST_TAB, feeder("i1", "outer"),
             make_node("outer", "link call", [["d1"]], links=["a"]),
             make_node("a", "link in", [["inner"]]),
             make_node("inner", "link call", [["ra"]], links=["b"]),
             make_node("ra", "link out", mode="return"),
             make_node("b", "link in", [["rb"]]),
             make_node("rb", "link out", mode="return"),
             make_node("d1", "debug", complete="true")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": 1})
    [data] = await comms.debug(1)
    assert data["id"] == "d1" and "_linkSource" not in json.loads(data["msg"])


async def test_return_without_a_caller_warns(start_runtime):
    flows = [TEST_TAB, feeder("i1", "lo"), make_node("lo", "link out", mode="return")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": 1})
    [warn] = await comms.debug(1)
    assert warn["level"] == 30 and warn["msg"] == "No link-call node to return to"
