"""The OpenAI API node's options and its Service Host, through deployed flows against the
emulator: seed-002 defaults, result formats, output property, streaming, files, keys from
msgs, Service Host headers and client pooling."""
from __future__ import annotations

import asyncio
import base64
import json

from openai_flows import openai_flow, outputs, service_host

from conftest import EMULATOR_KEY

SECRET = "createRealtimeClientSecret"
NAVAI = {"defaultModel": "gpt-realtime", "defaultVoice": "marin", "defaultInstructions": "You are a helpful assistant.",
         "defaultLanguage": "Spanish", "defaultVoiceAccent": "neutral", "defaultVoiceTone": "friendly",
         "clientSecretTtl": "600"}


async def call(rt, comms, payload, count: int = 1, **extra) -> list[dict]:
    await rt.inject("in", {"payload": payload, **extra})
    return await outputs(comms, "out", count)


# --- seed 002 defaults -----------------------------------------------------------------------

async def test_navai_style_defaults_build_the_nested_body(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET, **NAVAI))
    comms = await rt.comms()
    [msg] = await call(rt, comms, {})
    assert emulator.requests[0]["body"] == {
        "expires_after": {"anchor": "created_at", "seconds": 600},
        "session": {"type": "realtime", "model": "gpt-realtime",
                    "instructions": "You are a helpful assistant.\nAlways reply in Spanish.\n"
                                    "Use a neutral accent while speaking.\nUse a friendly tone while speaking.",
                    "audio": {"output": {"voice": "marin"}}},
    }
    session = msg["payload"]["session"]
    assert session["model"] == "gpt-realtime" and session["audio"]["output"]["voice"] == "marin"
    assert msg["payload"]["expires_at"] - emulator.requests[0]["body"]["expires_after"]["seconds"] > 0


async def test_defaults_only_fill_what_the_request_leaves_out(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET, property="ai", **NAVAI))
    comms = await rt.comms()
    request = {"expires_after": {"anchor": "created_at", "seconds": 30},
               "session": {"type": "realtime", "model": "gpt-realtime-1.5", "instructions": "Be terse.",
                           "audio": {"output": {"voice": "cedar"}}}}
    await rt.inject("in", {"ai": request})
    [msg] = await outputs(comms, "out")
    assert emulator.requests[0]["body"] == request and msg["ai"] == request


async def test_transcription_sessions_only_get_the_ttl(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET, **NAVAI))
    comms = await rt.comms()
    await call(rt, comms, {"session": {"type": "transcription"}})
    assert emulator.requests[0]["body"] == {"session": {"type": "transcription"},
                                            "expires_after": {"anchor": "created_at", "seconds": 600}}


async def test_without_options_the_request_passes_through_unchanged(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET))
    comms = await rt.comms()
    await call(rt, comms, {})
    assert emulator.requests[0]["body"] == {}


# --- result format and output property -------------------------------------------------------

async def test_raw_result_format_gives_status_headers_and_body(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET, resultFormat="raw"))
    comms = await rt.comms()
    [msg] = await call(rt, comms, {"session": {"type": "realtime"}})
    raw = msg["payload"]
    assert set(raw) == {"body", "status", "headers"} and raw["status"] == 200
    assert raw["body"]["value"].startswith("ek_") and raw["headers"]["x-request-id"].startswith("req_")


async def test_legacy_session_methods_with_raw_results(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, "createRealtimeTranscriptionSession",
                                         resultFormat="raw"))
    comms = await rt.comms()
    [msg] = await call(rt, comms, {"input_audio_transcription": {"model": "whisper-1"}})
    assert msg["payload"]["status"] == 200
    assert msg["payload"]["body"]["object"] == "realtime.transcription_session"
    assert emulator.requests[0]["path"] == "/v1/realtime/transcription_sessions"


async def test_output_property_keeps_the_payload(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, "createRealtimeSession", output="result.session"))
    comms = await rt.comms()
    [msg] = await call(rt, comms, {"model": "gpt-4o-realtime-preview", "voice": "verse"})
    assert msg["payload"] == {"model": "gpt-4o-realtime-preview", "voice": "verse"}
    assert msg["result"]["session"]["object"] == "realtime.session"
    assert emulator.requests[0]["path"] == "/v1/realtime/sessions"


# --- streaming -------------------------------------------------------------------------------

async def test_a_stream_sends_one_msg_per_chunk_and_nothing_more_as_the_package(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, "createChatCompletion"))
    comms = await rt.comms()
    await rt.inject("in", {"payload": {"model": "gpt-4o-mini", "stream": True,
                                       "messages": [{"role": "user", "content": "one two three"}]}, "topic": "t"})
    await outputs(comms, "out", 5)
    await comms.wait_for(lambda m: m["topic"] == "status/ai" and m["data"] == {})
    await asyncio.sleep(0.3)  # a final msg, if one were sent, would be shown by now
    msgs = [json.loads(f["msg"]) for f in comms.topic("debug") if f["id"] == "out"]
    assert len(msgs) == 5 and all(set(m) == {"_msgid", "payload", "topic"} for m in msgs)
    assert [m["payload"]["object"] for m in msgs] == ["chat.completion.chunk"] * 5
    assert "".join(m["payload"]["choices"][0]["delta"].get("content") or "" for m in msgs if m["payload"]["choices"]
                   ) == "one two three"
    assert comms.topic("status/ai") == [{"fill": "blue", "shape": "dot", "text": "OpenaiApi.status.requesting"},
                                        {"fill": "green", "shape": "dot", "text": "OpenaiApi.status.streaming"}, {}]


async def test_stream_final_option_marks_events_and_sends_the_complete_result(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, "createChatCompletion", streamFinal=True))
    comms = await rt.comms()
    msgs = await call(rt, comms, {"model": "gpt-4o-mini", "stream": True,
                                  "messages": [{"role": "user", "content": "one two three"}]}, count=6)
    events, final = msgs[:-1], msgs[-1]
    assert [m["openai"]["stream"] for m in events] == ["event"] * 5 and [m["openai"]["index"] for m in events] == [
        0, 1, 2, 3, 4]
    assert all(m["openai"]["type"] == "chat.completion.chunk" for m in events)
    assert final["openai"] == {"method": "createChatCompletion", "stream": "final", "events": 5}
    assert final["payload"]["choices"][0]["message"]["content"] == "one two three"
    assert {"fill": "green", "shape": "dot", "text": "OpenaiApi.status.streaming"} in comms.topic("status/ai")
    assert comms.topic("status/ai")[-1] == {}


async def test_stream_model_response_ends_with_the_final_response_as_the_package(start_runtime, emulator):
    """src/responses/methods.js streamModelResponse: the events, then ``finalResponse()``."""
    rt = await start_runtime(openai_flow(emulator.base_url, "streamModelResponse"))
    comms = await rt.comms()
    msgs = await call(rt, comms, {"model": "gpt-4.1", "input": "hi there"}, count=11)
    assert all("openai" not in m for m in msgs)
    assert msgs[0]["payload"]["type"] == "response.created" and msgs[9]["payload"]["type"] == "response.completed"
    final = msgs[10]["payload"]
    assert final["object"] == "response" and final["output_parsed"] is None and "output_text" not in final
    assert final["output"][0]["content"][0]["text"] == "hi there"
    # as OpenAI sent them: created_at an integer, deltas without the Python SDK's snapshot
    assert isinstance(final["created_at"], int) and isinstance(msgs[0]["payload"]["response"]["created_at"], int)
    assert msgs[4]["payload"]["type"] == "response.output_text.delta" and "snapshot" not in msgs[4]["payload"]
    assert msgs[6]["payload"]["type"] == "response.output_text.done" and "parsed" not in msgs[6]["payload"]


async def test_stream_model_response_with_stream_final_marks_it(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, "streamModelResponse", streamFinal=True))
    comms = await rt.comms()
    await rt.inject("in", {"payload": {"model": "gpt-4.1", "input": "hi there"}})
    final = await comms.wait_for(lambda m: m["topic"] == "debug" and '"final"' in m["data"]["msg"])
    msg = json.loads(final[0]["data"]["msg"])
    assert msg["payload"]["object"] == "response" and msg["payload"]["output"][0]["content"][0]["text"] == "hi there"
    assert msg["openai"]["events"] == 10  # created, in_progress, 2 added, 2 deltas, 3 done, completed


async def test_a_non_streaming_response(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, "createModelResponse"))
    comms = await rt.comms()
    [msg] = await call(rt, comms, {"model": "gpt-4.1", "input": "echo me"})
    assert msg["payload"]["output"][0]["content"][0]["text"] == "echo me" and "openai" not in msg


# --- other methods against the emulator ------------------------------------------------------

async def test_files_round_trip_with_base64_input(start_runtime, emulator):
    flows = openai_flow(emulator.base_url, "createFile")
    rt = await start_runtime(flows)
    comms = await rt.comms()
    data = base64.b64encode(b'{"x": 1}\n').decode()
    [created] = await call(rt, comms, {"file": {"filename": "rows.jsonl", "data": data}, "purpose": "batch"})
    file_id = created["payload"]["id"]
    assert created["payload"]["filename"] == "rows.jsonl" and created["payload"]["bytes"] == 9
    for method, payload, check in [
        ("listFiles", {}, lambda p: [f["id"] for f in p] == [file_id]),
        ("retrieveFile", {"file_id": file_id}, lambda p: p["purpose"] == "batch"),
        ("downloadFile", {"file_id": file_id}, lambda p: p["type"] == "Buffer" and p["data"] == list(b'{"x": 1}\n')),
        ("deleteFile", {"file_id": file_id}, lambda p: p["deleted"] is True),
    ]:
        flows[3] = {**flows[3], "method": method}
        await rt.deploy(flows)
        before = len(comms.topic("debug"))
        await rt.inject("in", {"payload": payload})
        [msg] = (await outputs(comms, "out", before + 1))[-1:]
        assert check(msg["payload"]), method


async def test_embeddings_moderations_and_models(start_runtime, emulator):
    flows = openai_flow(emulator.base_url, "createEmbedding")
    rt = await start_runtime(flows)
    comms = await rt.comms()
    [msg] = await call(rt, comms, {"model": "text-embedding-3-small", "input": "hello"})
    # the package's createEmbedding gives response.data: the list of embeddings
    assert msg["payload"][0]["object"] == "embedding" and len(msg["payload"][0]["embedding"]) == 8
    flows[3] = {**flows[3], "method": "listModels", "allPages": True}
    await rt.deploy(flows)
    [msg] = (await call(rt, comms, {}, count=2))[-1:]
    assert "gpt-realtime" in [m["id"] for m in msg["payload"]]


# --- API key from msg, Service Host settings, pooling -----------------------------------------

async def test_a_key_from_msg_is_used_when_allowed_and_the_host_has_none(start_runtime, emulator):
    host = service_host(emulator.base_url, key=None)
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET, host=host, allowApiKeyFromMsg=True))
    comms = await rt.comms()
    [msg] = await call(rt, comms, {}, apiKey=EMULATOR_KEY)
    assert msg["payload"]["value"].startswith("ek_") and "apiKey" not in msg
    assert emulator.requests[0]["headers"]["authorization"] == f"Bearer {EMULATOR_KEY}"
    assert EMULATOR_KEY not in json.dumps(comms.messages)


async def test_the_host_key_wins_over_a_key_in_msg(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET, allowApiKeyFromMsg=True))
    comms = await rt.comms()
    await call(rt, comms, {}, apiKey="sk-other-key-123456")
    assert emulator.requests[0]["headers"]["authorization"] == f"Bearer {EMULATOR_KEY}"


async def test_service_host_sends_org_project_and_extra_headers(start_runtime, emulator, monkeypatch):
    monkeypatch.setenv("MY_PROJECT", "proj_env")
    host = service_host(emulator.base_url, organizationId="org_1", projectId="MY_PROJECT", projectIdType="env",
                        headers={"x-team": "voice"})
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET, host=host))
    comms = await rt.comms()
    await call(rt, comms, {})
    headers = emulator.requests[0]["headers"]
    assert (headers["openai-organization"], headers["openai-project"], headers["x-team"]) == (
        "org_1", "proj_env", "voice")


async def test_key_in_a_custom_header_or_the_query(start_runtime, emulator):
    for mode, where in (({"secureApiKeyHeaderOrQueryName": "api-key"}, "header"),
                        ({"secureApiKeyHeaderOrQueryName": "key", "secureApiKeyIsQuery": True}, "query")):
        emulator.requests.clear()
        rt = await start_runtime(openai_flow(emulator.base_url, SECRET, host=service_host(emulator.base_url, **mode)))
        comms = await rt.comms()
        await rt.inject("in", {"payload": {}})
        await outputs(comms, "caught")  # the emulator wants Bearer auth: 401, but the request shows the key
        [req] = emulator.requests
        assert "authorization" not in req["headers"]
        if where == "header":
            assert req["headers"]["api-key"] == EMULATOR_KEY
        else:
            assert req["query"] == {"key": EMULATOR_KEY}


async def test_one_pooled_client_per_service_host_rebuilt_on_change(start_runtime, emulator):
    flows = openai_flow(emulator.base_url, SECRET)
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await call(rt, comms, {}, count=1)
    host = rt.engine.get_node("sh")
    [client] = host._clients.values()
    await call(rt, comms, {}, count=2)
    assert list(host._clients.values()) == [client] and host._transport is client._client
    flows[1] = {**flows[1], "timeout": 30}
    await rt.deploy(flows)
    await call(rt, comms, {}, count=3)
    new_host = rt.engine.get_node("sh")
    assert new_host is not host and host._transport is None
    [new_client] = new_host._clients.values()
    assert new_client is not client and new_client.timeout == 30
