"""The websocket nodes: ``websocket in`` and ``websocket out`` with their config nodes
``websocket-listener`` (a websocket path served under ``httpNodeRoot``) and
``websocket-client`` (a connection to a ``ws://``/``wss://`` URL).

As Node-RED's websocket nodes (nodes/core/network/22-websocket.js, 22-websocket.html).
"""
from __future__ import annotations

import asyncio
import collections
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from pydantic import Field, field_validator

from flowred import Node, NodeConfig, NodeError, clone_message, generate_id, register
from flowred.fields import OrDefault, Text, TrimmedText
from flowred.jscompat import js_to_string
from flowred.nodes.common import LeaderGate, RunOn, to_json

__all__ = ["WebSocketListenerConfig", "WebSocketListenerNode", "WebSocketClientConfig", "WebSocketClientNode",
           "WebSocketInOutConfig", "WebSocketInNode", "WebSocketOutNode"]

RECONNECT_DELAY = 3.0  # seconds, as Node-RED's client (3000 ms)
COLOR = "#d7d7a0"  # rgb(215, 215, 160)

# Node-RED's texts (locales/en-US/messages.json, "websocket")
SEND_ERROR = "An error occurred while sending: "
CONNECT_ERROR = "An error occurred on the ws connection: "
MISSING_CONF = "Missing server configuration"
DUPLICATE_PATH = "Cannot have two WebSocket listeners on the same path: {path}"

_DISCONNECTED = {"fill": "red", "shape": "ring", "text": "disconnected"}


def _wholemsg(v: Any) -> str:
    return "true" if v is True or v == "true" else "false"


def _no_debug_ws(path: str) -> str:
    if "/debug/ws" in path:  # the editor's validator: the debug node's path is reserved
        raise ValueError(f"path must not contain /debug/ws, got {path!r}")
    return path


class WebSocketListenerConfig(NodeConfig):
    """``path``: the websocket path under httpNodeRoot (``/ws/example``; a missing leading
    ``/`` is added). ``wholemsg``: ``"false"`` sends and receives ``msg.payload`` only,
    ``"true"`` the whole msg as a JSON string."""

    path: str = ""
    wholemsg: str = "false"
    runOn: OrDefault[RunOn] = Field("every", title="Run on", description=(
        "In a cluster (flowred run --cluster): serve the path on every worker (default: it is served by the "
        "worker's HTTP server, like an http in node, so each client is handled by the worker it reaches) or "
        "on the leader only."))

    @field_validator("path", mode="before")
    @classmethod
    def _path(cls, v: Any) -> str:
        return _no_debug_ws("" if v is None else str(v).strip())

    @field_validator("wholemsg", mode="before")
    @classmethod
    def _whole(cls, v: Any) -> str:
        return _wholemsg(v)


class WebSocketClientConfig(NodeConfig):
    """``path``: the ``ws://`` or ``wss://`` URL to connect to. ``tls``: a tls-config node id
    (for wss://). ``wholemsg`` as for websocket-listener. ``hb``: seconds between heartbeat
    pings (``""`` or ``"0"``: none). ``subprotocol``: the subprotocol(s) to ask for, comma
    separated. ``headers``: extra handshake headers, as the editor saves them:
    ``[{keyType, keyValue, valueType, valueValue}]`` (``keyType`` ``other`` names the header in
    ``keyValue``, else is the header name; ``valueType`` ``other`` gives ``valueValue``,
    ``env`` the environment variable named by ``valueValue``, else is the value)."""

    path: str = ""
    tls: TrimmedText = Field("", description="The id of the tls-config config node for wss:// URLs.")
    wholemsg: str = "false"
    hb: str = ""
    subprotocol: TrimmedText = ""
    headers: OrDefault[list[dict]] = []

    @field_validator("path", mode="before")
    @classmethod
    def _path(cls, v: Any) -> str:
        path = "" if v is None else str(v).strip()
        if not path.lower().startswith(("ws://", "wss://")):
            raise ValueError(f"path must be a ws:// or wss:// URL, got {path!r}")
        return _no_debug_ws(path)

    @field_validator("wholemsg", mode="before")
    @classmethod
    def _whole(cls, v: Any) -> str:
        return _wholemsg(v)

    @field_validator("hb", mode="before")
    @classmethod
    def _hb(cls, v: Any) -> str:
        text = "" if v is None else str(v).strip()
        if text:
            try:
                if float(text) < 0:
                    raise ValueError
            except ValueError:
                raise ValueError(f"hb must be a number of seconds, got {v!r}") from None
        return text


class WebSocketInOutConfig(NodeConfig):
    """``server``: a websocket-listener id; ``client``: a websocket-client id (used when set)."""

    server: Text = Field("", description="The id of the websocket-listener config node (listen on a path).")
    client: Text = Field("", description="The id of the websocket-client config node (connect to a URL); "
                                        "used when set.")


class _Peer:
    """One open websocket: frames to send are queued and written in order by one task."""

    __slots__ = ("id", "ws", "_queue", "_wake", "_task", "_owner")

    def __init__(self, owner: "_Endpoint", ws: Any, id_: str) -> None:
        self.id = id_
        self.ws = ws
        self._owner = owner
        self._queue: collections.deque = collections.deque()
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._write())

    def send(self, data: str | bytes) -> None:
        self._queue.append(data)
        self._wake.set()

    async def _write(self) -> None:
        queue, ws = self._queue, self.ws
        while True:
            if not queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            data = queue.popleft()
            try:
                if type(data) is str:
                    await ws.send_str(data)
                else:
                    await ws.send_bytes(data)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._owner.warn(f"{SEND_ERROR} {self.id} {type(exc).__name__}: {exc}")

    async def stop(self, close: bool) -> None:
        if close and not self.ws.closed:
            try:
                await asyncio.wait_for(self.ws.close(code=aiohttp.WSCloseCode.GOING_AWAY), 2)
            except (asyncio.TimeoutError, OSError, RuntimeError):
                pass
        self._task.cancel()


class _Endpoint(Node):
    """What websocket-listener and websocket-client share: the open connections, the
    websocket in nodes fed by them, and the nodes showing their status."""

    def __init__(self, config: Any, flow) -> None:
        super().__init__(config, flow)
        self.wholemsg = config.wholemsg == "true"
        self._clients: dict[str, _Peer] = {}
        self._inputs: list[Node] = []
        self._watchers: list[Node] = []

    # -- nodes using this one ------------------------------------------------------------
    def register_input(self, node: Node) -> None:
        self._inputs.append(node)

    def remove_input(self, node: Node) -> None:
        if node in self._inputs:
            self._inputs.remove(node)

    def add_watcher(self, node: Node) -> None:
        self._watchers.append(node)

    def remove_watcher(self, node: Node) -> None:
        if node in self._watchers:
            self._watchers.remove(node)

    def _show(self, status: dict) -> None:
        for node in list(self._watchers):
            node.status(status)

    def _opened(self, id_: str, count: Any) -> None:
        self._show({"fill": "green", "shape": "dot", "text": f"connected {count}", "event": "connect",
                    "_session": {"type": "websocket", "id": id_}})

    def _closed(self, id_: str, count: int) -> None:
        status = dict(_DISCONNECTED) if not count else {"fill": "green", "shape": "dot", "text": f"connected {count}"}
        status["event"] = "disconnect"
        status["_session"] = {"type": "websocket", "id": id_}
        self._show(status)

    def _errored(self, id_: str | None) -> None:
        self._show({"fill": "red", "shape": "ring", "text": "error", "event": "error",
                    "_session": {"type": "websocket", "id": id_}})

    # -- frames in and out ---------------------------------------------------------------
    def handle_frame(self, id_: str, data: str | bytes) -> None:
        """A received text or binary frame → a msg to every websocket in node."""
        inputs = self._inputs
        if not inputs:
            return
        if self.wholemsg:
            try:
                msg = orjson.loads(data)
            except orjson.JSONDecodeError:
                msg = {"payload": data}
            else:
                if type(msg) is not dict:
                    msg = {"payload": msg}
        else:
            msg = {"payload": data}
        msg["_session"] = {"type": "websocket", "id": id_}
        if "_msgid" not in msg:
            msg["_msgid"] = generate_id()
        inputs[0].send(msg)
        for i in range(1, len(inputs)):
            inputs[i].send(clone_message(msg))

    def reply(self, id_: Any, data: str | bytes) -> None:
        """Send to the connection ``id_`` only; an unknown (closed) id is dropped."""
        peer = self._clients.get(id_)
        if peer is not None:
            peer.send(data)

    def broadcast(self, data: str | bytes) -> None:
        for peer in list(self._clients.values()):
            peer.send(data)

    async def _stop_peers(self) -> None:
        peers = list(self._clients.values())
        self._clients.clear()
        await asyncio.gather(*(p.stop(True) for p in peers), return_exceptions=True)


@register("websocket-listener", category="config", config_node=True, inputs=0, outputs=0,
          label="websocket listener")
class WebSocketListenerNode(_Endpoint):
    """A websocket server path under ``httpNodeRoot`` (``ws://host:port/<httpNodeRoot>/<path>``),
    shared by the websocket in and out nodes that name it.

    Each client that connects gets an id; its frames go to every websocket in node using this
    listener as msgs with ``_session: {type: "websocket", id}``. With "entire message" (wholemsg
    ``"true"``) a frame that is a JSON object becomes the msg itself, other JSON values become
    ``payload``, and text that is not JSON stays the payload. A websocket out node sends to
    every connected client, or only to ``msg._session.id``. The in and out nodes show
    ``connected <n>`` (the number of clients) or ``disconnected``. Pings are answered.

    Errors: a second listener on the same path reports "Cannot have two WebSocket listeners on
    the same path: <path>" and does not listen. A plain HTTP request to the path gets 404.
    Open connections are closed (1001) when the node stops (redeploy).
    """

    Config = WebSocketListenerConfig

    def __init__(self, config: WebSocketListenerConfig, flow) -> None:
        super().__init__(config, flow)
        path = config.path
        self.route_path = "/" + path.lstrip("/")

    def start(self) -> None:
        self._remove_route = None
        self._gate = LeaderGate(self, self.config.runOn, self._listen, self._unlisten)

    def _listen(self) -> None:
        # one listener per path (removed on close), as Node-RED's listenerNodes
        self._remove_route = self.add_http_route("GET", self.route_path, self._serve, exclusive=True)
        if self._remove_route is None:
            self.error(DUPLICATE_PATH.format(path=self.config.path))

    async def _unlisten(self) -> None:
        if self._remove_route is not None:
            self._remove_route()
            self._remove_route = None
        await self._stop_peers()

    async def close(self, removed: bool) -> None:
        await self._gate.close()
        self._watchers.clear()
        self._inputs.clear()
        await self._stop_peers()

    async def _serve(self, request: web.Request, params: dict) -> web.StreamResponse:
        """The upgrade handler: keeps the connection until it closes."""
        offered = request.headers.get("Sec-WebSocket-Protocol", "")
        first = offered.split(",", 1)[0].strip()
        ws = web.WebSocketResponse(protocols=(first,) if first else ())
        if not ws.can_prepare(request).ok:
            raise web.HTTPNotFound(text=f"Cannot {request.method} {request.path}")
        await ws.prepare(request)
        if self.closed:
            await ws.close(code=aiohttp.WSCloseCode.GOING_AWAY)
            return ws
        id_ = generate_id()
        clients = self._clients
        clients[id_] = _Peer(self, ws, id_)
        self._opened(id_, len(clients))
        handle = self.handle_frame
        try:
            async for frame in ws:
                kind = frame.type
                if kind is aiohttp.WSMsgType.TEXT or kind is aiohttp.WSMsgType.BINARY:
                    handle(id_, frame.data)
                elif kind is aiohttp.WSMsgType.ERROR:
                    self._errored(id_)
        finally:
            peer = clients.pop(id_, None)
            if peer is not None:
                await peer.stop(False)
                self._closed(id_, len(clients))
        return ws


@register("websocket-client", category="config", config_node=True, inputs=0, outputs=0,
          label="websocket client")
class WebSocketClientNode(_Endpoint):
    """A connection to a websocket server at ``path`` (``ws://`` or ``wss://``), shared by the
    websocket in and out nodes that name it.

    Connects when the flows start; after the connection drops or fails it tries again every
    3 seconds until the node stops. Received frames become msgs (``payload``: text, or bytes
    for a binary frame; ``_session: {type: "websocket", id}``, a new id per connection) as for
    websocket-listener, ``wholemsg`` included. ``tls`` (a tls-config node) sets certificates,
    CA, verification and server name for wss://. ``hb`` seconds: a ping is sent that often and
    a connection that does not answer is closed and reconnected. ``subprotocol`` is asked for
    in the handshake; ``headers`` are sent with it.

    The in and out nodes show ``connecting`` (yellow, when connecting again), ``connected`` (green; Node-RED's text is
    ``"connected "`` with an empty count), ``error`` and ``disconnected`` (red).

    Errors: a failed connection attempt is reported as "An error occurred on the ws
    connection: <reason>" once until the client connects again; a broken TLS config, likewise.
    """

    Config = WebSocketClientConfig

    def __init__(self, config: WebSocketClientConfig, flow) -> None:
        super().__init__(config, flow)
        hb = float(config.hb) if config.hb else 0.0
        self._heartbeat = hb if hb > 0 else None
        self._protocols = tuple(p.strip() for p in config.subprotocol.split(",") if p.strip())
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task | None = None
        self._headers: dict[str, str] = {}
        self._reported = False

    def start(self) -> None:
        headers: dict[str, str] = {}
        for h in self.config.headers:
            if not isinstance(h, dict):
                continue
            key_type = h.get("keyType") or ""
            name = h.get("keyValue") if key_type == "other" else key_type
            value_type = h.get("valueType") or ""
            if value_type == "other":
                value = h.get("valueValue")
            elif value_type == "env":
                value = self.get_env(str(h.get("valueValue") or ""))
            else:
                value = value_type
            if name:
                headers[str(name)] = js_to_string(value) if value is not None else ""
        self._headers = headers
        self._session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(), trust_env=False)
        self._task = asyncio.get_running_loop().create_task(self._keep_connected())

    async def close(self, removed: bool) -> None:
        self._watchers.clear()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None
        self._inputs.clear()
        await self._stop_peers()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def broadcast(self, data: str | bytes) -> None:
        if not self._clients:
            self.warn(SEND_ERROR + " Error: WebSocket is not open")
            return
        super().broadcast(data)

    def _options(self) -> dict:
        options: dict[str, Any] = {"autoping": True, "max_msg_size": 0}
        if self._heartbeat:
            options["heartbeat"] = self._heartbeat
        if self._protocols:
            options["protocols"] = self._protocols
        if self._headers:
            options["headers"] = self._headers
        tls = self.config_node(self.config.tls)
        if tls is not None and self.config.path.lower().startswith("wss://"):
            options["ssl"] = tls.ssl_context()  # NodeError when the TLS config is broken
            if tls.servername:
                options["server_hostname"] = tls.servername
        return options

    async def _keep_connected(self) -> None:
        """Connect, read until the connection ends, wait, connect again; until cancelled."""
        first = True
        while True:
            if not first:  # Node-RED shows no status before the first connection (22-websocket.js)
                self._show({"fill": "yellow", "shape": "ring", "text": "connecting"})
            first = False
            id_ = generate_id()
            try:
                ws = await self._session.ws_connect(self.config.path, **self._options())
            except asyncio.CancelledError:
                raise
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError, NodeError, ValueError) as exc:
                self._failed(id_, exc)
                await asyncio.sleep(RECONNECT_DELAY)
                continue
            self._reported = False
            peer = self._clients[id_] = _Peer(self, ws, id_)
            self._opened(id_, "")
            handle = self.handle_frame
            try:
                async for frame in ws:
                    kind = frame.type
                    if kind is aiohttp.WSMsgType.TEXT or kind is aiohttp.WSMsgType.BINARY:
                        handle(id_, frame.data)
                    elif kind is aiohttp.WSMsgType.ERROR:
                        break
                if ws.exception() is not None:
                    self._errored(id_)
            finally:
                self._clients.pop(id_, None)
                await peer.stop(False)
                if not ws.closed:
                    await ws.close()
                self._closed(id_, 0)
            await asyncio.sleep(RECONNECT_DELAY)

    def _failed(self, id_: str, exc: BaseException) -> None:
        self._errored(id_)
        if not self._reported:
            self._reported = True
            reason = str(exc) if isinstance(exc, NodeError) else f"{type(exc).__name__}: {exc}"
            self.error(CONNECT_ERROR + reason)


class _InOut(Node):
    """websocket in and out: find the config node, show its status."""

    Config = WebSocketInOutConfig

    def __init__(self, config: WebSocketInOutConfig, flow) -> None:
        super().__init__(config, flow)
        self.endpoint: _Endpoint | None = None

    def start(self) -> None:
        cfg = self.config
        endpoint = self.config_node(cfg.client or cfg.server)
        if not isinstance(endpoint, _Endpoint):
            self.error(MISSING_CONF)
            return
        self.endpoint = endpoint
        endpoint.add_watcher(self)

    async def close(self, removed: bool) -> None:
        if self.endpoint is not None:
            self.endpoint.remove_watcher(self)
        self.status({})


@register("websocket in", category="network", color=COLOR, inputs=0, outputs=1, icon="white-globe.svg")
class WebSocketInNode(_InOut):
    """Sends a msg for each frame received on a websocket: from the clients of a
    websocket-listener (``server``) or from the server a websocket-client connects to
    (``client``).

    Output msg: ``payload`` is the frame's text (a string) or, for a binary frame, bytes;
    ``_session`` is ``{type: "websocket", id}`` naming the connection, so a websocket out node
    can answer that client only. With the config node's "entire message" option a JSON object
    frame is the msg itself (other JSON values become ``payload``).

    Status: ``connected <n>`` with the number of clients of a listener, ``connected`` for a
    client connection, ``disconnected``, ``connecting``, ``error``.

    Errors: "Missing server configuration" when the config node named is missing.
    """

    def start(self) -> None:
        super().start()
        if self.endpoint is not None:
            self.endpoint.register_input(self)

    async def close(self, removed: bool) -> None:
        if self.endpoint is not None:
            self.endpoint.remove_input(self)
        await super().close(removed)


@register("websocket out", category="network", color=COLOR, inputs=1, outputs=0, icon="white-globe.svg")
class WebSocketOutNode(_InOut):
    """Sends ``msg.payload`` over a websocket: to the clients of a websocket-listener
    (``server``) or to the server of a websocket-client (``client``).

    Bytes go as a binary frame; any other payload as text (strings as they are, objects and
    arrays as JSON, numbers and booleans as JavaScript writes them). With the config node's
    "entire message" option the whole msg, without ``_session``, is sent as JSON instead. An
    empty payload (or a msg without one) sends nothing.

    ``msg._session`` of type ``websocket`` with an ``id`` (as a websocket in node sets it)
    sends to that connection only, and nothing when it has closed; without ``_session`` (or
    with no id) it goes to every client of the listener.

    Errors: "Missing server configuration"; "An error occurred while sending: ..." (warning)
    when the client is not connected or a send fails; a msg that cannot be written as JSON is
    reported with the msg.
    """

    def on_input(self, msg: dict) -> None:
        endpoint = self.endpoint
        if endpoint is None:
            return
        if endpoint.wholemsg:
            if "_session" in msg:
                rest = dict(msg)
                del rest["_session"]
                data: Any = to_json(rest)
            else:
                data = to_json(msg)
        elif "payload" in msg:
            payload = msg["payload"]
            t = type(payload)
            if t is str or t is bytes:
                data = payload
            elif t is bytearray:
                data = bytes(payload)
            elif payload is None or t is dict or t is list or isinstance(payload, (dict, list)):
                data = to_json(payload)
            else:
                data = js_to_string(payload)
        else:
            return
        if not data:
            return
        session = msg.get("_session")
        if type(session) is dict and session.get("type") == "websocket" and session.get("id"):
            endpoint.reply(session["id"], data)
        else:
            endpoint.broadcast(data)
