"""The range node (16-range.js): scale, clamp, roll and drop, rounding, property, text numbers
from Node-RED exports, and "Not a number" errors."""
from __future__ import annotations

import json

import pytest

from conftest import TEST_TAB, feeder, make_node


def debug(id_: str = "d1") -> dict:
    return make_node(id_, "debug", complete="true", active=True, tosidebar=True, console=False,
                     tostatus=False, targetType="full")


def range_node(minin, maxin, minout, maxout, action="scale", round_=False, **fields) -> dict:
    """A range node as the Node-RED editor exports it (the limits as text)."""
    return make_node("r1", "range", [["d1"]], minin=str(minin), maxin=str(maxin), minout=str(minout),
                     maxout=str(maxout), action=action, round=round_, **{"property": "payload", **fields})


async def results(start_runtime, node: dict, *msgs: dict, count: int | None = None) -> list[dict]:
    rt = await start_runtime([TEST_TAB, feeder("f1", "r1"), node, debug()])
    comms = await rt.comms()
    for msg in msgs:
        await rt.inject("f1", msg)
    return [json.loads(d["msg"]) for d in await comms.debug(len(msgs) if count is None else count)]


async def test_node_red_export_scales(start_runtime):
    node = {"id": "r1", "type": "range", "z": "t1", "minin": "0", "maxin": "1023", "minout": "0",
            "maxout": "100", "action": "scale", "round": True, "property": "payload", "name": "",
            "x": 300, "y": 100, "wires": [["d1"]]}
    got = await results(start_runtime, node, {"payload": 512}, {"payload": "1023"}, {"payload": 2046})
    assert [m["payload"] for m in got] == [50, 100, 200]


@pytest.mark.parametrize("args, value, expected", [
    (("0", "100", "0", "1000", "scale", False), 50, 500),
    (("0", "100", "0", "1", "scale", False), 55, 0.55),
    (("0", "10", "0", "360", "roll", True), 15, 180),
    (("0", "10", "0", "360", "roll", True), 13.3333, 120),
    (("0", "10", "0", "360", "roll", True), -12.5, 270),
    (("0", "10", "0", "360", "roll", True), -10, 0),
    (("0", "10", "0", "1000", "clamp", False), 111, 1000),
    (("0", "10", "0", "1000", "clamp", False), -1, 0),
    (("0", "9.5", "0.5", "100.5", "clamp", True), 13.1, 100),
    (("0", "9.5", "0.3", "100.5", "clamp", True), -13.1, 1),
    (("100", "0", "0", "-100", "scale", False), 40, -60),
    (("0", "10", "0", "10", "scale", True), 2.5, 3),
    (("0", "10", "0", "10", "scale", True), -2.5, -2),
])
async def test_actions_as_node_red(start_runtime, args, value, expected):
    [msg] = await results(start_runtime, range_node(*args), {"payload": value})
    assert msg["payload"] == expected


async def test_drop_sends_only_values_inside_the_range(start_runtime):
    got = await results(start_runtime, range_node(2, 8, 20, 80, "drop", True), {"payload": 1}, {"payload": 9},
                        {"payload": 5}, count=1)
    assert [m["payload"] for m in got] == [50]


async def test_other_property_and_missing_property_passes_on(start_runtime):
    node = range_node(0, 1, 0, 100, property="data.level")
    got = await results(start_runtime, node, {"data": {"level": "0.25"}, "payload": 7}, {"topic": "no data"})
    assert got[0]["data"] == {"level": 25} and got[0]["payload"] == 7
    assert got[1] == {"topic": "no data", "_msgid": got[1]["_msgid"]}


async def test_not_a_number_is_an_error_with_the_msg(start_runtime):
    nodes = [range_node(0, 10, 0, 1), debug(), make_node("k1", "catch", [["d2"]], scope=None, uncaught=False),
             debug("d2")]
    rt = await start_runtime([TEST_TAB, feeder("f1", "r1"), *nodes])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": "NOT A NUMBER"})
    [data] = await comms.debug(1)
    assert data["id"] == "d2"
    msg = json.loads(data["msg"])
    assert msg["error"]["message"] == "Not a number: NOT A NUMBER" and msg["error"]["source"]["id"] == "r1"


async def test_equal_input_limits_give_javascript_results(start_runtime):
    got = await results(start_runtime, range_node(0, 0, 0, 0), {"payload": 0}, {"payload": 3})
    assert [d["payload"]["data"] for d in got] == ["NaN", "NaN"]  # 0/0 and Infinity*0, as JavaScript


async def test_limit_that_is_not_a_number_is_a_located_deploy_error(start_runtime):
    rt = await start_runtime([TEST_TAB])
    resp = await rt.deploy([TEST_TAB, range_node("zero", 1, 0, 1), debug()], expect=400)
    body = await resp.json()
    assert [(e["id"], e["field"]) for e in body["errors"]] == [("r1", "minin")]
