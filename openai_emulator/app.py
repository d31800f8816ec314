"""The emulator's aiohttp application: OpenAI's REST API, answered locally and deterministically.

Endpoints (all need ``Authorization: Bearer <key>``):

- Realtime: ``POST /v1/realtime/client_secrets``, ``/v1/realtime/sessions``,
  ``/v1/realtime/transcription_sessions`` (:mod:`.realtime`).
- ``POST /v1/chat/completions`` and ``POST /v1/responses`` (JSON, or SSE with ``stream: true``)
  echo the last user text; ``POST /v1/embeddings`` (deterministic vectors),
  ``POST /v1/moderations``, ``GET /v1/models[/{model}]`` (:mod:`.text`).
- Files in memory: ``POST/GET /v1/files``, ``GET/DELETE /v1/files/{id}``,
  ``GET /v1/files/{id}/content`` (:mod:`.files`).
- ``POST /v1/images/generations``, ``/v1/images/edits``, ``/v1/images/variations``: a
  solid-colour PNG per image (:mod:`.images`).
- Audio: ``POST /v1/audio/speech`` (silent mp3/wav/pcm), ``/v1/audio/transcriptions``,
  ``/v1/audio/translations`` (:mod:`.audio`).
- In memory, per emulator: vector stores with files, file batches and search
  (:mod:`.vector_stores`); assistants, threads, messages and runs (:mod:`.assistants`);
  conversations and items (:mod:`.conversations`); ChatKit sessions and threads
  (:mod:`.chatkit`); fine-tuning jobs (:mod:`.fine_tuning`); batches run against the emulator
  itself (:mod:`.batches`); videos and video characters (:mod:`.videos`). Shared helpers:
  :mod:`.store`.

Any other ``/v1/...`` request gets OpenAI's 404 ``Invalid URL (METHOD /v1/...)``. Errors have
OpenAI's body ``{"error": {"message", "type", "param", "code"}}``; every response carries an
``x-request-id: req_<hex>`` header. Request bodies are validated with pydantic models.

Every ``/v1/...`` request is recorded in ``app[REQUESTS]`` as ``{"method", "path", "query",
"headers" (lower-cased names), "body_raw", "body" (parsed JSON or None)}``, the last
``MAX_REQUESTS`` only; ``GET /__emulator/requests`` lists them with API keys masked
(``Bearer sk-...last4``, see ``mask_key``) and ``DELETE /__emulator/requests`` clears them (204).
Faults (429, 5xx, slow answers, dropped connections) are described in :mod:`.faults`;
``POST /__emulator/faults`` queues one (JSON ``{status, delay, retry_after, times, path}``),
``DELETE /__emulator/faults`` clears the queue.
"""
from __future__ import annotations

import json
import secrets
from typing import Any, Awaitable, Callable

from aiohttp import web

from . import (
    assistants,
    audio,
    batches,
    chatkit,
    conversations,
    files,
    fine_tuning,
    images,
    realtime,
    text,
    vector_stores,
    videos,
)
from .errors import OpenAIError
from .faults import DroppedConnection, Faults, apply, from_headers
from .responses_websocket import add_routes as add_responses_websocket
from .validation import API_KEYS

REQUESTS = web.AppKey("requests", list[dict[str, Any]])
MAX_REQUESTS = 1000
"""How many recorded requests are kept (the oldest go first)."""
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "x-api-key", "openai-api-key"})
FAULTS = web.AppKey("faults", Faults)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(api_keys: set[str] | None = None) -> web.Application:
    """The emulator application. ``api_keys``: the Bearer keys accepted; None or empty accepts
    any non-empty key. Recorded requests are in ``app[REQUESTS]``, the fault queue in
    ``app[FAULTS]``."""
    app = web.Application(middlewares=[_v1_middleware], client_max_size=64 * 1024 * 1024)
    app[REQUESTS] = []
    app[FAULTS] = Faults()
    app[API_KEYS] = frozenset(api_keys or ())
    app.on_response_prepare.append(_add_request_id)
    realtime.add_routes(app)
    text.add_routes(app)
    add_responses_websocket(app)
    files.add_routes(app)
    images.add_routes(app)
    audio.add_routes(app)
    vector_stores.add_routes(app)
    assistants.add_routes(app)
    conversations.add_routes(app)
    chatkit.add_routes(app)
    fine_tuning.add_routes(app)
    batches.add_routes(app)
    videos.add_routes(app)
    app.router.add_route("*", "/v1/{tail:.*}", invalid_url)
    app.router.add_get("/__emulator/requests", list_requests)
    app.router.add_delete("/__emulator/requests", clear_requests)
    app.router.add_post("/__emulator/faults", add_fault)
    app.router.add_delete("/__emulator/faults", clear_faults)
    return app


@web.middleware
async def _v1_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Records ``/v1/...`` requests, applies faults, and turns :class:`OpenAIError` into its
    response."""
    if not request.path.startswith("/v1/"):
        return await handler(request)
    log = request.app[REQUESTS]
    log.append(await _record(request))
    if len(log) > MAX_REQUESTS:
        del log[:len(log) - MAX_REQUESTS]
    try:
        fault = from_headers(request) or request.app[FAULTS].take(request.path)
        if fault is not None:
            await apply(fault)
        return await handler(request)
    except OpenAIError as exc:
        return exc.response()
    except DroppedConnection:
        if request.transport is not None:
            request.transport.close()
        raise web.HTTPInternalServerError() from None  # never written: the connection is gone


async def _add_request_id(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["x-request-id"] = f"req_{secrets.token_hex(16)}"


async def _record(request: web.Request) -> dict[str, Any]:
    raw = (await request.read()).decode("utf-8", errors="replace")
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    return {
        "method": request.method,
        "path": request.path,
        "query": dict(request.query),
        "headers": {name.lower(): value for name, value in request.headers.items()},
        "body_raw": raw,
        "body": body,
    }


async def invalid_url(request: web.Request) -> web.Response:
    """Any other ``/v1/...`` request: 404 as OpenAI answers it."""
    raise OpenAIError(404, f"Invalid URL ({request.method} {request.path})")


async def list_requests(request: web.Request) -> web.Response:
    """``GET /__emulator/requests``: the recorded ``/v1/...`` requests, oldest first, with the
    API keys of SECRET_HEADERS masked."""
    return web.json_response([{**r, "headers": {k: _mask_header(k, v) for k, v in r["headers"].items()}}
                              for r in request.app[REQUESTS]])


def mask_key(key: str) -> str:
    """An API key as it may be shown: its alphabetic label segments, ``...`` and its last 4
    characters (``sk-proj-AbC...wxyz`` → ``sk-proj-...wxyz``; a short key shows no tail)."""
    prefix = ""
    for seg in key.split("-")[:-1]:
        if not (seg.isalpha() and len(seg) <= 12):
            break
        prefix += seg + "-"
    rest = key[len(prefix):]
    return prefix + "..." + (rest[-4:] if len(rest) > 8 else "")


def _mask_header(name: str, value: str) -> str:
    if name not in SECRET_HEADERS:
        return value
    scheme, sep, key = value.partition(" ")
    return f"{scheme} {mask_key(key.strip())}" if sep and name.endswith("authorization") else mask_key(value)


async def clear_requests(request: web.Request) -> web.Response:
    """``DELETE /__emulator/requests``: forgets the recorded requests; 204."""
    request.app[REQUESTS].clear()
    return web.Response(status=204)


async def add_fault(request: web.Request) -> web.Response:
    """``POST /__emulator/faults``: queues a fault; 201 with it, 400 for bad fields."""
    try:
        fields = await request.json()
        fault = request.app[FAULTS].add(**fields)
    except (ValueError, TypeError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response(vars(fault), status=201)


async def clear_faults(request: web.Request) -> web.Response:
    """``DELETE /__emulator/faults``: empties the fault queue; 204."""
    request.app[FAULTS].clear()
    return web.Response(status=204)
