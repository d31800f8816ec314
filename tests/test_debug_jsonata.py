"""The debug node's JSONata output (targetType "jsonata"), as Node-RED's 21-debug.js."""
from __future__ import annotations

import json

from conftest import TEST_TAB, feeder, make_node


async def test_jsonata_expression_output_has_no_property(start_runtime):
    flows = [TEST_TAB, feeder("i1", "d1"),
             make_node("d1", "debug", complete='{"total": $sum(payload), "who": $env("NR_NODE_ID")}',
                       targetType="jsonata", active=True, tosidebar=True, console=False, tostatus=False)]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": [1, 2, 3]})
    [data] = await comms.debug(1)
    assert "property" not in data and data["format"] == "Object"
    assert json.loads(data["msg"]) == {"total": 6, "who": "d1"}


async def test_invalid_expression_is_reported_on_the_node_and_the_rest_runs(start_runtime):
    flows = [TEST_TAB, feeder("i1", "d1", "d2"),
             make_node("d1", "debug", complete="payload.", targetType="jsonata"), make_node("d2", "debug")]
    rt = await start_runtime([])
    comms = await rt.comms()
    await rt.deploy(flows)  # the error is reported when the node is created
    await rt.inject("i1", {"payload": "still flows"})
    got = await comms.debug(2)
    by_id = {d["id"]: d for d in got}
    assert by_id["d1"]["level"] == 20 and "JSONata" in by_id["d1"]["msg"]
    assert by_id["d2"]["msg"] == "still flows"
