"""Assistants, threads, messages and runs (OpenAI's Assistants API, beta), kept in memory.

- ``POST/GET /v1/assistants``, ``GET/POST/DELETE /v1/assistants/{id}``.
- ``POST /v1/threads`` (optional ``messages``), ``GET/POST/DELETE /v1/threads/{id}``.
- ``POST/GET /v1/threads/{id}/messages``, ``GET/POST/DELETE /v1/threads/{id}/messages/{msg}``.
- ``POST/GET /v1/threads/{id}/runs``, ``GET /v1/threads/{id}/runs/{run}``,
  ``POST .../runs/{run}/cancel``, ``POST /v1/threads/runs`` (thread and run at once). A run
  completes at once: its assistant message echoes the thread's last user message, as the
  emulator's chat completions do. ``stream: true`` is a 400 here.

``tool_resources.file_search.vector_stores: [{file_ids}]`` creates a vector store from the
files, and the object then holds ``file_search.vector_store_ids``, as OpenAI's API does.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from .errors import OpenAIError
from .store import Objects, json_body, new_id, now, page, required
from .validation import authenticate
from .vector_stores import new_store

ASSISTANTS = web.AppKey("assistants", Objects)
THREADS = web.AppKey("threads", Objects)
MESSAGES = web.AppKey("thread_messages", dict[str, Objects])
RUNS = web.AppKey("thread_runs", dict[str, Objects])
ASSISTANT_FIELDS = ("model", "name", "description", "instructions", "tools", "metadata", "temperature", "top_p",
                    "response_format", "reasoning_effort")


def add_routes(app: web.Application) -> None:
    app[ASSISTANTS] = Objects("assistant")
    app[THREADS] = Objects("thread")
    app[MESSAGES] = {}
    app[RUNS] = {}
    app.router.add_post("/v1/assistants", create_assistant)
    app.router.add_get("/v1/assistants", list_assistants)
    app.router.add_get("/v1/assistants/{assistant}", retrieve_assistant)
    app.router.add_post("/v1/assistants/{assistant}", update_assistant)
    app.router.add_delete("/v1/assistants/{assistant}", delete_assistant)
    app.router.add_post("/v1/threads", create_thread)
    app.router.add_post("/v1/threads/runs", create_thread_and_run)
    app.router.add_get("/v1/threads/{thread}", retrieve_thread)
    app.router.add_post("/v1/threads/{thread}", update_thread)
    app.router.add_delete("/v1/threads/{thread}", delete_thread)
    app.router.add_post("/v1/threads/{thread}/messages", create_message)
    app.router.add_get("/v1/threads/{thread}/messages", list_messages)
    app.router.add_get("/v1/threads/{thread}/messages/{message}", retrieve_message)
    app.router.add_post("/v1/threads/{thread}/messages/{message}", update_message)
    app.router.add_delete("/v1/threads/{thread}/messages/{message}", delete_message)
    app.router.add_post("/v1/threads/{thread}/runs", create_run)
    app.router.add_get("/v1/threads/{thread}/runs", list_runs)
    app.router.add_get("/v1/threads/{thread}/runs/{run}", retrieve_run)
    app.router.add_post("/v1/threads/{thread}/runs/{run}/cancel", retrieve_run)


def _tool_resources(app: web.Application, given: Any, tools: list[Any]) -> dict[str, Any]:
    """``tool_resources`` as stored: new vector stores made from ``vector_stores`` file lists."""
    resources: dict[str, Any] = {}
    given = given if isinstance(given, dict) else {}
    search = given.get("file_search") or {}
    ids = list(search.get("vector_store_ids") or [])
    ids += [new_store(app, {"file_ids": vs.get("file_ids") or [], "metadata": vs.get("metadata")})["id"]
            for vs in search.get("vector_stores") or [] if isinstance(vs, dict)]
    kinds = {t.get("type") for t in tools if isinstance(t, dict)}
    if ids or "file_search" in kinds:
        resources["file_search"] = {"vector_store_ids": ids}
    if "code_interpreter" in given or "code_interpreter" in kinds:
        resources["code_interpreter"] = {"file_ids": list((given.get("code_interpreter") or {}).get("file_ids") or [])}
    return resources


def _deleted(obj: dict[str, Any], kind: str) -> web.Response:
    return web.json_response({"id": obj["id"], "object": f"{kind}.deleted", "deleted": True})


# --- assistants ------------------------------------------------------------------------------

async def create_assistant(request: web.Request) -> web.Response:
    """``POST /v1/assistants``."""
    authenticate(request)
    body = await json_body(request)
    required(body, "model")
    tools = body.get("tools") or []
    obj = {"id": new_id("asst"), "object": "assistant", "created_at": now(), "name": None, "description": None,
           "instructions": None, "metadata": {}, "temperature": 1.0, "top_p": 1.0, "response_format": "auto",
           "reasoning_effort": None, **{k: body[k] for k in ASSISTANT_FIELDS if body.get(k) is not None},
           "tools": tools, "tool_resources": _tool_resources(request.app, body.get("tool_resources"), tools)}
    return web.json_response(request.app[ASSISTANTS].add(obj))


async def list_assistants(request: web.Request) -> web.Response:
    """``GET /v1/assistants``: a cursor page."""
    authenticate(request)
    return page(request, request.app[ASSISTANTS].values())


async def retrieve_assistant(request: web.Request) -> web.Response:
    """``GET /v1/assistants/{id}``."""
    authenticate(request)
    return web.json_response(request.app[ASSISTANTS].get(request.match_info["assistant"], "assistant_id"))


async def update_assistant(request: web.Request) -> web.Response:
    """``POST /v1/assistants/{id}``: the given fields replace the stored ones."""
    authenticate(request)
    obj = request.app[ASSISTANTS].get(request.match_info["assistant"], "assistant_id")
    body = await json_body(request)
    obj.update({k: body[k] for k in ASSISTANT_FIELDS if k in body})
    if "tool_resources" in body:
        obj["tool_resources"] = _tool_resources(request.app, body["tool_resources"], obj["tools"])
    return web.json_response(obj)


async def delete_assistant(request: web.Request) -> web.Response:
    """``DELETE /v1/assistants/{id}``."""
    authenticate(request)
    return _deleted(request.app[ASSISTANTS].remove(request.match_info["assistant"], "assistant_id"), "assistant")


# --- threads and messages --------------------------------------------------------------------

def new_thread(app: web.Application, body: dict[str, Any]) -> dict[str, Any]:
    """Creates a thread from a create body (``messages``, ``metadata``, ``tool_resources``)."""
    obj = {"id": new_id("thread"), "object": "thread", "created_at": now(), "metadata": body.get("metadata") or {},
           "tool_resources": _tool_resources(app, body.get("tool_resources"), [])}
    app[MESSAGES][obj["id"]] = Objects("message")
    app[RUNS][obj["id"]] = Objects("run")
    for message in body.get("messages") or []:
        _new_message(app, obj["id"], message if isinstance(message, dict) else {})
    return app[THREADS].add(obj)


def _thread(request: web.Request) -> dict[str, Any]:
    return request.app[THREADS].get(request.match_info["thread"], "thread_id")


def _content(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": {"value": content, "annotations": []}}]
    if isinstance(content, list):
        return [{"type": "text", "text": {"value": str(p.get("text", "")), "annotations": []}}
                if isinstance(p, dict) and p.get("type") == "text" else p for p in content]
    raise OpenAIError(400, "Missing required parameter: 'content'.", param="content",
                      code="missing_required_parameter")


def _new_message(app: web.Application, thread_id: str, body: dict[str, Any], assistant_id: str | None = None,
                 run_id: str | None = None) -> dict[str, Any]:
    role = required(body, "role")
    if role not in ("user", "assistant"):
        raise OpenAIError(400, f"Invalid value: '{role}'. Supported values are: 'user' and 'assistant'.",
                          param="role", code="invalid_value")
    created = now()
    obj = {"id": new_id("msg"), "object": "thread.message", "created_at": created, "thread_id": thread_id,
           "status": "completed", "incomplete_details": None, "completed_at": created, "incomplete_at": None,
           "role": role, "content": _content(body.get("content")), "assistant_id": assistant_id, "run_id": run_id,
           "attachments": body.get("attachments") or [], "metadata": body.get("metadata") or {}}
    return app[MESSAGES][thread_id].add(obj)


async def create_thread(request: web.Request) -> web.Response:
    """``POST /v1/threads``."""
    authenticate(request)
    return web.json_response(new_thread(request.app, await json_body(request)))


async def retrieve_thread(request: web.Request) -> web.Response:
    """``GET /v1/threads/{id}``."""
    authenticate(request)
    return web.json_response(_thread(request))


async def update_thread(request: web.Request) -> web.Response:
    """``POST /v1/threads/{id}``: ``metadata``, ``tool_resources``."""
    authenticate(request)
    obj, body = _thread(request), await json_body(request)
    if "metadata" in body:
        obj["metadata"] = body["metadata"] or {}
    if "tool_resources" in body:
        obj["tool_resources"] = _tool_resources(request.app, body["tool_resources"], [])
    return web.json_response(obj)


async def delete_thread(request: web.Request) -> web.Response:
    """``DELETE /v1/threads/{id}``: the thread with its messages and runs."""
    authenticate(request)
    obj = request.app[THREADS].remove(request.match_info["thread"], "thread_id")
    del request.app[MESSAGES][obj["id"]], request.app[RUNS][obj["id"]]
    return _deleted(obj, "thread")


async def create_message(request: web.Request) -> web.Response:
    """``POST /v1/threads/{id}/messages``."""
    authenticate(request)
    thread = _thread(request)
    return web.json_response(_new_message(request.app, thread["id"], await json_body(request)))


async def list_messages(request: web.Request) -> web.Response:
    """``GET /v1/threads/{id}/messages``: a cursor page, ``run_id`` filters."""
    authenticate(request)
    run_id = request.query.get("run_id")
    found = [m for m in request.app[MESSAGES][_thread(request)["id"]].values() if run_id in (None, m["run_id"])]
    return page(request, found)


def _message(request: web.Request) -> dict[str, Any]:
    return request.app[MESSAGES][_thread(request)["id"]].get(request.match_info["message"], "message_id")


async def retrieve_message(request: web.Request) -> web.Response:
    """``GET /v1/threads/{id}/messages/{message_id}``."""
    authenticate(request)
    return web.json_response(_message(request))


async def update_message(request: web.Request) -> web.Response:
    """``POST /v1/threads/{id}/messages/{message_id}``: ``metadata``."""
    authenticate(request)
    obj, body = _message(request), await json_body(request)
    obj["metadata"] = body.get("metadata") or {}
    return web.json_response(obj)


async def delete_message(request: web.Request) -> web.Response:
    """``DELETE /v1/threads/{id}/messages/{message_id}``."""
    authenticate(request)
    obj = request.app[MESSAGES][_thread(request)["id"]].remove(request.match_info["message"], "message_id")
    return _deleted(obj, "thread.message")


# --- runs ------------------------------------------------------------------------------------

def _run(app: web.Application, thread: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    if body.get("stream"):
        raise OpenAIError(400, "The emulator does not stream runs: leave 'stream' unset.", param="stream")
    assistant = app[ASSISTANTS].get(str(required(body, "assistant_id")), "assistant_id")
    for message in body.get("additional_messages") or []:
        _new_message(app, thread["id"], message)
    messages = app[MESSAGES][thread["id"]].values()
    users = [m for m in messages if m["role"] == "user"]
    text = " ".join(p["text"]["value"] for p in users[-1]["content"] if p.get("type") == "text") if users else ""
    created, run_id = now(), new_id("run")
    _new_message(app, thread["id"], {"role": "assistant", "content": text}, assistant["id"], run_id)
    prompt = sum(len(p["text"]["value"].split()) for m in messages for p in m["content"] if p.get("type") == "text")
    run = {"id": run_id, "object": "thread.run", "created_at": created, "thread_id": thread["id"],
           "assistant_id": assistant["id"], "status": "completed", "required_action": None, "last_error": None,
           "expires_at": None, "started_at": created, "cancelled_at": None, "failed_at": None,
           "completed_at": created, "incomplete_details": None,
           "model": body.get("model") or assistant["model"],
           "instructions": body.get("instructions") or assistant["instructions"] or "",
           "tools": body.get("tools") or assistant["tools"], "metadata": body.get("metadata") or {},
           "usage": {"prompt_tokens": prompt, "completion_tokens": len(text.split()),
                     "total_tokens": prompt + len(text.split())},
           "temperature": 1.0, "top_p": 1.0, "max_prompt_tokens": None, "max_completion_tokens": None,
           "truncation_strategy": {"type": "auto", "last_messages": None}, "tool_choice": "auto",
           "parallel_tool_calls": True, "response_format": "auto", "reasoning_effort": None}
    return app[RUNS][thread["id"]].add(run)


async def create_run(request: web.Request) -> web.Response:
    """``POST /v1/threads/{id}/runs``: a completed run and its assistant message."""
    authenticate(request)
    return web.json_response(_run(request.app, _thread(request), await json_body(request)))


async def create_thread_and_run(request: web.Request) -> web.Response:
    """``POST /v1/threads/runs``: ``thread`` (a create body) and the run's fields."""
    authenticate(request)
    body = await json_body(request)
    thread = new_thread(request.app, body.get("thread") or {})
    return web.json_response(_run(request.app, thread, body))


async def list_runs(request: web.Request) -> web.Response:
    """``GET /v1/threads/{id}/runs``: a cursor page."""
    authenticate(request)
    return page(request, request.app[RUNS][_thread(request)["id"]].values())


async def retrieve_run(request: web.Request) -> web.Response:
    """``GET /v1/threads/{id}/runs/{run_id}`` (and ``POST .../cancel``: runs are already done)."""
    authenticate(request)
    return web.json_response(request.app[RUNS][_thread(request)["id"]].get(request.match_info["run"], "run_id"))
