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
  once JetStream has stored it. While NATS is unreachable msgs wait in the buffer; one that
  waited ``linkSendTimeout`` s, or that finds the buffer full, is an error on the ``link out``.
* Receiving: every worker running a durable link's ``link in`` pulls from one durable consumer
  per ``link in`` (``link_<id>``, explicit ack, ``max_ack_pending`` = ``linkMaxInFlight``), at
  most ``linkWindow`` msgs at a time. A msg is acknowledged when its path on this worker
  completes: every node it (or a msg with its ``_msgid``) reached has completed it, as a
  ``complete`` node would see (``done()``). Until then the worker tells JetStream it is still
  in progress every ``linkAckWait``/3 s, so a slow path is not redelivered; a worker that dies
  stops doing so, and its unacknowledged msgs go to another worker after ``linkAckWait`` s. A
  msg whose path errors (never completes) is redelivered after ``linkAckWait`` s, and dropped
  with a warning after ``linkMaxDeliver`` deliveries.

Settings: the ``[cluster]`` table's ``linkAckWait`` (s, default 30), ``linkMaxInFlight``
(default 1000), ``linkWindow`` (default 256), ``linkBuffer`` (default 20000),
``linkSendTimeout`` (s, default 30), ``linkMaxDeliver`` (default 5).
"""
from __future__ import annotations

import asyncio
import base64
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
        self.links.completed(msg.get("_msgid"))


class _Consumer:
    """The pull loop of one ``link in``'s durable consumer on this worker."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.users = 0
        self.inflight = 0
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
        self._ready: asyncio.Task | None = None
        self._queue: deque = deque()
        self._more = asyncio.Event()
        self._publishing = 0
        self._pump: asyncio.Task | None = None
        self._consumers: dict[str, _Consumer] = {}
        self._pending: dict[str, list] = {}  # _msgid -> [deliveries not yet completed, [(JetStream msg, consumer)], started]
        self._instrumented: weakref.WeakSet = weakref.WeakSet()
        self._tracker = _Tracker(self)
        self._bus_deliver = engine.bus.deliver
        self._keeper: asyncio.Task | None = None

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
        if len(self._queue) + self._publishing + len(targets) > self.buffer:
            raise NodeError(f"durable link buffer full ({self.buffer} msgs wait for NATS)")
        waiting = [len(targets)]
        now = time.monotonic()
        for target in targets:
            self._queue.append((node, self.subject(target), data, msg, waiting, now))
        self._more.set()
        return PENDING

    async def _publish_loop(self) -> None:
        window = asyncio.Semaphore(PUBLISH_WINDOW)
        nc = self.cluster.nc
        while True:
            if not self._queue:
                self._more.clear()
                await self._more.wait()
                continue
            if not nc.is_connected or not self._stream_ready():
                self._expire()
                await asyncio.sleep(0.05)
                continue
            await window.acquire()
            if not self._queue:
                window.release()
                continue
            item = self._queue.popleft()
            self._publishing += 1
            task = asyncio.get_running_loop().create_task(self._publish(item))
            task.add_done_callback(lambda _t: window.release())

    def _stream_ready(self) -> bool:
        ready = self._ensure_stream()
        return ready.done() and ready.exception() is None

    async def _publish(self, item: tuple) -> None:
        node, subject, data, msg, waiting, queued = item
        try:
            await self.js.publish(subject, data, timeout=min(5.0, self.send_timeout))
        except Exception as exc:
            if time.monotonic() - queued < self.send_timeout:
                self._queue.appendleft(item)
                self._more.set()
                await asyncio.sleep(0.05)
            else:
                node.error(f"durable link: msg not stored within {self.send_timeout:g} s: "
                           f"{exc or type(exc).__name__}", msg)
            return
        finally:
            self._publishing -= 1
        waiting[0] -= 1
        if waiting[0] == 0:
            node.done(msg)

    def _expire(self) -> None:
        """While NATS is away: fail the msgs that waited longer than ``linkSendTimeout``."""
        limit = time.monotonic() - self.send_timeout
        while self._queue and self._queue[0][5] < limit:
            node, _, _, msg, waiting, _ = self._queue.popleft()
            if waiting[0] > 0:
                waiting[0] = 0
                node.error(f"durable link: NATS unreachable for {self.send_timeout:g} s, msg not sent", msg)

    # -- receiving ---------------------------------------------------------------------------
    async def _consume(self, consumer: _Consumer) -> None:
        import nats.errors
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        name = "link_" + encode_token(consumer.target).replace("=", "_")
        config = ConsumerConfig(durable_name=name, filter_subject=self.subject(consumer.target),
                                ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
                                ack_wait=self.ack_wait, max_ack_pending=self.max_in_flight, max_deliver=-1)
        sub = None
        while sub is None:
            try:
                await self._ensure_stream()
                try:
                    await self.js.add_consumer(self.stream, config)
                except Exception:
                    await self.js.consumer_info(self.stream, name)  # another worker's config stands
                sub = await self.js.pull_subscribe_bind(durable=name, stream=self.stream)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning(f"Durable link {consumer.target}: cannot consume yet: {exc or type(exc).__name__}")
                self._ready = None
                await asyncio.sleep(1)
        try:
            while True:
                room = self.window - consumer.inflight
                if room <= 0:
                    consumer.room.clear()
                    await consumer.room.wait()
                    continue
                try:
                    msgs = await sub.fetch(min(room, 128), timeout=1)
                except nats.errors.TimeoutError:
                    continue
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    logger.debug(f"Durable link {consumer.target}: fetch failed: {exc}")
                    await asyncio.sleep(0.2)
                    continue
                for m in msgs:
                    self._take(consumer, m)
        finally:
            try:
                await sub.unsubscribe()
            except Exception:
                pass

    def _take(self, consumer: _Consumer, m: Any) -> None:
        node = self.engine.get_node(consumer.target)
        if node is None or node.closed or node.type != "link in":
            self._later(m.nak(delay=1))
            return
        try:
            msg = decode_msg(m.data)
        except ValueError as exc:
            node.warn(f"durable link: dropped a msg that does not decode: {exc}")
            self._later(m.term())
            return
        delivered = m.metadata.num_delivered
        if self.max_deliver > 0 and delivered > self.max_deliver:
            node.warn(f"durable link: msg {msg.get('_msgid')} dropped after {self.max_deliver} deliveries "
                      f"whose path did not complete")
            self._later(m.term())
            return
        msgid = msg.get("_msgid")
        if not isinstance(msgid, str):
            msgid = msg["_msgid"] = generate_id()
        entry = self._pending.get(msgid)
        if entry is None:
            entry = self._pending[msgid] = [0, [], time.monotonic()]
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

    def completed(self, msgid: Any) -> None:
        """A node completed a msg with ``msgid``: when that was the path's last delivery, the
        JetStream msgs that started it are acknowledged."""
        entry = self._pending.get(msgid)
        if entry is None:
            return
        entry[0] -= 1
        if entry[0] > 0:
            return
        del self._pending[msgid]
        for m, consumer in entry[1]:
            self._later(m.ack())
            consumer.inflight -= 1
            consumer.room.set()

    def _hand_back(self, consumer: _Consumer) -> None:
        """Nak this consumer's msgs in flight (its ``link in`` stopped here): another worker,
        or this one later, takes them at once."""
        for msgid, entry in list(self._pending.items()):
            kept = [(m, c) for m, c in entry[1] if c is not consumer]
            for m, c in entry[1]:
                if c is consumer:
                    self._later(m.nak())
            if kept:
                entry[1] = kept
            else:
                del self._pending[msgid]

    async def _keep_alive(self) -> None:
        """Tell JetStream that msgs whose path runs long are still in progress here."""
        period = max(self.ack_wait / 3, 0.05)
        while True:
            await asyncio.sleep(period)
            old = time.monotonic() - period
            for entry in list(self._pending.values()):
                if entry[2] < old:
                    for m, _ in entry[1]:
                        self._later(m.in_progress())

    @staticmethod
    def _later(coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        task.add_done_callback(_quiet)


def _quiet(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.debug(f"Durable link acknowledgement failed: {task.exception()}")
