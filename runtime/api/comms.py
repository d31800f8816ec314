"""The ``/comms`` websocket, as Node-RED's editor-api/lib/editor/comms.js.

The server sends JSON arrays of ``{topic, data}``; the client sends ``{"subscribe": topic}``
(MQTT wildcards ``+`` and ``#``), which replays the retained topics that match. As in Node-RED,
every published message goes to every connection and the editor filters.

Unlike Node-RED (whose per-connection queue grows without bound), each connection has a
bounded queue: a slow or dead client never blocks the bus or grows memory. When the queue is
full new messages are dropped and counted, and the client is told with
``{"topic": "notification/comms-dropped", "data": {"dropped": N, "total": M}}``.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from typing import Any

import orjson
from aiohttp import WSMsgType, web

__all__ = ["Comms", "topic_matches"]

FLUSH_DELAY = 0.05     # seconds, Node-RED's comms batching interval
FRAME_MAX = 1000       # messages per frame
HEARTBEAT = 15.0       # seconds of silence before a "hb" frame (webSocketKeepAliveTime)


def topic_matches(pattern: str, topic: str) -> bool:
    """MQTT-style match: ``+`` is one level, a trailing ``#`` any number of levels."""
    if pattern == topic or pattern == "#":
        return True
    p, t = pattern.split("/"), topic.split("/")
    for i, part in enumerate(p):
        if part == "#":
            return True
        if i >= len(t) or (part != "+" and part != t[i]):
            return False
    return len(p) == len(t)


def _encode(frame: list) -> str:
    try:
        return orjson.dumps(frame).decode()
    except TypeError:
        return json.dumps(frame, default=str)


class _Connection:
    __slots__ = ("ws", "queue", "limit", "dropped", "dropped_total", "wake", "task")

    def __init__(self, ws: web.WebSocketResponse, limit: int) -> None:
        self.ws = ws
        self.queue: deque = deque()
        self.limit = limit
        self.dropped = 0
        self.dropped_total = 0
        self.wake = asyncio.Event()
        self.task: asyncio.Task | None = None

    def push(self, topic: str, data: Any) -> None:
        if len(self.queue) >= self.limit:
            self.dropped += 1
            self.dropped_total += 1
        else:
            self.queue.append({"topic": topic, "data": data})
        if not self.wake.is_set():
            self.wake.set()

    async def writer(self) -> None:
        ws = self.ws
        while not ws.closed:
            try:
                await asyncio.wait_for(self.wake.wait(), HEARTBEAT)
            except asyncio.TimeoutError:
                await ws.send_str(_encode([{"topic": "hb", "data": int(time.time() * 1000)}]))
                continue
            await asyncio.sleep(FLUSH_DELAY)
            self.wake.clear()
            while self.queue or self.dropped:
                frame = []
                q = self.queue
                while q and len(frame) < FRAME_MAX:
                    frame.append(q.popleft())
                if self.dropped and not q:
                    frame.append({"topic": "notification/comms-dropped",
                                  "data": {"dropped": self.dropped, "total": self.dropped_total}})
                    self.dropped = 0
                if frame:
                    await ws.send_str(_encode(frame))


class Comms:
    """Holds the websocket connections and feeds them from the engine's event hub."""

    def __init__(self, engine, queue_limit: int = 5000, auth=None) -> None:
        self.engine = engine
        self.queue_limit = queue_limit
        self.auth = auth
        self.connections: set[_Connection] = set()
        engine.events.subscribe(self._publish)

    def _publish(self, topic: str, data: Any) -> None:
        for conn in self.connections:
            conn.push(topic, data)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """The websocket handler for ``GET /comms``."""
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=1 << 20)
        await ws.prepare(request)
        conn = _Connection(ws, self.queue_limit)
        # with adminAuth, a client gets nothing until it sends {"auth": token} (Node-RED's protocol)
        authed = self.auth is None or self.auth.permissions(None) is not None
        if authed:
            self.connections.add(conn)
        conn.task = asyncio.get_running_loop().create_task(conn.writer())
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                try:
                    body = json.loads(message.data)
                except json.JSONDecodeError:
                    continue
                if not isinstance(body, dict):
                    continue
                if "auth" in body:
                    if self.auth is not None and self.auth.permissions(str(body["auth"])) is None:
                        await ws.send_str(json.dumps({"auth": "fail"}))
                        await ws.close()
                        break
                    authed = True
                    self.connections.add(conn)
                    await ws.send_str(json.dumps({"auth": "ok"}))
                elif "subscribe" in body and authed:
                    pattern = str(body["subscribe"])
                    for topic, data in self.engine.events.retained().items():
                        if topic_matches(pattern, topic):
                            conn.push(topic, data)
        finally:
            self.connections.discard(conn)
            if conn.task:
                conn.task.cancel()
        return ws

    async def close(self) -> None:
        for conn in list(self.connections):
            await conn.ws.close()
