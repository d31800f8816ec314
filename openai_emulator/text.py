"""Chat completions, responses, embeddings, moderations and models, answered deterministically.

- ``POST /v1/chat/completions``: the assistant's content is the text of the last user message
  (an echo). ``stream: true`` answers SSE ``chat.completion.chunk`` events (role, then one
  chunk per word, then ``finish_reason: "stop"``, then usage when
  ``stream_options.include_usage``) ending with ``data: [DONE]``.
- ``POST /v1/responses``: one ``message`` output item with the last user text as
  ``output_text``. ``stream: true`` answers OpenAI's event sequence (``response.created`` ...
  ``response.output_text.delta`` per word ... ``response.completed``), ``event:`` + ``data:``.
- ``POST /v1/embeddings``: per input a unit vector of ``dimensions`` (default 8) floats derived
  from SHA-256 of the model and the input, so equal inputs give equal vectors.
- ``POST /v1/moderations``: flags ``violence`` for texts containing "kill" and
  ``harassment`` for "idiot"; everything else passes.
- ``GET /v1/models`` and ``GET /v1/models/{model}``: a fixed list.

Token counts are words (whitespace-separated), a stand-in for OpenAI's tokenizer.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import secrets
import struct
import time
from typing import Any, Iterator

from aiohttp import web

from .errors import OpenAIError
from .text_models import ChatCompletionRequest, EmbeddingRequest, ModerationRequest, ResponseRequest
from .validation import authenticate, validated

MODELS = ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-5", "gpt-realtime", "gpt-realtime-1.5", "gpt-audio-1.5",
          "text-embedding-3-small", "text-embedding-3-large", "omni-moderation-latest", "whisper-1")
MODEL_CREATED = 1_700_000_000
DEFAULT_DIMENSIONS = 8
MODERATION_WORDS = {"kill": "violence", "idiot": "harassment"}
MODERATION_CATEGORIES = ("harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
                         "illicit/violent", "self-harm", "self-harm/instructions", "self-harm/intent", "sexual",
                         "sexual/minors", "violence", "violence/graphic")


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_post("/v1/responses", responses)
    app.router.add_post("/v1/embeddings", embeddings)
    app.router.add_post("/v1/moderations", moderations)
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/v1/models/{model}", retrieve_model)


def _words(text: str) -> list[str]:
    return text.split()


def _part_text(content: Any) -> str:
    """The text of a message content: a string, or the ``text`` of its parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("text"))
    return ""


# --- chat completions ------------------------------------------------------------------------

async def chat_completions(request: web.Request) -> web.StreamResponse:
    """``POST /v1/chat/completions``: an echo of the last user message."""
    authenticate(request)
    params = await validated(request, ChatCompletionRequest)
    users = [m for m in params.messages if m.role == "user"]
    text = _part_text(users[-1].content) if users else ""
    prompt_tokens = sum(len(_words(_part_text(m.content))) for m in params.messages)
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(_words(text)),
             "total_tokens": prompt_tokens + len(_words(text))}
    base = {"id": f"chatcmpl-{secrets.token_hex(12)}", "created": int(time.time()), "model": params.model,
            "service_tier": "default", "system_fingerprint": None}
    if not params.stream:
        choices = [{"index": i, "message": {"role": "assistant", "content": text, "refusal": None, "annotations": []},
                    "logprobs": None, "finish_reason": "stop"} for i in range(params.n)]
        return web.json_response({"id": base["id"], "object": "chat.completion", **base, "choices": choices,
                                  "usage": usage})
    include_usage = params.stream_options is not None and params.stream_options.include_usage
    return await _sse(request, ((None, chunk) for chunk in _chat_chunks(base, text, usage, include_usage)),
                      done=True)


def _chat_chunks(base: dict, text: str, usage: dict, include_usage: bool) -> Iterator[dict]:
    def chunk(delta: dict, finish: str | None = None) -> dict:
        body = {"id": base["id"], "object": "chat.completion.chunk", **base,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        return {**body, "usage": None} if include_usage else body

    yield chunk({"role": "assistant", "content": "", "refusal": None})
    for i, word in enumerate(_words(text)):
        yield chunk({"content": word if i == 0 else " " + word})
    yield chunk({}, "stop")
    if include_usage:
        yield {"id": base["id"], "object": "chat.completion.chunk", **base, "choices": [], "usage": usage}


# --- responses -------------------------------------------------------------------------------

async def responses(request: web.Request) -> web.StreamResponse:
    """``POST /v1/responses``: an echo of the last user input."""
    authenticate(request)
    params = await validated(request, ResponseRequest)
    done, events = response_answer(params)
    if not params.stream:
        return web.json_response(done)
    return await _sse(request, events, done=False)


def response_answer(params: ResponseRequest) -> tuple[dict[str, Any], Iterator[tuple[str, dict]]]:
    """The completed response object for ``params`` (one ``message`` item echoing the last user
    input) and the stream events leading to it, as ``(type, event)`` pairs in OpenAI's order
    (``response.created`` ... ``response.completed``, each with ``type`` and
    ``sequence_number``); ``POST /v1/responses`` and the Responses websocket both answer with it."""
    text = _input_text(params.input)
    response_id, message_id = f"resp_{secrets.token_hex(16)}", f"msg_{secrets.token_hex(16)}"
    input_tokens = len(_words(text)) + len(_words(params.instructions or ""))
    output_tokens = len(_words(text))
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    item = {"id": message_id, "type": "message", "status": "completed", "role": "assistant", "content": [part]}
    done = {"id": response_id, "object": "response", "created_at": int(time.time()), "status": "completed",
            "error": None, "incomplete_details": None, "instructions": params.instructions,
            "model": params.model, "output": [item], "parallel_tool_calls": True, "previous_response_id": None,
            "temperature": 1.0, "tool_choice": "auto", "tools": [], "top_p": 1.0, "truncation": "disabled",
            "usage": {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
                      "total_tokens": input_tokens + output_tokens},
            "metadata": {}}
    return done, _response_events(done, item, part, text)


def _input_text(value: str | list[dict[str, Any]]) -> str:
    if isinstance(value, str):
        return value
    users = [i for i in value if i.get("role", "user") == "user"]
    if not users:
        return ""
    content = users[-1].get("content")
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("text"))
    return _part_text(content)


def _response_events(done: dict, item: dict, part: dict, text: str) -> Iterator[tuple[str, dict]]:
    pending = {**done, "status": "in_progress", "output": [], "usage": None}
    ids = {"item_id": item["id"], "output_index": 0, "content_index": 0}
    events: list[tuple[str, dict]] = [
        ("response.created", {"response": pending}),
        ("response.in_progress", {"response": pending}),
        ("response.output_item.added", {"output_index": 0, "item": {**item, "status": "in_progress", "content": []}}),
        ("response.content_part.added", {**ids, "part": {**part, "text": ""}}),
    ]
    for i, word in enumerate(_words(text)):
        events.append(("response.output_text.delta", {**ids, "delta": word if i == 0 else " " + word,
                                                      "logprobs": []}))
    events += [
        ("response.output_text.done", {**ids, "text": text, "logprobs": []}),
        ("response.content_part.done", {**ids, "part": part}),
        ("response.output_item.done", {"output_index": 0, "item": item}),
        ("response.completed", {"response": done}),
    ]
    for n, (kind, data) in enumerate(events):
        yield kind, {"type": kind, "sequence_number": n, **data}


# --- SSE -------------------------------------------------------------------------------------

async def _sse(request: web.Request, events: Any, done: bool) -> web.StreamResponse:
    """Writes ``(event name or None, data)`` pairs as server-sent events; ``data: [DONE]`` last
    when ``done`` (chat completions do, responses do not)."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8",
                                           "Cache-Control": "no-cache"})
    await response.prepare(request)
    for name, data in events:
        head = f"event: {name}\n" if name else ""
        await response.write(f"{head}data: {json.dumps(data)}\n\n".encode())
    if done:
        await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


# --- embeddings, moderations, models ---------------------------------------------------------

async def embeddings(request: web.Request) -> web.Response:
    """``POST /v1/embeddings``: deterministic unit vectors, one per input."""
    authenticate(request)
    params = await validated(request, EmbeddingRequest)
    value = params.input
    inputs = [value] if isinstance(value, str) or (value and isinstance(value[0], int)) else list(value)
    if not inputs or any(i in ("", []) for i in inputs):
        raise OpenAIError(400, "'$.input' is invalid. Please check the API reference: "
                          "https://platform.openai.com/docs/api-reference.", param="input")
    dims = params.dimensions or DEFAULT_DIMENSIONS
    data = []
    for index, item in enumerate(inputs):
        vector = vector_for(params.model, json.dumps(item), dims)
        encoded: Any = vector
        if params.encoding_format == "base64":
            encoded = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = sum(len(i) if isinstance(i, list) else len(_words(str(i))) for i in inputs)
    return web.json_response({"object": "list", "data": data, "model": params.model,
                              "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


def vector_for(model: str, text: str, dims: int) -> list[float]:
    """A unit vector of ``dims`` floats in [-1, 1] from SHA-256 of ``model`` and ``text``."""
    raw = b""
    counter = 0
    while len(raw) < dims * 4:
        raw += hashlib.sha256(f"{model}\0{text}\0{counter}".encode()).digest()
        counter += 1
    values = [int.from_bytes(raw[i * 4:i * 4 + 4], "big") / 2**31 - 1 for i in range(dims)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, 6) for v in values]


async def moderations(request: web.Request) -> web.Response:
    """``POST /v1/moderations``: word-based flags (see the module docstring)."""
    authenticate(request)
    params = await validated(request, ModerationRequest)
    value = params.input
    texts = [value] if isinstance(value, str) else [v if isinstance(v, str) else _part_text([v]) for v in value]
    results = []
    for text in texts:
        hits = {category for word, category in MODERATION_WORDS.items() if word in text.lower()}
        results.append({
            "flagged": bool(hits),
            "categories": {c: c in hits for c in MODERATION_CATEGORIES},
            "category_scores": {c: 0.9 if c in hits else 0.0001 for c in MODERATION_CATEGORIES},
            "category_applied_input_types": {c: ["text"] for c in MODERATION_CATEGORIES},
        })
    return web.json_response({"id": f"modr-{secrets.token_hex(12)}", "model": params.model, "results": results})


def _model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": MODEL_CREATED, "owned_by": "system"}


async def list_models(request: web.Request) -> web.Response:
    """``GET /v1/models``: the fixed model list."""
    authenticate(request)
    return web.json_response({"object": "list", "data": [_model(m) for m in MODELS]})


async def retrieve_model(request: web.Request) -> web.Response:
    """``GET /v1/models/{model}``: one model, or OpenAI's 404 ``model_not_found``."""
    authenticate(request)
    model_id = request.match_info["model"]
    if model_id not in MODELS:
        raise OpenAIError(404, f"The model '{model_id}' does not exist", param="model", code="model_not_found")
    return web.json_response(_model(model_id))
