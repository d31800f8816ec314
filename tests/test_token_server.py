"""The example token server (flows/realtime-token-server.json): http in → change → OpenAI API
(createRealtimeClientSecret) → change → http response, with a catch path answering 502."""
from __future__ import annotations

import time

from conftest import load_flow


async def test_a_post_gets_a_client_secret_for_the_requested_model(start_runtime, emulator):
    rt = await start_runtime(load_flow("realtime-token-server.json"))
    resp = await rt.http.post(rt.url + "/realtime/token", json={"model": "gpt-realtime-mini"})
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("application/json")
    assert resp.headers["Cache-Control"] == "no-store"
    body = await resp.json()
    assert set(body) == {"value", "expires_at"} and body["value"].startswith("ek_")
    assert abs(body["expires_at"] - (time.time() + 600)) <= 5
    [sent] = emulator.requests
    assert sent["body"] == {"expires_after": {"anchor": "created_at", "seconds": 600},
                            "session": {"type": "realtime", "model": "gpt-realtime-mini"}}


async def test_without_a_body_the_default_model_is_used(start_runtime, emulator):
    rt = await start_runtime(load_flow("realtime-token-server.json"))
    resp = await rt.http.post(rt.url + "/realtime/token")
    assert resp.status == 200
    assert emulator.requests[-1]["body"]["session"]["model"] == "gpt-realtime"


async def test_an_openai_error_answers_502_with_the_error_and_never_the_key(start_runtime, emulator, monkeypatch):
    bad_key = "sk-not-the-right-key-0000"
    monkeypatch.setenv("OPENAI_API_KEY", bad_key)
    rt = await start_runtime(load_flow("realtime-token-server.json"))
    resp = await rt.http.post(rt.url + "/realtime/token", json={"model": "gpt-realtime"})
    assert resp.status == 502
    body = await resp.json()
    assert body["error"]["status"] == 401 and body["error"]["code"] == "invalid_api_key"
    assert body["error"]["message"].startswith("401 Incorrect API key provided")
    assert bad_key not in await resp.text()
