"""An inject pressed while a deploy is still stopping the old flows reaches the new flows.

Seen with the OpenAI package's ``assistants`` example: its function nodes make the stop phase of
a deploy take a moment, and an inject pressed right after Deploy was answered 404 (the old node
already gone, the new one not there yet), so the msg never went out. ``POST /inject/:id`` now
waits for the deploy under way (``Engine.settled``). The stop phase is made long here by a
function node whose On Stop code keeps V8 busy for 4 s, and the inject is sent once the runtime
has said the flows are stopping, so the race is hit every time.
"""
from __future__ import annotations

import asyncio

TAB = {"id": "t1", "type": "tab", "label": "deploy"}
SLOW_STOP = {"id": "f1", "type": "function", "z": "t1", "func": "return msg;", "outputs": 1, "wires": [[]],
             "finalize": "const end = Date.now() + 4000; while (Date.now() < end) {}"}


def flow(label: str) -> list[dict]:
    return [TAB, SLOW_STOP,
            {"id": "i1", "type": "inject", "z": "t1", "wires": [["d1"]],
             "props": [{"p": "payload", "v": label, "vt": "str"}]},
            {"id": "d1", "type": "debug", "z": "t1", "complete": "payload", "wires": []}]


async def test_an_inject_during_a_deploy_reaches_the_new_flows(start_runtime):
    rt = await start_runtime(flow("old"))
    comms = await rt.comms()
    deploy = asyncio.ensure_future(rt.deploy(flow("new")))
    await comms.wait_for(lambda m: m["topic"] == "notification/runtime-state"
                         and m["data"] == {"state": "stop", "deploy": True}, timeout=30)
    assert not deploy.done()  # the old flows are still stopping
    status, text = await rt.inject("i1")
    assert (status, text) == (200, "OK")
    await deploy
    [data] = await comms.debug(1, node_id="d1", timeout=30)
    assert data["msg"] == "new"  # the inject node of the new flows sent it


async def test_an_inject_outside_a_deploy_is_not_held_up(start_runtime):
    rt = await start_runtime(flow("only"))
    comms = await rt.comms()
    assert await rt.inject("i1") == (200, "OK")
    [data] = await comms.debug(1, node_id="d1", timeout=30)
    assert data["msg"] == "only"
    assert await rt.inject("nope") == (404, "Not Found")
