"""Bad input gets a clear, located error and loses nothing: malformed flow files, invalid nodes,
unknown types, duplicate ids and dangling wires; the last good flows stay deployed."""
from __future__ import annotations

import json

INJECT = {"id": "i1", "type": "inject", "z": "t1", "props": [{"p": "payload", "v": "hi", "vt": "str"}],
          "x": 100, "y": 100, "wires": [["d1"]]}
DEBUG = {"id": "d1", "type": "debug", "z": "t1", "x": 300, "y": 100, "wires": []}
TAB = {"id": "t1", "type": "tab", "label": "Flow 1"}
GOOD = [TAB, INJECT, DEBUG]


async def test_malformed_flow_file_is_reported_with_line_and_column(start_runtime):
    rt = await start_runtime('[\n  {"id": "a", "type": "inject",\n  "x": 1,, }\n]')
    assert rt.engine.load_error is not None
    assert "flows.json:3:10" in rt.engine.load_error
    state = rt.engine.events.retained()["notification/runtime-state"]
    assert state["error"] == "load-failed" and "3:10" in state["text"]
    # the runtime still serves, with no flows, and a good deploy then runs
    resp = await rt.http.get(rt.url + "/flows")
    assert resp.status == 200 and await resp.json() == []
    await rt.deploy(GOOD)
    assert await rt.inject("i1") == (200, "OK")


async def test_invalid_node_deploy_names_node_type_and_field_and_keeps_old_flows(start_runtime):
    rt = await start_runtime(GOOD)
    comms = await rt.comms()
    bad = [TAB, {**INJECT, "repeat": "soon"}, {**DEBUG, "active": "maybe"}]
    resp = await rt.deploy(bad, expect=400)
    body = await resp.json()
    assert body["code"] == "invalid_flow"
    errors = {(e["id"], e["field"]) for e in body["errors"]}
    assert ("i1", "repeat") in errors and ("d1", "active") in errors
    assert all(e["type"] in ("inject", "debug") for e in body["errors"])
    assert "i1" in body["message"] and "repeat" in body["message"]
    # the previous flows are still deployed and running
    assert await (await rt.http.get(rt.url + "/flows")).json() == GOOD
    assert await rt.inject("i1") == (200, "OK")
    [data] = await comms.debug(1)
    assert data["msg"] == "hi"


async def test_duplicate_ids_are_rejected(start_runtime):
    rt = await start_runtime(GOOD)
    resp = await rt.deploy(GOOD + [dict(DEBUG)], expect=400)
    body = await resp.json()
    assert body["errors"] == [{"id": "d1", "type": "debug", "message": "duplicate node id", "severity": "error"}]


async def test_unknown_type_stops_flows_and_says_why(start_runtime):
    rt = await start_runtime(GOOD)
    comms = await rt.comms()
    flows = GOOD + [{"id": "m1", "type": "no-such-type", "z": "t1", "x": 1, "y": 2, "wires": []},
                    {"id": "m2", "type": "no-such-type", "z": "t1", "x": 1, "y": 3, "wires": []}]
    await rt.deploy(flows)  # accepted and stored, as Node-RED does
    state = await comms.wait_for(lambda m: m["topic"] == "notification/runtime-state"
                                 and m["data"].get("error") == "missing-types")
    data = state[-1]["data"]
    assert data["state"] == "stop" and data["types"] == ["no-such-type"]
    assert data["nodes"] == {"no-such-type": ["m1", "m2"]}
    assert "no-such-type" in data["text"] and "m1" in data["text"]
    assert await rt.inject("i1") == (404, "Not Found")  # no flow runs
    assert await (await rt.http.get(rt.url + "/flows")).json() == flows
    await rt.deploy(GOOD)  # fixing the flow starts it again
    assert await rt.inject("i1") == (200, "OK")


async def test_dangling_wire_is_a_warning_and_the_flow_runs(start_runtime, caplog):
    rt = await start_runtime([TAB, {**INJECT, "wires": [["d1", "gone"]]}, DEBUG])
    comms = await rt.comms()
    assert rt.engine.parsed.warnings[0].node_id == "i1"
    assert "gone" in str(rt.engine.parsed.warnings[0])
    assert await rt.inject("i1") == (200, "OK")
    assert (await comms.debug(1))[0]["msg"] == "hi"


async def test_malformed_json_body_is_a_json_400_naming_the_position(start_runtime):
    rt = await start_runtime(GOOD)
    resp = await rt.http.post(rt.url + "/flows", data='[{"id": "x",]', headers={"Content-Type": "application/json"})
    assert resp.status == 400
    assert resp.content_type == "application/json"
    body = await resp.json()
    assert body["code"] == "invalid_json" and "line 1 column 13" in body["message"]


async def test_bad_typed_value_is_an_error_on_that_node_not_a_crash(start_runtime):
    inject = {**INJECT, "props": [{"p": "payload", "v": "abc", "vt": "num"}, {"p": "x", "v": "{bad", "vt": "json"}]}
    rt = await start_runtime([TAB, inject, DEBUG])
    comms = await rt.comms()
    assert await rt.inject("i1") == (200, "OK")
    [err] = await comms.debug(1)
    assert err["level"] == 20 and err["id"] == "i1"
    assert 'payload: Invalid number: "abc"' in err["msg"] and "x: Invalid JSON" in err["msg"]
    assert len(comms.topic("debug")) == 1  # nothing was sent to the debug node
    assert await rt.inject("i1") == (200, "OK")


async def test_flat_list_without_tabs_runs_as_global_config_nodes(start_runtime):
    # Node-RED runs a flat list with no z/x/y: every node is a global config node (spec §1)
    flows = [{"id": "i1", "type": "inject", "props": [{"p": "payload", "v": "1", "vt": "num"}], "wires": [["d1"]]},
             {"id": "d1", "type": "debug"}]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1")
    [data] = await comms.debug(1)
    assert data["path"] == "global" and data["msg"] == "1" and data["format"] == "number"
    assert "z" not in data or data["z"] == ""


async def test_disabled_node_and_tab_are_not_started(start_runtime):
    flows = [TAB, {**INJECT, "d": True}, DEBUG, {"id": "t2", "type": "tab", "disabled": True},
             {**INJECT, "id": "i2", "z": "t2"}]
    rt = await start_runtime(flows)
    assert await rt.inject("i1") == (404, "Not Found")
    assert await rt.inject("i2") == (404, "Not Found")
    assert json.loads((rt.tmp / "flows.json").read_text()) == flows
