"""Routes the editor uses beside the Admin API: credentials flags, message trace, examples,
and reloading the flows when the flow file changes on disk."""
from __future__ import annotations

import asyncio
import json

from conftest import TEST_TAB, feeder, make_node

HOST = {"id": "sh1", "type": "Service Host", "apiBase": "https://api.openai.com/v1", "apiBaseType": "str",
        "secureApiKeyValueType": "cred", "name": "host"}


async def test_credentials_say_what_is_set_never_the_value(start_runtime):
    rt = await start_runtime([TEST_TAB])
    await rt.deploy([TEST_TAB, {**HOST, "credentials": {"secureApiKeyValue": "sk-very-secret"}}])
    resp = await rt.http.get(rt.url + "/credentials/Service Host/sh1")
    assert resp.status == 200
    assert await resp.json() == {"has_secureApiKeyValue": True}
    assert "sk-very-secret" not in await resp.text()
    assert (await rt.http.get(rt.url + "/credentials/inject/sh1")).status == 404


async def test_trace_records_the_path_of_a_msg_only_when_enabled(start_runtime):
    flows = [TEST_TAB, feeder("i1", "j1"), make_node("j1", "junction", [["j2", "d1"]]),
             make_node("j2", "junction", [["d1"]]), make_node("d1", "debug")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    assert await (await rt.http.get(rt.url + "/trace")).json() == {"enabled": False, "capacity": 20000}
    await rt.inject("i1", {"payload": 1, "_msgid": "aaaaaaaaaaaaaaaa"})
    plain = await comms.debug(2)  # d1 gets the msg directly and through j2
    assert all("_msgid" not in d for d in plain)  # Node-RED's debug frame unless tracing
    assert (await (await rt.http.get(rt.url + "/trace/aaaaaaaaaaaaaaaa")).json())["hops"] == []

    assert await (await rt.http.post(rt.url + "/trace", json={"enabled": True})).json() == {"enabled": True}
    await rt.inject("i1", {"payload": 2, "_msgid": "bbbbbbbbbbbbbbbb"})
    traced = (await comms.debug(4))[2:]
    assert {d["_msgid"] for d in traced} == {"bbbbbbbbbbbbbbbb"}
    body = await (await rt.http.get(rt.url + "/trace/bbbbbbbbbbbbbbbb")).json()
    nodes = [h["node"] for h in body["hops"]]
    assert nodes[:2] == ["i1", "j1"] and sorted(nodes[2:]) == ["d1", "d1", "j2"]
    assert all(isinstance(h["time"], int) for h in body["hops"])
    bad = await rt.http.post(rt.url + "/trace", json={"enabled": "yes"})
    assert bad.status == 400


async def test_examples_are_listed_and_served(start_runtime):
    rt = await start_runtime([])
    examples = await (await rt.http.get(rt.url + "/flows/examples")).json()
    by_file = {e["file"]: e["name"] for e in examples}
    assert by_file["realtime-client-secret.json"] == "Realtime Client Secret Example"
    flow = await (await rt.http.get(rt.url + "/flows/examples/realtime-token-server.json")).json()
    assert any(n["type"] == "http in" for n in flow)
    assert (await rt.http.get(rt.url + "/flows/examples/..%2Fpyproject.toml")).status == 404


async def test_an_edit_on_disk_is_deployed_and_a_broken_file_is_reported(start_runtime):
    flows = [TEST_TAB, feeder("i1", "d1"), make_node("d1", "debug")]
    rt = await start_runtime(flows, watchFlowFile=True)
    comms = await rt.comms()
    first_rev = rt.engine.rev
    await asyncio.sleep(0.3)  # let the watcher start
    flow_file = rt.tmp / "flows.json"
    edited = [TEST_TAB, feeder("i2", "d1"), make_node("d1", "debug")]
    flow_file.write_text(json.dumps(edited))
    await comms.wait_for(lambda m: m["topic"] == "notification/runtime-deploy" and m["data"]["revision"] != first_rev)
    assert rt.engine.get_node("i2") is not None and rt.engine.get_node("i1") is None

    flow_file.write_text('[{"id": "x", "type": ')
    [err] = await comms.wait_for(lambda m: m["topic"] == "notification/flow-file-error")
    assert "flows.json:1:22: Expecting value" in err["data"]["text"] and err["data"]["type"] == "error"
    assert await rt.inject("i2", {"payload": "still running"}) == (200, "OK")
    assert (await comms.debug(1))[0]["msg"] == "still running"
    # a deploy through the API writes the file: that is not reloaded a second time
    await rt.deploy(flows)
    await asyncio.sleep(0.6)
    assert rt.engine.get_node("i1") is not None
