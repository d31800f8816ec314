"""Durable links: a ``link out`` → ``link in`` wire carried by a JetStream work queue, so that a
msg survives the worker that sent it and is handled by exactly one worker that runs the
``link in`` (at least once: a worker that dies mid-path has its msgs redelivered). FlowRed's
own; Node-RED's links are in-process only.

* One stream per cluster, ``flowred_<name>_links`` (work-queue retention, file storage), with
  a subject per ``link in`` node: ``flowred.<name>.link.<link in id>``.
* Sending (``DurableLinks.send``): the msg is serialised as JSON (bytes as base64, restored on
  arrival); a msg holding ``req``/``res`` or a value JSON cannot hold is a NodeError on the
  ``link out``. Msgs wait in a bounded buffer (``linkBuffer`` msgs) and are published with up
  to PUBLISH_WINDOW acknowledgements outstanding; the ``link out`` completes a msg (``done``)
  once JetStream has stored it. A publish not answered within PUBLISH_TIMEOUT s is sent again
  with the same ``Nats-Msg-Id``, so JetStream stores it once (within its 2-minute duplicate
  window). While NATS is unreachable msgs wait in the buffer; one that
  waited ``linkSendTimeout`` s, or that finds the buffer full, is an error on the ``link out``.
* Receiving: every worker running a durable link's ``link in`` pulls from one durable consumer
  per ``link in`` (``link_<id>``, explicit ack, ``max_ack_pending`` = ``linkMaxInFlight``), at
  most ``linkWindow`` msgs at a time. A msg is acknowledged when its path on this worker
  completes: every node it (or a msg with its ``_msgid``) reached has completed it, as a
  ``complete`` node would see (``done()``), or reported an error with it (the msg was handled:
  catch nodes have it; it is not redelivered). Until then the worker tells JetStream it is
  still in progress every ``linkAckWait``/3 s, so a slow path is not redelivered; a worker that
  dies stops doing so, and its unacknowledged msgs go to another worker after ``linkAckWait``
  s. A msg whose path has not completed after ``linkPathTimeout`` s (a node holds it without
  completing it) is let go and redelivered after ``linkAckWait`` s; after ``linkMaxDeliver``
  deliveries it is dropped with a warning. Delivery is at least once: msgs a dead worker held
  (at most ``linkMaxInFlight``) may run twice; order is not kept.

Settings: the ``[cluster]`` table's ``linkAckWait`` (s, default 30), ``linkMaxInFlight``
(default 1000), ``linkWindow`` (default 256), ``linkBuffer`` (default 20000),
``linkSendTimeout`` (s, default 30), ``linkMaxDeliver`` (default 5), ``linkPathTimeout`` (s,
default 300). A consumer keeps the settings of the worker that made it.
"""
from __future__ import annotations

import asyncio
import base64
import itertools
import secrets
import time
import weakref
from collections import deque
from typing import Any

import orjson

from ..context_nats import encode_token
from ..ids import generate_id
from ..log import logger
from ..node import PENDING, NodeError

__all__ = ["DurableLinks", "decode_msg", "durable_links", "encode_msg"]

PUBLISH_WINDOW = 512  # publishes awaiting JetStream's acknowledgement at once, per worker
PUBLISH_TIMEOUT = 5.0  # seconds to wait for JetStream's answer to a publish before trying again
PULL_EXPIRES = 5.0  # seconds a pull request for msgs waits on the server
_BYTES = "__flowred_bytes__"
_LINKS: "weakref.WeakKeyDictionary[Any, DurableLinks]" = weakref.WeakKeyDictionary()


def encode_msg(msg: dict) -> bytes:
    """``msg`` as JSON bytes for a durable link; bytes values as ``{"__flowred_bytes__":
    base64}``. Raises NodeError naming what cannot travel (``req``/``res``, a non-JSON
    value)."""
    if "req" in msg or "res" in msg:
        raise NodeError("msg.req/msg.res (an HTTP request) cannot travel through a durable link")
    try:
        return orjson.dumps(msg, default=_default)
    except TypeError as exc:
        raise NodeError(f"msg cannot travel through a durable link: {exc}") from None


def _default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {_BYTES: base64.b64encode(bytes(value)).decode()}
    raise TypeError(f"a {type(value).__name__} value is not JSON")


def decode_msg(data: bytes) -> dict:
    """The msg ``encode_msg`` made ``data`` from (bytes restored). Raises ValueError."""
    msg = orjson.loads(data)
    if not isinstance(msg, dict):
        raise ValueError("not a msg")
    if b'"' + _BYTES.encode() + b'"' in data:
        msg = _restore(msg)
    return msg


def _restore(value: Any) -> Any:
    if type(value) is dict:
        if len(value) == 1 and _BYTES in value:
            return base64.b64decode(value[_BYTES])
        for k, v in value.items():
            value[k] = _restore(v)
    elif type(value) is list:
        for i, v in enumerate(value):
            value[i] = _restore(v)
    return value


def durable_links(engine: Any) -> "DurableLinks":
    """The engine's DurableLinks (made on first use; the engine must have a cluster)."""
    links = _LINKS.get(engine)
    if links is None:
        links = _LINKS[engine] = DurableLinks(engine)
    return links


class _Tracker:
    """Takes the place of a ``complete`` node on the nodes a durable msg reaches: each
    completion of a tracked msg counts down its path."""

    __slots__ = ("links",)

    def __init__(self, links: "DurableLinks") -> None:
        self.links = links

    def receive(self, msg: dict) -> None:
        self.links.completed(msg.get("_msgid"), msg["complete"]["source"]["id"])


class _Consumer:
    """The pull loop of one ``link in``'s durable consumer on this worker."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.users = 0
        self.inflight = 0
        self.asked = 0  # msgs asked for by pull requests and not arrived yet
        self.heard = 0.0
        self.room = asyncio.Event()
        self.task: asyncio.Task | None = None


class DurableLinks:
    """This worker's durable links (see the module text): ``attach(link_out)`` when a durable
    ``link out`` starts (its targets are consumed on this worker until ``detach``),
    ``send(link_out, msg)`` for each msg it gets."""

    def __init__(self, engine: Any) -> None:
        cluster = engine.cluster
        conf = dict(engine.settings.cluster or {})
        self.engine = engine
        self.cluster = cluster
        self.js = cluster.js
        self.stream = cluster.bucket_name("links")
        self.ack_wait = float(conf.get("linkAckWait", 30))
        self.max_in_flight = int(conf.get("linkMaxInFlight", 1000))
        self.window = max(1, int(conf.get("linkWindow", 256)))
        self.buffer = int(conf.get("linkBuffer", 20000))
        self.send_timeout = float(conf.get("linkSendTimeout", 30))
        self.max_deliver = int(conf.get("linkMaxDeliver", 5))
        self.path_timeout = float(conf.get("linkPathTimeout", 300))
        self._ready: asyncio.Task | None = None
        self._queue: deque = deque()
        self._more = asyncio.Event()
        self._pump: asyncio.Task | None = None
        self._consumers: dict[str, _Consumer] = {}
        # _msgid -> [deliveries not completed yet, [(JetStream msg, consumer)], taken at, nodes that erred]
        self._pending: dict[str, list] = {}
        self._instrumented: weakref.WeakSet = weakref.WeakSet()
        self._tracker = _Tracker(self)
        self._bus_deliver = engine.bus.deliver
        self._keeper: asyncio.Task | None = None
        self._stored: dict[str, tuple] = {}  # reply token -> (queued item, sent at)
        self._tokens = itertools.count(1)
        self._ids = itertools.count(1)  # with _id_prefix: each msg's Nats-Msg-Id, so a retry is stored once
        self._id_prefix = secrets.token_hex(8) + "-"
        self._reply_prefix = ""
        self._answers: list[tuple[str, bytes]] = []
        self._answering: asyncio.Task | None = None

    # -- set-up ------------------------------------------------------------------------------
    def subject(self, target: str) -> str:
        return self.cluster.subject("link", encode_token(target))

    def _ensure_stream(self) -> asyncio.Task:
        if self._ready is None or (self._ready.done() and self._ready.exception() is not None):
            self._ready = asyncio.get_running_loop().create_task(self._make_stream())
        return self._ready

    async def _make_stream(self) -> None:
        from nats.js.api import RetentionPolicy, StorageType, StreamConfig

        config = StreamConfig(name=self.stream, subjects=[self.cluster.subject("link", ">")],
                              retention=RetentionPolicy.WORK_QUEUE, storage=StorageType.FILE)
        try:
            await self.js.add_stream(config)
        except Exception:
            await self.js.stream_info(self.stream)  # made by another worker meanwhile; else raises

    def attach(self, node: Any) -> None:
        """A durable ``link out`` started: consume its targets on this worker."""
        loop = asyncio.get_running_loop()
        self._ensure_stream()
        if self._pump is None:
            self._pump = loop.create_task(self._publish_loop())
        if self._keeper is None:
            self._keeper = loop.create_task(self._keep_alive())
        for target in node.config.links:
            consumer = self._consumers.get(target)
            if consumer is None:
                consumer = self._consumers[target] = _Consumer(target)
                consumer.task = loop.create_task(self._consume(consumer))
            consumer.users += 1

    async def detach(self, node: Any, flush: float = 5.0) -> None:
        """A durable ``link out`` stopped: wait up to ``flush`` s for its buffered msgs to be
        stored, and stop consuming the targets no other durable ``link out`` names (their
        msgs in flight here are handed back to JetStream for redelivery)."""
        deadline = time.monotonic() + flush
        while any(item[0] is node for item in self._queue) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for target in node.config.links:
            consumer = self._consumers.get(target)
            if consumer is None:
                continue
            consumer.users -= 1
            if consumer.users <= 0:
                del self._consumers[target]
                consumer.task.cancel()
                await asyncio.gather(consumer.task, return_exceptions=True)
                self._hand_back(consumer)

    # -- sending -----------------------------------------------------------------------------
    def send(self, node: Any, msg: dict) -> Any:
        """Queue ``msg`` for the ``link in`` nodes of ``node`` (a durable ``link out``); returns
        PENDING (the node completes it once stored) or None when it names no target. Raises
        NodeError for a msg that cannot travel or a full buffer."""
        targets = node.config.links
        if not targets:
            return None
        data = encode_msg(msg)
        if len(self._queue) + len(self._stored) + len(targets) > self.buffer:
            raise NodeError(f"durable link buffer full ({self.buffer} msgs wait for NATS)")
        waiting = [len(targets)]
        now = time.monotonic()
        for target in targets:
            self._queue.append((node, self.subject(target), data, msg, waiting, now,
                                {"Nats-Msg-Id": self._id_prefix + str(next(self._ids))}))
        self._more.set()
        return PENDING

    async def _publish_loop(self) -> None:
        """Publish the buffered msgs, at most PUBLISH_WINDOW awaiting JetStream's answer (which
        comes to one subscription, ``_on_stored``); msgs go out only while connected."""
        nc = self.cluster.nc
        self._reply_prefix = nc.new_inbox()
        await nc.subscribe(self._reply_prefix + ".*", cb=self._on_stored)
        sweep = time.monotonic() + 1
        while True:
            now = time.monotonic()
            if now > sweep:
                self._sweep(now)
                sweep = now + 1
            if not self._queue or len(self._stored) >= PUBLISH_WINDOW:
                self._more.clear()
                try:
                    await asyncio.wait_for(self._more.wait(), 1)
                except asyncio.TimeoutError:
                    pass
                continue
            if not nc.is_connected or not self._stream_ready():
                self._expire()
                await asyncio.sleep(0.05)
                continue
            queue, stored, prefix = self._queue, self._stored, self._reply_prefix
            while queue and len(stored) < PUBLISH_WINDOW:
                item = queue.popleft()
                token = str(next(self._tokens))
                stored[token] = (item, now)
                await nc.publish(item[1], item[2], reply=prefix + "." + token, headers=item[6])

    async def _on_stored(self, reply: Any) -> None:
        """JetStream's answer to one publish: the msg is stored (its ``link out`` completes it
        once every target has it) or refused (tried again until ``linkSendTimeout``)."""
        waiting = self._stored.pop(reply.subject.rpartition(".")[2], None)
        if waiting is None:
            return
        item = waiting[0]
        self._more.set()
        if b'"error"' in reply.data or not reply.data:
            self._failed(item, reply.data.decode(errors="replace") or "no answer")
            return
        node, _, _, msg, pending, _, _ = item
        pending[0] -= 1
        if pending[0] == 0:
            node.done(msg)

    def _failed(self, item: tuple, why: str) -> None:
        if time.monotonic() - item[5] < self.send_timeout:
            self._queue.appendleft(item)
        elif item[4][0] > 0:
            item[4][0] = 0
            item[0].error(f"durable link: msg not stored within {self.send_timeout:g} s: {why}", item[3])

    def _sweep(self, now: float) -> None:
        """Publishes JetStream did not answer within PUBLISH_TIMEOUT s are tried again."""
        late = [t for t, (_, sent) in self._stored.items() if now - sent > PUBLISH_TIMEOUT]
        for token in late:
            self._failed(self._stored.pop(token)[0], "no answer from JetStream")

    def _stream_ready(self) -> bool:
        ready = self._ensure_stream()
        return ready.done() and ready.exception() is None

    def _expire(self) -> None:
        """While NATS is away: fail the msgs that waited longer than ``linkSendTimeout``."""
        limit = time.monotonic() - self.send_timeout
        while self._queue and self._queue[0][5] < limit:
            node, _, _, msg, waiting, _, _ = self._queue.popleft()
            if waiting[0] > 0:
                waiting[0] = 0
                node.error(f"durable link: NATS unreachable for {self.send_timeout:g} s, msg not sent", msg)

    # -- receiving ---------------------------------------------------------------------------
    async def _consume(self, consumer: _Consumer) -> None:
        """Bind to the ``link in``'s durable consumer (made when missing) and keep up to
        ``linkWindow`` msgs asked for or in flight: pull requests (``batch`` msgs, expiring after
        PULL_EXPIRES s) whose msgs arrive on one subscription."""
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        name = "link_" + encode_token(consumer.target).replace("=", "_")
        config = ConsumerConfig(durable_name=name, filter_subject=self.subject(consumer.target),
                                ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
                                ack_wait=self.ack_wait, max_ack_pending=self.max_in_flight, max_deliver=-1)
        nc = self.cluster.nc
        while True:
            try:
                await self._ensure_stream()
                try:
                    await self.js.add_consumer(self.stream, config)
                except Exception:
                    await self.js.consumer_info(self.stream, name)  # another worker's config stands
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning(f"Durable link {consumer.target}: cannot consume yet: {exc or type(exc).__name__}")
                self._ready = None
                await asyncio.sleep(1)
        inbox = nc.new_inbox()
        next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{self.stream}.{name}"

        async def arrived(m: Any) -> None:
            consumer.heard = time.monotonic()
            headers = m.headers
            if headers and not m.data and "Status" in headers:  # 408: a pull request expired ...
                if headers["Status"] != "100":
                    left = headers.get("Nats-Pending-Messages")
                    consumer.asked = max(0, consumer.asked - int(left)) if left else 0
                consumer.room.set()
                return
            consumer.asked = max(0, consumer.asked - 1)
            self._take(consumer, m)

        sub = await nc.subscribe(inbox, cb=arrived)
        expires = int(PULL_EXPIRES * 1e9)
        try:
            while True:
                now = time.monotonic()
                if consumer.asked and now - consumer.heard > PULL_EXPIRES + 3:
                    consumer.asked = 0  # the answers of lost pull requests never come
                want = self.window - consumer.inflight - consumer.asked
                if want >= max(1, self.window // 4) and nc.is_connected:
                    consumer.asked += want
                    consumer.heard = now
                    await nc.publish(next_subject, b'{"batch":%d,"expires":%d}' % (want, expires), reply=inbox)
                consumer.room.clear()
                try:
                    await asyncio.wait_for(consumer.room.wait(), 1)
                except asyncio.TimeoutError:
                    pass
        finally:
            try:
                await sub.unsubscribe()
            except Exception:
                pass

    def _take(self, consumer: _Consumer, m: Any) -> None:
        node = self.engine.get_node(consumer.target)
        if node is None or node.closed or node.type != "link in":
            self._answer(m.reply, b'-NAK {"delay":1000000000}')
            return
        try:
            msg = decode_msg(m.data)
        except ValueError as exc:
            node.warn(f"durable link: dropped a msg that does not decode: {exc}")
            self._answer(m.reply, b"+TERM")
            return
        delivered = m.metadata.num_delivered
        if self.max_deliver > 0 and delivered > self.max_deliver:
            node.warn(f"durable link: msg {msg.get('_msgid')} dropped after {self.max_deliver} deliveries "
                      f"whose path did not complete")
            self._answer(m.reply, b"+TERM")
            return
        msgid = msg.get("_msgid")
        if not isinstance(msgid, str):
            msgid = msg["_msgid"] = generate_id()
        entry = self._pending.get(msgid)
        if entry is None:
            entry = self._pending[msgid] = [0, [], time.monotonic(), set()]
        entry[1].append((m, consumer))
        consumer.inflight += 1
        self._instrument(node)
        node.receive(msg)

    def _instrument(self, node: Any) -> None:
        """Count the deliveries ``node`` makes of tracked msgs and the completions it reports
        (a ``link out`` in link mode: its targets too, which it reaches by ``receive``)."""
        if node in self._instrumented:
            return
        self._instrumented.add(node)
        node._deliver = self._deliver
        node._add_completer(self._tracker)
        node.error = self._error_of(node, node.error)
        if node.type == "link out" and getattr(node.config, "mode", "link") == "link":
            for target in node.config.links:
                other = self.engine.get_node(target)
                if other is not None:
                    self._instrument(other)

    def _deliver(self, target: Any, msg: dict) -> None:
        entry = self._pending.get(msg.get("_msgid"))
        if entry is not None:
            entry[0] += 1
            if target not in self._instrumented:
                self._instrument(target)
        self._bus_deliver(target, msg)

    def _error_of(self, node: Any, report: Any) -> Any:
        """``node.error`` that also ends a tracked msg's branch at this node: the msg was
        handled (catch nodes have it), so the path may complete and be acknowledged rather
        than redelivered. Once per node and msg: a node that completes the msg after reporting
        an error about it is not counted twice."""
        def error(err: Any, msg: dict | None = None) -> None:
            report(err, msg)
            if isinstance(msg, dict):
                self.completed(msg.get("_msgid"), node.id, erred=True)
        return error

    def completed(self, msgid: Any, node_id: str, erred: bool = False) -> None:
        """Node ``node_id`` completed (or reported an error about) a msg with ``msgid``: when
        that was the path's last delivery, the JetStream msgs that started it are
        acknowledged. An error and a later completion by the same node count once."""
        entry = self._pending.get(msgid)
        if entry is None:
            return
        erring = entry[3]
        if erred:
            if node_id in erring:
                return
            erring.add(node_id)
        elif node_id in erring:
            erring.discard(node_id)
            return
        entry[0] -= 1
        if entry[0] > 0:
            return
        del self._pending[msgid]
        for m, consumer in entry[1]:
            self._answer(m.reply, b"+ACK")
            consumer.inflight -= 1
            if consumer.inflight <= self.window * 3 // 4:
                consumer.room.set()

    def _hand_back(self, consumer: _Consumer) -> None:
        """Nak this consumer's msgs in flight (its ``link in`` stopped here): another worker,
        or this one later, takes them at once."""
        for msgid, entry in list(self._pending.items()):
            kept = [(m, c) for m, c in entry[1] if c is not consumer]
            for m, c in entry[1]:
                if c is consumer:
                    self._answer(m.reply, b"-NAK")
            if kept:
                entry[1] = kept
            else:
                del self._pending[msgid]

    async def _keep_alive(self) -> None:
        """Tell JetStream that msgs whose path runs long are still in progress here."""
        period = max(self.ack_wait / 3, 0.05)
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            for msgid, entry in list(self._pending.items()):
                if entry[2] < now - self.path_timeout:  # held somewhere for good: let it go back
                    del self._pending[msgid]
                    logger.warning(f"Durable link: msg {msgid} did not complete within "
                                   f"{self.path_timeout:g} s; JetStream redelivers it")
                    for _, consumer in entry[1]:
                        consumer.inflight -= 1
                        consumer.room.set()
                elif entry[2] < now - period:
                    for m, _ in entry[1]:
                        self._answer(m.reply, b"+WPI")

    def _answer(self, reply: str, what: bytes) -> None:
        """Acknowledge (``+ACK``, ``-NAK``, ``+WPI``, ``+TERM``) a JetStream msg; answers are
        sent in batches by one task."""
        self._answers.append((reply, what))
        if self._answering is None:
            self._answering = asyncio.get_running_loop().create_task(self._send_answers())

    async def _send_answers(self) -> None:
        nc = self.cluster.nc
        try:
            while self._answers:
                answers, self._answers = self._answers, []
                for reply, what in answers:
                    await nc.publish(reply, what)
        except Exception as exc:  # lost answers: JetStream redelivers after linkAckWait
            logger.debug(f"Durable link acknowledgements not sent: {exc}")
        finally:
            self._answering = None
