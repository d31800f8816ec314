"""A full redeploy while an OpenAI API call is in flight drops the msg, and says so on the node
(Node-RED drops it silently)."""
from __future__ import annotations

import asyncio

from openai_flows import openai_flow

GOOD = {"session": {"type": "realtime", "model": "gpt-realtime"}}


async def test_a_redeploy_during_an_openai_call_warns_that_the_msg_was_dropped(start_runtime, emulator):
    emulator.fail(delay=3)
    flows = openai_flow(emulator.base_url, "createRealtimeClientSecret")
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("in", {"payload": GOOD})
    for _ in range(200):
        if emulator.requests:
            break
        await asyncio.sleep(0.02)
    assert emulator.requests, "the request never reached the emulator"
    await rt.deploy(flows)
    [warning] = await comms.debug(1, node_id="ai")
    assert warning["level"] == 30 and warning["msg"].startswith("msg dropped: the flows were redeployed")
    await asyncio.sleep(3.5)  # the emulator's late answer reaches nobody
    assert [d["id"] for d in comms.topic("debug")] == ["ai"]
