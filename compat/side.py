"""One runtime kept running for the whole comparison: FlowRed or Node-RED, its /comms stream,
its console lines, and the actions the harness takes on it (deploy, inject, HTTP calls).

The process is started once (benchmarks/runtimes.py) with an empty flow; each flow is then
deployed with ``POST /flows`` (``Node-RED-Deployment-Type: full``), as the editor does.
"""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.runtimes import Runtime, RuntimeProcess

__all__ = ["Side", "Mark"]

TOPICS = ("debug", "status/#", "notification/#")
RETAINED_WAIT = 1.0  # seconds for the retained frames a subscription answers with (runtime-state)
DEPLOY_HEADERS = {"Content-Type": "application/json", "Node-RED-Deployment-Type": "full"}


@dataclass
class Mark:
    """Where one flow's observation starts in a side's streams."""

    frames: int
    lines: int


@dataclass
class Side:
    """A running runtime with everything it showed: ``frames`` (``(seconds, topic, data)`` from
    /comms) and ``lines`` (console lines, decoded)."""

    runtime: Runtime
    user_dir: Path
    proc: RuntimeProcess | None = None
    session: aiohttp.ClientSession | None = None
    frames: list[tuple[float, str, Any]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    _ws: aiohttp.ClientWebSocketResponse | None = None
    _reader: asyncio.Task | None = None

    @property
    def name(self) -> str:
        return self.runtime.name

    @property
    def port(self) -> int:
        return self.proc.port

    @property
    def url(self) -> str:
        return self.proc.url

    async def open(self) -> "Side":
        """Start the runtime on an empty flow, connect to /comms and subscribe."""
        self.proc = await self.runtime.start([], self.user_dir)
        self.proc.line_sink = lambda line: self.lines.append(line.decode(errors="replace").rstrip("\n"))
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        await self._connect()
        await asyncio.sleep(RETAINED_WAIT)
        return self

    async def _connect(self) -> None:
        self._ws = await self.session.ws_connect(self.url.replace("http", "ws", 1) + "/comms",
                                                 max_msg_size=0, heartbeat=None)
        for topic in TOPICS:
            await self._ws.send_str(json.dumps({"subscribe": topic}))
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for frame in self._ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            body = json.loads(frame.data)
            now = time.monotonic()
            for item in body if isinstance(body, list) else [body]:
                topic = item.get("topic", "")
                if topic != "hb":
                    self.frames.append((now, topic, item.get("data")))

    def mark(self) -> Mark:
        return Mark(len(self.frames), len(self.lines))

    async def alive(self) -> bool:
        """Whether the process still runs and /comms is connected (reconnects if it dropped)."""
        if self.proc.proc.returncode is not None:
            return False
        if self._reader is None or self._reader.done():
            try:
                await self._connect()
            except aiohttp.ClientError:
                return False
        return True

    async def deploy(self, flows: list[dict]) -> tuple[int, str]:
        """``POST /flows`` (full deploy): the status and the answer's text."""
        return await self.request("POST", "/flows", data=json.dumps(flows), headers=DEPLOY_HEADERS)

    async def inject(self, node_id: str) -> tuple[int, str]:
        """``POST /inject/:id``, as the editor's inject button."""
        return await self.request("POST", f"/inject/{node_id}")

    async def request(self, method: str, path: str, **kwargs: Any) -> tuple[int, str]:
        """An HTTP request to this runtime: ``(status, body text)``; status 0 with the error
        text when the request failed."""
        try:
            async with self.session.request(method, self.url + path, **kwargs) as resp:
                return resp.status, await resp.text(errors="replace")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return 0, f"{type(exc).__name__}: {exc}"

    async def http(self, method: str, path: str, **kwargs: Any) -> dict:
        """An HTTP request answered by the flow: status, content type, set-cookie names, body."""
        try:
            async with self.session.request(method, self.url + path, allow_redirects=False, **kwargs) as resp:
                body = await resp.text(errors="replace")
                cookies = sorted(c.split("=", 1)[0] for c in resp.headers.getall("Set-Cookie", []))
                return {"status": resp.status, "content-type": resp.headers.get("Content-Type", ""),
                        "set-cookie": cookies, "body": body}
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return {"status": 0, "error": f"{type(exc).__name__}: {exc}"}

    async def close(self) -> None:
        """Close /comms and stop the process."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self.session is not None:
            await self.session.close()
        if self.proc is not None:
            await self.proc.stop()
