"""Deployment types (Node-RED-Deployment-Type): full, nodes, flows."""
from __future__ import annotations

import asyncio
import time

T1 = {"id": "t1", "type": "tab", "label": "one"}
T2 = {"id": "t2", "type": "tab", "label": "two"}


def ticker():
    return {"id": "tick", "type": "inject", "z": "t1", "repeat": "0.1",
            "props": [{"p": "payload", "v": "", "vt": "date"}], "x": 1, "y": 1, "wires": [["dt"]]}


def dbg(id_, z="t1", **kw):
    return {"id": id_, "type": "debug", "z": z, "x": 2, "y": 2, "wires": [], **kw}


async def post(rt, flows, mode):
    resp = await rt.http.post(rt.url + "/flows", json=flows, headers={"Node-RED-Deployment-Type": mode})
    assert resp.status == 204, await resp.text()


async def test_nodes_deploy_restarts_only_the_changed_node(start_runtime):
    flows = [T1, T2, ticker(), dbg("dt"), dbg("other", "t2", name="before")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    tick, dt, other = (rt.engine.get_node(i) for i in ("tick", "dt", "other"))
    await comms.debug(2, node_id="dt")
    changed = [T1, T2, ticker(), dbg("dt"), dbg("other", "t2", name="after")]
    t0 = time.monotonic()
    await post(rt, changed, "nodes")
    assert rt.engine.get_node("tick") is tick and rt.engine.get_node("dt") is dt
    assert rt.engine.get_node("other") is not other and rt.engine.get_node("other").name == "after"
    n = len(comms.topic("debug"))
    await comms.debug(n + 3, node_id="dt")
    stamps = [int(d["msg"]) for d in comms.topic("debug")]
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert max(gaps) < 250, gaps  # no gap: the timer was never restarted
    assert time.monotonic() - t0 < 5


async def test_rewiring_only_updates_wires_in_place(start_runtime):
    flows = [T1, ticker(), dbg("dt"), dbg("d2")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    tick = rt.engine.get_node("tick")
    rewired = [T1, {**ticker(), "wires": [["d2"]]}, dbg("dt"), dbg("d2")]
    await post(rt, rewired, "nodes")
    assert rt.engine.get_node("tick") is tick
    await comms.debug(2, node_id="d2")


async def test_flows_deploy_restarts_the_whole_changed_tab_only(start_runtime):
    flows = [T1, T2, ticker(), dbg("dt"), dbg("other", "t2"), dbg("other2", "t2")]
    rt = await start_runtime(flows)
    tick, other2 = rt.engine.get_node("tick"), rt.engine.get_node("other2")
    await post(rt, [T1, T2, ticker(), dbg("dt"), dbg("other", "t2", name="x"), dbg("other2", "t2")], "flows")
    assert rt.engine.get_node("tick") is tick
    assert rt.engine.get_node("other2") is not other2


async def test_changing_a_config_node_restarts_its_users(start_runtime):
    host = {"id": "sh", "type": "Service Host", "apiBase": "http://127.0.0.1:9/v1"}
    api = {"id": "ai", "type": "OpenAI API", "z": "t1", "service": "sh", "method": "createRealtimeClientSecret",
           "x": 1, "y": 1, "wires": []}
    rt = await start_runtime([T1, host, api, ticker(), dbg("dt")])
    before, tick = rt.engine.get_node("ai"), rt.engine.get_node("tick")
    await post(rt, [T1, {**host, "apiBase": "http://127.0.0.1:10/v1"}, api, ticker(), dbg("dt")], "nodes")
    assert rt.engine.get_node("ai") is not before and rt.engine.get_node("tick") is tick
    assert rt.engine.get_node("sh").config.apiBase.endswith(":10/v1")


async def test_full_deploy_restarts_everything(start_runtime):
    rt = await start_runtime([T1, ticker(), dbg("dt")])
    tick = rt.engine.get_node("tick")
    await post(rt, [T1, ticker(), dbg("dt")], "full")
    assert rt.engine.get_node("tick") is not tick
    await asyncio.sleep(0)
