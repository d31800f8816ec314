"""A recording HTTP server on loopback for method-table tests: it records each request's
method, path, query, content type and body, and answers with what the ``x-reply`` header asks:
``json`` (a generic object that also passes as a page and as a finished job), ``binary``,
``empty``, ``sse`` (a two-event Responses stream) or ``run-sse`` (a two-event Assistants run
stream)."""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

GENERIC = {"id": "obj_1", "object": "thing", "status": "completed", "created_at": 0, "has_more": False,
           "data": [{"id": "item_1", "object": "thing"}], "first_id": "item_1", "last_id": "item_1",
           "file_counts": {"in_progress": 0, "completed": 1, "failed": 0, "cancelled": 0, "total": 1}}
RESPONSE = {"id": "resp_1", "object": "response", "created_at": 0, "status": "completed", "model": "m",
            "output": [], "parallel_tool_calls": True, "tool_choice": "auto", "tools": []}
RUN = {"id": "run_1", "object": "thread.run", "thread_id": "thread_1", "assistant_id": "asst_1", "status": "completed"}
BINARY = b"\x00\x01binary-content"


class Recorder:
    """The running server: ``base_url`` for the SDK, ``requests`` as recorded (oldest first)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> "Recorder":
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/v1"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body: Any = None
        if request.content_type == "application/json" and raw:
            body = json.loads(raw)
        self.requests.append({"method": request.method, "path": request.path.removeprefix("/v1"),
                              "query": dict(request.query), "content_type": request.content_type,
                              "headers": dict(request.headers), "raw": raw, "body": body})
        reply = request.headers.get("x-reply", "json")
        if reply == "binary":
            return web.Response(body=BINARY, content_type="application/octet-stream")
        if reply == "empty":
            return web.Response(status=200)
        if reply == "sse":
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            for n, (kind, snapshot) in enumerate((("response.created", {**RESPONSE, "status": "in_progress"}),
                                                  ("response.completed", RESPONSE))):
                data = {"type": kind, "sequence_number": n, "response": snapshot}
                await response.write(f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode())
            await response.write_eof()
            return response
        if reply == "run-sse":
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            for kind, run in (("thread.run.created", {**RUN, "status": "queued"}), ("thread.run.completed", RUN)):
                await response.write(f"event: {kind}\ndata: {json.dumps(run)}\n\n".encode())
            await response.write(b"event: done\ndata: [DONE]\n\n")
            await response.write_eof()
            return response
        return web.json_response(GENERIC)
