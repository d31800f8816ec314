"""ChatKit sessions and threads (OpenAI's ChatKit API, beta), kept in memory.

- ``POST /v1/chatkit/sessions`` (``user``, ``workflow: {id, version?, state_variables?,
  tracing?}``, ``expires_after: {anchor: "created_at", seconds}`` (600 by default),
  ``rate_limits``, ``chatkit_configuration``) → a ``chatkit.session`` with an ``ek_emulator_``
  client secret; ``POST /v1/chatkit/sessions/{id}/cancel`` → the session, ``status:
  "cancelled"``.
- ``GET /v1/chatkit/threads`` (``user``, cursor paging), ``GET/DELETE
  /v1/chatkit/threads/{id}``, ``GET /v1/chatkit/threads/{id}/items``.

Threads are made by ChatKit's web component talking to OpenAI, never through this REST API, so
the emulator has none unless :func:`add_thread` (or ``POST /__emulator/chatkit/threads`` with
``{user, title?, items?}``, answering the thread) puts one in: otherwise the list is empty and a
thread id is OpenAI's 404.
"""
from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from .errors import OpenAIError
from .store import Objects, json_body, new_id, now, page, required
from .validation import authenticate

SESSIONS = web.AppKey("chatkit_sessions", Objects)
THREADS = web.AppKey("chatkit_threads", Objects)
THREAD_ITEMS = web.AppKey("chatkit_thread_items", dict[str, Objects])
DEFAULT_TTL = 600
RATE_LIMIT = 10


def add_routes(app: web.Application) -> None:
    app[SESSIONS] = Objects("session")
    app[THREADS] = Objects("thread")
    app[THREAD_ITEMS] = {}
    app.router.add_post("/v1/chatkit/sessions", create_session)
    app.router.add_post("/v1/chatkit/sessions/{session}/cancel", cancel_session)
    app.router.add_get("/v1/chatkit/threads", list_threads)
    app.router.add_get("/v1/chatkit/threads/{thread}", retrieve_thread)
    app.router.add_delete("/v1/chatkit/threads/{thread}", delete_thread)
    app.router.add_get("/v1/chatkit/threads/{thread}/items", list_items)
    app.router.add_post("/__emulator/chatkit/threads", seed_thread)


async def seed_thread(request: web.Request) -> web.Response:
    """``POST /__emulator/chatkit/threads``: puts a thread in (see :func:`add_thread`); 201 with
    it, 400 without a ``user``."""
    body = await request.json() if request.can_read_body else {}
    if not isinstance(body, dict) or not isinstance(body.get("user"), str):
        return web.json_response({"error": "a thread needs a 'user' (text)"}, status=400)
    thread = add_thread(request.app, body["user"], body.get("title"), body.get("items"))
    return web.json_response(thread, status=201)


def add_thread(app: web.Application, user: str, title: str | None = None,
               items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Puts a thread of ``user`` (with ``items``, thread items as OpenAI returns them) into the
    emulator, as a conversation in ChatKit's web component would; returns the thread."""
    thread = {"id": new_id("cthr"), "object": "chatkit.thread", "created_at": now(), "title": title,
              "status": {"type": "active"}, "user": user}
    app[THREAD_ITEMS][thread["id"]] = Objects("thread item")
    for item in items or []:
        app[THREAD_ITEMS][thread["id"]].add({"id": new_id("cthi"), "object": "chatkit.thread_item",
                                             "created_at": now(), "thread_id": thread["id"], **item})
    return app[THREADS].add(thread)


async def create_session(request: web.Request) -> web.Response:
    """``POST /v1/chatkit/sessions``: a session for ``user`` on ``workflow``."""
    authenticate(request)
    body = await json_body(request)
    user, workflow = required(body, "user"), required(body, "workflow")
    if not isinstance(workflow, dict) or not workflow.get("id"):
        raise OpenAIError(400, "Missing required parameter: 'workflow.id'.", param="workflow.id",
                          code="missing_required_parameter")
    expires = body.get("expires_after") or {}
    config = body.get("chatkit_configuration") or {}
    upload = config.get("file_upload") or {}
    history = config.get("history") or {}
    session = {
        "id": new_id("cksess"), "object": "chatkit.session", "status": "active", "user": user,
        "client_secret": f"ek_emulator_{secrets.token_hex(16)}",
        "expires_at": now() + int(expires.get("seconds", DEFAULT_TTL)),
        "workflow": {"id": workflow["id"], "version": workflow.get("version"),
                     "state_variables": workflow.get("state_variables"),
                     "tracing": {"enabled": (workflow.get("tracing") or {}).get("enabled", True)}},
        "chatkit_configuration": {
            "automatic_thread_titling": {"enabled": (config.get("automatic_thread_titling") or {}).get("enabled",
                                                                                                      True)},
            "file_upload": {"enabled": upload.get("enabled", False), "max_file_size": upload.get("max_file_size", 512),
                            "max_files": upload.get("max_files", 10)},
            "history": {"enabled": history.get("enabled", True), "recent_threads": history.get("recent_threads")}},
        "rate_limits": {"max_requests_per_1_minute": (body.get("rate_limits") or {}).get("max_requests_per_1_minute",
                                                                                        RATE_LIMIT)},
        "max_requests_per_1_minute": RATE_LIMIT}
    return web.json_response(request.app[SESSIONS].add(session))


async def cancel_session(request: web.Request) -> web.Response:
    """``POST /v1/chatkit/sessions/{id}/cancel``: the session, cancelled."""
    authenticate(request)
    session = request.app[SESSIONS].get(request.match_info["session"], "session_id")
    session["status"] = "cancelled"
    return web.json_response(session)


async def list_threads(request: web.Request) -> web.Response:
    """``GET /v1/chatkit/threads``: a cursor page, ``user`` filters."""
    authenticate(request)
    user = request.query.get("user")
    return page(request, [t for t in request.app[THREADS].values() if user in (None, t["user"])])


async def retrieve_thread(request: web.Request) -> web.Response:
    """``GET /v1/chatkit/threads/{id}``."""
    authenticate(request)
    return web.json_response(request.app[THREADS].get(request.match_info["thread"], "thread_id"))


async def delete_thread(request: web.Request) -> web.Response:
    """``DELETE /v1/chatkit/threads/{id}``."""
    authenticate(request)
    thread = request.app[THREADS].remove(request.match_info["thread"], "thread_id")
    del request.app[THREAD_ITEMS][thread["id"]]
    return web.json_response({"id": thread["id"], "object": "chatkit.thread.deleted", "deleted": True})


async def list_items(request: web.Request) -> web.Response:
    """``GET /v1/chatkit/threads/{id}/items``: a cursor page."""
    authenticate(request)
    thread = request.app[THREADS].get(request.match_info["thread"], "thread_id")
    return page(request, request.app[THREAD_ITEMS][thread["id"]].values())
