"""The TCP nodes: ``tcp in`` (listen on a port, or connect to a server, and send what
arrives), ``tcp out`` (send to the clients of a port, to a server, or back to a tcp in
connection) and ``tcp request`` (send, then wait for the reply).

As Node-RED's tcp nodes (nodes/core/network/31-tcpin.js, 31-tcpin.html).
"""
from __future__ import annotations

import asyncio
import base64
import codecs
import collections
import errno
import socket
import ssl
from typing import Any, Literal

from pydantic import Field, field_validator

from flowred import UNDEFINED, Node, NodeConfig, NodeError, clone_message, generate_id, register
from flowred.fields import EmptyDefault, Flag, OptionalPort, OrDefault, Port, Text
from flowred.jscompat import js_to_string
from flowred.nodes.common import LeaderGate, RunOn, b64decode, unescape_controls

__all__ = ["TcpInConfig", "TcpInNode", "TcpOutConfig", "TcpOutNode", "TcpRequestConfig", "TcpRequestNode"]

COLOR = "Silver"
ICON = "bridge-dash.svg"
RECONNECT_TIME = 10.0  # seconds, Node-RED's default socketReconnectTime (10000 ms)
FAST_RECONNECT = 0.02  # after a connection the peer ended on purpose
QUEUE_SIZE = 1000  # msgs a tcp request node holds per connection while connecting (tcpMsgQueueSize)
READ_SIZE = 65536

# Node-RED's texts (locales/en-US/messages.json, "tcpin")
CANNOT_LISTEN = "unable to listen on port {port}, error: {error}"
CONNECT_FAIL = "connect failed"
NO_HOST = "Host and/or port not set"
CONNECTION_LOST = "connection lost to {host}:{port}"
CONNECTING_TO = "connecting to {host}:{port}"
CONNECTION_FROM = "connection from {host}:{port}"
CONNECTION_CLOSED = "connection closed from {host}:{port}"

_CONNECTING = {"fill": "grey", "shape": "dot", "text": "connecting"}
_CONNECTED = {"fill": "green", "shape": "dot", "text": "connected"}
_DISCONNECTED = {"fill": "red", "shape": "ring", "text": "disconnected"}

# Open tcp connections by session id, shared by every tcp in and tcp out node (Node-RED's
# connectionPool): a tcp out in "reply" mode writes to msg._session.id here.
_pool: dict[str, asyncio.StreamWriter] = {}

# Ports a server node of this process is starting to listen on. Node's server.listen binds
# before any client's connect runs, so a flow with both ends connects at once; asyncio's
# start_server binds later, so a client on this machine waits for it (at most 5 s).
_starting: dict[str, asyncio.Future] = {}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")


def _starting_on(port: Any) -> None:
    fut = _starting.get(str(port))
    if fut is None or fut.done():
        _starting[str(port)] = asyncio.get_running_loop().create_future()


def _listening_done(port: Any) -> None:
    fut = _starting.pop(str(port), None)
    if fut is not None and not fut.done():
        fut.set_result(None)


async def _local_server_ready(host: str, port: Any) -> None:
    fut = _starting.get(str(port))
    if fut is not None and host in LOCAL_HOSTS:
        await asyncio.wait({fut}, timeout=5)


def _connections(count: int) -> str:
    return f"{count} connection" if count == 1 else f"{count} connections"


def _to_bytes(payload: Any, b64: bool) -> bytes:
    """What the tcp out node writes: bytes as they are, a string decoded from base64 when
    asked, anything else as JavaScript's ``String(payload)`` in UTF-8."""
    t = type(payload)
    if t is bytes:
        return payload
    if t is bytearray or t is memoryview:
        return bytes(payload)
    if t is str:
        return b64decode(payload) if b64 else payload.encode()
    return js_to_string(payload).encode()


def _peer(writer: asyncio.StreamWriter) -> tuple[str | None, int | None]:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return peer[0], peer[1]
    return None, None


def _close_writer(writer: asyncio.StreamWriter | None) -> None:
    if writer is not None and not writer.is_closing():
        writer.close()


def _tls_for(node: Node, tls_id: str) -> Any:
    """The tls-config node named, or None when not set. NodeError when it is set but missing."""
    if not tls_id:
        return None
    tls = node.config_node(tls_id)
    if tls is None or not hasattr(tls, "ssl_context"):
        raise NodeError(f"TLS config {tls_id} not found")
    return tls


def _listening_socket(port: Any) -> socket.socket:
    """A bound TCP socket on every interface, as Node's ``server.listen(port)``: one dual-stack
    ``::`` socket, so an IPv4 peer shows as ``::ffff:127.0.0.1`` (Node-RED's msg.ip and its
    "connection from" lines), or ``0.0.0.0`` when the machine has no IPv6. OSError when the
    port cannot be bound."""
    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    except OSError:
        sock = None
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.bind(("::", int(port)))
            return sock
        except OSError as exc:
            sock.close()
            if exc.errno not in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                raise
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", int(port)))
    except OSError:
        sock.close()
        raise
    return sock


async def _start_server(node: Node, serve: Any) -> asyncio.AbstractServer | None:
    """Listen on ``node.config.port`` on every interface (TLS when the node names a tls-config),
    connections handled by ``serve``; None after reporting Node-RED's "unable to listen" error."""
    cfg = node.config
    try:
        if cfg.port == "":
            raise NodeError("port not set")
        tls = _tls_for(node, cfg.tls)
        ctx = tls.server_ssl_context() if tls is not None else None
        server = await asyncio.start_server(serve, sock=_listening_socket(cfg.port), ssl=ctx)
    except (OSError, NodeError) as exc:
        node.error(CANNOT_LISTEN.format(port=cfg.port, error=_reason(exc)))
        return None
    finally:
        _listening_done(cfg.port)
    node.log(f"listening on port {cfg.port}")
    return server


async def _stop_handlers(handlers: set[asyncio.Task], server: asyncio.AbstractServer | None) -> None:
    """Cancel the connection handlers, wait for them, and for ``server`` (already closed) to end."""
    for task in list(handlers):
        task.cancel()
    if handlers:
        await asyncio.gather(*handlers, return_exceptions=True)
    if server is not None:
        await server.wait_closed()


def _reconnect_time(node: Node) -> float:
    ms = node.setting("socketReconnectTime")
    try:
        return float(ms) / 1000 if ms else RECONNECT_TIME
    except (TypeError, ValueError):
        return RECONNECT_TIME


# -- tcp in -------------------------------------------------------------------------------

class TcpInConfig(NodeConfig):
    """Node-RED's fields. ``server``: ``"server"`` (listen on ``port``) or ``"client"``
    (connect to ``host``:``port``). ``datamode``: ``"stream"`` (a msg per chunk or line) or
    ``"single"`` (one msg when the connection ends). ``datatype``: ``"buffer"``, ``"utf8"``
    or ``"base64"``. ``newline``: with stream of strings, split at this text (``\\n``, ``\\r``,
    ``\\t`` escapes); ``trim`` true re-attaches it to each part. ``topic``: msg.topic.
    ``tls``: a tls-config node id. ``base64`` is deprecated and unused."""

    server: str = "server"
    host: Text = ""
    port: Port = Field(..., description="The port to listen on or connect to.")
    datamode: str = "stream"
    datatype: EmptyDefault[Literal["buffer", "utf8", "base64"]] = "buffer"
    newline: Text = ""
    topic: Text = ""
    trim: Flag = False
    base64: Flag = False
    tls: Text = ""
    runOn: OrDefault[RunOn] = Field("leader", title="Run on", description=(
        "In a cluster (flowred run --cluster): run on the leader only (default: one listener or connection "
        "for the whole cluster, so no data is handled twice and workers on one host do not fight for the port) "
        "or on every worker."))

    @field_validator("server", mode="before")
    @classmethod
    def _server(cls, v: Any) -> str:
        if isinstance(v, bool):
            return "server" if v else "client"
        return "server" if v in (None, "", "server") else "client"

    @field_validator("datamode", mode="before")
    @classmethod
    def _mode(cls, v: Any) -> str:
        return "single" if v == "single" else "stream"


class _Receiver:
    """Turns the chunks of one connection into payloads as the tcp in node's options say."""

    __slots__ = ("datatype", "stream", "newline", "trim", "_decoder", "_text", "_bytes")

    def __init__(self, cfg: TcpInConfig, newline: str) -> None:
        self.datatype = cfg.datatype
        self.stream = cfg.datamode == "stream"
        self.newline = newline
        self.trim = cfg.trim
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._text = ""
        self._bytes = bytearray()

    def feed(self, chunk: bytes) -> list[Any]:
        """The payloads to send now for this chunk."""
        dt = self.datatype
        if not self.stream:
            self._bytes += chunk
            return []
        if dt == "buffer":
            return [chunk]
        if dt == "base64":
            return [base64.b64encode(chunk).decode()]
        text = self._decoder.decode(chunk)
        if not self.newline:
            return [text] if text else []
        self._text += text
        parts = self._text.split(self.newline)
        self._text = parts.pop()
        if self.trim:
            return [p + self.newline for p in parts]
        return parts

    def end(self) -> Any:
        """The payload to send when the peer ends the connection, or None."""
        if not self.stream:
            data = bytes(self._bytes)
            self._bytes.clear()
            if not data:
                return None
            if self.datatype == "utf8":
                return data.decode("utf-8", "replace")
            if self.datatype == "base64":
                return base64.b64encode(data).decode()
            return data
        if self.datatype == "utf8" and self.newline:
            rest = self._text + self._decoder.decode(b"", final=True)
            self._text = ""
            return rest or None
        return None


@register("tcp in", category="network", color=COLOR, inputs=0, outputs=1, icon=ICON)
class TcpInNode(Node):
    """Reads data from TCP connections and sends it on, as Node-RED's tcp nodes
    (31-tcpin.js).

    Type "Listen on" (``server: "server"``) accepts connections on ``port`` (every interface);
    "Connect to" (``"client"``) connects to ``host``:``port`` and, when the connection drops
    or cannot be made, tries again after 10 s (``socketReconnectTime`` in the settings, ms), or
    at once when the server ended a connection that sent data. With a tls-config node
    (``tls``) the server speaks TLS with its certificate, the client verifies the server.

    Output msg: ``topic`` (the node's topic), ``payload``, ``_session: {type: "tcp", id}``
    naming the connection (a tcp out node in "Reply to TCP" mode answers on it) and, for a
    server, ``ip`` and ``port`` of the remote end. ``payload`` is bytes (Buffer), a string
    (utf8) or a base64 string. "stream": one msg per chunk received, or for strings with a
    delimiter (``newline``) one per delimited part (with the delimiter when ``trim``; the rest
    is sent when the connection ends); "single": one msg with all the data when the remote
    end closes the connection.

    Status: a server shows ``<n> connection(s)``; a client ``connecting``, ``connected``,
    ``disconnected``.

    Errors: "unable to listen on port <port>, error: <reason>" when the port is taken;
    connection failures of a client are logged and retried.
    """

    Config = TcpInConfig

    def __init__(self, config: TcpInConfig, flow) -> None:
        super().__init__(config, flow)
        self.newline = unescape_controls(config.newline)
        self._server: asyncio.AbstractServer | None = None
        self._task: asyncio.Task | None = None
        self._conns: dict[str, asyncio.StreamWriter] = {}
        self._handlers: set[asyncio.Task] = set()

    def start(self) -> None:
        self._gate = LeaderGate(self, self.config.runOn, self._start_input, self._stop_input)

    def _start_input(self) -> None:
        loop = asyncio.get_running_loop()
        if self.config.server == "server":
            _starting_on(self.config.port)
            self._task = loop.create_task(self._listen())
        else:
            self._task = loop.create_task(self._keep_connected())

    def _emit(self, payload: Any, id_: str, ip: Any = UNDEFINED, port: Any = UNDEFINED) -> None:
        if self.closed:
            return
        msg: dict[str, Any] = {"topic": self.config.topic, "payload": payload}
        if ip is not UNDEFINED:
            msg["ip"] = ip
            msg["port"] = port
        msg["_session"] = {"type": "tcp", "id": id_}
        self.send(msg)

    # -- server ----------------------------------------------------------------------------
    async def _listen(self) -> None:
        self._server = await _start_server(self, self._serve)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.closed:
            _close_writer(writer)
            return
        task = asyncio.current_task()
        self._handlers.add(task)
        id_ = generate_id()
        ip, port = _peer(writer)
        _pool[id_] = writer
        self._conns[id_] = writer
        session = {"type": "tcp", "id": id_}
        self.status({"text": _connections(len(self._conns)), "event": "connect", "ip": ip, "port": port,
                     "_session": session})
        receiver = _Receiver(self.config, self.newline)
        try:
            while True:
                chunk = await reader.read(READ_SIZE)
                if not chunk:
                    break
                for payload in receiver.feed(chunk):
                    self._emit(payload, id_, ip, port)
            last = receiver.end()
            if last is not None:
                self._emit(last, id_, ip, port)
        except (OSError, ssl.SSLError) as exc:
            self.log(f"error: {exc}")
        except asyncio.CancelledError:  # the node stops: end quietly
            pass
        finally:
            _pool.pop(id_, None)
            self._conns.pop(id_, None)
            _close_writer(writer)
            self._handlers.discard(task)
            if not self.closed:
                self.status({"text": _connections(len(self._conns)), "event": "disconnect", "ip": ip,
                             "port": port, "_session": session})

    # -- client ----------------------------------------------------------------------------
    async def _keep_connected(self) -> None:
        cfg = self.config
        host, port = cfg.host or "localhost", cfg.port
        while True:
            self.status(_CONNECTING)
            id_ = generate_id()
            session = {"type": "tcp", "id": id_}
            quick = False
            try:
                tls = _tls_for(self, cfg.tls)
                ctx = tls.ssl_context() if tls is not None else None
                self.log(CONNECTING_TO.format(host=host, port=port))
                await _local_server_ready(host, port)
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=ctx, server_hostname=(tls.servername or host) if ctx else None)
            except (OSError, NodeError, ssl.SSLError) as exc:
                self.log(f"error: {_reason(exc)}")
                self.status({**_DISCONNECTED, "_session": session})
                await asyncio.sleep(_reconnect_time(self))
                continue
            self.log(f"connected to {host}:{port}")
            self.status({**_CONNECTED, "_session": session})
            _pool[id_] = writer
            receiver = _Receiver(cfg, self.newline)
            try:
                while True:
                    chunk = await reader.read(READ_SIZE)
                    if not chunk:
                        break
                    for payload in receiver.feed(chunk):
                        self._emit(payload, id_)
                last = receiver.end()
                if last is not None:
                    quick = True
                    self._emit(last, id_)
            except (OSError, ssl.SSLError) as exc:
                self.log(f"error: {exc}")
            finally:
                _pool.pop(id_, None)
                _close_writer(writer)
            self.status({**_DISCONNECTED, "_session": session})
            if not quick:
                self.log(CONNECTION_LOST.format(host=host, port=port))
            await asyncio.sleep(FAST_RECONNECT if quick else _reconnect_time(self))

    async def close(self, removed: bool) -> None:
        await self._gate.close()

    async def _stop_input(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._server is not None:
            self._server.close()
        for id_, writer in list(self._conns.items()):
            _pool.pop(id_, None)
            _close_writer(writer)
        self._conns.clear()
        await _stop_handlers(self._handlers, self._server)
        self._server = None
        self.status({})


# -- tcp out ------------------------------------------------------------------------------

class TcpOutConfig(NodeConfig):
    """Node-RED's fields. ``beserver``: ``"client"`` (connect to ``host``:``port``),
    ``"server"`` (listen on ``port``) or ``"reply"`` (write to the tcp in connection named
    by ``msg._session``). ``base64``: decode a string payload from base64 first. ``end``:
    close the connection after each msg (client and server). ``tls``: a tls-config node id."""

    host: Text = ""
    port: OptionalPort = ""
    beserver: EmptyDefault[Literal["client", "server", "reply"]] = "client"
    base64: Flag = False
    end: Flag = False
    tls: Text = ""


@register("tcp out", category="network", color=COLOR, inputs=1, outputs=0, icon=ICON)
class TcpOutNode(Node):
    """Writes ``msg.payload`` to TCP connections, as Node-RED's tcp nodes (31-tcpin.js).

    The payload is written as bytes: bytes as they are, a string decoded from base64 when
    "Decode Base64" (``base64``) is on, else its text (numbers, booleans and objects as
    JavaScript's ``String()``) in UTF-8. A msg without a payload (or a null one) writes
    nothing.

    "Connect to" (``beserver: "client"``) keeps a connection to ``host``:``port``, reconnecting
    after 10 s (``socketReconnectTime``) when it drops, and writes while connected (msgs
    arriving while not connected are dropped, as Node-RED). With ``end`` the connection is
    closed after each msg and opened again at once. Status ``connecting``, ``connected``,
    ``disconnected``. A tls-config node (``tls``) makes it a TLS connection.

    "Listen on" (``"server"``) accepts connections on ``port`` and writes each msg to every
    connected client (with ``end``, then closes them). Status ``<n> connection(s)``.

    "Reply to TCP" (``"reply"``) writes to the connection of ``msg._session`` (type ``tcp``, as
    a tcp in node sets it); a closed connection's msg is dropped; without a tcp ``_session``
    it writes to every open tcp in connection.

    Errors: "unable to listen on port <port>, error: <reason>"; connection errors are logged.
    """

    Config = TcpOutConfig

    def __init__(self, config: TcpOutConfig, flow) -> None:
        super().__init__(config, flow)
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task | None = None
        self._ended = False
        self._server: asyncio.AbstractServer | None = None
        self._clients: list[asyncio.StreamWriter] = []
        self._handlers: set[asyncio.Task] = set()

    def start(self) -> None:
        mode = self.config.beserver
        loop = asyncio.get_running_loop()
        if mode == "client":
            self._task = loop.create_task(self._keep_connected())
        elif mode == "server":
            self.status({"text": _connections(0)})
            _starting_on(self.config.port)
            self._task = loop.create_task(self._listen())

    def on_input(self, msg: dict) -> None:
        payload = msg.get("payload")
        mode = self.config.beserver
        if mode == "reply":
            data = _to_bytes(payload, self.config.base64)
            session = msg.get("_session")
            if type(session) is dict and session.get("type") == "tcp":
                writer = _pool.get(session.get("id"))
                if writer is not None and not writer.is_closing():
                    writer.write(data)
            else:
                for writer in list(_pool.values()):
                    if not writer.is_closing():
                        writer.write(data)
            return
        if payload is None:
            return
        data = _to_bytes(payload, self.config.base64)
        if mode == "client":
            writer = self._writer
            if writer is None or writer.is_closing():
                return
            writer.write(data)
            if self.config.end:
                self._ended = True
                self.status({})
                writer.close()
            return
        for writer in list(self._clients):
            if writer.is_closing():
                continue
            writer.write(data)
            if self.config.end:
                writer.close()

    # -- client ----------------------------------------------------------------------------
    async def _keep_connected(self) -> None:
        cfg = self.config
        host, port = cfg.host or "localhost", cfg.port
        while True:
            self._ended = False
            self.status(_CONNECTING)
            try:
                if port == "":
                    raise NodeError("port not set")
                tls = _tls_for(self, cfg.tls)
                ctx = tls.ssl_context() if tls is not None else None
                self.log(CONNECTING_TO.format(host=host, port=port))
                await _local_server_ready(host, port)
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=ctx, server_hostname=(tls.servername or host) if ctx else None)
            except (OSError, NodeError, ssl.SSLError) as exc:
                self.log(f"error: {_reason(exc)}")
                self.status(_DISCONNECTED)
                await asyncio.sleep(_reconnect_time(self))
                continue
            self._writer = writer
            self.log(f"connected to {host}:{port}")
            self.status(_CONNECTED)
            try:
                while await reader.read(READ_SIZE):  # what the server sends is not used
                    pass
            except (OSError, ssl.SSLError) as exc:
                self.log(f"error: {exc}")
            finally:
                self._writer = None
                _close_writer(writer)
            self.status(_DISCONNECTED)
            if self._ended:
                await asyncio.sleep(FAST_RECONNECT)
            else:
                self.log(CONNECTION_LOST.format(host=host, port=port))
                await asyncio.sleep(_reconnect_time(self))

    # -- server ----------------------------------------------------------------------------
    async def _listen(self) -> None:
        self._server = await _start_server(self, self._serve)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.closed:
            _close_writer(writer)
            return
        task = asyncio.current_task()
        self._handlers.add(task)
        self._clients.append(writer)
        ip, port = _peer(writer)
        self.log(CONNECTION_FROM.format(host=ip, port=port))
        self.status({"text": _connections(len(self._clients))})
        try:
            while await reader.read(READ_SIZE):
                pass
        except (OSError, ssl.SSLError):
            self.log(f"socket error from {ip}:{port}")
        except asyncio.CancelledError:  # the node stops: end quietly
            pass
        finally:
            if writer in self._clients:
                self._clients.remove(writer)
            _close_writer(writer)
            self._handlers.discard(task)
            if not self.closed:
                self.log(CONNECTION_CLOSED.format(host=ip, port=port))
                self.status({"text": _connections(len(self._clients))})

    async def close(self, removed: bool) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        _close_writer(self._writer)
        self._writer = None
        if self._server is not None:
            self._server.close()
        for writer in self._clients:
            _close_writer(writer)
        self._clients.clear()
        await _stop_handlers(self._handlers, self._server)
        self._server = None
        self.status({})


# -- tcp request --------------------------------------------------------------------------

class TcpRequestConfig(NodeConfig):
    """Node-RED's fields. ``server``/``port``: where to connect (empty: ``msg.host`` /
    ``msg.port``). ``out``: when the reply is complete: ``"time"`` (``splitc`` ms after the
    first data), ``"char"`` (at the character ``splitc``: a character, ``\\n``-style escape or
    ``0x..`` code), ``"count"`` (``splitc`` bytes), ``"sit"`` (never: keep the connection and
    send each chunk) or ``"immed"`` (send, close, no reply). ``ret``: ``"buffer"`` or
    ``"string"``. ``newline``/``trim``: with ``sit`` and strings, split at ``newline`` and
    re-attach it when ``trim``. ``tls``: a tls-config node id."""

    server: Text = ""
    port: OptionalPort = ""
    out: EmptyDefault[Literal["time", "char", "count", "sit", "immed"]] = "time"
    ret: str = "buffer"
    splitc: Text = "0"
    newline: Text = ""
    trim: Flag = False
    tls: Text = ""

    @field_validator("ret", mode="before")
    @classmethod
    def _ret(cls, v: Any) -> str:
        return "string" if v == "string" else "buffer"


_ESCAPES = {"\\n": 0x0A, "\\r": 0x0D, "\\t": 0x09, "\\e": 0x1B, "\\f": 0x0C, "\\0": 0x00}


def _split_char(text: str) -> int:
    """The byte that ends a reply in ``char`` mode."""
    if text[:2] in _ESCAPES:
        return _ESCAPES[text[:2]]
    if text[:2].lower() == "0x":
        try:
            return int(text, 16) & 0xFF
        except ValueError:
            raise ValueError(f"splitc must be a character or a 0x.. code, got {text!r}") from None
    if not text:
        raise ValueError("splitc must be a character")
    return ord(text[0]) & 0xFF


def _number(text: str) -> float:
    try:
        return float(text.strip() or 0)
    except ValueError:
        raise ValueError(f"splitc must be a number, got {text!r}") from None


class _Client:
    __slots__ = ("queue", "connected", "connecting", "last", "writer", "task")

    def __init__(self) -> None:
        self.queue: collections.deque = collections.deque(maxlen=QUEUE_SIZE)
        self.connected = False
        self.connecting = False
        self.last: dict | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.task: asyncio.Task | None = None


@register("tcp request", category="network", color=COLOR, inputs=1, outputs=1, icon=ICON)
class TcpRequestNode(Node):
    """Sends ``msg.payload`` to a TCP server and sends on the reply, as Node-RED's tcp nodes
    (31-tcpin.js).

    Connects to ``server``:``port`` (or ``msg.host``/``msg.port`` when the node's are empty)
    once per host and port, queues msgs while connecting (up to 1000) and writes each payload
    (bytes, or the text of anything else). The reply goes out in the last msg sent to that
    connection, ``msg.payload`` replaced by bytes (or a string with ``ret: "string"``):

    * ``out: "time"``: everything received within ``splitc`` ms of the first byte;
    * ``"char"``: up to and including the byte ``splitc``;
    * ``"count"``: the first ``splitc`` bytes;
    * then the connection is closed; the next msg connects again;
    * ``"sit"``: each chunk as it comes, the connection stays open (strings split at
      ``newline``, re-attached with ``trim``); ``msg.reset`` ``true`` closes every connection,
      ``"host:port"`` that one;
    * ``"immed"``: the payload is written, the connection closed, nothing is sent.

    Status ``connected``, ``disconnected`` when the server closes, ``error``. With a
    tls-config node (``tls``) the connection is TLS.

    Errors: "Host and/or port not set" (warning); "connect failed <host>:<port>" with the msg
    when the connection fails or breaks.
    """

    Config = TcpRequestConfig

    def __init__(self, config: TcpRequestConfig, flow) -> None:
        super().__init__(config, flow)
        out = config.out
        self.out = "time" if out == "immed" else out
        if out == "immed":
            self.splitc: float = -1
        elif out == "char":
            self.splitc = _split_char(config.splitc)
        else:
            self.splitc = _number(config.splitc)
        self.immediate = out == "immed"
        self.newline = unescape_controls(config.newline)
        self._clients: dict[str, _Client] = {}
        self._last_id: str | None = None

    def on_input(self, msg: dict) -> None:
        cfg = self.config
        payload = msg.get("payload", UNDEFINED)
        if payload is not UNDEFINED and type(payload) not in (bytes, str):
            msg["payload"] = payload = (bytes(payload) if isinstance(payload, (bytearray, memoryview))
                                        else js_to_string(payload))
        host = cfg.server or msg.get("host")
        port = cfg.port or msg.get("port")
        if self.out == "sit" and msg.get("reset"):
            reset = msg["reset"]
            if reset is True:
                for key in list(self._clients):
                    self._drop(key)
            elif isinstance(reset, str) and ":" in reset and reset in self._clients:
                self._drop(reset)
            count = len(self._clients)
            self.status({"fill": "green", "shape": "dot" if count else "ring", "text": _connections(count)})
            if "payload" not in msg:
                return
        key = f"{js_to_string(host) if host is not None else 'undefined'}:" \
              f"{js_to_string(port) if port is not None else 'undefined'}"
        if key != self._last_id:
            self.status({})
            self._last_id = key
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = _Client()
        client.queue.append(msg)
        client.last = msg
        if not client.connecting and not client.connected:
            if not host or not port:
                self.warn(NO_HOST)
                self._clients.pop(key, None)
                return
            client.connecting = True
            client.task = asyncio.get_running_loop().create_task(self._converse(key, client, str(host), port))
        elif client.connected and client.writer is not None:
            self._write(client, client.queue.popleft())

    @staticmethod
    def _write(client: _Client, msg: dict) -> None:
        payload = msg.get("payload", UNDEFINED)
        if payload is UNDEFINED or payload is None or client.writer is None:
            return
        client.writer.write(payload.encode() if type(payload) is str else payload)

    def _drop(self, key: str) -> None:
        client = self._clients.pop(key, None)
        if client is not None:
            client.connected = client.connecting = False
            _close_writer(client.writer)
            if client.task is not None and client.task is not asyncio.current_task():
                client.task.cancel()

    async def _converse(self, key: str, client: _Client, host: str, port: Any) -> None:
        cfg = self.config
        try:
            tls = _tls_for(self, cfg.tls)
            ctx = tls.ssl_context() if tls is not None else None
            reader, writer = await asyncio.open_connection(
                host, int(port), ssl=ctx, server_hostname=(tls.servername or host) if ctx else None)
        except (OSError, NodeError, ssl.SSLError, ValueError) as exc:
            self._failed(key, client, exc)
            return
        if self._clients.get(key) is not client:
            _close_writer(writer)
            return
        client.writer = writer
        client.connected, client.connecting = True, False
        # 31-tcpin.js shows the number of connections here (its "connected" line is commented out)
        self.status({"fill": "green", "shape": "dot", "text": _connections(len(self._clients))})
        while client.queue:
            self._write(client, client.queue.popleft())
        if self.immediate:
            self._drop(key)
            self.status({})
            return
        try:
            if self.out == "sit":
                await self._sit(client, reader)
            else:
                await self._once(key, client, reader)
                return
        except (OSError, ssl.SSLError) as exc:
            self._failed(key, client, exc)
            return
        # the server ended the connection: the next msg connects again
        self.status({"fill": "grey", "shape": "ring", "text": "disconnected"})
        client.connected = client.connecting = False
        client.writer = None
        _close_writer(writer)

    def _failed(self, key: str, client: _Client, exc: BaseException) -> None:
        self.status({"fill": "red", "shape": "ring", "text": "error"})
        self.error(NodeError(f"{CONNECT_FAIL} {key}"), client.last)
        self.log(f"error: {_reason(exc)}")
        if self._clients.get(key) is client:
            self._drop(key)

    async def _sit(self, client: _Client, reader: asyncio.StreamReader) -> None:
        string = self.config.ret == "string"
        newline = self.newline
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        pending = ""
        while True:
            chunk = await reader.read(READ_SIZE)
            if not chunk:
                return
            base = client.last if client.last is not None else {}
            if not string:
                msg = clone_message(base)
                msg["payload"] = chunk
                self.send(msg)
                continue
            text = decoder.decode(chunk)
            if not newline:
                msg = clone_message(base)
                msg["payload"] = text
                self.send(msg)
                continue
            pending += text
            parts = pending.split(newline)
            pending = parts.pop()
            for part in parts:
                msg = clone_message(base)
                msg["payload"] = part + newline if self.config.trim else part
                self.send(msg)

    async def _once(self, key: str, client: _Client, reader: asyncio.StreamReader) -> None:
        """time, char, count: gather one reply, send it, close the connection."""
        loop = asyncio.get_running_loop()
        buf = bytearray()
        out, splitc = self.out, self.splitc
        count = int(splitc) if splitc >= 1 else 1
        deadline: float | None = None
        eof = False
        while True:
            if out == "time" and deadline is not None:
                left = deadline - loop.time()
                if eof:  # the server closed early: the reply still goes out when the time is up
                    if left > 0:
                        await asyncio.sleep(left)
                    break
                if left <= 0:
                    break
                try:
                    chunk = await asyncio.wait_for(reader.read(READ_SIZE), left)
                except asyncio.TimeoutError:
                    break
            elif eof:
                # the server closed before the reply was complete: wait for the next msg
                self.status({"fill": "grey", "shape": "ring", "text": "disconnected"})
                client.connected = client.connecting = False
                _close_writer(client.writer)
                client.writer = None
                return
            else:
                chunk = await reader.read(READ_SIZE)
            if not chunk:
                eof = True
                continue
            if out == "time":
                if deadline is None:
                    deadline = loop.time() + max(splitc, 0) / 1000
                buf += chunk
            elif out == "count":
                need = count - len(buf)
                buf += chunk[:need]
                if len(buf) >= count:
                    break
            else:
                at = chunk.find(bytes((int(splitc),)))
                if at >= 0:
                    buf += chunk[: at + 1]
                    break
                buf += chunk
        if self._clients.get(key) is client:
            self._reply_and_close(key, client, bytes(buf))

    def _reply_and_close(self, key: str, client: _Client, data: bytes) -> None:
        msg = client.last if client.last is not None else {}
        msg["payload"] = data.decode("utf-8", "replace") if self.config.ret == "string" else data
        self.send(msg)
        self.status({})
        self._drop(key)

    async def close(self, removed: bool) -> None:
        tasks = [c.task for c in self._clients.values() if c.task is not None]
        for key in list(self._clients):
            self._drop(key)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self.status({})


def _reason(exc: BaseException) -> str:
    if isinstance(exc, NodeError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
