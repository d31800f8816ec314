"""The seed example flow end to end: inject → OpenAI API (createRealtimeClientSecret) → debug,
against the built-in OpenAI emulator, observed over HTTP and /comms as a user would."""
from __future__ import annotations

import json
import time

from conftest import EMULATOR_KEY, FLOWS, REFERENCE, load_flow

INJECT_RT, INJECT_AUDIO = "6e1099b8233f4f6f", "b7fce6b60f312e8a"
OPENAI_NODE, DEBUG_NODE, TAB = "9df67f8a39c32558", "86453bdf02676d9f", "7c28d6f5b81f4cf3"


async def test_both_injects_yield_client_secrets_in_the_sidebar(start_runtime, emulator):
    rt = await start_runtime(load_flow("realtime-client-secret.json"))
    comms = await rt.comms()
    for inject_id, model in ((INJECT_RT, "gpt-realtime-1.5"), (INJECT_AUDIO, "gpt-audio-1.5")):
        before = len(comms.topic("debug"))
        assert await rt.inject(inject_id) == (200, "OK")
        data = (await comms.debug(before + 1, node_id=DEBUG_NODE))[-1]
        assert data["format"] == "Object" and data["path"] == TAB and data["z"] == TAB
        assert data["name"] == "Realtime Client Secret" and "property" not in data
        msg = json.loads(data["msg"])
        payload = msg["payload"]
        assert payload["value"].startswith("ek_")
        assert abs(payload["expires_at"] - (time.time() + 600)) <= 5
        assert payload["session"]["type"] == "realtime"
        assert payload["session"]["model"] == model
        assert msg["ai"]["session"]["model"] == model  # the request stays on the msg
        assert len(msg["_msgid"]) == 16
    statuses = comms.topic(f"status/{OPENAI_NODE}")
    assert {"fill": "blue", "shape": "dot", "text": "OpenaiApi.status.requesting"} in statuses  # the package's key
    assert statuses[-1] == {}


async def test_emulator_received_the_nested_request_with_the_key(start_runtime, emulator):
    rt = await start_runtime(load_flow("realtime-client-secret.json"))
    comms = await rt.comms()
    await rt.inject(INJECT_RT)
    await comms.debug(1, node_id=DEBUG_NODE)
    [req] = emulator.requests
    assert req["method"] == "POST" and req["path"] == "/v1/realtime/client_secrets"
    assert req["headers"]["authorization"] == f"Bearer {EMULATOR_KEY}"
    assert req["body"] == {
        "expires_after": {"anchor": "created_at", "seconds": 600},
        "session": {"type": "realtime", "model": "gpt-realtime-1.5", "output_modalities": ["audio"],
                    "instructions": "Speak clearly and keep responses concise."},
    }
    # same body as the one real Node-RED sent (tests/reference/good_mock_requests.json)
    reference = json.loads((REFERENCE / "good_mock_requests.json").read_text())
    assert req["body"] == reference[0]["body"]


async def test_raw_seed_loads_unchanged_and_reports_missing_service(start_runtime, emulator):
    raw = (FLOWS / "seed-000.json").read_text()
    rt = await start_runtime(raw)
    resp = await rt.http.get(rt.url + "/flows")
    assert await resp.json() == json.loads(raw)
    comms = await rt.comms()
    assert await rt.inject(INJECT_RT) == (200, "OK")
    [err] = await comms.debug(1, node_id=OPENAI_NODE)
    assert err["level"] == 20 and err["type"] == "OpenAI API"
    assert err["msg"] == "OpenAI service host is not configured"
    assert err["format"] == "string[37]" and err["path"] == TAB
    assert emulator.requests == []
    # the runtime keeps serving
    resp = await rt.http.get(rt.url + "/flows/state")
    assert (await resp.json())["state"] == "start"


async def test_bad_key_gives_the_401_message_red_status_and_no_key_leak(start_runtime, emulator, monkeypatch):
    bad_key = "sk-wrong-key-should-never-leak-42"
    monkeypatch.setenv("OPENAI_API_KEY", bad_key)
    rt = await start_runtime(load_flow("realtime-client-secret.json"))
    comms = await rt.comms()
    await rt.inject(INJECT_RT)
    [err] = await comms.debug(1, node_id=OPENAI_NODE)
    assert err["level"] == 20
    assert err["msg"].startswith("401 Incorrect API key provided")  # the package's text
    await comms.wait_for(lambda m: m["topic"] == f"status/{OPENAI_NODE}" and m["data"].get("fill") == "red")
    assert comms.topic(f"status/{OPENAI_NODE}")[-1] == {"fill": "red", "shape": "ring",
                                                        "text": "node-red:common.status.error"}
    everything = json.dumps(comms.messages)
    assert bad_key not in everything
    assert (await rt.inject(INJECT_AUDIO))[0] == 200  # still serving


async def test_unreachable_openai_is_a_connection_error(start_runtime, emulator, monkeypatch):
    from conftest import free_port

    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    flows = load_flow("realtime-client-secret.json")
    rt = await start_runtime(flows)
    # no retries, so the test is quick: the SDK's default would retry twice with back-off
    host = rt.engine.get_node("a11ce5e7a0c0ffee")
    client, _ = host.client({})
    host._clients = {k: c.with_options(max_retries=0) for k, c in host._clients.items()}
    comms = await rt.comms()
    await rt.inject(INJECT_RT)
    [err] = await comms.debug(1, node_id=OPENAI_NODE, timeout=20)
    assert err["msg"] == "Connection error."
