"""The Admin API subset, checked against Node-RED's answers (spec §3, §4, §6)."""
from __future__ import annotations

import json

TAB = {"id": "t1", "type": "tab", "label": "Flow 1", "disabled": False, "info": "", "env": []}
INJECT = {"id": "i1", "type": "inject", "z": "t1", "name": "", "props": [{"p": "payload"}, {"p": "topic", "vt": "str"}],
          "payload": "42", "payloadType": "num", "repeat": "", "crontab": "", "once": False,
          "onceDelay": 0.1, "topic": "t", "x": 100, "y": 100, "wires": [["d1"]], "extra_field": {"kept": True}}
DEBUG = {"id": "d1", "type": "debug", "z": "t1", "name": "", "active": True, "tosidebar": True,
         "console": False, "tostatus": False, "complete": "false", "x": 300, "y": 100, "wires": []}
FLOWS = [TAB, INJECT, DEBUG]


async def test_get_flows_v1_and_v2_keep_every_field(start_runtime):
    rt = await start_runtime(FLOWS)
    v1 = await rt.http.get(rt.url + "/flows")
    assert v1.status == 200 and await v1.json() == FLOWS
    v2 = await rt.http.get(rt.url + "/flows", headers={"Node-RED-API-Version": "v2"})
    body = await v2.json()
    assert body["flows"] == FLOWS and len(body["rev"]) == 64
    bad = await rt.http.get(rt.url + "/flows", headers={"Node-RED-API-Version": "v3"})
    assert bad.status == 400
    assert await bad.json() == {"code": "invalid_api_version", "message": "Invalid API Version requested"}


async def test_rev_is_node_reds_sha256_of_compact_json(start_runtime):
    # Node-RED 5.0.7 gave this rev for the deployed seed flow (shared/reference/admin_api_samples.json)
    from conftest import REFERENCE

    sample = json.loads((REFERENCE / "admin_api_samples.json").read_text())
    v2 = next(v for k, v in sample.items() if k.startswith("GET /flows") and "v2" in k)["body"]
    rt = await start_runtime(v2["flows"])
    resp = await rt.http.get(rt.url + "/flows", headers={"Node-RED-API-Version": "v2"})
    assert (await resp.json())["rev"] == v2["rev"]


async def test_post_flows_v1_204_and_v2_rev_with_409_on_stale_rev(start_runtime):
    rt = await start_runtime([])
    resp = await rt.http.post(rt.url + "/flows", json=FLOWS)
    assert resp.status == 204 and await resp.text() == ""
    v2 = await (await rt.http.get(rt.url + "/flows", headers={"Node-RED-API-Version": "v2"})).json()
    changed = [TAB, {**INJECT, "name": "renamed"}, DEBUG]
    ok = await rt.http.post(rt.url + "/flows", json={"flows": changed, "rev": v2["rev"]},
                            headers={"Node-RED-API-Version": "v2"})
    assert ok.status == 200
    new_rev = (await ok.json())["rev"]
    assert new_rev != v2["rev"]
    stale = await rt.http.post(rt.url + "/flows", json={"flows": FLOWS, "rev": v2["rev"]},
                               headers={"Node-RED-API-Version": "v2"})
    assert stale.status == 409
    assert await stale.json() == {"code": "version_mismatch", "message": "Error"}
    assert (await (await rt.http.get(rt.url + "/flows")).json())[1]["name"] == "renamed"


async def test_deploy_saves_the_flow_file_with_a_backup_and_credentials_apart(start_runtime):
    rt = await start_runtime(FLOWS)
    host = {"id": "sh1", "type": "Service Host", "name": "x", "credentials": {"secureApiKeyValue": "sk-secret-123"}}
    await rt.deploy(FLOWS + [host])
    saved = (rt.tmp / "flows.json").read_text()
    assert json.loads(saved) == FLOWS + [{k: v for k, v in host.items() if k != "credentials"}]
    assert saved.startswith("[\n    {")  # pretty, as Node-RED's flowFilePretty
    assert json.loads((rt.tmp / ".flows.json.backup").read_text()) == FLOWS
    cred = json.loads((rt.tmp / "flows_cred.json").read_text())
    assert list(cred) == ["$"]  # encrypted
    assert "sk-secret-123" not in saved and "sk-secret-123" not in json.dumps(cred)
    flows = await (await rt.http.get(rt.url + "/flows")).text()
    assert "sk-secret-123" not in flows
    assert rt.engine.get_node("sh1").credentials == {"secureApiKeyValue": "sk-secret-123"}


async def test_inject_endpoint_404_and_user_props(start_runtime):
    rt = await start_runtime(FLOWS)
    comms = await rt.comms()
    assert await rt.inject("nope") == (404, "Not Found")
    assert await rt.inject("d1") == (404, "Not Found")
    assert await rt.inject("i1") == (200, "OK")
    [first] = await comms.debug(1)
    assert first["msg"] == "42" and first["format"] == "number" and first["topic"] == "t"
    assert first["property"] == "payload"
    body = {"__user_inject_props__": [{"p": "payload", "v": "custom", "vt": "str"}]}
    assert await rt.inject("i1", body) == (200, "OK")
    second = (await comms.debug(2))[1]
    assert second["msg"] == "custom" and "topic" not in second


async def test_debug_enable_disable(start_runtime):
    rt = await start_runtime(FLOWS)
    comms = await rt.comms()
    off = await rt.http.post(rt.url + "/debug/d1/disable")
    assert off.status == 201 and await off.text() == "Created"
    await rt.inject("i1")
    on = await rt.http.post(rt.url + "/debug/d1/enable")
    assert on.status == 200 and await on.text() == "OK"
    await rt.inject("i1")
    await comms.debug(1)
    assert len(comms.topic("debug")) == 1
    assert (await rt.http.post(rt.url + "/debug/nope/enable")).status == 404
    assert (await rt.http.post(rt.url + "/debug/d1/sideways")).status == 404
    bulk = await rt.http.post(rt.url + "/debug/disable", json={"nodes": ["d1"]})
    assert bulk.status == 201
    assert (await rt.http.post(rt.url + "/debug/disable", json={})).status == 400


async def test_settings_and_state(start_runtime):
    rt = await start_runtime(FLOWS)
    settings = await (await rt.http.get(rt.url + "/settings")).json()
    assert settings["httpNodeRoot"] == "/" and "version" in settings
    assert await (await rt.http.get(rt.url + "/flows/state")).json() == {"state": "start"}


async def test_comms_replays_retained_on_subscribe_and_sends_arrays(start_runtime):
    rt = await start_runtime(FLOWS)
    ws = await rt.http.ws_connect(rt.url + "/comms")
    await ws.send_json({"subscribe": "notification/#"})
    frame = await ws.receive_json(timeout=5)
    assert isinstance(frame, list)
    topics = {m["topic"]: m["data"] for m in frame}
    assert topics["notification/runtime-state"] == {"state": "start"}
    assert topics["notification/runtime-deploy"]["revision"] == rt.engine.rev
    await ws.close()


async def test_a_slow_comms_client_is_bounded_and_told_what_was_dropped(start_runtime):
    rt = await start_runtime(FLOWS, commsQueueLimit=100)
    comms = await rt.comms()
    await comms.wait_for(lambda m: m["topic"] == "notification/runtime-deploy")  # replay done
    d1 = rt.engine.get_node("d1")
    for k in range(5000):  # far faster than the client is sent to (50 ms batches)
        d1.receive({"payload": k})

    def dropped() -> int:
        return sum(m["data"]["dropped"] for m in comms.messages if m["topic"] == "notification/comms-dropped")

    await comms.wait_for(lambda m: len(comms.topic("debug")) + dropped() == 5000, timeout=10)
    from flowred.api.app import COMMS
    conn = next(iter(rt.runner.app[COMMS].connections))
    assert len(conn.queue) <= 100
    assert dropped() > 0
    notes = comms.topic("notification/comms-dropped")
    assert notes[-1]["total"] == dropped()
    received = [int(d["msg"]) for d in comms.topic("debug")]
    assert received == sorted(received) and received[0] == 0  # what arrives is in order


async def test_nodes_lists_node_sets_as_node_red_and_types_with_schemas(start_runtime):
    rt = await start_runtime([])
    sets = await (await rt.http.get(rt.url + "/nodes", headers={"Accept": "application/json"})).json()
    inject = next(s for s in sets if "inject" in s["types"])
    assert inject["id"] == "flowred/inject" and inject["module"] == "flowred" and inject["enabled"] is True
    assert {"id", "module", "version", "types", "enabled"} <= set(inject)
    one = await (await rt.http.get(rt.url + "/nodes/flowred/inject")).json()
    assert one["types"] == ["inject"]
    assert (await rt.http.get(rt.url + "/nodes/flowred/nothing-here")).status == 404
    types = {t["type"]: t for t in await (await rt.http.get(rt.url + "/node-types")).json()}
    assert types["inject"]["inputs"] == 0 and types["debug"]["outputs"] == 0
    assert "repeat" in types["inject"]["schema"]["properties"]
    assert types["Service Host"]["configNode"] is True
    assert types["Service Host"]["credentials"] == ["secureApiKeyValue"]
