"""rbe (filter) node: report by exception, dead band and narrow band, per topic (rbe.js)."""
from __future__ import annotations

import asyncio
import json

from conftest import TEST_TAB, feeder, make_node

EXPORT_FIELDS = {"func": "rbe", "gap": "", "start": "", "inout": "out", "septopics": True,
                 "property": "payload", "topi": "topic"}


def rbe(id_: str = "rb", wires=(("d1",),), **fields) -> dict:
    return make_node(id_, "rbe", wires, **{**EXPORT_FIELDS, **fields})


async def run(start_runtime, node: dict, msgs: list[dict], expect: int) -> list:
    """Deploy ``feeder → node → debug``, send ``msgs`` and return the payloads that pass
    (waiting for ``expect`` of them, then a little longer for any extra)."""
    flows = [TEST_TAB, feeder("i1", node["id"]), node, make_node("d1", "debug", complete="true")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    for msg in msgs:
        await rt.inject("i1", msg)
    if expect:
        await comms.debug(expect)
    await asyncio.sleep(0.1)
    return [json.loads(d["msg"]).get("payload") for d in comms.topic("debug") if d["id"] == "d1"]


def values(*payloads, **extra) -> list[dict]:
    return [{"payload": p, **extra} for p in payloads]


NODE_RED_EXPORT = [
    {"id": "f1", "type": "tab", "label": "Flow 1", "disabled": False, "info": "", "env": []},
    {"id": "in1", "type": "inject", "z": "f1", "name": "", "props": [], "repeat": "", "crontab": "",
     "once": False, "onceDelay": 0.1, "topic": "", "x": 110, "y": 80, "wires": [["rb1"]]},
    {"id": "rb1", "type": "rbe", "z": "f1", "name": "", "func": "rbe", "gap": "", "start": "", "inout": "out",
     "septopics": True, "property": "payload", "topi": "topic", "x": 280, "y": 80, "wires": [["dbg1"]]},
    {"id": "dbg1", "type": "debug", "z": "f1", "name": "", "active": True, "tosidebar": True, "console": False,
     "tostatus": False, "complete": "payload", "targetType": "msg", "statusVal": "", "statusType": "auto",
     "x": 450, "y": 80, "wires": []},
]


async def test_blocks_unless_the_value_changes_from_a_node_red_export(start_runtime):
    rt = await start_runtime(NODE_RED_EXPORT)
    comms = await rt.comms()
    for p in ("a", "a", 1, 1, "1", True, 1, 1.0):
        await rt.inject("in1", {"payload": p})
    got = await comms.debug(5)
    await asyncio.sleep(0.1)
    assert [d["msg"] for d in comms.topic("debug")] == ["a", "1", "1", "true", "1"]
    assert [d["format"] for d in got] == ["string[1]", "number", "string[1]", "boolean", "number"]


async def test_rbei_ignores_the_first_value(start_runtime):
    assert await run(start_runtime, rbe(func="rbei"), values(1, 1, 2, 2, 3), 2) == [2, 3]


async def test_objects_and_arrays_are_compared_deeply(start_runtime):
    msgs = values({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}, {"a": 1, "b": [2, 1]}, [1], [1], None, None)
    assert await run(start_runtime, rbe(), msgs, 4) == [{"a": 1, "b": [1, 2]}, {"a": 1, "b": [2, 1]}, [1], None]


async def test_separate_topics_and_a_custom_topic_property(start_runtime):
    msgs = [{"payload": 1, "room": "a"}, {"payload": 1, "room": "b"}, {"payload": 1, "room": "a"},
            {"payload": 2, "room": "b"}]
    assert await run(start_runtime, rbe(topi="room"), msgs, 3) == [1, 1, 2]


async def test_one_value_for_all_topics_when_septopics_is_off(start_runtime):
    msgs = [{"payload": 1, "topic": "a"}, {"payload": 1, "topic": "b"}, {"payload": 2, "topic": "a"}]
    assert await run(start_runtime, rbe(septopics=False), msgs, 2) == [1, 2]


async def test_reset_forgets_a_topic_or_everything(start_runtime):
    msgs = [{"payload": 1, "topic": "a"}, {"payload": 1, "topic": "b"},
            {"reset": True, "topic": "a"}, {"payload": 1, "topic": "a"}, {"payload": 1, "topic": "b"},
            {"reset": True}, {"payload": 1, "topic": "b"}]
    assert await run(start_runtime, rbe(), msgs, 4) == [1, 1, 1, 1]


async def test_a_msg_without_the_property_is_ignored(start_runtime):
    msgs = [{"value": {"t": 1}}, {"other": 1}, {"value": {"t": 1}}, {"value": {"t": 2}}]
    flows = [TEST_TAB, feeder("i1", "rb"), rbe(property="value.t"), make_node("d1", "debug", complete="value")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    for msg in msgs:
        await rt.inject("i1", msg)
    await comms.debug(2)
    await asyncio.sleep(0.1)
    assert [json.loads(d["msg"]) for d in comms.topic("debug")] == [{"t": 1}, {"t": 2}]


async def test_deadband_passes_changes_bigger_than_the_gap(start_runtime):
    msgs = values(10, 15, 20, 21, 31, "41 degrees")
    assert await run(start_runtime, rbe(func="deadband", gap="10"), msgs, 3) == [10, 21, "41 degrees"]


async def test_deadband_eq_passes_changes_of_at_least_the_gap(start_runtime):
    assert await run(start_runtime, rbe(func="deadbandEq", gap="10"), values(10, 15, 20, 25, 30), 3) == [10, 20, 30]


async def test_deadband_with_a_percentage_gap(start_runtime):
    assert await run(start_runtime, rbe(func="deadband", gap="10%"), values(100, 105, 111, 120, 123), 3) == \
        [100, 111, 123]


async def test_deadband_compares_with_the_last_input_when_inout_is_in(start_runtime):
    # each step is 6: never more than 10 from the previous input, though far from the last output
    assert await run(start_runtime, rbe(func="deadband", gap="10", inout="in"), values(0, 6, 12, 18, 30), 2) == [0, 30]


async def test_narrowband_blocks_big_jumps_from_the_start_value(start_runtime):
    node = rbe(func="narrowband", gap="5", start="100")
    assert await run(start_runtime, node, values(0, 104, 120, 105, 110, 116), 3) == [104, 105, 110]


async def test_narrowband_eq_without_start_uses_the_first_value(start_runtime):
    node = rbe(func="narrowbandEq", gap="5")
    assert await run(start_runtime, node, values(50, 55, 53, 90, 57), 3) == [50, 53, 57]


async def test_band_modes_warn_about_values_that_are_not_numbers(start_runtime):
    flows = [TEST_TAB, feeder("i1", "rb"), rbe(func="deadband", gap="1"), make_node("d1", "debug", complete="true")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": "abc"})
    await rt.inject("i1", {"payload": 5})
    [warning] = await comms.debug(1, node_id="rb")
    assert warning["level"] == 30 and warning["msg"] == "no number found in payload"
    [passed] = await comms.debug(1, node_id="d1")
    assert json.loads(passed["msg"])["payload"] == 5


async def test_invalid_settings_are_deploy_errors(start_runtime):
    rt = await start_runtime([TEST_TAB])
    bad = [TEST_TAB, rbe("x1", func="sometimes"), rbe("x2", func="deadband", gap="ten"),
           rbe("x3", func="narrowband", start="low"), rbe("x4", property="a b")]
    resp = await rt.deploy(bad, expect=400)
    body = await resp.json()
    assert {(e["id"], e.get("field")) for e in body["errors"]} == {("x1", "func"), ("x2", "gap"), ("x3", "start"),
                                                                  ("x4", "property")}
