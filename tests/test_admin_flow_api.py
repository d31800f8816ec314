"""One flow at a time (/flow), the run state (/flows/state), node sets (PUT /nodes), safe mode
and the start-others policy for missing types — as Node-RED's Admin API where it has them."""
from __future__ import annotations

import json

from conftest import TEST_TAB, feeder, make_node

TAB2 = {"id": "t2", "type": "tab", "label": "Second", "disabled": False, "info": "", "env": []}


def on(tab: str, node: dict) -> dict:
    return {**node, "z": tab}


async def test_flow_crud_deploys_one_tab(start_runtime):
    flows = [TEST_TAB, feeder("i1", "d1"), make_node("d1", "debug"), TAB2,
             on("t2", make_node("cfg-less", "junction"))]
    rt = await start_runtime(flows)
    got = await (await rt.http.get(rt.url + "/flow/t2")).json()
    assert got["id"] == "t2" and got["label"] == "Second" and [n["id"] for n in got["nodes"]] == ["cfg-less"]
    assert (await rt.http.get(rt.url + "/flow/nope")).status == 404
    glob = await (await rt.http.get(rt.url + "/flow/global")).json()
    assert glob == {"id": "global", "configs": [], "subflows": []}

    new = {"label": "Added", "nodes": [make_node("i9", "inject", [["d9"]], props=[]), make_node("d9", "debug")]}
    resp = await rt.http.post(rt.url + "/flow", json=new)
    flow_id = (await resp.json())["id"]
    assert resp.status == 200 and flow_id not in ("t1", "t2")
    assert rt.engine.get_node("i9").z == flow_id
    comms = await rt.comms()
    await rt.inject("i9", {"payload": "added"})
    assert (await comms.debug(1))[0]["path"] == flow_id

    clash = await rt.http.post(rt.url + "/flow", json={"label": "x", "nodes": [make_node("i1", "junction")]})
    assert clash.status == 400 and (await clash.json())["code"] == "duplicate_id"

    resp = await rt.http.put(rt.url + f"/flow/{flow_id}", json={"label": "Renamed", "nodes": []})
    assert resp.status == 200 and rt.engine.get_node("i9") is None
    assert (await (await rt.http.get(rt.url + f"/flow/{flow_id}")).json())["label"] == "Renamed"
    assert (await rt.http.delete(rt.url + f"/flow/{flow_id}")).status == 204
    stored = await (await rt.http.get(rt.url + "/flows")).json()
    assert [n["id"] for n in stored] == [n["id"] for n in flows]


async def test_flows_state_stops_and_starts_the_flows(start_runtime):
    rt = await start_runtime([TEST_TAB, feeder("i1", "d1"), make_node("d1", "debug")])
    comms = await rt.comms()
    resp = await rt.http.post(rt.url + "/flows/state", json={"state": "stop"})
    assert await resp.json() == {"state": "stop"}
    assert await rt.inject("i1") == (404, "Not Found")  # nothing runs
    assert (await (await rt.http.get(rt.url + "/flows/state")).json()) == {"state": "stop"}
    assert await (await rt.http.post(rt.url + "/flows/state", json={"state": "start"})).json() == {"state": "start"}
    await rt.inject("i1", {"payload": "again"})
    assert (await comms.debug(1))[0]["msg"] == "again"
    bad = await rt.http.post(rt.url + "/flows/state", json={"state": "pause"})
    assert bad.status == 400 and (await bad.json())["code"] == "invalid_run_state"


async def test_disabling_a_node_set_in_use_is_refused(start_runtime):
    rt = await start_runtime([TEST_TAB, feeder("i1", "d1"), make_node("d1", "debug")])
    used = await rt.http.put(rt.url + "/nodes/flowred/debug", json={"enabled": False})
    assert used.status == 400 and await used.json() == {"code": "type_in_use", "message": "Type in use: debug"}
    resp = await rt.http.put(rt.url + "/nodes/flowred/sort", json={"enabled": False})
    assert resp.status == 200 and (await resp.json())["enabled"] is False
    listed = await (await rt.http.get(rt.url + "/nodes/flowred/sort")).json()
    assert listed["enabled"] is False
    # a disabled type is a missing type for a deploy
    await rt.deploy([TEST_TAB, make_node("s1", "sort")])
    assert rt.engine.missing_types == {"sort": ["s1"]}
    assert (await rt.http.put(rt.url + "/nodes/flowred/sort", json={"enabled": True})).status == 200
    assert (await rt.http.put(rt.url + "/nodes/flowred/none", json={"enabled": True})).status == 404


async def test_safe_mode_loads_without_starting_until_a_deploy(start_runtime):
    flows = [TEST_TAB, feeder("i1", "d1"), make_node("d1", "debug")]
    rt = await start_runtime(flows, safeMode=True)
    assert (await (await rt.http.get(rt.url + "/flows/state")).json()) == {"state": "stop"}
    assert await (await rt.http.get(rt.url + "/flows")).json() == flows
    assert await rt.inject("i1") == (404, "Not Found")
    await rt.deploy(flows)
    assert await rt.inject("i1") == (200, "OK")


async def test_start_others_runs_the_tabs_without_missing_types(start_runtime):
    flows = [TEST_TAB, feeder("i1", "d1"), make_node("d1", "debug"),
             TAB2, on("t2", make_node("x1", "no-such-type"))]
    rt = await start_runtime([])
    comms = await rt.comms()
    rt.engine.settings.missingTypes = "start-others"
    await rt.deploy(flows)
    [state] = await comms.wait_for(lambda m: m["topic"] == "notification/runtime-state" and m["data"].get("error"))
    assert state["data"]["state"] == "start" and state["data"]["types"] == ["no-such-type"]
    assert "t2" in state["data"]["text"]
    await rt.inject("i1", {"payload": "tab 1 runs"})
    assert (await comms.debug(1))[0]["msg"] == "tab 1 runs"
    assert json.dumps(rt.engine.missing_types) == '{"no-such-type": ["x1"]}'
