"""``manageModelResponseWebSocket``: the package's Responses websocket example runs on FlowRed
against the emulator and shows, msg for msg, what Node-RED 5.0.7 with the package showed
against the same emulator (responses_websocket_results.json, written by
record_responses_websocket.py): the acknowledgements of connect / send / close, every server
event with its ``msg.openai``, the node's status, the errors' texts, and the close frames the
server received (the node's own, and 1000 "Node-RED node closed" on a redeploy). Then the
session's behaviour directly: outputs, several connections, auth routing, close codes, a server
that goes away, a handshake that never ends, a server event that is not JSON.

The tests skip without the package tarball (see responses_websocket_flows.PACKAGE).
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import web
from openai_flows import openai_flow, outputs, service_host
from responses_websocket_flows import (
    API,
    CAUGHT,
    CLOSE,
    CONNECT,
    DEBUG,
    ERROR_STEPS,
    PACKAGE,
    RESULTS,
    SEND,
    completes_send,
    errors_flow,
    sidebar,
    wired,
)

from conftest import EMULATOR_KEY, free_port

pytestmark = pytest.mark.skipif(not PACKAGE.is_file(), reason=f"the package tarball {PACKAGE} is not here")
RECORDED = json.loads(RESULTS.read_text())
WAIT = 30  # seconds; generous, the machine is shared


def entries(comms) -> list[dict]:
    return [sidebar(m["data"]) for m in comms.messages if m["topic"] == "debug"]


def statuses(comms, node_id: str) -> list[dict]:
    return [{k: v for k, v in s.items() if k in ("fill", "shape", "text")} for s in comms.topic(f"status/{node_id}")]


def closes(emulator) -> list[Any]:
    return [r["body"] for r in emulator.requests if r["method"] == "WS_CLOSE"]


async def press(rt, comms, inject: str, done=lambda new: len(new) >= 1) -> list[dict]:
    """Presses ``inject`` and returns the sidebar entries it gave once ``done(entries)``."""
    seen = len(entries(comms))
    status, _ = await rt.inject(inject)
    assert status == 200
    await comms.wait_for(lambda m: m["topic"] == "debug" and done(entries(comms)[seen:]), timeout=WAIT)
    return entries(comms)[seen:]


def sent(new: list[dict]) -> bool:
    return any(completes_send(e) for e in new)


async def wait_until(predicate, timeout: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.05)


# --- the package's example, as Node-RED ran it ------------------------------------------------

async def test_the_example_flow_gives_the_msgs_node_red_gave(start_runtime, emulator):
    rt = await start_runtime(wired(emulator.base_url))
    comms = await rt.comms()
    await press(rt, comms, CONNECT)
    new = await press(rt, comms, SEND, sent)
    assert new[0]["msg"]["payload"]["object"] == "response.websocket.client_event"  # the ack comes first
    await press(rt, comms, CLOSE)
    await wait_until(lambda: closes(emulator))
    expected = RECORDED["example"]
    assert entries(comms) == expected["debug"]
    assert statuses(comms, API) == expected["status"]
    assert closes(emulator) == expected["closes"] == [{"code": 1000, "reason": "Example flow complete"}]
    events = [e["msg"]["payload"]["type"] for e in entries(comms)[2:-1]]
    assert events[0] == "response.created" and events[-1] == "response.completed"
    assert "".join(e["msg"]["payload"]["delta"] for e in entries(comms)[2:-1]
                   if e["msg"]["payload"]["type"] == "response.output_text.delta") == \
        "Say hello from Responses websocket mode in one sentence."
    sent_events = [r["body"] for r in emulator.requests if r["method"] == "WS"]
    assert sent_events == [entries(comms)[1]["msg"]["ai"]["event"]]  # sent as the msg had it


async def test_a_redeploy_closes_the_socket_as_node_red_does(start_runtime, emulator):
    flow = wired(emulator.base_url)
    rt = await start_runtime(flow)
    comms = await rt.comms()
    await press(rt, comms, CONNECT)
    assert closes(emulator) == []
    await rt.deploy(flow)  # a full deploy restarts every node
    await wait_until(lambda: closes(emulator))
    assert closes(emulator) == RECORDED["redeploy"]["closes"] == [{"code": 1000, "reason": "Node-RED node closed"}]
    # the new node starts without sessions: the same connection_id connects again
    [ack] = await press(rt, comms, CONNECT)
    assert ack["msg"]["payload"]["action"] == "connect"
    await rt.deploy([])  # and removing the node closes it too
    await wait_until(lambda: len(closes(emulator)) == 2)


async def test_refused_requests_fail_with_the_packages_errors_and_status(start_runtime, emulator):
    refused = f"http://127.0.0.1:{free_port()}/v1"
    rt = await start_runtime(errors_flow(emulator.base_url, refused))
    comms = await rt.comms()
    for inject in ERROR_STEPS:
        await press(rt, comms, inject)
    got, expected = entries(comms), RECORDED["errors"]["debug"]
    assert [(e["debug"], e["format"]) for e in got] == [(e["debug"], e["format"]) for e in expected]
    for mine, theirs in zip(got, expected, strict=True):
        if mine["debug"] == CAUGHT:  # msg.error: the package's text and source; FlowRed adds details
            assert mine["msg"]["message"] == theirs["msg"]["message"]
            assert mine["msg"]["source"] == theirs["msg"]["source"]
        else:
            assert mine == theirs
    for node_id, expected_statuses in RECORDED["errors"]["status"].items():
        assert statuses(comms, node_id) == expected_statuses, node_id
    errors = {e["msg"]["message"]: e["msg"] for e in got if e["debug"] == CAUGHT}
    bad_key = errors["Unexpected server response: 401"]
    assert (bad_key["status"], bad_key["code"], bad_key["type"]) == (401, "invalid_api_key", "invalid_request_error")
    assert bad_key["request_id"].startswith("req_") and bad_key["method"] == "manageModelResponseWebSocket"
    [refusal] = [m for text, m in errors.items() if text.startswith("connect ECONNREFUSED 127.0.0.1:")]
    assert (refusal["type"], refusal["code"], refusal["status"]) == ("connection_error", "ECONNREFUSED", None)
    action = errors["msg.payload.action must be one of 'connect', 'send', or 'close'"]
    assert (action["type"], action["code"], action["param"]) == ("invalid_request", "invalid_action", "action")
    assert all("sk-wrong" not in json.dumps(m) for m in errors.values())


# --- sessions, directly ------------------------------------------------------------------------

def ws_flow(base_url: str, host: dict | None = None, **options: Any) -> list[dict]:
    return openai_flow(base_url, "manageModelResponseWebSocket", host, **options)


async def feed(rt, comms, request: dict, node: str = "out", count: int = 1) -> list[dict]:
    before = len([m for m in comms.messages if m["topic"] == "debug" and m["data"].get("id") == node])
    status, _ = await rt.inject("in", {"payload": request})
    assert status == 200
    return (await outputs(comms, node, before + count, timeout=WAIT))[before:]


async def test_two_connections_on_one_node_chain_responses_into_the_output_property(start_runtime, emulator):
    rt = await start_runtime(ws_flow(emulator.base_url, output="result"))
    comms = await rt.comms()
    for cid in ("a", "b"):
        [ack] = await feed(rt, comms, {"action": "connect", "connection_id": cid})
        assert ack["result"]["url"] == emulator.base_url.replace("http://", "ws://") + "/responses"
        assert ack["payload"] == {"action": "connect", "connection_id": cid}  # the request stays
    create = {"type": "response.create", "model": "gpt-5", "input": "one two"}
    [ack, *events] = await feed(rt, comms, {"action": "send", "connection_id": "b", "event": create}, count=9)
    assert ack["result"]["event_type"] == "response.create"
    assert {e["openai"]["connection_id"] for e in events} == {"b"}
    assert all(e["openai"]["event_type"] == e["result"]["type"] and "payload" not in e for e in events)
    first = events[-1]["result"]["response"]["id"]
    follow = {**create, "input": "three", "previous_response_id": first}
    [_, *events] = await feed(rt, comms, {"action": "send", "connection_id": "b", "event": follow}, count=8)
    assert events[-1]["result"]["response"]["previous_response_id"] == first
    # a response id of connection b is unknown to connection a: the server's error event comes out
    [_, error] = await feed(rt, comms, {"action": "send", "connection_id": "a", "event": follow}, count=2)
    assert error["result"]["error"]["code"] == "previous_response_not_found"
    assert error["openai"] == {"transport": "responses.websocket", "direction": "server", "connection_id": "a",
                               "event_type": "error"}
    [closed] = await feed(rt, comms, {"action": "close", "connection_id": "a", "code": 4000, "reason": "done"})
    assert closed["result"] == {"object": "response.websocket.connection", "action": "close", "connection_id": "a",
                                "code": 4000, "reason": "done"}
    await wait_until(lambda: closes(emulator))
    assert closes(emulator) == [{"code": 4000, "reason": "done"}]
    assert statuses(comms, "ai")[-1] == {}


async def test_a_close_code_ws_refuses_is_an_error_and_the_session_stays(start_runtime, emulator):
    rt = await start_runtime(ws_flow(emulator.base_url))
    comms = await rt.comms()
    await feed(rt, comms, {"action": "connect", "connection_id": "c"})
    [caught] = await feed(rt, comms, {"action": "close", "connection_id": "c", "code": 999}, node="caught")
    assert caught["error"]["message"] == "First argument must be a valid error code number"
    assert statuses(comms, "ai")[-1]["fill"] == "red"
    [caught] = await feed(rt, comms, {"action": "close", "connection_id": "c", "reason": "x" * 124}, node="caught")
    assert caught["error"]["message"] == "The message must not be greater than 123 bytes"
    [ack] = await feed(rt, comms, {"action": "close", "connection_id": "c"})
    assert (ack["payload"]["code"], ack["payload"]["reason"]) == (1000, "OK")
    await wait_until(lambda: closes(emulator))
    assert closes(emulator) == [{"code": 1000, "reason": "OK"}]


@pytest.mark.parametrize("mode", ["header", "query"])
async def test_the_key_travels_as_the_service_host_says(start_runtime, emulator, mode):
    fields = {"secureApiKeyHeaderOrQueryName": "X-Api-Token", "secureApiKeyIsQuery": mode == "query"}
    rt = await start_runtime(ws_flow(emulator.base_url, service_host(emulator.base_url, **fields)))
    comms = await rt.comms()
    # the emulator, as OpenAI, takes only Bearer keys: the handshake is refused, and shows where the key went
    [caught] = await feed(rt, comms, {"action": "connect", "connection_id": "k"}, node="caught")
    assert caught["error"]["message"] == "Unexpected server response: 401"
    [handshake] = [r for r in emulator.requests if r["path"] == "/v1/responses"]
    assert "authorization" not in handshake["headers"]
    if mode == "header":
        assert handshake["headers"]["x-api-token"] == EMULATOR_KEY and handshake["query"] == {}
    else:
        assert handshake["query"] == {"X-Api-Token": EMULATOR_KEY} and "x-api-token" not in handshake["headers"]


async def test_the_acknowledged_url_never_shows_a_key_in_the_query(start_runtime):
    async def accept(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.receive()
        return ws

    base, runner = await serve([("GET", "/v1/responses", accept)])
    try:
        host = service_host(base, secureApiKeyHeaderOrQueryName="key", secureApiKeyIsQuery=True)
        rt = await start_runtime(ws_flow(base, host))
        comms = await rt.comms()
        [ack] = await feed(rt, comms, {"action": "connect", "connection_id": "q"})
        assert ack["payload"]["url"] == base.replace("http://", "ws://") + "/responses?key=[redacted]"
    finally:
        await runner.cleanup()


async def serve(routes: list[tuple[str, str, Any]]) -> tuple[str, web.AppRunner]:
    """A small aiohttp server on loopback: ``(base URL .../v1, runner)``."""
    app = web.Application()
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return f"http://127.0.0.1:{port}/v1", runner


async def test_a_server_that_goes_away_ends_the_session(start_runtime):
    sockets: list[web.WebSocketResponse] = []

    async def accept(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sockets.append(ws)
        async for _ in ws:
            pass
        return ws

    base, runner = await serve([("GET", "/v1/responses", accept)])
    try:
        rt = await start_runtime(ws_flow(base))
        comms = await rt.comms()
        await feed(rt, comms, {"action": "connect", "connection_id": "g"})
        await sockets[0].close(code=1001, message=b"bye")
        await asyncio.sleep(0.2)
        event = {"type": "response.create", "model": "m", "input": "x"}
        [caught] = await feed(rt, comms, {"action": "send", "connection_id": "g", "event": event}, node="caught")
        assert caught["error"]["message"] == "Responses websocket connection 'g' is not open on this node"
        [ack] = await feed(rt, comms, {"action": "connect", "connection_id": "g"})  # and it can connect again
        assert ack["payload"]["action"] == "connect"
    finally:
        await runner.cleanup()


async def test_a_handshake_without_an_answer_times_out_with_the_red_ring(start_runtime):
    silent: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent.append(writer)  # reads nothing, answers nothing

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"
    try:
        rt = await start_runtime(ws_flow(base, service_host(base, timeout=1)))
        comms = await rt.comms()
        [caught] = await feed(rt, comms, {"action": "connect", "connection_id": "t"}, node="caught")
        assert caught["error"]["message"] == "Opening handshake has timed out"
        assert caught["error"]["type"] == "timeout"
        assert statuses(comms, "ai") == [{"fill": "blue", "shape": "dot", "text": "OpenaiApi.status.requesting"},
                                         {"fill": "red", "shape": "ring", "text": "node-red:common.status.error"}]
    finally:
        for writer in silent:
            writer.close()
        server.close()


async def test_a_server_event_that_is_not_json_is_reported_on_the_node(start_runtime):
    async def garble(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _ in ws:
            await ws.send_str("not-json")
            await ws.send_str(json.dumps({"type": "response.created", "response": {"id": "resp_1"}}))
        return ws

    base, runner = await serve([("GET", "/v1/responses", garble)])
    try:
        rt = await start_runtime(ws_flow(base))
        comms = await rt.comms()
        await feed(rt, comms, {"action": "connect", "connection_id": "j"})
        event = {"type": "response.create", "model": "m", "input": "x"}
        [_, created] = await feed(rt, comms, {"action": "send", "connection_id": "j", "event": event}, count=2)
        assert created["payload"] == {"type": "response.created", "response": {"id": "resp_1"}}
        [logged] = await comms.wait_for(lambda m: m["topic"] == "debug" and m["data"].get("level") == 20,
                                        timeout=WAIT)
        assert "Could not parse Responses websocket event" in logged["data"]["msg"]
        assert logged["data"]["id"] == "ai"
    finally:
        await runner.cleanup()


async def test_the_editor_offers_the_method_in_the_responses_group():
    from flowred.nodes.openai_api.catalog import GROUPS, METHODS
    from flowred.nodes.openai_api.node import OpenAIApiNode

    assert "manageModelResponseWebSocket" in GROUPS["Responses"]
    assert METHODS["manageModelResponseWebSocket"].sdk == "responses.connect"
    assert "manageModelResponseWebSocket" in OpenAIApiNode.__doc__
    assert DEBUG and SEND  # the example's ids are the recording's
