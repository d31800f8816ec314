"""The OpenAI API example flows (flows/openai-*.json) end to end: each is deployed as shipped,
each inject is fired over HTTP and the debug msgs arrive over /comms, against the built-in
OpenAI emulator, as a user running ``flowred run --openai-emulator`` would see them."""
from __future__ import annotations

import base64
import json
import struct

import pytest

from conftest import load_flow

EXAMPLES = ("openai-chat.json", "openai-responses-stream.json", "openai-embeddings.json", "openai-files.json",
            "openai-images.json")


def by_name(flow: list[dict], type_: str, name: str) -> str:
    """The id of the one node of ``type_`` named ``name``."""
    [node] = [n for n in flow if n["type"] == type_ and n.get("name") == name]
    return node["id"]


async def fire(rt, comms, flow: list[dict], inject: str, debug: str, count: int = 1) -> list[dict]:
    """Fires the inject named ``inject``; returns the msgs the debug node named ``debug`` showed
    (``count`` new ones, parsed), after checking the inject was accepted."""
    debug_id = by_name(flow, "debug", debug)
    before = len([d for d in comms.topic("debug") if d.get("id") == debug_id])
    assert await rt.inject(by_name(flow, "inject", inject)) == (200, "OK")
    shown = (await comms.debug(before + count, node_id=debug_id, timeout=20))[before:]
    return [json.loads(d["msg"]) if d["format"].startswith(("Object", "array")) else d["msg"] for d in shown]


@pytest.mark.parametrize("name", EXAMPLES)
async def test_example_shape_service_host_from_env_and_help(name):
    flow = load_flow(name)
    ids = [n["id"] for n in flow]
    assert len(ids) == len(set(ids))
    [host] = [n for n in flow if n["type"] == "Service Host"]
    assert (host["apiBase"], host["apiBaseType"]) == ("OPENAI_BASE_URL", "env")
    assert (host["secureApiKeyValueRef"], host["secureApiKeyValueType"]) == ("OPENAI_API_KEY", "env")
    apis = [n for n in flow if n["type"] == "OpenAI API"]
    assert apis and all(n["service"] == host["id"] for n in apis)
    kinds = {n["type"] for n in flow}
    assert {"tab", "inject", "debug", "comment"} <= kinds
    assert any("api.openai.com" in n.get("info", "") for n in flow if n["type"] == "comment")


def test_examples_ids_do_not_collide():
    seen: dict[str, str] = {}
    for name in EXAMPLES:
        for node in load_flow(name):
            assert node["id"] not in seen, (name, seen.get(node["id"]))
            seen[node["id"]] = name
    others = {n["id"] for f in ("realtime-client-secret.json", "realtime-token-server.json") for n in load_flow(f)}
    assert not others & set(seen)


async def test_examples_are_listed_by_name(start_runtime):
    rt = await start_runtime([])
    listed = {e["file"]: e["name"] for e in await (await rt.http.get(rt.url + "/flows/examples")).json()}
    for name in EXAMPLES:
        assert listed[name] == load_flow(name)[0]["label"]
        served = await (await rt.http.get(f"{rt.url}/flows/examples/{name}")).json()
        assert served == load_flow(name)


async def test_chat_answers_with_a_completion_and_its_text(start_runtime, emulator):
    flow = load_flow("openai-chat.json")
    rt = await start_runtime(flow)
    comms = await rt.comms()
    [completion] = await fire(rt, comms, flow, "Ask a question", "Chat completion")
    assert completion["object"] == "chat.completion"
    content = completion["choices"][0]["message"]["content"]
    assert isinstance(content, str) and content
    [answer] = await fire(rt, comms, flow, "Ask a question", "Answer text")
    assert answer == "What is a flow-based programming tool good for?"  # the emulator echoes the user
    [req, _] = emulator.requests
    assert req["path"] == "/v1/chat/completions" and req["body"]["model"] == "gpt-4o-mini"
    assert [m["role"] for m in req["body"]["messages"]] == ["developer", "user"]


async def test_responses_stream_sends_one_msg_per_event_and_the_deltas(start_runtime, emulator):
    flow = load_flow("openai-responses-stream.json")
    rt = await start_runtime(flow)
    comms = await rt.comms()
    words = "Describe a flow that streams words one at a time".split()
    events = 4 + len(words) + 4  # created, in_progress, item added, part added, deltas, 4 "done"s
    shown = await fire(rt, comms, flow, "Stream a response", "Stream events", count=events)
    await comms.debug(len(words), node_id=by_name(flow, "debug", "Text delta"), timeout=20)
    types = [e["type"] for e in shown]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert types.count("response.output_text.delta") == len(words)
    assert [e["sequence_number"] for e in shown] == list(range(events))
    final = shown[-1]["response"]
    assert final["status"] == "completed"
    assert final["output"][0]["content"][0]["text"] == " ".join(words)
    deltas = [d["msg"] for d in comms.topic("debug") if d["id"] == by_name(flow, "debug", "Text delta")]
    assert "".join(deltas) == " ".join(words)
    [req] = emulator.requests
    assert req["path"] == "/v1/responses" and req["body"]["stream"] is True


async def test_embeddings_give_a_vector_of_numbers_per_input(start_runtime, emulator):
    flow = load_flow("openai-embeddings.json")
    rt = await start_runtime(flow)
    comms = await rt.comms()
    [one] = await fire(rt, comms, flow, "Embed one text", "Embeddings")
    assert len(one) == 1 and one[0]["object"] == "embedding"
    vector = one[0]["embedding"]
    assert vector and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vector)
    [two] = await fire(rt, comms, flow, "Embed two texts", "Embeddings")
    assert [e["index"] for e in two] == [0, 1]
    assert all(len(e["embedding"]) == 16 for e in two)  # the inject's "dimensions"
    assert two[0]["embedding"] != two[1]["embedding"]


async def test_files_upload_then_list_includes_it(start_runtime, emulator):
    flow = load_flow("openai-files.json")
    rt = await start_runtime(flow)
    comms = await rt.comms()
    [created] = await fire(rt, comms, flow, "1. Upload a file", "Uploaded file")
    assert created["id"].startswith("file-") and created["filename"] == "notes.jsonl"
    assert created["purpose"] == "user_data"
    inject = next(n for n in flow if n.get("name") == "1. Upload a file")
    sent = base64.b64decode(json.loads(inject["payload"])["file"]["data"])
    assert created["bytes"] == len(sent)
    [listed] = await fire(rt, comms, flow, "2. List files", "Files")
    assert isinstance(listed, list)
    assert created["id"] in [f["id"] for f in listed]
    upload = next(r for r in emulator.requests if r["method"] == "POST")
    assert sent.decode() in upload["body_raw"]


async def test_images_give_a_png_as_base64(start_runtime, emulator):
    flow = load_flow("openai-images.json")
    rt = await start_runtime(flow)
    comms = await rt.comms()
    [data] = await fire(rt, comms, flow, "Generate an image", "Generated image")
    assert len(data) == 1 and ("b64_json" in data[0] or "url" in data[0])
    png = base64.b64decode(data[0]["b64_json"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", png[16:24]) == (1024, 1024)  # IHDR: the inject's "size"
    [req] = emulator.requests
    assert req["path"] == "/v1/images/generations" and req["body"]["model"] == "gpt-image-1"
