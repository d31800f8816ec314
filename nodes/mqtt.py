"""The MQTT nodes: ``mqtt in`` (subscribe) and ``mqtt out`` (publish) with their config node
``mqtt-broker`` (one connection to a broker, shared by the in and out nodes that name it).

As Node-RED's mqtt nodes (nodes/core/network/10-mqtt.js, 10-mqtt.html).
"""
from __future__ import annotations

import asyncio
import base64
import collections
import re
import ssl
import uuid
from typing import TYPE_CHECKING, Any, Callable, Literal
from urllib.parse import urlsplit

import orjson
from pydantic import Field, field_validator

from flowred import Node, NodeConfig, NodeError, generate_id, register
from flowred.fields import Integer, OrDefault, Port, Text, TrimmedText, TruthyFlag
from flowred.jscompat import js_to_string
from flowred.nodes.common import to_json

if TYPE_CHECKING:
    import aiomqtt

__all__ = ["MqttBrokerConfig", "MqttBrokerNode", "MqttInConfig", "MqttInNode", "MqttOutConfig", "MqttOutNode"]

COLOR = "#d8bfd8"
RECONNECT_DELAY = 5.0  # seconds; Node-RED's mqttReconnectTime default (5000 ms)
CLOSE_TIMEOUT = 2.0  # seconds a close message and the DISCONNECT may take

# Node-RED's texts (locales/en-US/messages.json, "mqtt")
MISSING_CONFIG = "missing broker configuration"
INVALID_TOPIC = "Invalid topic specified"
NOT_DEFINED = "topic not defined"
INVALID_JSON_PARSE = "Failed to parse JSON payload"
INVALID_JSON_STRING = "Invalid JSON string"
NONCLEAN_MISSING_CLIENTID = "No client ID set, using clean session"
INVALID_ACTION = "Invalid action"
CONNECTED_LOG = "Connected to broker: {broker}"
DISCONNECTED_LOG = "Disconnected from broker: {broker}"
CONNECT_FAILED_LOG = "Connection failed to broker: {broker}"

_CONNECTED = {"fill": "green", "shape": "dot", "text": "connected"}
_CONNECTING = {"fill": "yellow", "shape": "ring", "text": "connecting"}
_DISCONNECTED = {"fill": "red", "shape": "ring", "text": "disconnected"}

# a subscription filter as the editor validates it: '#', or levels of '+' or text, '#' last
_FILTER_RE = re.compile(r"^(#$|(\+|[^+#]*)(/(\+|[^+#]*))*(/(\+|#|[^+#]*))?$)")
_SHARE_RE = re.compile(r"^\$share/[^#+/]+/(.*)$")


def _text(v: Any) -> str:
    return "" if v is None else js_to_string(v) if not isinstance(v, str) else v


def _flag(v: Any) -> bool:
    return v is True or v == "true"


def _qos(v: Any, default: int = 0) -> int:
    try:
        q = int(str(v).strip())
    except (TypeError, ValueError):
        return default
    return q if 0 <= q <= 2 else default


def topic_matcher(topic_filter: str) -> Callable[[str], bool]:
    """A function telling whether a topic matches ``topic_filter`` (``+`` one level, ``#`` the
    rest; a ``$share/<group>/`` prefix is ignored), as Node-RED's ``matchTopic``."""
    m = _SHARE_RE.match(topic_filter)
    if m:
        topic_filter = m.group(1)
    if topic_filter == "#":
        return lambda t: True
    if "+" not in topic_filter and "#" not in topic_filter:
        return topic_filter.__eq__
    parts = []
    levels = topic_filter.split("/")
    for i, level in enumerate(levels):
        if level == "+":
            parts.append("[^/]+")
        elif level == "#" and i == len(levels) - 1:
            parts[-1:] = [parts[-1] + "(/.*)?"] if parts else [".*"]
            continue
        else:
            parts.append(re.escape(level))
    pattern = re.compile("/".join(parts))
    match = pattern.fullmatch
    return lambda t: match(t) is not None


def encode_payload(payload: Any) -> bytes | str:
    """msg.payload as it is published: bytes as they are, ``null``/missing as ``""``, objects and
    arrays as JSON, anything else as JavaScript's ``String()`` writes it."""
    t = type(payload)
    if t is str or t is bytes:
        return payload
    if payload is None:
        return ""
    if t is bytearray:
        return bytes(payload)
    if isinstance(payload, (dict, list)):
        return to_json(payload)
    return js_to_string(payload)


class MqttBrokerConfig(NodeConfig):
    """Node-RED's ``mqtt-broker`` fields and defaults.

    ``broker``: host name or IP (or a URL ``mqtt://``, ``mqtts://``, ``ws://``, ``wss://``);
    ``port`` (1883); ``clientid`` (empty: a random id); ``autoConnect`` (connect when a node
    uses the broker); ``usetls`` with ``tls`` (a tls-config id); ``protocolVersion`` ``"3"``,
    ``"4"`` (MQTT 3.1.1) or ``"5"``; ``keepalive`` seconds (60); ``cleansession`` (true);
    ``birth*``/``close*``/``will*``: topic, qos, retain and payload of the message published on
    connect, before a clean disconnect, and by the broker when the connection is lost.
    Credentials ``user`` and ``password``."""

    broker: TrimmedText = ""
    port: Port = 1883
    tls: TrimmedText = Field("", description="The id of a tls-config node (used with usetls).")
    clientid: TrimmedText = ""
    autoConnect: TruthyFlag = True
    usetls: TruthyFlag = False
    verifyservercert: TruthyFlag = False
    protocolVersion: TrimmedText = "4"
    keepalive: Integer[int] = 60
    cleansession: TruthyFlag = True
    autoUnsubscribe: TruthyFlag = True
    birthTopic: TrimmedText = ""
    birthQos: TrimmedText = "0"
    birthRetain: Any = "false"
    birthPayload: TrimmedText = ""
    birthMsg: dict = {}
    closeTopic: TrimmedText = ""
    closeQos: TrimmedText = "0"
    closeRetain: Any = "false"
    closePayload: TrimmedText = ""
    closeMsg: dict = {}
    willTopic: TrimmedText = ""
    willQos: TrimmedText = "0"
    willRetain: Any = "false"
    willPayload: TrimmedText = ""
    willMsg: dict = {}
    userProps: Any = ""
    sessionExpiry: Any = ""

    @field_validator("birthMsg", "closeMsg", "willMsg", mode="before")
    @classmethod
    def _dict(cls, v: Any) -> Any:
        return v if isinstance(v, dict) else {}


class _Sub:
    __slots__ = ("topic", "qos", "callback", "match")

    def __init__(self, topic: str, qos: int, callback: Callable) -> None:
        self.topic = topic
        self.qos = qos
        self.callback = callback
        self.match = topic_matcher(topic)


@register("mqtt-broker", category="config", config_node=True, inputs=0, outputs=0, label="MQTT broker",
          credentials=("user", "password"))
class MqttBrokerNode(Node):
    """A connection to an MQTT broker, shared by every mqtt in and mqtt out node naming it.

    Connects when the first of them starts (with ``autoConnect``), and after the connection
    drops or fails tries again every 5 seconds (settings ``mqttReconnectTime`` in ms) until the
    node stops; subscriptions are made again on each connect and the birth message is
    published. Messages published while not connected are queued and sent on connect. On stop
    (redeploy or shutdown) the close message is published and the client disconnects cleanly
    (so the broker does not send the will).

    The nodes using it show ``connecting`` (yellow ring), ``connected`` (green dot) and
    ``disconnected`` (red ring). Connects, disconnects and failed attempts are logged as
    "Connected to broker: <clientid>@mqtt://host:port" and so on.

    TLS: ``usetls`` with a tls-config node uses its certificates and checks; ``usetls`` alone
    uses the system CAs and verifies only with ``verifyservercert``.

    Errors: a broken tls-config is reported on this node at each attempt; publish errors are
    reported with the msg on the mqtt out node.

    In a cluster (``flowred run --cluster``) every worker connects, and subscribes with an MQTT
    shared subscription ``$share/flowred-<cluster name>/<topic>`` so the broker hands each
    message to one worker only; a set ``clientid`` gets ``_<worker id>`` appended so the
    workers' connections do not replace each other.
    """

    Config = MqttBrokerConfig

    def __init__(self, config: MqttBrokerConfig, flow) -> None:
        super().__init__(config, flow)
        c = config
        self.cleansession = c.cleansession
        if not c.cleansession and not c.clientid:
            self.cleansession = True
            self.warn(NONCLEAN_MISSING_CLIENTID)
        self.client_id = c.clientid or "nodered_" + uuid.uuid4().hex[:16]
        cluster = self.cluster()
        self._share = f"$share/flowred-{cluster.name}/" if cluster is not None else ""
        if cluster is not None and c.clientid:
            self.client_id = f"{c.clientid}_{cluster.worker_id}"
        self.transport = "tcp"
        self.ws_path: str | None = None
        self.tls_on = c.usetls
        broker = c.broker
        if "://" in broker:
            url = urlsplit(broker)
            scheme = url.scheme.lower()
            self.host = url.hostname or "localhost"
            self.tls_on = scheme in ("mqtts", "ssl", "tls", "wss")
            self.port = url.port or {"mqtts": 8883, "ssl": 8883, "tls": 8883, "ws": 80, "wss": 443}.get(scheme, 1883)
            if scheme in ("ws", "wss"):
                self.transport = "websockets"
                self.ws_path = url.path or "/"
            self.url = broker
        else:
            self.host = broker or "localhost"
            self.port = int(c.port or 1883)
            host = f"[{self.host}]" if ":" in self.host else self.host
            self.url = f"{'mqtts' if c.usetls else 'mqtt'}://{host}:{self.port}"
        self.label_url = (c.clientid + "@" if c.clientid else "") + self.url
        self.v5 = c.protocolVersion == "5"
        self.birth = self._message(c.birthTopic, c.birthPayload, c.birthQos, c.birthRetain)
        self.close_message = self._message(c.closeTopic, c.closePayload, c.closeQos, c.closeRetain)
        self.will = self._message(c.willTopic, c.willPayload, c.willQos, c.willRetain)
        reconnect = self.setting("mqttReconnectTime")
        self.reconnect_delay = reconnect / 1000 if isinstance(reconnect, (int, float)) and reconnect > 0 \
            else RECONNECT_DELAY
        self.connected = False
        self.connecting = False
        self.closing = False
        self.client: aiomqtt.Client | None = None
        import aiomqtt as mqtt  # the MQTT client library loads with the first broker node, not with every flow

        self._mqtt = mqtt
        self._users: dict[str, Node] = {}
        self._subs: dict[str, dict[str, _Sub]] = {}
        self._routes: tuple[_Sub, ...] = ()
        self._queue: collections.deque = collections.deque()
        self._task: asyncio.Task | None = None
        self._side: set[asyncio.Task] = set()

    @staticmethod
    def _message(topic: str, payload: str, qos: str, retain: Any) -> dict | None:
        if not topic:
            return None
        return {"topic": topic, "payload": payload or "", "qos": _qos(qos), "retain": _flag(retain)}

    # -- users -----------------------------------------------------------------------------
    def register(self, node: Node) -> None:
        """An mqtt in/out node uses this broker: connect with the first (``autoConnect``)."""
        self._users[node.id] = node
        node.status(_CONNECTED if self.connected else _DISCONNECTED)
        if len(self._users) == 1 and self.config.autoConnect:
            self.connect()

    async def deregister(self, node: Node) -> None:
        """The node stops; with no users left the connection is closed."""
        self._users.pop(node.id, None)
        if not self._users and not self.closing:
            await self.disconnect()

    def show_status(self, status: dict) -> None:
        """Show ``status`` on every mqtt in/out node using this broker."""
        for node in list(self._users.values()):
            node.status(status)

    # -- connection ------------------------------------------------------------------------
    def connect(self) -> None:
        """Start connecting (and keep reconnecting) unless already doing so."""
        if self._task is None and not self.closing:
            self._task = asyncio.get_running_loop().create_task(self._keep_connected())

    async def disconnect(self) -> None:
        """Publish the close message and disconnect cleanly; no reconnect follows."""
        task, self._task = self._task, None
        if task is None:
            return
        client = self.client
        if self.connected and self.close_message and client is not None:
            m = self.close_message
            try:
                await asyncio.wait_for(client.publish(m["topic"], m["payload"], m["qos"], m["retain"]),
                                       CLOSE_TIMEOUT)
            except (self._mqtt.MqttError, asyncio.TimeoutError, ValueError):
                pass
        task.cancel()
        try:
            await asyncio.wait_for(task, CLOSE_TIMEOUT)
        except (asyncio.CancelledError, asyncio.TimeoutError, Exception):
            pass
        self.connected = self.connecting = False
        self.client = None

    async def close(self, removed: bool) -> None:
        self.closing = True
        await self.disconnect()
        for t in list(self._side):
            t.cancel()
        self._users.clear()
        self._subs.clear()
        self._routes = ()
        self._queue.clear()

    def _client_options(self) -> dict:
        c = self.config
        options: dict[str, Any] = {
            "identifier": self.client_id, "keepalive": c.keepalive, "transport": self.transport,
            "username": self.credentials.get("user") or None, "password": self.credentials.get("password") or None,
        }
        if self.v5:
            options["protocol"] = self._mqtt.ProtocolVersion.V5
        else:
            options["protocol"] = self._mqtt.ProtocolVersion.V31 if c.protocolVersion == "3" \
                else self._mqtt.ProtocolVersion.V311
            options["clean_session"] = self.cleansession
        if self.ws_path:
            options["websocket_path"] = self.ws_path
        if self.will:
            w = self.will
            options["will"] = self._mqtt.Will(w["topic"], w["payload"], w["qos"], w["retain"])
        if self.tls_on:
            tls = self.config_node(c.tls) if c.tls else None
            if tls is not None and hasattr(tls, "ssl_context"):
                options["tls_context"] = tls.ssl_context()  # NodeError when the TLS config is broken
            else:
                ctx = ssl.create_default_context()
                if not c.verifyservercert:
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                options["tls_context"] = ctx
        return options

    async def _keep_connected(self) -> None:
        """Connect, dispatch messages until the connection ends, wait, connect again."""
        while True:
            self.connecting = True
            self.show_status(_CONNECTING)
            try:
                client = self._mqtt.Client(self.host, self.port, **self._client_options())
            except NodeError as exc:
                self.error(str(exc))
                client = None
            if client is not None:
                self.client = client
                try:
                    async with client:
                        self.connecting = False
                        self.connected = True
                        await self._on_connect(client)
                        dispatch = self._dispatch
                        async for message in client.messages:
                            dispatch(message)
                except self._mqtt.MqttError as exc:
                    if self.connected:
                        self.log(DISCONNECTED_LOG.format(broker=self.label_url) + f" ({exc})")
                    else:
                        self.log(CONNECT_FAILED_LOG.format(broker=self.label_url) + f" ({exc})")
                finally:
                    was = self.connected
                    self.connected = False
                    self.client = None
                    if was:
                        self.show_status(_DISCONNECTED)
            self.connecting = False
            await asyncio.sleep(self.reconnect_delay)

    async def _on_connect(self, client: aiomqtt.Client) -> None:
        for topic, subs in list(self._subs.items()):
            if subs:
                await client.subscribe(self._wire(topic), max(s.qos for s in subs.values()))
        self.log(CONNECTED_LOG.format(broker=self.label_url))
        self.show_status(_CONNECTED)
        if self.birth:
            b = self.birth
            await client.publish(b["topic"], b["payload"], b["qos"], b["retain"])
        queue = self._queue
        while queue and self.connected:
            topic, payload, qos, retain, node, msg = queue.popleft()
            try:
                await client.publish(topic, payload, qos, retain)
            except (self._mqtt.MqttError, ValueError) as exc:
                (node or self).error(f"{type(exc).__name__}: {exc}", msg)

    def _dispatch(self, message: aiomqtt.Message) -> None:
        topic = message.topic.value
        payload = message.payload
        if type(payload) is not bytes:  # received payloads are bytes; be safe with others
            payload = bytes(payload) if isinstance(payload, (bytes, bytearray)) else js_to_string(payload).encode()
        qos, retain = message.qos, bool(message.retain)
        for sub in self._routes:
            if sub.match(topic):
                sub.callback(topic, payload, qos, retain)

    # -- subscriptions and publishing ------------------------------------------------------
    def _side_task(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._side.add(task)
        task.add_done_callback(self._side.discard)

    async def _quiet(self, coro) -> None:
        try:
            await coro
        except (self._mqtt.MqttError, ValueError) as exc:
            self.warn(f"{type(exc).__name__}: {exc}")

    def _wire(self, topic: str) -> str:
        """The topic filter sent to the broker: ``topic``, or in a cluster its shared
        subscription (a filter that already is ``$share/...`` stays as it is)."""
        return self._share + topic if self._share and not topic.startswith("$share/") else topic

    def subscribe(self, topic: str, qos: int, ref: str, callback: Callable[[str, bytes, int, bool], None]) -> None:
        """Route messages matching ``topic`` to ``callback(topic, payload, qos, retain)`` under
        ``ref`` (the node id); subscribes at once when connected."""
        self._subs.setdefault(topic, {})[ref] = _Sub(topic, qos, callback)
        self._routes = tuple(s for subs in self._subs.values() for s in subs.values())
        client = self.client
        if self.connected and client is not None:
            self._side_task(self._quiet(client.subscribe(self._wire(topic),
                                                         max(s.qos for s in self._subs[topic].values()))))

    def unsubscribe(self, topic: str, ref: str) -> None:
        subs = self._subs.get(topic)
        if subs is None:
            return
        subs.pop(ref, None)
        if not subs:
            del self._subs[topic]
            client = self.client
            if self.connected and client is not None and self.config.autoUnsubscribe:
                self._side_task(self._quiet(client.unsubscribe(self._wire(topic))))
        self._routes = tuple(s for subs in self._subs.values() for s in subs.values())

    def subscriptions(self, ref: str) -> list[dict]:
        return [{"topic": t, "qos": s[ref].qos} for t, s in self._subs.items() if ref in s]

    async def publish(self, topic: str, payload: bytes | str, qos: int, retain: bool,
                      node: Node | None = None, msg: dict | None = None) -> None:
        """Publish now when connected, else queue until connected (dropped when stopped)."""
        client = self.client
        if self.connected and client is not None:
            await client.publish(topic, payload, qos, retain)
        elif not self.closing:
            self._queue.append((topic, payload, qos, retain, node, msg))


class MqttInConfig(NodeConfig):
    """``topic``: the subscription filter (``+`` one level, ``#`` the rest); ``qos`` ``"0"``,
    ``"1"`` or ``"2"`` (anything else: 2); ``datatype``: ``auto-detect`` (JSON, else a string,
    else bytes), ``auto`` (a string, else bytes), ``buffer``, ``utf8``, ``json``, ``base64``
    (missing: ``utf8``, as Node-RED's runtime); ``broker``: the mqtt-broker id; ``nl``,
    ``rap``, ``rh``: MQTT v5 subscription options; ``inputs``: 1 for dynamic subscriptions
    (``msg.action``)."""

    topic: Text = ""
    qos: Text = "2"
    datatype: OrDefault[Literal["auto-detect", "auto", "buffer", "utf8", "json", "base64"]] = "utf8"
    broker: Text = ""
    nl: Any = False
    rap: Any = True
    rh: Any = 0
    inputs: int = 0

    @field_validator("inputs", mode="before")
    @classmethod
    def _inputs(cls, v: Any) -> int:
        try:
            return 1 if int(v or 0) else 0
        except (TypeError, ValueError):
            return 0


def _decode(datatype: str, payload: bytes) -> Any:
    """The payload as the datatype gives it; NodeError (Node-RED's text) for bad JSON."""
    if datatype == "buffer":
        return payload
    if datatype == "utf8":
        return payload.decode("utf-8", "replace")
    if datatype == "base64":
        return base64.b64encode(payload).decode("ascii")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        if datatype == "json":
            raise NodeError(INVALID_JSON_STRING) from None
        return payload
    if datatype == "json":
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            raise NodeError(INVALID_JSON_PARSE) from None
    if datatype == "auto-detect" and text:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return text


class _Client(Node):
    """mqtt in and out: find the broker and register with it."""

    def __init__(self, config: Any, flow) -> None:
        super().__init__(config, flow)
        self.broker_node: MqttBrokerNode | None = None

    def _find_broker(self) -> MqttBrokerNode | None:
        broker = self.config_node(self.config.broker)
        if not isinstance(broker, MqttBrokerNode):
            self.error(MISSING_CONFIG)
            return None
        self.broker_node = broker
        return broker

    async def close(self, removed: bool) -> None:
        if self.broker_node is not None:
            await self.broker_node.deregister(self)


@register("mqtt in", category="network", color=COLOR, inputs=0, outputs=1, icon="bridge.svg")
class MqttInNode(_Client):
    """Subscribes to ``topic`` on the broker and sends a msg per message received:
    ``topic`` (the message's topic), ``payload`` (by ``datatype``: a string, parsed JSON,
    bytes or base64 text), ``qos``, ``retain`` (true for a retained message sent on subscribe).

    With ``inputs`` 1 (dynamic subscription) no topic is needed: a msg with ``action``
    ``subscribe`` and ``topic`` (a string, ``{topic, qos}`` or a list of them) subscribes,
    ``unsubscribe`` (``topic`` a string, list, or ``true`` for all) unsubscribes,
    ``getSubscriptions`` sends the list as ``payload``, ``connect``/``disconnect`` open or close
    the broker connection.

    Status: ``connecting``, ``connected``, ``disconnected`` (the broker's).

    Errors: "missing broker configuration"; "topic not defined"; "Invalid topic specified"
    (warning) for a filter with misplaced ``+``/``#``; "Failed to parse JSON payload" and
    "Invalid JSON string" (datatype ``json``) with the msg ``{topic, payload, qos, retain}``.
    """

    Config = MqttInConfig

    def __init__(self, config: MqttInConfig, flow) -> None:
        super().__init__(config, flow)
        self.qos = _qos(config.qos, 2)
        self.datatype = config.datatype
        self.dynamic = config.inputs == 1
        self._topics: set[str] = set()

    def start(self) -> None:
        topic = self.config.topic
        if topic and not _FILTER_RE.match(topic):
            self.warn(INVALID_TOPIC)
            return
        broker = self._find_broker()
        if broker is None:
            return
        if not topic and not self.dynamic:
            self.error(NOT_DEFINED)
            return
        broker.register(self)
        if topic:
            self._subscribe(topic, self.qos)

    def _subscribe(self, topic: str, qos: int) -> None:
        self._topics.add(topic)
        self.broker_node.subscribe(topic, qos, self.id, self._received)

    def _received(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        try:
            value = _decode(self.datatype, payload)
        except NodeError as exc:
            self.error(str(exc), {"payload": payload.decode("utf-8", "replace") if self.datatype == "json"
                                  and str(exc) == INVALID_JSON_PARSE else payload,
                                  "topic": topic, "qos": qos, "retain": retain})
            return
        self.send({"topic": topic, "payload": value, "qos": qos, "retain": retain, "_msgid": generate_id()})

    async def on_input(self, msg: dict) -> None:
        broker = self.broker_node
        if not self.dynamic or broker is None:
            return
        action = msg.get("action")
        if action == "connect":
            broker.connect()
        elif action == "disconnect":
            await broker.disconnect()
            broker.show_status(_DISCONNECTED)
        elif action == "subscribe":
            topics = msg.get("topic")
            for item in topics if isinstance(topics, list) else [topics]:
                if isinstance(item, dict):
                    topic, qos = _text(item.get("topic")), _qos(item.get("qos", self.qos), self.qos)
                else:
                    topic, qos = _text(item), _qos(msg.get("qos", self.qos), self.qos)
                if not topic or not _FILTER_RE.match(topic):
                    raise NodeError(INVALID_TOPIC)
                self._subscribe(topic, qos)
        elif action == "unsubscribe":
            topics = msg.get("topic")
            if topics is True:
                topics = list(self._topics)
            for item in topics if isinstance(topics, list) else [topics]:
                topic = _text(item.get("topic") if isinstance(item, dict) else item)
                self._topics.discard(topic)
                broker.unsubscribe(topic, self.id)
        elif action == "getSubscriptions":
            self.send({**msg, "payload": broker.subscriptions(self.id)})
        else:
            raise NodeError(INVALID_ACTION)

    async def close(self, removed: bool) -> None:
        broker = self.broker_node
        if broker is not None:
            for topic in list(self._topics):
                broker.unsubscribe(topic, self.id)
            self._topics.clear()
        await super().close(removed)


class MqttOutConfig(NodeConfig):
    """``topic``: the topic to publish to (empty: ``msg.topic``); ``qos`` ``""``/``"0"``/
    ``"1"``/``"2"`` (empty: ``msg.qos``, else 0); ``retain`` ``""``/``"true"``/``"false"``
    (empty: ``msg.retain``); ``broker``: the mqtt-broker id. The MQTT v5 fields
    (``respTopic``, ``contentType``, ``userProps``, ``correl``, ``expiry``) are kept."""

    topic: Text = ""
    qos: TrimmedText = ""
    retain: Any = ""
    respTopic: Text = ""
    contentType: Text = ""
    userProps: Any = ""
    correl: Any = ""
    expiry: Any = ""
    broker: Text = ""


@register("mqtt out", category="network", color=COLOR, inputs=1, outputs=0, icon="bridge.svg")
class MqttOutNode(_Client):
    """Publishes ``msg.payload`` to the broker.

    Topic: the node's ``topic``, else ``msg.topic``. QoS: the node's, else ``msg.qos`` (0, 1, 2;
    else 0). Retain: the node's (``"true"``/``"false"``), else ``msg.retain`` (true or
    ``"true"``). Payload: bytes as they are, objects and arrays as JSON, ``null`` as an empty
    message, other values as text. A msg without ``payload`` publishes nothing. While the
    broker is not connected msgs are queued and published on connect.

    Status: ``connecting``, ``connected``, ``disconnected`` (the broker's).

    Errors: "missing broker configuration"; "Invalid topic specified" (warning) when there is
    no topic; a publish the client refuses (e.g. a topic with ``+``/``#``) is reported with
    the msg.
    """

    Config = MqttOutConfig

    def __init__(self, config: MqttOutConfig, flow) -> None:
        super().__init__(config, flow)
        self.topic = config.topic
        self.qos = _qos(config.qos) if config.qos else None
        r = config.retain
        self.retain = None if r in ("", None, False) else _flag(r)

    def start(self) -> None:
        broker = self._find_broker()
        if broker is not None:
            broker.register(self)

    async def on_input(self, msg: dict) -> None:
        broker = self.broker_node
        if broker is None or "payload" not in msg:
            return
        topic = self.topic or msg.get("topic")
        if type(topic) is not str or not topic:
            self.warn(INVALID_TOPIC)
            return
        qos = self.qos
        if qos is None:
            q = msg.get("qos")
            qos = _qos(q) if q else 0
        retain = self.retain
        if retain is None:
            retain = _flag(msg.get("retain"))
        try:
            await broker.publish(topic, encode_payload(msg["payload"]), qos, retain, self, msg)
        except ValueError as exc:
            raise NodeError(str(exc)) from None
