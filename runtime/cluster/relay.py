"""See everything: the debug, log and status frames of every worker reach every editor.

Each worker listens to its own event hub (runtime.events) and forwards ``debug`` frames (debug
node msgs and node log/error entries) and ``status/<id>`` frames on the subject
``flowred.<name>.comms.<worker id>``, batched every ``FLUSH`` seconds into JSON
``{"worker": id, "frames": [[topic, data], ...]}`` of at most ``BATCH_BYTES`` bytes. It
subscribes to ``flowred.<name>.comms.*`` and publishes the frames of the other workers into
its own hub, so its ``/comms`` clients get them; its own frames coming back are skipped, and a
frame published from the relay is never forwarded again (no echo loops).

Every debug frame carries ``worker``: the id of the worker that produced it (the editor's
debug sidebar shows it). Remote status frames carry it too and are not retained, so they never
replace this worker's own node status replayed to a new editor.

Bounded as ``/comms``: at most ``limit`` frames wait to be sent (``commsQueueLimit``); beyond
that, and while NATS is away, frames are dropped and counted (logged once per batch).
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

import orjson

from ..log import logger
from .connection import stop_quietly

__all__ = ["Relay", "FLUSH", "BATCH_BYTES"]

FLUSH = 0.05
BATCH_BYTES = 256 * 1024


class Relay:
    """Create it before the Admin API subscribes to the hub (so local debug frames are
    marked with this worker's id before any ``/comms`` client queues them); ``start()`` once
    connected, ``close()``."""

    def __init__(self, cluster: Any, events: Any, limit: int = 5000) -> None:
        self.cluster = cluster
        self.events = events
        self.limit = limit
        self.dropped = 0
        self._me = cluster.worker_id
        self._out: list[tuple[str, Any]] = []
        self._relaying = False
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._sub: Any = None
        self._unsubscribe = events.subscribe(self._local)

    async def start(self) -> None:
        """Subscribe to the other workers' frames and start sending this worker's."""
        self._sub = await self.cluster.nc.subscribe(self.cluster.subject("comms", "*"), cb=self._remote,
                                                    pending_msgs_limit=1000, pending_bytes_limit=64 * 1024 * 1024)
        self._task = asyncio.get_running_loop().create_task(self._flush())

    async def close(self) -> None:
        """Stop relaying in both directions (frames still waiting are dropped)."""
        self._unsubscribe()
        task, sub, self._task, self._sub = self._task, self._sub, None, None
        await stop_quietly(task, sub)

    def _local(self, topic: str, data: Any) -> None:
        if self._relaying:
            return
        if topic == "debug":
            if isinstance(data, dict):
                data["worker"] = self._me
        elif not topic.startswith("status/"):
            return
        if len(self._out) >= self.limit:
            self.dropped += 1
            return
        self._out.append((topic, data))
        if not self._wake.is_set():
            self._wake.set()

    async def _flush(self) -> None:
        nc = self.cluster.nc
        subject = self.cluster.subject("comms", self._me)
        head = b'{"worker":' + orjson.dumps(self._me) + b',"frames":['
        while True:
            await self._wake.wait()
            await asyncio.sleep(FLUSH)
            self._wake.clear()
            frames, self._out = self._out, []
            if not nc.is_connected:
                self.dropped += len(frames)
            else:
                parts: list[bytes] = []
                size = 0
                for frame in frames:
                    try:
                        part = orjson.dumps(frame)
                    except TypeError:
                        part = json.dumps(frame, default=str).encode()
                    if parts and size + len(part) > BATCH_BYTES:
                        await self._send(subject, head + b",".join(parts) + b"]}", len(parts))
                        parts, size = [], 0
                    parts.append(part)
                    size += len(part) + 1
                if parts:
                    await self._send(subject, head + b",".join(parts) + b"]}", len(parts))
            if self.dropped:
                logger.debug(f"Cluster: {self.dropped} debug/status frame(s) not relayed (queue full or NATS away)")
                self.dropped = 0

    async def _send(self, subject: str, body: bytes, count: int) -> None:
        try:
            await self.cluster.nc.publish(subject, body)
        except Exception:
            self.dropped += count

    async def _remote(self, msg: Any) -> None:
        try:
            body = orjson.loads(msg.data)
            worker, frames = body["worker"], body["frames"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return
        if worker == self._me:
            return
        publish = self.events.publish
        self._relaying = True
        try:
            for topic, data in frames:
                if isinstance(data, dict) and data:
                    data["worker"] = worker
                publish(topic, data)
        finally:
            self._relaying = False
