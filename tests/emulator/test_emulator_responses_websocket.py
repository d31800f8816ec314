"""The emulator's Responses websocket (``GET /v1/responses`` upgraded), driven with openai-python's
``responses.connect()`` as FlowRed's node uses it, and with a plain aiohttp websocket where the
SDK would refuse to send what is tested."""
from __future__ import annotations

import json
from typing import Any

import aiohttp
import openai
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from flowred.openai_emulator import Emulator

from conftest import EMULATOR_KEY

CREATE = {"type": "response.create", "model": "gpt-5", "input": "hello there websocket"}


@pytest.fixture
async def client(emulator: Emulator):
    async with openai.AsyncOpenAI(base_url=emulator.base_url, api_key=EMULATOR_KEY, max_retries=0) as c:
        yield c


@pytest.fixture
async def raw(emulator: Emulator):
    """A plain websocket to the endpoint, with the key."""
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(emulator.base_url.replace("http", "ws") + "/responses",
                                      headers={"Authorization": f"Bearer {EMULATOR_KEY}"})
        yield ws
        await ws.close()


async def until_done(connection) -> list[dict[str, Any]]:
    """The events up to the response's last (``response.completed``) or an ``error``."""
    events = []
    while True:
        events.append(json.loads(await connection.recv_bytes()))
        if events[-1]["type"] in ("response.completed", "error"):
            return events


async def test_a_response_create_streams_the_events_of_a_response(client, emulator):
    async with client.responses.connect() as connection:
        await connection.send(CREATE)
        events = await until_done(connection)
        types = [e["type"] for e in events]
        assert types == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added", *["response.output_text.delta"] * 3,
                         "response.output_text.done", "response.content_part.done", "response.output_item.done",
                         "response.completed"]
        assert [e["sequence_number"] for e in events] == list(range(len(events)))
        assert "".join(e["delta"] for e in events if "delta" in e) == "hello there websocket"
        done = events[-1]["response"]
        assert done["status"] == "completed" and done["model"] == "gpt-5"
        assert done["output"][0]["content"][0]["text"] == "hello there websocket"
        assert events[0]["response"]["id"] == done["id"] and events[0]["response"]["status"] == "in_progress"
        # the next turn chains on it; stream_id comes back on every event of its response
        await connection.send({**CREATE, "input": "again", "previous_response_id": done["id"], "stream_id": "lane"})
        follow = await until_done(connection)
        assert {e["stream_id"] for e in follow} == {"lane"}
        assert follow[-1]["response"]["previous_response_id"] == done["id"]
    handshake, *messages, close = [r for r in emulator.requests if r["path"] == "/v1/responses"]
    assert handshake["method"] == "GET" and handshake["headers"]["authorization"] == f"Bearer {EMULATOR_KEY}"
    assert [m["method"] for m in messages] == ["WS", "WS"] and messages[0]["body"] == CREATE
    assert close == {**close, "method": "WS_CLOSE", "body": {"code": 1000, "reason": ""}}


async def test_a_warm_up_answers_without_output(client):
    async with client.responses.connect() as connection:
        await connection.send({**CREATE, "generate": False})
        events = await until_done(connection)
    assert [e["type"] for e in events] == ["response.created", "response.completed"]
    assert events[-1]["response"]["output"] == []


@pytest.mark.parametrize("message, code, param", [
    ("not json", "invalid_json", None),
    ("[1]", "invalid_type", None),
    ('{"model": "gpt-5"}', "missing_required_parameter", "type"),
    ('{"type": "response.cancel"}', "invalid_value", "type"),
    ('{"type": "response.create", "input": "x"}', "missing_required_parameter", "model"),
    ('{"type": "response.create", "model": 5}', "invalid_type", "model"),
    ('{"type": "response.create", "model": "m", "background": true}', "invalid_value", "background"),
    ('{"type": "response.create", "model": "m", "previous_response_id": "resp_nope"}',
     "previous_response_not_found", "previous_response_id"),
])
async def test_a_bad_client_event_gets_an_error_event_and_the_socket_stays(raw, message, code, param):
    await raw.send_str(message)
    error = json.loads((await raw.receive()).data)
    assert error["type"] == "error" and error["status"] == 400
    assert (error["error"]["code"], error["error"]["param"], error["error"]["type"]) == (
        code, param, "invalid_request_error")
    assert error["error"]["message"]
    await raw.send_str(json.dumps(CREATE))  # still answering
    assert json.loads((await raw.receive()).data)["type"] == "response.created"


async def test_the_handshake_needs_a_good_key_and_the_upgrade(emulator):
    bad = openai.AsyncOpenAI(base_url=emulator.base_url, api_key="sk-not-the-key-0000", max_retries=0)
    with pytest.raises(InvalidStatus) as refused:
        await bad.responses.connect().enter()
    assert refused.value.response.status_code == 401
    assert json.loads(bytes(refused.value.response.body))["error"]["code"] == "invalid_api_key"
    emulator.fail(429, path="/responses")
    good = openai.AsyncOpenAI(base_url=emulator.base_url, api_key=EMULATOR_KEY, max_retries=0)
    with pytest.raises(InvalidStatus) as limited:
        await good.responses.connect().enter()
    assert limited.value.response.status_code == 429
    async with aiohttp.ClientSession() as http:
        async with http.get(emulator.base_url + "/responses",
                            headers={"Authorization": f"Bearer {EMULATOR_KEY}"}) as plain:
            assert plain.status == 404
            assert (await plain.json())["error"]["message"] == "Invalid URL (GET /v1/responses)"


async def test_stopping_the_emulator_closes_open_sessions(client, emulator):
    connection = await client.responses.connect().enter()
    await emulator.stop()
    with pytest.raises(ConnectionClosed) as closed:
        await connection.recv_bytes()
    assert closed.value.rcvd.code == 1001
