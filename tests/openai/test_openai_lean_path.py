"""The OpenAI API node's lean request path (nodes/openai_api/lean.py, passthrough.py) sends what
openai-python's own path sends and keeps its retry rules and errors.

Each comparison makes the same call twice against one recording server on loopback: through a
deployed flow (the node, on the lean path) and through the ``openai`` SDK itself (its own
``AsyncAPIClient.request`` on its aiohttp transport), then compares the requests as received.
Retries and errors are checked against a scripted server and the emulator.
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import openai
import pytest
from aiohttp import web
from openai_flows import openai_flow, outputs, service_host
from openai_recorder import Recorder

from conftest import EMULATOR_KEY, free_port

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "developer", "content": "Be brief."},
                                             {"role": "user", "content": "Say hello"}],
        "temperature": 0.5, "metadata": {"a": "b"}, "unknown_field": [1, 2]}
SECRET = {"session": {"type": "realtime", "model": "gpt-realtime"}, "expires_after": {"anchor": "created_at",
                                                                                       "seconds": 600}}
HOST = {"organizationId": "org-lean", "projectId": "proj-lean", "headers": {"X-Custom": "custom-value"},
        "timeout": 42, "maxRetries": 0}
TRANSPORT_HEADERS = {"host", "content-length", "accept-encoding", "connection", "x-stainless-raw-response"}
"""Headers the HTTP library adds (httpx or aiohttp) or the SDK uses as a marker for its raw
wrapper: not part of the API request."""


async def _sdk_call(base_url: str, method: str) -> None:
    """The same call through openai-python's own request path."""
    client = openai.AsyncOpenAI(api_key=EMULATOR_KEY, base_url=base_url, organization="org-lean",
                                project="proj-lean", default_headers={"X-Custom": "custom-value"}, timeout=42.0,
                                max_retries=0, http_client=openai.DefaultAioHttpClient())
    try:
        if method == "createChatCompletion":
            body = dict(CHAT)
            extra = {"unknown_field": body.pop("unknown_field")}
            await client.chat.completions.create(**body, extra_body=extra)
        elif method == "createRealtimeClientSecret":
            await client.realtime.client_secrets.create(**SECRET)
        else:
            await client.models.retrieve("gpt-4o")
    finally:
        await client.close()


def _headers(request: dict) -> dict[str, str]:
    return {k.lower(): v for k, v in request["headers"].items() if k.lower() not in TRANSPORT_HEADERS}


@pytest.mark.parametrize("method, payload", [("createChatCompletion", CHAT),
                                             ("createRealtimeClientSecret", SECRET),
                                             ("retrieveModel", {"model": "gpt-4o"})])
async def test_the_node_sends_what_the_sdk_sends(start_runtime, method, payload):
    recorder = await Recorder().start()
    try:
        rt = await start_runtime(openai_flow(recorder.base_url, method, host=service_host(recorder.base_url,
                                                                                          **HOST)))
        comms = await rt.comms()
        await rt.inject("in", {"payload": payload})
        [msg] = await outputs(comms, "out")
        assert msg["payload"]["id"] == "obj_1"
        await _sdk_call(recorder.base_url, method)
        node, sdk = recorder.requests
    finally:
        await recorder.stop()
    for key in ("method", "path", "query", "content_type", "body"):
        assert node[key] == sdk[key], key
    assert _headers(node) == _headers(sdk)
    headers = _headers(node)
    assert headers["authorization"] == f"Bearer {EMULATOR_KEY}"
    assert (headers["openai-organization"], headers["openai-project"], headers["x-custom"]) == (
        "org-lean", "proj-lean", "custom-value")
    assert headers["user-agent"] == f"AsyncOpenAI/Python {openai.__version__}"
    assert headers["x-stainless-lang"] == "python" and headers["x-stainless-retry-count"] == "0"
    assert headers["x-stainless-read-timeout"] == "42.0"


class Scripted:
    """A loopback server answering each request with the next ``(status, headers, body)`` of
    ``script`` (the last one repeats); ``seen`` holds each request's arrival time and headers."""

    def __init__(self, script: list[tuple[int, dict[str, str], Any]]) -> None:
        self.script = script
        self.seen: list[tuple[float, dict[str, str]]] = []
        self.runner: web.AppRunner | None = None
        self.base_url = ""

    async def __aenter__(self) -> "Scripted":
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/v1"
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.runner.cleanup()

    async def _answer(self, request: web.Request) -> web.Response:
        await request.read()
        self.seen.append((time.monotonic(), dict(request.headers)))
        status, headers, body = self.script[min(len(self.seen), len(self.script)) - 1]
        if isinstance(body, (dict, list)):
            return web.json_response(body, status=status, headers=headers)
        return web.Response(status=status, headers=headers, text=body or None)


OK = (200, {}, {"id": "chatcmpl-1", "object": "chat.completion", "choices": []})
RATE_LIMITED = {"error": {"message": "Slow down.", "type": "requests", "code": "rate_limit_exceeded",
                          "param": None}}


@pytest.mark.parametrize("method, payload", [("createChatCompletion", CHAT), ("createRealtimeClientSecret", SECRET)])
async def test_retry_after_is_honoured_and_counted_in_the_headers(start_runtime, method, payload):
    script = [(429, {"retry-after-ms": "400"}, RATE_LIMITED), (503, {"retry-after": "0.05"}, "busy"), OK]
    async with Scripted(script) as server:
        rt = await start_runtime(openai_flow(server.base_url, method,
                                             host=service_host(server.base_url, maxRetries=2)))
        comms = await rt.comms()
        await rt.inject("in", {"payload": payload})
        [msg] = await outputs(comms, "out")
    assert msg["payload"]["id"] == "chatcmpl-1"
    times = [t for t, _ in server.seen]
    assert len(times) == 3 and times[1] - times[0] >= 0.35  # retry-after-ms: 400 was waited for
    assert [h["x-stainless-retry-count"] for _, h in server.seen] == ["0", "1", "2"]


@pytest.mark.parametrize("script, attempts, status", [
    ([(503, {"x-should-retry": "false"}, "no"), OK], 1, 503),    # the server says no: no retry
    ([(400, {"x-should-retry": "true"}, {"error": {"message": "again"}}), OK], 2, None),  # says yes
    ([(409, {}, "conflict"), OK], 2, None),                      # 409 lock timeout: retried
    ([(404, {}, {"error": {"message": "gone"}}), OK], 1, 404),   # 404: not retried
    ([(500, {"retry-after": "1000"}, "later"), OK], 1, 500),     # asks for more than the SDK waits
])
async def test_the_sdks_retry_rules_decide(start_runtime, script, attempts, status):
    async with Scripted(script) as server:
        rt = await start_runtime(openai_flow(server.base_url, "createChatCompletion",
                                             host=service_host(server.base_url, maxRetries=2)))
        comms = await rt.comms()
        await rt.inject("in", {"payload": CHAT})
        [msg] = await outputs(comms, "caught" if status else "out")
    assert len(server.seen) == attempts
    if status:
        assert msg["error"]["status"] == status


async def test_retries_on_the_emulators_429_for_chat(start_runtime, emulator):
    emulator.fail(429, times=2, retry_after=0.01, path="/chat/completions")
    rt = await start_runtime(openai_flow(emulator.base_url, "createChatCompletion",
                                         host=service_host(emulator.base_url, maxRetries=2)))
    comms = await rt.comms()
    await rt.inject("in", {"payload": CHAT})
    [msg] = await outputs(comms, "out")
    assert msg["payload"]["object"] == "chat.completion"
    assert msg["payload"]["choices"][0]["message"]["content"] == "Say hello"
    assert [r["headers"].get("x-stainless-retry-count") for r in emulator.requests] == ["0", "1", "2"]


ERRORS = [
    (400, {"x-request-id": "req_lean"}, {"error": {"message": "Bad 'messages'.", "type": "invalid_request_error",
                                                   "code": "invalid_value", "param": "messages"}}),
    (401, {}, {"error": {"message": "Incorrect API key provided: sk-x.", "type": "invalid_request_error",
                         "code": "invalid_api_key", "param": None}}),
    (404, {}, ""),
    (422, {}, "plain text failure"),
    (500, {}, {"error": {"message": {"nested": "object"}}}),
]


@pytest.mark.parametrize("status, headers, body", ERRORS)
async def test_errors_read_as_on_the_sdks_own_path(status, headers, body):
    from flowred.nodes.openai_api.calls import run
    from flowred.nodes.openai_api.catalog import METHODS
    from flowred.nodes.openai_api.errors import api_error
    from flowred.nodes.openai_api.service_host import build_client

    raised = []
    async with Scripted([(status, headers, body)]) as server:
        lean, transport = build_client(EMULATOR_KEY, server.base_url, timeout=30, max_retries=0)
        sdk = openai.AsyncOpenAI(api_key=EMULATOR_KEY, base_url=server.base_url, max_retries=0,
                                 http_client=openai.DefaultAioHttpClient())
        sdk_body = {k: v for k, v in CHAT.items() if k != "unknown_field"}
        for call in (_drain(run(lean, METHODS["createChatCompletion"], CHAT)),
                     sdk.chat.completions.create(**sdk_body, extra_body={"unknown_field": CHAT["unknown_field"]})):
            with pytest.raises(openai.APIStatusError) as info:
                await call
            raised.append(info.value)
        await transport.aclose()
        await sdk.close()
    lean_exc, sdk_exc = raised
    assert type(lean_exc) is type(sdk_exc)
    assert (str(lean_exc), lean_exc.status_code, lean_exc.body, lean_exc.request_id) == (
        str(sdk_exc), sdk_exc.status_code, sdk_exc.body, sdk_exc.request_id)
    node_error, sdk_error = api_error("m", lean_exc), api_error("m", sdk_exc)
    assert (str(node_error), node_error.details) == (str(sdk_error), sdk_error.details)


async def test_refused_connections_and_timeouts_read_as_on_the_sdks_own_path():
    from flowred.nodes.openai_api.calls import run
    from flowred.nodes.openai_api.catalog import METHODS
    from flowred.nodes.openai_api.errors import api_error
    from flowred.nodes.openai_api.service_host import build_client

    closed = f"http://127.0.0.1:{free_port()}/v1"
    slow = web.Application()

    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({})

    slow.router.add_route("*", "/{tail:.*}", hang)
    runner = web.AppRunner(slow, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    slow_url = f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
    texts = {}
    try:
        for base, kind in ((closed, "refused"), (slow_url, "timeout")):
            lean, transport = build_client(EMULATOR_KEY, base, timeout=0.3, max_retries=0)
            sdk = openai.AsyncOpenAI(api_key=EMULATOR_KEY, base_url=base, max_retries=0, timeout=0.3,
                                     http_client=openai.DefaultAioHttpClient())
            for name, call in (("lean", _drain(run(lean, METHODS["createRealtimeClientSecret"], SECRET))),
                               ("sdk", sdk.realtime.client_secrets.create(**SECRET))):
                with pytest.raises(openai.APIConnectionError) as info:
                    await call
                error = api_error("m", info.value)
                texts[kind, name] = (type(info.value).__name__, str(error), error.details["type"])
            await transport.aclose()
            await sdk.close()
    finally:
        await runner.cleanup()
    # the SDK's aiohttp transport maps a refused connection to a connect timeout; the node reads it
    # as the connection error it is (errors._refused), on both paths
    assert texts["refused", "lean"] == texts["refused", "sdk"] == (
        "APITimeoutError", "Connection error.", "connection_error")
    assert texts["timeout", "lean"] == texts["timeout", "sdk"] == ("APITimeoutError", "Request timed out.", "timeout")


async def _drain(pairs) -> list:
    return [pair async for pair in pairs]


# --- the JSON pass-through (passthrough.py) ---------------------------------------------------

def test_the_chat_params_type_renames_no_key_so_the_request_goes_as_it_is():
    from openai._utils._transform import transform
    from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming

    from flowred.nodes.openai_api.catalog import METHODS
    from flowred.nodes.openai_api.passthrough import has_alias, json_body_ready

    params = METHODS["createChatCompletion"].json_body
    assert params and json_body_ready(params)
    assert not has_alias(CompletionCreateParamsNonStreaming)
    request = json.loads(json.dumps({**CHAT, "tools": [{"type": "function", "function": {
        "name": "f", "parameters": {"type": "object"}}}], "response_format": {"type": "json_object"}}))
    assert transform(request, CompletionCreateParamsNonStreaming) == request


def test_a_type_that_renames_a_key_keeps_the_sdks_path():
    from openai.types.beta.agent_create_params import AgentCreateParams

    from flowred.nodes.openai_api.passthrough import has_alias, json_body_ready

    assert has_alias(AgentCreateParams)  # Compaction.async_ is sent as "async"
    assert json_body_ready("openai.types.beta.agent_create_params:AgentCreateParams") is False
    assert json_body_ready("openai.types.no_such_module:Params") is False
