"""delay node: fixed, msg.delay and random delays, rate limits, per-topic queues (89-delay.js)."""
from __future__ import annotations

import asyncio
import json
import time

from conftest import TEST_TAB, feeder, make_node, timed

EXPORT_FIELDS = {"pauseType": "delay", "timeout": "5", "timeoutUnits": "seconds", "rate": "1",
                 "nbRateUnits": "1", "rateUnits": "second", "randomFirst": "1", "randomLast": "5",
                 "randomUnits": "seconds", "drop": False, "allowrate": False, "outputs": 1}


def delay(id_: str, wires=(("d1",),), **fields) -> dict:
    return make_node(id_, "delay", wires, **{**EXPORT_FIELDS, **fields})


def debug(id_: str = "d1") -> dict:
    return make_node(id_, "debug", complete="true")



async def settle(seconds: float = 0.15) -> None:
    await asyncio.sleep(seconds)


NODE_RED_EXPORT = [
    {"id": "f1", "type": "tab", "label": "Flow 1", "disabled": False, "info": "", "env": []},
    {"id": "in1", "type": "inject", "z": "f1", "name": "", "props": [{"p": "payload"}, {"p": "topic", "vt": "str"}],
     "repeat": "", "crontab": "", "once": False, "onceDelay": 0.1, "topic": "t", "payload": "hello",
     "payloadType": "str", "x": 110, "y": 80, "wires": [["dl1"]]},
    {"id": "dl1", "type": "delay", "z": "f1", "name": "", "pauseType": "delay", "timeout": "150",
     "timeoutUnits": "milliseconds", "rate": "1", "nbRateUnits": "1", "rateUnits": "second",
     "randomFirst": "1", "randomLast": "5", "randomUnits": "seconds", "drop": False, "allowrate": False,
     "outputs": 1, "x": 290, "y": 80, "wires": [["dbg1"]]},
    {"id": "dbg1", "type": "debug", "z": "f1", "name": "", "active": True, "tosidebar": True, "console": False,
     "tostatus": False, "complete": "true", "targetType": "full", "statusVal": "", "statusType": "auto",
     "x": 450, "y": 80, "wires": []},
    {"id": "cm1", "type": "complete", "z": "f1", "name": "", "scope": ["dl1"], "uncaught": False,
     "x": 110, "y": 160, "wires": [["dbg2"]]},
    {"id": "dbg2", "type": "debug", "z": "f1", "name": "", "active": True, "tosidebar": True, "console": False,
     "tostatus": False, "complete": "true", "targetType": "full", "statusVal": "", "statusType": "auto",
     "x": 300, "y": 160, "wires": []},
]


async def test_fixed_delay_from_a_node_red_export_and_done_when_sent(start_runtime):
    rt = await start_runtime(NODE_RED_EXPORT)
    comms = await rt.comms()
    start = time.monotonic()
    await rt.inject("in1")
    [(sent_at, msg)] = await timed(comms, 1, "dbg1")
    assert 0.13 <= sent_at - start < 2.0  # upper bound loose for busy machines
    assert msg["payload"] == "hello" and msg["topic"] == "t"
    [done] = await comms.debug(1, node_id="dbg2")
    assert json.loads(done["msg"])["complete"]["source"]["id"] == "dl1"
    ids = [m["data"]["id"] for m in comms.messages if m["topic"] == "debug"]
    assert ids == ["dbg1", "dbg2"]  # done only once the msg has left
    assert comms.topic("status/dl1") == []  # 150 ms is too short for a status, as Node-RED


async def test_timeout_units_and_order_kept(start_runtime):
    flows = [TEST_TAB, feeder("i1", "dl"), delay("dl", timeout="0.1", timeoutUnits="seconds"), debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    start = time.monotonic()
    for n in range(3):
        await rt.inject("i1", {"payload": n})
    got = await timed(comms, 3)
    assert [m["payload"] for _, m in got] == [0, 1, 2]
    assert got[0][0] - start >= 0.09


async def test_delayv_uses_msg_delay_in_ms_else_the_timeout(start_runtime):
    flows = [TEST_TAB, feeder("i1", "dl"),
             delay("dl", pauseType="delayv", timeout="60", timeoutUnits="milliseconds"), debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    start = time.monotonic()
    await rt.inject("i1", {"payload": "slow", "delay": 250})
    await rt.inject("i1", {"payload": "default", "delay": "not a number"})
    await rt.inject("i1", {"payload": "fast", "delay": "20ms"})
    got = await timed(comms, 3)
    assert [m["payload"] for _, m in got] == ["fast", "default", "slow"]
    assert got[2][0] - start >= 0.23
    await settle(0.05)
    assert comms.topic("status/dl")[-1] == {"fill": "blue", "shape": "dot", "text": "0"}


async def test_random_delay_within_its_range(start_runtime):
    flows = [TEST_TAB, feeder("i1", "dl"),
             delay("dl", pauseType="random", randomFirst="80", randomLast="120", randomUnits="milliseconds"), debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    start = time.monotonic()
    await rt.inject("i1", {"payload": 1})
    [(at, _)] = await timed(comms, 1)
    assert 0.075 <= at - start < 2.0  # upper bound loose for busy machines


async def test_reset_drops_held_msgs_and_flush_sends_them(start_runtime):
    flows = [TEST_TAB, feeder("i1", "dl"), delay("dl", timeout="2"), debug(),
             make_node("c1", "complete", [["d2"]], scope=["dl"]), make_node("d2", "debug", complete="true")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": "a"})
    await rt.inject("i1", {"payload": "b"})
    await comms.wait_for(lambda m: m["topic"] == "status/dl" and m["data"].get("text") == "2")
    await rt.inject("i1", {"reset": True})
    await comms.wait_for(lambda m: m["topic"] == "status/dl"
                         and m["data"] == {"fill": "blue", "shape": "ring", "text": "0"})
    await comms.debug(3, node_id="d2")  # a, b and the reset msg are done
    await rt.inject("i1", {"payload": "c"})
    await rt.inject("i1", {"payload": "d"})
    await rt.inject("i1", {"payload": "e"})
    await rt.inject("i1", {"flush": 2})
    got = await timed(comms, 2, "d1")
    assert [m["payload"] for _, m in got] == ["c", "d"]
    await comms.wait_for(lambda m: m["topic"] == "status/dl" and m["data"].get("shape") == "dot"
                         and m["data"].get("text") == "1")
    await rt.inject("i1", {"flush": True, "payload": "f"})  # a flush that carries a payload goes too
    got = await timed(comms, 4, "d1")
    assert [m["payload"] for _, m in got[2:]] == ["e", "f"]
    assert not any(m["payload"] in ("a", "b") for _, m in got)


async def test_rate_limit_queues_and_spaces_msgs(start_runtime):
    flows = [TEST_TAB, feeder("i1", "dl"), delay("dl", pauseType="rate", rate="10", nbRateUnits="1"), debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    for n in range(3):
        await rt.inject("i1", {"payload": n})
    got = await timed(comms, 3)
    assert [m["payload"] for _, m in got] == [0, 1, 2]
    gaps = [b[0] - a[0] for a, b in zip(got, got[1:], strict=False)]
    assert all(0.06 <= g < 1.0 for g in gaps), gaps  # upper bound loose for busy machines
    await comms.wait_for(lambda m: m["topic"] == "status/dl" and m["data"].get("text") == "0")


async def test_rate_limit_to_front_flush_and_reset(start_runtime):
    flows = [TEST_TAB, feeder("i1", "dl"),
             delay("dl", pauseType="rate", rate="1", nbRateUnits="2", rateUnits="second"), debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": "first"})
    await rt.inject("i1", {"payload": "late"})
    await rt.inject("i1", {"payload": "urgent", "toFront": True})
    await rt.inject("i1", {"payload": "later"})
    await comms.debug(1)
    await rt.inject("i1", {"flush": 2})
    got = await timed(comms, 3)
    assert [m["payload"] for _, m in got] == ["first", "urgent", "late"]
    assert "flush" not in got[1][1]
    await comms.wait_for(lambda m: m["topic"] == "status/dl"
                         and m["data"] == {"fill": "blue", "shape": "dot", "text": "1"})
    await rt.inject("i1", {"reset": True})
    await comms.wait_for(lambda m: m["topic"] == "status/dl"
                         and m["data"] == {"fill": "blue", "shape": "ring", "text": "0"})
    await rt.inject("i1", {"payload": "after reset"})  # the limiter starts again: sent at once
    got = await timed(comms, 4)
    assert got[3][1]["payload"] == "after reset"
    assert len(comms.topic("debug")) == 4  # "later" was dropped by the reset


async def test_rate_drop_sends_extra_msgs_to_the_second_output(start_runtime):
    flows = [TEST_TAB, feeder("i1", "dl"),
             delay("dl", [["d1"], ["d2"]], pauseType="rate", rate="5", drop=True, outputs=2),
             debug("d1"), debug("d2")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    for n in range(3):
        await rt.inject("i1", {"payload": n})
    await comms.debug(3)
    await settle(0.3)
    await rt.inject("i1", {"payload": 3})
    got = await comms.debug(4)
    first = [json.loads(d["msg"])["payload"] for d in got if d["id"] == "d1"]
    second = [json.loads(d["msg"])["payload"] for d in got if d["id"] == "d2"]
    assert first == [0, 3] and second == [1, 2]


async def test_rate_drop_with_one_output_discards(start_runtime):
    flows = [TEST_TAB, feeder("i1", "dl"), delay("dl", pauseType="rate", rate="5", drop=True), debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    for n in range(3):
        await rt.inject("i1", {"payload": n})
    await settle(0.3)
    assert [json.loads(d["msg"])["payload"] for d in comms.topic("debug")] == [0]


async def test_msg_rate_overrides_the_rate_when_allowed(start_runtime):
    flows = [TEST_TAB, feeder("i1", "dl"),
             delay("dl", pauseType="rate", rate="1", allowrate=True), debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": 0, "rate": 60})
    await rt.inject("i1", {"payload": 1})
    await rt.inject("i1", {"payload": 2})
    got = await timed(comms, 3, timeout=2)
    assert got[2][0] - got[0][0] < 0.5  # 60 ms apart, not 1 s


async def test_topic_queue_sends_each_topic_in_turn_keeping_the_latest(start_runtime):
    flows = [TEST_TAB, feeder("i1", "dl"),
             delay("dl", [["d1"], ["d2"]], pauseType="queue", rate="10", drop=True, outputs=2),
             debug("d1"), debug("d2")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"topic": "a", "payload": 1})
    await rt.inject("i1", {"topic": "b", "payload": 2})
    await rt.inject("i1", {"topic": "a", "payload": 3})
    await rt.inject("i1", {"payload": 4})
    got = await timed(comms, 3, "d1")
    assert [(m["topic"], m["payload"]) for _, m in got] == [("a", 3), ("b", 2), ("_none_", 4)]
    assert all(b[0] - a[0] >= 0.05 for a, b in zip(got, got[1:], strict=False))
    [replaced] = await comms.debug(1, node_id="d2")
    assert json.loads(replaced["msg"])["payload"] == 1


async def test_timed_queue_sends_all_topics_each_interval(start_runtime):
    flows = [TEST_TAB, feeder("i1", "dl"), delay("dl", pauseType="timed", rate="5", drop=True), debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    for topic, payload in (("a", 1), ("b", 2), ("a", 3)):
        await rt.inject("i1", {"topic": topic, "payload": payload})
    got = await timed(comms, 2)
    assert sorted((m["topic"], m["payload"]) for _, m in got) == [("a", 3), ("b", 2)]
    assert got[1][0] - got[0][0] < 0.05  # sent together
    await settle(0.25)
    assert len(comms.topic("debug")) == 2


async def test_topic_queue_reset_and_flush(start_runtime):
    flows = [TEST_TAB, feeder("i1", "dl"), delay("dl", pauseType="queue", rate="1", nbRateUnits="5", drop=True),
             debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"topic": "a", "payload": 1})
    await rt.inject("i1", {"reset": True})
    await comms.wait_for(lambda m: m["topic"] == "status/dl" and m["data"] == {"text": "reset"})
    await rt.inject("i1", {"topic": "b", "payload": 2})
    await rt.inject("i1", {"topic": "c", "payload": 3})
    await rt.inject("i1", {"flush": True})
    got = await timed(comms, 2)
    assert [m["topic"] for _, m in got] == ["b", "c"]
    await settle(0.1)
    assert len(comms.topic("debug")) == 2  # neither "a" nor the bare flush msg is sent


async def test_burst_passes_up_to_rate_msgs_per_period(start_runtime):
    flows = [TEST_TAB, feeder("i1", "dl"),
             delay("dl", [["d1"], ["d2"]], pauseType="burst", rate="2", nbRateUnits="0.2", drop=True, outputs=2),
             debug("d1"), debug("d2")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    for n in range(3):
        await rt.inject("i1", {"payload": n})
    await comms.debug(3)
    await comms.wait_for(lambda m: m["topic"] == "status/dl"
                         and m["data"] == {"fill": "red", "shape": "dot", "text": ""})
    await comms.wait_for(lambda m: m["topic"] == "status/dl"
                         and m["data"] == {"fill": "green", "shape": "ring", "text": ""}, 2)
    await rt.inject("i1", {"payload": 3})
    got = await comms.debug(4)
    assert [(d["id"], json.loads(d["msg"])["payload"]) for d in got] == [("d1", 0), ("d1", 1), ("d2", 2), ("d1", 3)]


async def test_redeploy_drops_held_msgs_unsent_and_clears_the_status(start_runtime):
    flows = [TEST_TAB, feeder("i1", "dl"), delay("dl", timeout="5"), debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": "held"})
    await comms.wait_for(lambda m: m["topic"] == "status/dl" and m["data"].get("text") == "1")
    await rt.deploy([TEST_TAB])
    await comms.wait_for(lambda m: m["topic"] == "status/dl" and m["data"] == {})
    await settle(0.05)
    assert comms.topic("debug") == []


async def test_invalid_settings_are_deploy_errors(start_runtime):
    rt = await start_runtime([TEST_TAB])
    bad = [TEST_TAB, delay("x1", pauseType="sometimes"), delay("x2", timeout="soon"),
           delay("x3", pauseType="rate", rate="0"), delay("x4", timeout="-1")]
    resp = await rt.deploy(bad, expect=400)
    body = await resp.json()
    assert {e["id"] for e in body["errors"]} == {"x1", "x2", "x3", "x4"}
    fields = {(e["id"], e.get("field")) for e in body["errors"]}
    assert ("x1", "pauseType") in fields and ("x2", "timeout") in fields
