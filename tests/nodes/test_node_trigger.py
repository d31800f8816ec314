"""trigger node: first and second msgs, extend, reset, repeat, per-topic streams (89-trigger.js)."""
from __future__ import annotations

import asyncio
import json
import time

from conftest import TEST_TAB, feeder, make_node, timed

EXPORT_FIELDS = {"op1": "1", "op2": "0", "op1type": "str", "op2type": "str", "duration": "250",
                 "extend": False, "overrideDelay": False, "units": "ms", "reset": "", "bytopic": "all",
                 "topic": "topic", "outputs": 1}


def trigger(id_: str = "tr", wires=(("d1",),), **fields) -> dict:
    return make_node(id_, "trigger", wires, **{**EXPORT_FIELDS, **fields})


def debug(id_: str = "d1") -> dict:
    return make_node(id_, "debug", complete="true")



def payloads(comms, node_id: str | None = None) -> list:
    return [json.loads(d["msg"])["payload"] for d in comms.topic("debug") if node_id in (None, d["id"])]


NODE_RED_EXPORT = [
    {"id": "f1", "type": "tab", "label": "Flow 1", "disabled": False, "info": "", "env": []},
    {"id": "in1", "type": "inject", "z": "f1", "name": "", "props": [{"p": "payload"}, {"p": "topic", "vt": "str"}],
     "repeat": "", "crontab": "", "once": False, "onceDelay": 0.1, "topic": "door", "payload": "open",
     "payloadType": "str", "x": 110, "y": 80, "wires": [["tr1"]]},
    {"id": "tr1", "type": "trigger", "z": "f1", "name": "", "op1": "1", "op2": "0", "op1type": "str",
     "op2type": "str", "duration": "120", "extend": False, "overrideDelay": False, "units": "ms", "reset": "",
     "bytopic": "all", "topic": "topic", "outputs": 1, "x": 290, "y": 80, "wires": [["dbg1"]]},
    {"id": "dbg1", "type": "debug", "z": "f1", "name": "", "active": True, "tosidebar": True, "console": False,
     "tostatus": False, "complete": "true", "targetType": "full", "statusVal": "", "statusType": "auto",
     "x": 450, "y": 80, "wires": []},
]


async def test_sends_1_then_0_from_a_node_red_export_and_ignores_msgs_meanwhile(start_runtime):
    rt = await start_runtime(NODE_RED_EXPORT)
    comms = await rt.comms()
    await rt.inject("in1")
    await rt.inject("in1")
    got = await timed(comms, 2)
    assert [m["payload"] for _, m in got] == ["1", "0"]
    assert all(m["topic"] == "door" for _, m in got)
    assert got[1][0] - got[0][0] >= 0.1
    await comms.wait_for(lambda m: m["topic"] == "status/tr1" and m["data"] == {})
    assert {"fill": "blue", "shape": "dot"} in comms.topic("status/tr1")
    await asyncio.sleep(0.15)
    assert len(comms.topic("debug")) == 2  # the second inject was ignored


async def test_typed_values_and_the_legacy_val_type(start_runtime):
    flows = [TEST_TAB, feeder("i1", "a", "b", "c"),
             trigger("a", [["d1"]], op1='{"x": [1, 2]}', op1type="json", op2="7.5", op2type="num", duration="30"),
             trigger("b", [["d2"]], op1="true", op1type="val", op2="null", op2type="val", duration="30"),
             trigger("c", [["d3"]], op1="", op1type="str", op2="", op2type="str", duration="30"),
             debug("d1"), debug("d2"), debug("d3")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": "go"})
    await comms.debug(6)
    assert payloads(comms, "d1") == [{"x": [1, 2]}, 7.5]
    assert payloads(comms, "d2") == [True, None]
    assert payloads(comms, "d3") == ["1", "0"]  # empty values fall back to Node-RED's defaults


async def test_pay_keeps_the_payload_and_mustache_templates(start_runtime):
    flows = [TEST_TAB, feeder("i1", "tr"),
             trigger(op1="", op1type="pay", op2="{{topic}} & {{payload.v}}{{payload.none}}{{missing}}", op2type="str",
                     duration="30"),
             debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": {"v": "<x>", "none": None}, "topic": "t"})
    await comms.debug(2)
    assert payloads(comms) == [{"v": "<x>", "none": None}, "t & &lt;x&gt;"]  # {{ }} escapes HTML as mustache.js


async def test_extend_makes_a_watchdog(start_runtime):
    flows = [TEST_TAB, feeder("i1", "tr"),
             trigger(op1="", op1type="nul", op2="timeout", op2type="str", duration="120", extend=True), debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    for n in range(4):
        await rt.inject("i1", {"payload": n})
        await asyncio.sleep(0.06)
    last = time.monotonic()
    assert comms.topic("debug") == []
    [(at, msg)] = await timed(comms, 1)
    assert at - last >= 0.04 and msg["payload"] == "timeout"
    assert msg["_msgid"]  # a copy of the latest msg with the second payload


async def test_second_payload_payl_is_the_latest_msg(start_runtime):
    flows = [TEST_TAB, feeder("i1", "tr"),
             trigger(op1="", op1type="nul", op2="", op2type="payl", duration="100"), debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": "Hello", "topic": "t1"})
    await rt.inject("i1", {"payload": "Goodbye", "topic": "t2"})
    [(_, msg)] = await timed(comms, 1)
    assert msg["payload"] == "Goodbye" and msg["topic"] == "t2"


async def test_reset_by_msg_reset_and_by_payload(start_runtime):
    flows = [TEST_TAB, feeder("i1", "tr"), trigger(duration="0", reset="stop"), debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": None})      # trigger, then blocked until reset
    await rt.inject("i1", {"payload": None})      # blocked
    await rt.inject("i1", {"payload": "stop"})    # reset by payload
    await rt.inject("i1", {"payload": None})      # trigger
    await rt.inject("i1", {"reset": True})        # reset
    await rt.inject("i1", {"payload": None})      # trigger
    await comms.debug(3)
    await asyncio.sleep(0.1)
    assert payloads(comms) == ["1", "1", "1"]


async def test_reset_cancels_the_second_msg(start_runtime):
    flows = [TEST_TAB, feeder("i1", "tr"), trigger(duration="100", reset="false"), debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": 1})
    await rt.inject("i1", {"payload": False})  # the reset value matches String(payload)
    await comms.debug(1)
    await comms.wait_for(lambda m: m["topic"] == "status/tr" and m["data"] == {})
    await asyncio.sleep(0.15)
    assert payloads(comms) == ["1"]


async def test_each_topic_on_its_own_with_a_custom_topic_property(start_runtime):
    flows = [TEST_TAB, feeder("i1", "tr"),
             trigger(op1="1", op1type="num", op2="0", op2type="num", duration="80", bytopic="topic", topic="room.id"),
             debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"room": {"id": "A"}})
    await rt.inject("i1", {"room": {"id": "B"}})
    await rt.inject("i1", {"room": {"id": "A"}})  # ignored: A is triggered
    got = await timed(comms, 4)
    assert [(m["room"]["id"], m["payload"]) for _, m in got] == [("A", 1), ("B", 1), ("A", 0), ("B", 0)]
    statuses = comms.topic("status/tr")
    assert {"fill": "blue", "shape": "dot", "text": "2"} in statuses
    await comms.wait_for(lambda m: m["topic"] == "status/tr" and m["data"] == {})


async def test_second_msg_on_the_second_output(start_runtime):
    flows = [TEST_TAB, feeder("i1", "tr"),
             trigger("tr", [["d1"], ["d2"]], op1="hello", op2="world", duration="50", outputs=2),
             debug("d1"), debug("d2")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": "go", "topic": "test"})
    got = await comms.debug(2)
    assert [(d["id"], json.loads(d["msg"])["payload"]) for d in got] == [("d1", "hello"), ("d2", "world")]


async def test_override_delay_with_msg_delay_in_ms(start_runtime):
    flows = [TEST_TAB, feeder("i1", "a", "b"),
             trigger("a", [["d1"]], duration="50", overrideDelay=True),
             trigger("b", [["d2"]], duration="50"),
             debug("d1"), debug("d2")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    start = time.monotonic()
    await rt.inject("i1", {"payload": 1, "delay": 300})
    ignored = await timed(comms, 2, "d2")
    assert ignored[1][0] - start < 0.25
    used = await timed(comms, 2, "d1")
    assert used[1][0] - start >= 0.28


async def test_negative_duration_repeats_until_reset(start_runtime):
    flows = [TEST_TAB, feeder("i1", "tr"), trigger(op1="", op1type="pay", duration="-50"), debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": "foo"})
    await comms.debug(4)
    await rt.inject("i1", {"reset": True})
    await asyncio.sleep(0.05)
    count = len(comms.topic("debug"))
    await asyncio.sleep(0.15)
    assert len(comms.topic("debug")) == count
    assert set(payloads(comms)) == {"foo"}


async def test_units_seconds(start_runtime):
    flows = [TEST_TAB, feeder("i1", "tr"), trigger(duration="0.1", units="s"), debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": 1})
    got = await timed(comms, 2)
    assert 0.08 <= got[1][0] - got[0][0] < 0.5


async def test_a_value_that_does_not_evaluate_is_an_error_with_the_msg(start_runtime):
    flows = [TEST_TAB, feeder("i1", "tr"), trigger(op1="{bad", op1type="json"), debug(),
             make_node("c1", "catch", [["d2"]]), debug("d2")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": "x"})
    [caught] = await comms.debug(1, node_id="d2")
    msg = json.loads(caught["msg"])
    assert msg["error"]["source"]["id"] == "tr" and "Invalid JSON" in msg["error"]["message"]
    assert msg["payload"] == "x"
    await asyncio.sleep(0.3)
    assert payloads(comms, "d1") == []


async def test_invalid_settings_are_deploy_errors(start_runtime):
    rt = await start_runtime([TEST_TAB])
    bad = [TEST_TAB, trigger("x1", op1="abc", op1type="num"), trigger("x2", op2type="weird"),
           trigger("x3", bytopic="topic", topic="a..b")]
    resp = await rt.deploy(bad, expect=400)
    body = await resp.json()
    assert {(e["id"], e.get("field")) for e in body["errors"]} == {("x1", "op1type"), ("x2", "op2type"),
                                                                  ("x3", "topic")}
