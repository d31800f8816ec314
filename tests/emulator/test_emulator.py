"""The OpenAI emulator driven from outside: the real ``openai`` SDK (and plain HTTP where the SDK
cannot express the request) against ``start_emulator(port=0)``."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from typing import Any

import aiohttp
import openai
import pytest

from flowred.openai_emulator import Emulator, start_emulator

from conftest import EMULATOR_KEY, REFERENCE, free_port

SECRET_REQUEST = {
    "expires_after": {"anchor": "created_at", "seconds": 600},
    "session": {"type": "realtime", "model": "gpt-realtime-1.5", "output_modalities": ["audio"],
                "instructions": "Speak clearly and keep responses concise."},
}


def reference_session() -> dict[str, Any]:
    """The session real OpenAI returned for SECRET_REQUEST (tests/reference/good_comms_debug.json)."""
    frames = json.loads((REFERENCE / "good_comms_debug.json").read_text())
    return json.loads(frames[0]["msg"])["payload"]["session"]


@pytest.fixture
async def client(emulator: Emulator):
    async with openai.AsyncOpenAI(base_url=emulator.base_url, api_key=EMULATOR_KEY, max_retries=0) as c:
        yield c


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def create_secret(client: openai.AsyncOpenAI, body: dict[str, Any], **headers: str) -> Any:
    return await client.post("/realtime/client_secrets", body=body, cast_to=object,
                             options={"headers": headers})


# --- success ---------------------------------------------------------------------------------

async def test_sdk_resource_creates_a_client_secret(client):
    if not hasattr(client.realtime, "client_secrets"):
        pytest.skip("the installed openai SDK has no client.realtime.client_secrets")
    secret = await client.realtime.client_secrets.create(**SECRET_REQUEST)
    assert secret.value.startswith("ek_emulator_") and len(secret.value) == len("ek_emulator_") + 32
    assert abs(secret.expires_at - (time.time() + 600)) <= 5
    assert secret.session.type == "realtime"
    assert secret.session.model == "gpt-realtime-1.5"
    assert secret.session.audio.output.voice == "alloy"


async def test_session_echoes_the_request_over_openais_defaults(client):
    body = await create_secret(client, SECRET_REQUEST)
    assert list(body) == ["value", "expires_at", "session"]
    session, reference = body["session"], reference_session()
    assert list(session) == list(reference)  # same keys, same order
    assert session["id"].startswith("sess_")
    assert {k: v for k, v in session.items() if k != "id"} == {k: v for k, v in reference.items() if k != "id"}


async def test_expiry_follows_expires_after_and_defaults_to_600_seconds(client):
    short = await create_secret(client, {"expires_after": {"anchor": "created_at", "seconds": 10}})
    assert abs(short["expires_at"] - (time.time() + 10)) <= 5
    default = await create_secret(client, {})
    assert abs(default["expires_at"] - (time.time() + 600)) <= 5
    assert default["session"]["type"] == "realtime" and default["session"]["model"] == "gpt-realtime"


async def test_nested_settings_are_merged_with_defaults(client):
    body = await create_secret(client, {"session": {
        "type": "realtime",
        "audio": {"input": {"turn_detection": {"type": "semantic_vad", "eagerness": "high"}},
                  "output": {"voice": "marin", "speed": 1.25}},
        "tools": [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}],
        "tracing": "auto",
    }})
    audio = body["session"]["audio"]
    assert audio["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert audio["input"]["turn_detection"] == {"type": "semantic_vad", "eagerness": "high",
                                                "create_response": True, "interrupt_response": True}
    assert audio["output"] == {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin", "speed": 1.25}
    assert body["session"]["tools"][0]["name"] == "lookup"
    assert body["session"]["tracing"] == "auto"


async def test_transcription_session(client):
    body = await create_secret(client, {"session": {
        "type": "transcription", "audio": {"input": {"transcription": {"model": "whisper-1"}}}}})
    session = body["session"]
    assert session["type"] == "transcription" and session["object"] == "realtime.transcription_session"
    assert session["id"].startswith("sess_")
    assert session["audio"]["input"]["transcription"]["model"] == "whisper-1"
    assert "model" not in session and "output" not in session["audio"]


async def test_any_key_is_accepted_without_configured_keys():
    emu = await start_emulator(port=0)
    try:
        async with openai.AsyncOpenAI(base_url=emu.base_url, api_key="anything", max_retries=0) as c:
            body = await create_secret(c, {})
        assert body["value"].startswith("ek_emulator_")
    finally:
        await emu.stop()


# --- recording -------------------------------------------------------------------------------

async def test_requests_are_recorded_like_the_reference_recording(client, emulator):
    await create_secret(client, SECRET_REQUEST)
    [req] = emulator.requests
    reference = json.loads((REFERENCE / "good_mock_requests.json").read_text())[0]
    assert list(req) == list(reference)
    assert req["method"] == "POST" and req["path"] == "/v1/realtime/client_secrets" and req["query"] == {}
    assert req["headers"]["authorization"] == f"Bearer {EMULATOR_KEY}"
    assert all(name == name.lower() for name in req["headers"])
    assert req["body"] == reference["body"] and json.loads(req["body_raw"]) == req["body"]


async def test_recorded_requests_can_be_listed_and_cleared_over_http(client, emulator, http):
    await create_secret(client, SECRET_REQUEST)
    url = f"http://127.0.0.1:{emulator.port}/__emulator/requests"
    resp = await http.get(url)
    assert resp.status == 200
    [req] = await resp.json()
    assert req["path"] == "/v1/realtime/client_secrets" and req["body"] == SECRET_REQUEST
    resp = await http.delete(url)
    assert resp.status == 204
    assert await (await http.get(url)).json() == []
    assert emulator.requests == []


# --- authentication --------------------------------------------------------------------------

@pytest.mark.parametrize("key, shown", [
    ("sk-wrong-key-should-never-leak-42", "sk-" + "*" * 26 + "k-42"),
    ("bad", "bad"),
])
async def test_wrong_key_is_openais_401_without_the_key(emulator, key, shown):
    async with openai.AsyncOpenAI(base_url=emulator.base_url, api_key=key, max_retries=0) as c:
        with pytest.raises(openai.AuthenticationError) as caught:
            await create_secret(c, SECRET_REQUEST)
    err = caught.value
    assert err.status_code == 401 and err.code == "invalid_api_key" and err.type == "invalid_request_error"
    assert f"Incorrect API key provided: {shown}. You can find your API key at" in err.message
    if len(key) > 8:
        assert key not in err.message


async def test_missing_key_is_openais_401(emulator, http):
    resp = await http.post(emulator.base_url + "/realtime/client_secrets", json=SECRET_REQUEST)
    assert resp.status == 401
    error = (await resp.json())["error"]
    assert error["message"].startswith("You didn't provide an API key. You need to provide your API key "
                                       "in an Authorization header using Bearer auth")
    assert error["type"] == "invalid_request_error" and error["param"] is None and error["code"] is None


# --- validation ------------------------------------------------------------------------------

@pytest.mark.parametrize("body, message, param, code", [
    ({"session": {"type": "realtime", "foo": 1}},
     "Unknown parameter: 'session.foo'.", "session.foo", "unknown_parameter"),
    ({"session": {"model": "gpt-realtime"}},
     "Missing required parameter: 'session.type'.", "session.type", "missing_required_parameter"),
    ({"session": {"type": "realtime", "audio": {"output": {"speed": "fast"}}}},
     "Invalid type for 'session.audio.output.speed': expected a decimal, but got a string instead.",
     "session.audio.output.speed", "invalid_type"),
    ({"session": {"type": "realtime", "audio": {"output": {"speed": 3}}}},
     "Invalid value for 'session.audio.output.speed': input should be less than or equal to 1.5, "
     "but got 3 instead.", "session.audio.output.speed", "invalid_value"),
    ({"session": {"type": "realtime", "tools": [{"type": "mcp"}]}},
     "Missing required parameter: 'session.tools[0].server_label'.", "session.tools[0].server_label",
     "missing_required_parameter"),
    ({"session": {"type": "voice"}},
     "Invalid value for 'session.type': 'voice'. Supported values are: 'realtime', 'transcription'.",
     "session.type", "invalid_value"),
])
async def test_invalid_parameters_are_openais_400(client, body, message, param, code):
    with pytest.raises(openai.BadRequestError) as caught:
        await create_secret(client, body)
    err = caught.value
    assert err.status_code == 400 and err.type == "invalid_request_error"
    assert (err.body["message"], err.param, err.code) == (message, param, code)


@pytest.mark.parametrize("seconds", [5, 9000])
async def test_expiry_outside_10_to_7200_seconds_is_rejected(client, seconds):
    with pytest.raises(openai.BadRequestError) as caught:
        await create_secret(client, {"expires_after": {"anchor": "created_at", "seconds": seconds}})
    assert caught.value.param == "expires_after.seconds" and caught.value.code == "invalid_value"


async def test_unparseable_json_is_a_400(emulator, http):
    resp = await http.post(emulator.base_url + "/realtime/client_secrets", data="{not json",
                           headers={"Authorization": f"Bearer {EMULATOR_KEY}", "Content-Type": "application/json"})
    assert resp.status == 400
    error = (await resp.json())["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("We could not parse the JSON body of your request.")
    assert emulator.requests[-1]["body_raw"] == "{not json" and emulator.requests[-1]["body"] is None


# --- forced errors, unknown paths, request ids -----------------------------------------------

async def test_forced_429_is_a_rate_limit_error(client):
    with pytest.raises(openai.RateLimitError) as caught:
        await create_secret(client, SECRET_REQUEST, **{"x-emulator-status": "429"})
    err = caught.value
    assert err.type == "requests" and err.code == "rate_limit_exceeded"
    assert err.message.startswith("Error code: 429") and "Rate limit reached" in err.message
    assert err.request_id.startswith("req_")


@pytest.mark.parametrize("status", ["500", "503"])
async def test_forced_5xx_is_a_server_error(client, status):
    with pytest.raises(openai.InternalServerError) as caught:
        await create_secret(client, SECRET_REQUEST, **{"x-emulator-status": status})
    err = caught.value
    assert err.status_code == int(status) and err.type == "server_error"
    assert err.body["message"] == "The server had an error while processing your request. Sorry about that!"


async def test_forced_delay(client):
    started = time.monotonic()
    await create_secret(client, SECRET_REQUEST, **{"x-emulator-delay": "0.3"})
    assert time.monotonic() - started >= 0.3


async def test_unknown_path_is_openais_404(client):
    with pytest.raises(openai.NotFoundError) as caught:
        await client.post("/x", body={}, cast_to=object)
    err = caught.value
    assert err.body == {"message": "Invalid URL (POST /v1/x)", "type": "invalid_request_error",
                        "param": None, "code": None}
    assert err.request_id.startswith("req_")


async def test_every_response_has_a_request_id(emulator, http):
    auth = {"Authorization": f"Bearer {EMULATOR_KEY}"}
    responses = [
        await http.post(emulator.base_url + "/realtime/client_secrets", json={}, headers=auth),
        await http.post(emulator.base_url + "/realtime/client_secrets", json={}),
        await http.get(emulator.base_url + "/no-such-endpoint", headers=auth),
        await http.get(f"http://127.0.0.1:{emulator.port}/__emulator/requests"),
    ]
    assert [r.status for r in responses] == [200, 401, 404, 200]
    ids = {r.headers["x-request-id"] for r in responses}
    assert len(ids) == 4 and all(i.startswith("req_") for i in ids)


# --- legacy endpoints ------------------------------------------------------------------------

async def test_legacy_session_returns_the_session_with_a_client_secret(client):
    body = await client.post("/realtime/sessions", cast_to=object,
                             body={"model": "gpt-4o-realtime-preview", "voice": "verse", "modalities": ["text"],
                                   "custom_setting": 1})
    assert body["object"] == "realtime.session" and body["id"].startswith("sess_")
    assert body["voice"] == "verse" and body["modalities"] == ["text"] and body["custom_setting"] == 1
    assert body["turn_detection"]["type"] == "server_vad" and body["tool_choice"] == "auto"
    assert body["client_secret"]["value"].startswith("ek_emulator_")
    assert abs(body["client_secret"]["expires_at"] - (time.time() + 60)) <= 5


async def test_legacy_transcription_session(client):
    body = await client.post("/realtime/transcription_sessions", cast_to=object,
                             body={"input_audio_transcription": {"model": "gpt-4o-transcribe"}})
    assert body["object"] == "realtime.transcription_session"
    assert body["input_audio_transcription"] == {"model": "gpt-4o-transcribe"}
    assert body["input_audio_format"] == "pcm16"
    assert body["client_secret"]["value"].startswith("ek_emulator_")


async def test_legacy_endpoints_need_a_valid_key(emulator):
    async with openai.AsyncOpenAI(base_url=emulator.base_url, api_key="sk-not-the-right-key", max_retries=0) as c:
        with pytest.raises(openai.AuthenticationError):
            await c.post("/realtime/sessions", body={}, cast_to=object)


# --- command line ----------------------------------------------------------------------------

async def test_command_line_serves_until_interrupted():
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "flowred.openai_emulator", "--port", str(port), "--api-key", "sk-cli",
        stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert line.decode().strip() == f"OpenAI emulator listening on http://127.0.0.1:{port}/v1"
        async with openai.AsyncOpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-cli",
                                      max_retries=0) as c:
            assert (await create_secret(c, {}))["value"].startswith("ek_emulator_")
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
