"""The debug node's status when it starts, as 21-debug.js: Node-RED 5 shows a grey ring with
``tostatus`` and clears it at once (what /comms carried for Node-RED's example
common/debug/04), a counter starts at 0, and status nodes created after the debug node do not
see these first statuses (example common/status/01)."""
from __future__ import annotations

import asyncio
import json

from conftest import TEST_TAB, feeder, make_node


def debug(id_: str, **fields) -> dict:
    return make_node(id_, "debug", (), **{"active": True, "tosidebar": True, "console": False, "tostatus": True,
                                          "complete": "payload", "targetType": "msg", "statusVal": "payload",
                                          "statusType": "auto", **fields})


async def test_status_ring_is_cleared_at_start_then_shows_the_value(start_runtime):
    rt = await start_runtime([])
    comms = await rt.comms()
    await rt.deploy([TEST_TAB, feeder("f1", "d1"), debug("d1"), debug("d2", statusType="counter")])
    await rt.inject("f1", {"payload": "Hello, World!"})
    await comms.debug(1)
    await asyncio.sleep(0.2)
    assert comms.topic("status/d1") == [
        {"fill": "grey", "shape": "ring"}, {}, {"fill": "grey", "shape": "dot", "text": "Hello, World!"}]
    assert comms.topic("status/d2") == [
        {"fill": "grey", "shape": "ring"}, {"fill": "blue", "shape": "ring", "text": "0"}]


async def test_status_node_created_after_the_debug_node_sees_only_later_statuses(start_runtime):
    status = make_node("s1", "status", [["d9"]], scope=None)
    sink = make_node("d9", "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full")
    rt = await start_runtime([])
    comms = await rt.comms()
    await rt.deploy([TEST_TAB, feeder("f1", "d1"), status, debug("d1"), sink])  # as the example: status node first
    await rt.inject("f1", {"payload": "Hello, World!"})
    [got] = await comms.debug(1, node_id="d9")
    await asyncio.sleep(0.3)
    assert json.loads(got["msg"])["status"]["text"] == "Hello, World!"
    assert len([m for m in comms.topic("debug") if m["id"] == "d9"]) == 1
