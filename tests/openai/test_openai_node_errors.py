"""Errors of the OpenAI API node as a flow sees them: structured ``msg.error`` at a catch node,
retries as configured, local checks that send nothing, and no API key anywhere."""
from __future__ import annotations

import json
import logging

import pytest
from openai_flows import openai_flow, outputs, service_host

from conftest import EMULATOR_KEY

SECRET = "createRealtimeClientSecret"
GOOD = {"session": {"type": "realtime", "model": "gpt-realtime"}}
ERROR_KEYS = {"message", "status", "type", "code", "param", "request_id", "method", "source"}


async def caught_error(rt, comms, payload=GOOD, timeout: float = 10) -> dict:
    await rt.inject("in", {"payload": payload})
    [msg] = await outputs(comms, "caught", timeout=timeout)
    return msg["error"]


# --- structured msg.error at a catch node ----------------------------------------------------

async def test_400_reaches_the_catch_node_with_openais_details(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET))
    comms = await rt.comms()
    error = await caught_error(rt, comms, {"session": {"type": "voice"}})
    assert set(error) == ERROR_KEYS
    # the package's text (openai-node's APIError message), so Node-RED switch rules keep matching
    assert error["message"] == ("400 Invalid value for 'session.type': 'voice'. "
                                "Supported values are: 'realtime', 'transcription'.")
    assert error["method"] == SECRET
    assert (error["status"], error["type"], error["code"], error["param"]) == (
        400, "invalid_request_error", "invalid_value", "session.type")
    assert error["request_id"].startswith("req_") and error["source"]["id"] == "ai"
    assert comms.topic("status/ai")[-1] == {"fill": "red", "shape": "ring", "text": "node-red:common.status.error"}


async def test_401_is_openais_message_and_the_method_is_a_field(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET,
                                         host=service_host(emulator.base_url, key="sk-wrong-0123456789")))
    comms = await rt.comms()
    error = await caught_error(rt, comms)
    assert error["message"].startswith("401 Incorrect API key provided: sk-")
    assert error["method"] == SECRET
    assert (error["status"], error["code"], error["type"]) == (401, "invalid_api_key", "invalid_request_error")


@pytest.mark.parametrize("status, kind, code", [(429, "requests", "rate_limit_exceeded"),
                                                (500, "server_error", None)])
async def test_429_and_500_reach_the_catch_node(start_runtime, emulator, status, kind, code):
    emulator.fail(status, retry_after=0.01)
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET))
    comms = await rt.comms()
    error = await caught_error(rt, comms)
    assert (error["status"], error["type"], error["code"]) == (status, kind, code)
    assert error["message"].startswith(f"{status} ") and error["method"] == SECRET


async def test_timeout_reaches_the_catch_node(start_runtime, emulator):
    emulator.fail(delay=3)
    host = service_host(emulator.base_url, timeout=0.3)
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET, host=host))
    comms = await rt.comms()
    error = await caught_error(rt, comms)
    assert error["message"] == "Request timed out."  # openai-node's APIConnectionTimeoutError
    assert (error["status"], error["type"], error["code"]) == (None, "timeout", "timeout")


async def test_dropped_connection_is_a_connection_error(start_runtime, emulator):
    emulator.fail("drop", times=2)  # aiohttp itself retries a dropped connection once
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET))
    comms = await rt.comms()
    error = await caught_error(rt, comms)
    assert error["message"] == "Connection error."
    assert error["type"] == "connection_error"


# --- retries ---------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [429, 500, 503])
async def test_retries_on_429_and_5xx_as_configured(start_runtime, emulator, status):
    emulator.fail(status, times=2, retry_after=0.01)
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET, host=service_host(emulator.base_url,
                                                                                        maxRetries=2)))
    comms = await rt.comms()
    await rt.inject("in", {"payload": GOOD})
    [msg] = await outputs(comms, "out")
    assert msg["payload"]["value"].startswith("ek_") and len(emulator.requests) == 3


async def test_retries_stop_at_max_retries(start_runtime, emulator):
    emulator.fail(500, times=10, retry_after=0.01)
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET, host=service_host(emulator.base_url,
                                                                                        maxRetries=1)))
    comms = await rt.comms()
    assert (await caught_error(rt, comms))["status"] == 500
    assert len(emulator.requests) == 2


@pytest.mark.parametrize("payload, key, status", [({"session": {"type": "voice"}}, EMULATOR_KEY, 400),
                                                  (GOOD, "sk-wrong-0123456789", 401)])
async def test_no_retry_on_400_and_401(start_runtime, emulator, payload, key, status):
    host = service_host(emulator.base_url, key=key, maxRetries=3)
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET, host=host))
    comms = await rt.comms()
    assert (await caught_error(rt, comms, payload))["status"] == status
    assert len(emulator.requests) == 1


# --- local checks: an error on the node, nothing sent -----------------------------------------

@pytest.mark.parametrize("ttl", [5, 7201, "9"])
async def test_ttl_outside_10_to_7200_is_rejected_before_any_request(start_runtime, emulator, ttl):
    rt = await start_runtime()
    resp = await rt.deploy(openai_flow(emulator.base_url, SECRET, clientSecretTtl=ttl), expect=400)
    assert f"TTL must be between 10 and 7200 seconds, got {int(ttl)}" in (await resp.json())["message"]
    assert emulator.requests == []


async def test_unknown_method_is_an_error_on_the_node(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, "summonDragon"))
    comms = await rt.comms()
    error = await caught_error(rt, comms)
    assert error["message"] == "Unknown method: 'summonDragon'"
    assert (error["type"], error["code"], error["param"]) == ("invalid_request", "unknown_method", "method")
    assert emulator.requests == []


async def test_missing_path_parameter_is_reported_before_sending(start_runtime, emulator):
    rt = await start_runtime(openai_flow(emulator.base_url, "retrieveFile"))
    comms = await rt.comms()
    error = await caught_error(rt, comms, {})
    assert error["message"] == "retrieveFile: missing required parameter 'file_id'"
    assert error["param"] == "file_id" and emulator.requests == []


@pytest.mark.parametrize("method", [SECRET, "createChatCompletion"])
async def test_a_request_that_is_not_an_object_is_reported_before_sending(start_runtime, emulator, method):
    rt = await start_runtime(openai_flow(emulator.base_url, method))
    comms = await rt.comms()
    error = await caught_error(rt, comms, "make me a secret")
    assert error["message"] == f"{method}: the request must be an object, got str"
    assert error["code"] == "invalid_request_body" and emulator.requests == []


async def test_raw_format_with_a_polling_method_fails_the_deploy(start_runtime, emulator):
    rt = await start_runtime()
    resp = await rt.deploy(openai_flow(emulator.base_url, "createAndPollVectorStoreFile", resultFormat="raw"),
                           expect=400)
    assert "resultFormat raw needs a method answered by one HTTP request" in (await resp.json())["message"]


# --- the API key never shows ------------------------------------------------------------------

@pytest.mark.parametrize("mode", [{}, {"secureApiKeyHeaderOrQueryName": "api-key", "secureApiKeyIsQuery": True},
                                  {"secureApiKeyHeaderOrQueryName": "x-api-key"}])
async def test_a_failing_call_never_shows_the_key(start_runtime, emulator, caplog, mode):
    short_key = "sk-12345"  # OpenAI's error echoes keys of 8 characters or fewer unmasked
    caplog.set_level(logging.DEBUG)
    emulator.fail(500, times=2, retry_after=0.01)
    host = service_host(emulator.base_url, key=short_key, maxRetries=1, **mode)
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET, host=host))
    comms = await rt.comms("#")
    error = await caught_error(rt, comms)
    assert error["status"] == 500
    await rt.inject("in", {"payload": GOOD})  # now reaches authentication
    await outputs(comms, "caught", count=2)
    sent = json.dumps(emulator.requests)
    assert short_key in sent  # the key was really used
    everything = json.dumps(comms.messages) + "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    assert short_key not in everything
    if mode.get("secureApiKeyIsQuery"):  # the transport logs the URL, key redacted
        assert any("api-key=[redacted]" in r.getMessage() for r in caplog.records)


async def test_a_key_in_msg_is_ignored_when_not_allowed(start_runtime, emulator):
    """As the package (node.js never reads msg.apiKey): the host's key is used, msg.apiKey stays."""
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET))
    comms = await rt.comms()
    await rt.inject("in", {"payload": GOOD, "apiKey": "sk-from-the-msg-000"})
    [msg] = await outputs(comms, "out")
    assert msg["payload"]["value"].startswith("ek_") and msg["apiKey"] == "sk-from-the-msg-000"
    [request] = emulator.requests
    assert "sk-from-the-msg-000" not in json.dumps(request)


async def test_a_key_in_msg_never_shows_in_an_error(start_runtime, emulator):
    host = service_host(emulator.base_url, key=None)
    rt = await start_runtime(openai_flow(emulator.base_url, SECRET, host=host, allowApiKeyFromMsg=True))
    comms = await rt.comms()
    await rt.inject("in", {"payload": GOOD, "apiKey": "sk-from-the-msg-000"})
    [msg] = await outputs(comms, "caught")
    assert msg["error"]["status"] == 401 and "apiKey" not in msg
    assert "sk-from-the-msg-000" not in json.dumps(comms.messages)
