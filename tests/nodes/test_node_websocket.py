"""websocket in / websocket out with websocket-listener and websocket-client (22-websocket.js):
replies by _session, broadcast, whole msgs, binary frames, client connections with headers and
subprotocols, reconnects, status texts, errors."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import web

from conftest import TEST_TAB, feeder, free_port, make_node


def listener(id_: str = "wl1", path: str = "/ws/echo", wholemsg: str = "false") -> dict:
    """A websocket-listener as the editor exports it (a config node: no z, x, y, wires)."""
    return {"id": id_, "type": "websocket-listener", "path": path, "wholemsg": wholemsg}


def client_conf(url: str, id_: str = "wc1", **fields) -> dict:
    node = {"id": id_, "type": "websocket-client", "path": url, "tls": "", "wholemsg": "false", "hb": "0",
            "subprotocol": "", "headers": []}
    node.update(fields)
    return node


def ws_in(id_: str, wires, server: str = "", client: str = "") -> dict:
    return make_node(id_, "websocket in", [list(wires)], server=server, client=client)


def ws_out(id_: str, server: str = "", client: str = "") -> dict:
    return make_node(id_, "websocket out", [], server=server, client=client)


def debug(id_: str = "d1") -> dict:
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full")


ECHO = [TEST_TAB, listener(), ws_in("win", ["wout", "d1"], server="wl1"), ws_out("wout", server="wl1"), debug(),
        feeder("f1", "wout")]


async def receive(ws: aiohttp.ClientWebSocketResponse, timeout: float = 2) -> aiohttp.WSMessage:
    return await asyncio.wait_for(ws.receive(), timeout)


async def nothing_arrives(ws: aiohttp.ClientWebSocketResponse, wait: float = 0.3) -> None:
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(ws.receive(), wait)


def status_text(node_id: str, text: str):
    return lambda m: m["topic"] == "status/" + node_id and m["data"].get("text") == text


async def test_echo_replies_to_the_sender_only_and_broadcasts_without_session(start_runtime):
    rt = await start_runtime(ECHO)
    comms = await rt.comms()
    url = rt.url.replace("http", "ws") + "/ws/echo"
    a = await rt.http.ws_connect(url)
    b = await rt.http.ws_connect(url)
    await comms.wait_for(status_text("win", "connected 2"))
    await a.send_str("hello")
    assert (await receive(a)).data == "hello"
    await nothing_arrives(b)
    await b.send_str("from b")
    assert (await receive(b)).data == "from b"
    await nothing_arrives(a)
    [first, second] = await comms.debug(2)
    assert json.loads(first["msg"])["payload"] == "hello"
    sessions = [json.loads(d["msg"])["_session"] for d in (first, second)]
    assert all(s["type"] == "websocket" for s in sessions) and sessions[0]["id"] != sessions[1]["id"]
    # no _session, or a websocket _session without id: every client
    assert (await rt.inject("f1", {"payload": {"to": "all"}}))[0] == 200
    assert [json.loads((await receive(ws)).data) for ws in (a, b)] == [{"to": "all"}] * 2
    await rt.inject("f1", {"payload": 42, "_session": {"type": "websocket"}})
    assert [(await receive(ws)).data for ws in (a, b)] == ["42", "42"]
    # a closed session's id: dropped
    await rt.inject("f1", {"payload": "late", "_session": {"type": "websocket", "id": "gone"}})
    await nothing_arrives(a)
    await a.close()
    await comms.wait_for(status_text("wout", "connected 1"))
    await b.close()
    found = await comms.wait_for(status_text("win", "disconnected"))
    assert found[-1]["data"]["fill"] == "red" and found[-1]["data"]["event"] == "disconnect"


async def test_binary_frames_and_empty_payloads(start_runtime):
    rt = await start_runtime(ECHO)
    comms = await rt.comms()
    ws = await rt.http.ws_connect(rt.url.replace("http", "ws") + "/ws/echo")
    await ws.send_bytes(b"\x00\xff\x01")
    frame = await receive(ws)
    assert frame.type == aiohttp.WSMsgType.BINARY and frame.data == b"\x00\xff\x01"
    [d] = await comms.debug(1)
    payload = json.loads(d["msg"])["payload"]
    assert payload["type"] == "Buffer" and payload["data"] == [0, 255, 1]
    await rt.inject("f1", {"payload": ""})
    await rt.inject("f1", {"topic": "no payload"})
    await nothing_arrives(ws)
    await ws.close()


async def test_whole_msg_mode(start_runtime):
    rt = await start_runtime([TEST_TAB, listener(wholemsg="true"), ws_in("win", ["wout", "d1"], server="wl1"),
                              ws_out("wout", server="wl1"), debug()])
    comms = await rt.comms()
    ws = await rt.http.ws_connect(rt.url.replace("http", "ws") + "/ws/echo")
    await ws.send_str(json.dumps({"payload": "x", "topic": "t"}))
    echoed = json.loads((await receive(ws)).data)
    assert echoed["payload"] == "x" and echoed["topic"] == "t" and "_msgid" in echoed
    assert "_session" not in echoed
    [d] = await comms.debug(1)
    assert json.loads(d["msg"])["topic"] == "t" and json.loads(d["msg"])["_session"]["type"] == "websocket"
    await ws.send_str("5")  # a JSON value that is not an object: the payload
    assert json.loads((await receive(ws)).data)["payload"] == 5
    await ws.send_str("not json")
    assert json.loads((await receive(ws)).data)["payload"] == "not json"
    await ws.close()


async def test_plain_http_gets_404_and_redeploy_closes_connections(start_runtime):
    rt = await start_runtime(ECHO)
    resp = await rt.http.get(rt.url + "/ws/echo")
    assert resp.status == 404
    ws = await rt.http.ws_connect(rt.url.replace("http", "ws") + "/ws/echo")
    await rt.deploy([TEST_TAB, debug()])
    frame = await receive(ws)
    assert frame.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await rt.http.ws_connect(rt.url.replace("http", "ws") + "/ws/echo")


async def test_duplicate_path_and_missing_config_errors(start_runtime):
    rt = await start_runtime([])
    comms = await rt.comms()
    await rt.deploy([TEST_TAB, listener("wl1", "/same"), listener("wl2", "same"),
                     ws_in("win", ["d1"], server="wl1"), ws_in("win2", ["d1"], server="wl2"),
                     ws_out("wout", server="nope"), debug()])
    texts = [m["msg"] for m in await comms.debug(2)]
    assert "Cannot have two WebSocket listeners on the same path: same" in texts
    assert "Missing server configuration" in texts
    ws = await rt.http.ws_connect(rt.url.replace("http", "ws") + "/same")
    await ws.send_str("one")
    [d] = await comms.debug(1, node_id="d1")
    msg = json.loads(d["msg"])
    assert msg["payload"] == "one" and msg["_session"]["type"] == "websocket"
    await ws.close()


class Server:
    """A websocket server on loopback for websocket-client nodes: records what it receives."""

    def __init__(self) -> None:
        self.connections: list[web.WebSocketResponse] = []
        self.requests: list[web.Request] = []
        self.received: asyncio.Queue = asyncio.Queue()
        self.connected = asyncio.Event()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("chat",))
        await ws.prepare(request)
        self.requests.append(request)
        self.connections.append(ws)
        self.connected.set()
        async for frame in ws:
            await self.received.put(frame.data)
        return ws

    async def wait_connections(self, n: int, timeout: float = 6) -> None:
        async def wait() -> None:
            while len(self.connections) < n:
                self.connected.clear()
                await self.connected.wait()
        await asyncio.wait_for(wait(), timeout)


@pytest.fixture
async def ws_server():
    server = Server()
    app = web.Application()
    app.router.add_get("/ws", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    server.url = f"ws://127.0.0.1:{port}/ws"
    yield server
    for ws in server.connections:
        await ws.close()
    await runner.cleanup()


async def test_client_receives_and_sends_with_headers_and_subprotocol(start_runtime, ws_server, monkeypatch):
    monkeypatch.setenv("WS_TOKEN", "secret")
    headers = [{"keyType": "Authorization", "keyValue": "", "valueType": "env", "valueValue": "WS_TOKEN"},
               {"keyType": "other", "keyValue": "X-Custom", "valueType": "other", "valueValue": "yes"}]
    rt = await start_runtime([TEST_TAB, client_conf(ws_server.url, subprotocol="chat", headers=headers, hb="5"),
                              ws_in("win", ["d1"], client="wc1"), ws_out("wout", client="wc1"), debug(),
                              feeder("f1", "wout")])
    comms = await rt.comms()
    await ws_server.wait_connections(1)
    request = ws_server.requests[0]
    assert request.headers["Authorization"] == "secret" and request.headers["X-Custom"] == "yes"
    assert request.headers["Sec-WebSocket-Protocol"] == "chat"
    found = await comms.wait_for(status_text("win", "connected "))
    assert found[0]["data"]["fill"] == "green"
    await ws_server.connections[0].send_str("from server")
    [d] = await comms.debug(1)
    msg = json.loads(d["msg"])
    assert msg["payload"] == "from server" and msg["_session"]["type"] == "websocket"
    await rt.inject("f1", {"payload": {"a": 1}})
    assert json.loads(await asyncio.wait_for(ws_server.received.get(), 2)) == {"a": 1}
    # a reply to the session of the current connection reaches the server too
    await rt.inject("f1", {"payload": "reply", "_session": msg["_session"]})
    assert await asyncio.wait_for(ws_server.received.get(), 2) == "reply"


async def test_client_reconnects_after_the_server_drops_it(start_runtime, ws_server):
    rt = await start_runtime([TEST_TAB, client_conf(ws_server.url), ws_in("win", ["d1"], client="wc1"), debug()])
    comms = await rt.comms()
    await ws_server.wait_connections(1)
    await comms.wait_for(status_text("win", "connected "))
    await ws_server.connections[0].close()
    await comms.wait_for(status_text("win", "disconnected"))
    await comms.wait_for(status_text("win", "connecting"), timeout=5)
    await ws_server.wait_connections(2)
    await comms.wait_for(status_text("win", "connected "), count=2)
    await ws_server.connections[1].send_str("again")
    [d] = await comms.debug(1)
    assert json.loads(d["msg"])["payload"] == "again"


async def test_client_connect_error_is_reported_once(start_runtime):
    url = f"ws://127.0.0.1:{free_port()}/nothing"
    rt = await start_runtime([])
    comms = await rt.comms()
    await rt.deploy([TEST_TAB, client_conf(url), ws_in("win", ["d1"], client="wc1"),
                     ws_out("wout", client="wc1"), debug(), feeder("f1", "wout")])
    [d] = await comms.debug(1)
    assert d["msg"].startswith("An error occurred on the ws connection: ") and d["id"] == "wc1"
    await comms.wait_for(status_text("wout", "error"))
    await rt.inject("f1", {"payload": "x"})
    [_, warning] = await comms.debug(2)
    assert warning["msg"].startswith("An error occurred while sending: ") and warning["level"] == 30


async def test_client_path_must_be_a_websocket_url(start_runtime):
    rt = await start_runtime([])
    resp = await rt.deploy([TEST_TAB, client_conf("http://example.com/ws")], expect=400)
    body = await resp.json()
    assert body["errors"][0]["field"] == "path"


async def test_first_connection_shows_connected_without_connecting(start_runtime, ws_server):
    # Node-RED's examples network/websocket/01 and 02: the first status is "connected "
    rt = await start_runtime([])
    comms = await rt.comms()
    await rt.deploy([TEST_TAB, client_conf(ws_server.url), ws_in("win", ["d1"], client="wc1"), debug()])
    await comms.wait_for(status_text("win", "connected "))
    assert comms.topic("status/win")[0]["text"] == "connected "
