"""What flows written for ``@inductiv/node-red-openai-api`` see: its status keys, its result
shapes (src/*/methods.js over openai-node), its stream msgs, and its Service Host typed values
evaluated for the calling node and msg. Against the emulator, or a recording server on loopback
for what the emulator does not serve."""
from __future__ import annotations

import asyncio
import json

import pytest
from openai_flows import openai_flow, outputs, service_host
from openai_recorder import GENERIC, RUN, Recorder

from conftest import EMULATOR_KEY, make_node

SECRET = "createRealtimeClientSecret"
GOOD = {"session": {"type": "realtime", "model": "gpt-realtime"}}
REQUESTING = {"fill": "blue", "shape": "dot", "text": "OpenaiApi.status.requesting"}
STREAMING = {"fill": "green", "shape": "dot", "text": "OpenaiApi.status.streaming"}


@pytest.fixture
async def recorder():
    rec = await Recorder().start()
    yield rec
    await rec.stop()


def recorded_flow(recorder: Recorder, method: str, reply: str = "json", **options) -> list[dict]:
    """The test flow with a Service Host on the recording server, which answers as ``reply`` says."""
    return openai_flow(recorder.base_url, method, host=service_host(recorder.base_url, headers={"x-reply": reply}),
                       **options)


async def call(rt, comms, payload, count: int = 1) -> list[dict]:
    await rt.inject("in", {"payload": payload})
    return await outputs(comms, "out", count)


async def test_status_is_the_packages_requesting_key_then_cleared(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET))
    comms = await rt.comms()
    await call(rt, comms, GOOD)
    await comms.wait_for(lambda m: m["topic"] == "status/ai" and m["data"] == {})
    assert comms.topic("status/ai") == [REQUESTING, {}]


async def test_responses_carry_output_text_as_openai_node_adds_it(start_runtime, emulator):
    flows = openai_flow(emulator.base_url, "createModelResponse")
    rt = await start_runtime(flows)
    comms = await rt.comms()
    [msg] = await call(rt, comms, {"model": "gpt-4.1", "input": "echo me"})
    assert msg["payload"]["object"] == "response" and msg["payload"]["output_text"] == "echo me"
    assert list(msg["payload"])[-1] == "output_text"
    flows[3] = {**flows[3], "method": "parseModelResponse"}
    await rt.deploy(flows)
    [msg] = (await call(rt, comms, {"model": "gpt-4.1", "input": "parse me"}, count=2))[-1:]
    assert msg["payload"]["output_text"] == "parse me" and msg["payload"]["output_parsed"] is None


@pytest.mark.parametrize("method", ["createImage", "createImageEdit", "createImageVariation"])
async def test_images_give_the_data_array(start_runtime, recorder, tmp_path, method):
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG-not-really")
    request = {"prompt": "a cat"} if method == "createImage" else {"image": str(image)}
    if method == "createImageEdit":
        request["prompt"] = "a hat"
    rt = await start_runtime(recorded_flow(recorder, method))
    comms = await rt.comms()
    [msg] = await call(rt, comms, request)
    assert msg["payload"] == GENERIC["data"]


@pytest.mark.parametrize("reply, payload", [("json", GENERIC), ("empty", "")])
async def test_delete_model_response_gives_the_body_as_openai_node_reads_it(start_runtime, recorder, reply, payload):
    rt = await start_runtime(recorded_flow(recorder, "deleteModelResponse", reply))
    comms = await rt.comms()
    [msg] = await call(rt, comms, {"response_id": "resp_1"})
    assert msg["payload"] == payload
    assert [(r["method"], r["path"]) for r in recorder.requests] == [("DELETE", "/responses/resp_1")]


async def test_an_assistant_run_stream_sends_each_events_data(start_runtime, recorder):
    rt = await start_runtime(recorded_flow(recorder, "createRun", "run-sse"))
    comms = await rt.comms()
    msgs = await call(rt, comms, {"thread_id": "thread_1", "assistant_id": "asst_1", "stream": True}, count=2)
    assert [m["payload"] for m in msgs] == [{**RUN, "status": "queued"}, RUN]
    assert all("openai" not in m for m in msgs)
    await comms.wait_for(lambda m: m["topic"] == "status/ai" and m["data"] == {})
    await asyncio.sleep(0.3)  # a final msg, if one were sent, would be shown by now
    assert len([f for f in comms.topic("debug") if f["id"] == "out"]) == 2
    assert comms.topic("status/ai") == [REQUESTING, STREAMING, {}]


# --- Service Host typed values ----------------------------------------------------------------

async def test_typed_values_are_read_from_the_calling_nodes_flow_and_the_msg(start_runtime, emulator):
    host = service_host(emulator.base_url, key=None, secureApiKeyValueType="msg", secureApiKeyValueRef="auth.key",
                        organizationId="org", organizationIdType="flow")
    flows = openai_flow(emulator.base_url, SECRET, host=host)
    flows[2]["wires"] = [["set"]]
    flows.append(make_node("set", "change", [["ai"]], rules=[
        {"t": "set", "p": "org", "pt": "flow", "to": "org_from_flow", "tot": "str"}]))
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("in", {"payload": GOOD, "auth": {"key": EMULATOR_KEY}})
    [msg] = await outputs(comms, "out")
    assert msg["payload"]["value"].startswith("ek_")
    [request] = emulator.requests
    assert request["headers"]["authorization"] == f"Bearer {EMULATOR_KEY}"
    assert request["headers"]["openai-organization"] == "org_from_flow"


async def test_a_value_that_does_not_resolve_is_never_sent_as_text(start_runtime, emulator):
    # an apiBase that does not resolve leaves the SDK's default: OPENAI_BASE_URL (the emulator here)
    host = service_host(emulator.base_url, apiBase="nowhere.base", apiBaseType="msg",
                        organizationId="nowhere.org", organizationIdType="msg",
                        secureApiKeyHeaderOrQueryName="nowhere.header", secureApiKeyHeaderOrQueryNameType="msg")
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET, host=host))
    comms = await rt.comms()
    await rt.inject("in", {"payload": GOOD})
    [msg] = await outputs(comms, "out")
    assert msg["payload"]["value"].startswith("ek_")
    [request] = emulator.requests
    assert "openai-organization" not in request["headers"]
    assert request["headers"]["authorization"] == f"Bearer {EMULATOR_KEY}"
    assert "UNDEFINED" not in json.dumps(request["headers"]).upper()


async def test_a_key_that_does_not_resolve_is_the_packages_error(start_runtime, emulator):
    host = service_host(emulator.base_url, key=None, secureApiKeyValueType="msg", secureApiKeyValueRef="auth.key")
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET, host=host))
    comms = await rt.comms()
    await rt.inject("in", {"payload": GOOD})
    [msg] = await outputs(comms, "caught")
    assert msg["error"]["message"] == "OpenAI API key is not configured"
    assert msg["error"]["code"] == "missing_api_key" and msg["error"]["method"] == SECRET
    assert emulator.requests == []
