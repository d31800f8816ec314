"""The Responses API's websocket mode: ``GET /v1/responses`` upgraded to a websocket.

As OpenAI's ``wss://api.openai.com/v1/responses`` (the "WebSocket mode" guide; openai-python's
``responses.connect()``): the handshake carries ``Authorization: Bearer <key>`` (a bad or
missing key is OpenAI's 401 before the upgrade, as are queued faults, see :mod:`.faults`), and a
plain ``GET /v1/responses`` without the upgrade is OpenAI's 404 ``Invalid URL``. Then each text
message from the client is one JSON client event:

- ``{"type": "response.create", ...}`` holds the fields of ``POST /v1/responses`` (``stream``
  is implied and ignored). The answer is the event sequence a stream of that response has
  (``response.created``, ``response.in_progress``, ``response.output_item.added``, ...,
  ``response.output_text.delta`` per word, ..., ``response.completed``; see
  :func:`.text.response_answer`), one JSON text message per event. ``stream_id`` is echoed on
  every event of its response; ``previous_response_id`` must name a response created on this
  connection (else ``previous_response_not_found``); ``generate: false`` answers
  ``response.created`` and ``response.completed`` with no output (a warm-up).
- Anything else (not JSON, not an object, another ``type``, a field OpenAI would refuse,
  ``background: true``) is answered with an ``error`` event ``{"type": "error", "status": 400,
  "error": {"type", "code", "message", "param"}}`` and the connection stays open.

Responses are answered one after the other, in the order their events arrived, as OpenAI
processes one response at a time per connection. Each client message is recorded in the
emulator's request log (``GET /__emulator/requests``) as ``{"method": "WS", "path":
"/v1/responses", "query", "headers"`` (the handshake's), ``"body_raw", "body"}``, and the
client's close frame as ``{"method": "WS_CLOSE", ..., "body": {"code", "reason"}}``.
"""
from __future__ import annotations

import json
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from .errors import BAD_JSON, OpenAIError
from .text import response_answer
from .text_models import ResponseRequest
from .validation import authenticate, validate

PATH = "/v1/responses"
SOCKETS = web.AppKey("responses_websockets", set[web.WebSocketResponse])
ENVELOPE = ("type", "stream_id", "generate")
"""Fields of a ``response.create`` event that are not fields of ``POST /v1/responses``."""


def add_routes(app: web.Application) -> None:
    """Registers the websocket handshake route (before the application's catch-all), and the
    shutdown step that closes open sessions (1001) so that stopping the emulator does not wait
    for their clients."""
    app[SOCKETS] = set()
    app.router.add_get(PATH, responses_websocket)
    app.on_shutdown.append(_close_sessions)


async def _close_sessions(app: web.Application) -> None:
    for ws in list(app[SOCKETS]):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"emulator stopped")


async def responses_websocket(request: web.Request) -> web.StreamResponse:
    """``GET /v1/responses`` with ``Upgrade: websocket``: a Responses websocket session that
    lasts until either side closes it."""
    if request.headers.get("Upgrade", "").lower() != "websocket":
        raise OpenAIError(404, f"Invalid URL ({request.method} {request.path})")
    authenticate(request)
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    request.app[SOCKETS].add(ws)
    try:
        return await _serve(request, ws)
    finally:
        request.app[SOCKETS].discard(ws)


async def _serve(request: web.Request, ws: web.WebSocketResponse) -> web.WebSocketResponse:
    """Answers the client's events until it closes the websocket (or it breaks)."""
    created: set[str] = set()
    while True:
        message = await ws.receive()
        if message.type == WSMsgType.TEXT:
            _record(request, "WS", message.data)
            for event in _answer(message.data, created):
                await ws.send_str(json.dumps(event))
        elif message.type == WSMsgType.BINARY:
            await ws.send_str(json.dumps(_error(OpenAIError(400, "Binary messages are not supported; send client "
                                                            "events as JSON text.", code="invalid_message"))))
        elif message.type == WSMsgType.CLOSE:
            _record(request, "WS_CLOSE", json.dumps({"code": message.data, "reason": message.extra or ""}))
            await ws.close()
            return ws
        else:  # closing, closed or broken
            return ws


def _answer(raw: str, created: set[str]) -> list[dict[str, Any]]:
    """The server events for one client message; ``created`` holds the ids of the responses
    this connection created, and gains the new one."""
    try:
        event = json.loads(raw)
    except ValueError:
        return [_error(OpenAIError(400, BAD_JSON, code="invalid_json"))]
    try:
        return _create(event, created)
    except OpenAIError as exc:
        return [_error(exc)]


def _create(event: Any, created: set[str]) -> list[dict[str, Any]]:
    if not isinstance(event, dict):
        raise OpenAIError(400, "Invalid client event: expected an object.", code="invalid_type")
    kind = event.get("type")
    if kind != "response.create":
        param = "type"
        if kind is None:
            raise OpenAIError(400, "Missing required parameter: 'type'.", param=param,
                              code="missing_required_parameter")
        raise OpenAIError(400, f"Invalid value for 'type': {json.dumps(kind)}. Supported values are: "
                          "'response.create'.", param=param, code="invalid_value")
    if event.get("background") is True:
        raise OpenAIError(400, "Background responses are not supported over WebSocket.", param="background",
                          code="invalid_value")
    previous = event.get("previous_response_id")
    if previous is not None and previous not in created:
        raise OpenAIError(400, f"Previous response with id '{previous}' not found.", param="previous_response_id",
                          code="previous_response_not_found")
    params = validate(ResponseRequest, {k: v for k, v in event.items() if k not in ENVELOPE})
    done, events = response_answer(params)
    done["previous_response_id"] = previous  # before the events are made: they copy it
    if event.get("generate") is False:
        done.update(output=[], usage=None)
        events = iter([("response.created", {"type": "response.created", "sequence_number": 0,
                                             "response": {**done, "status": "in_progress"}}),
                       ("response.completed", {"type": "response.completed", "sequence_number": 1,
                                               "response": done})])
    created.add(done["id"])
    stream_id = event.get("stream_id")
    lane = {} if stream_id is None else {"stream_id": stream_id}
    return [{**data, **lane} for _, data in events]


def _error(exc: OpenAIError) -> dict[str, Any]:
    """OpenAI's websocket ``error`` event for an error it would answer over HTTP with ``exc``."""
    return {"type": "error", "status": exc.status, "error": exc.error}


def _record(request: web.Request, method: str, raw: str) -> None:
    """Appends one client message to the emulator's request log (see the module docstring)."""
    from .app import MAX_REQUESTS, REQUESTS  # app imports this module

    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    log = request.app[REQUESTS]
    log.append({"method": method, "path": request.path, "query": dict(request.query),
                "headers": {name.lower(): value for name, value in request.headers.items()},
                "body_raw": raw, "body": body})
    if len(log) > MAX_REQUESTS:
        del log[:len(log) - MAX_REQUESTS]
