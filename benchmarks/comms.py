"""A ``/comms`` websocket client that speaks Node-RED's protocol (FlowRed speaks the same).

It connects to ``ws://HOST:PORT/comms``, sends ``{"subscribe": "debug"}`` and reads frames
(JSON arrays of ``{topic, data}``). ``read_delay_per_msg`` makes it a slow reader: after each
frame it sleeps that long per message in the frame, so TCP back-pressure reaches the server.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp

__all__ = ["CommsClient", "debug_value"]

DROPPED = "notification/comms-dropped"


def debug_value(data: dict) -> Any:
    """The value of a ``debug`` message: ``data.msg`` is JSON text for objects and arrays."""
    value = data.get("msg")
    if isinstance(value, str) and data.get("format", "").startswith(("Object", "array")):
        return json.loads(value)
    return value


@dataclass
class CommsClient:
    """Counts what arrives; keeps debug messages of ``keep_from`` node ids."""

    session: aiohttp.ClientSession
    url: str
    read_delay_per_msg: float = 0.0
    keep_from: frozenset[str] = frozenset()
    frames: int = 0
    debug_count: int = 0
    dropped_total: int = 0
    drop_notices: int = 0
    kept: list[dict] = field(default_factory=list)
    _ws: aiohttp.ClientWebSocketResponse | None = None
    _task: asyncio.Task | None = None
    _new: asyncio.Event = field(default_factory=asyncio.Event)

    async def open(self) -> "CommsClient":
        """Connect and subscribe to ``debug``."""
        self._ws = await self.session.ws_connect(self.url.replace("http", "ws", 1) + "/comms",
                                                 max_msg_size=0, heartbeat=None)
        await self._ws.send_str(json.dumps({"subscribe": "debug"}))
        self._task = asyncio.get_running_loop().create_task(self._read())
        return self

    async def _read(self) -> None:
        async for frame in self._ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            body = json.loads(frame.data)
            items = body if isinstance(body, list) else [body]
            self.frames += 1
            for item in items:
                topic = item.get("topic")
                if topic == "debug":
                    self.debug_count += 1
                    if item["data"].get("id") in self.keep_from:
                        self.kept.append(item["data"])
                elif topic == DROPPED:
                    self.drop_notices += 1
                    self.dropped_total = max(self.dropped_total, int(item["data"].get("total", 0)))
            self._new.set()
            if self.read_delay_per_msg:
                await asyncio.sleep(self.read_delay_per_msg * len(items))

    async def wait_kept(self, count: int = 1, timeout: float = 300.0) -> list[dict]:
        """Wait until ``count`` debug messages of ``keep_from`` nodes arrived."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while len(self.kept) < count:
            left = end - loop.time()
            if left <= 0 or self._task.done():
                raise RuntimeError(f"/comms: {len(self.kept)} of {count} debug message(s) after {timeout:.0f} s")
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), left)
            except asyncio.TimeoutError:
                pass
        return self.kept[:count]

    async def close(self) -> None:
        """Close the websocket and stop reading."""
        if self._ws is not None:
            await self._ws.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
