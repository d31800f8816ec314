"""Conversations and their items (OpenAI's Conversations API), kept in memory.

- ``POST /v1/conversations`` (``items`` ≤ 20, ``metadata``), ``GET/POST/DELETE
  /v1/conversations/{id}``.
- ``POST /v1/conversations/{id}/items`` (``items`` 1..20) → ``{object: "list", data, first_id,
  last_id, has_more}`` with the added items; ``GET .../items`` (a cursor page, oldest first by
  default, as OpenAI's), ``GET/DELETE .../items/{item_id}`` (delete answers the conversation).

Items are stored as sent, with an ``id`` (``msg_...`` for messages, else the type's prefix) and
``status: "completed"``; a message's string ``content`` becomes one ``input_text`` (user, system,
developer) or ``output_text`` (assistant) part. Unknown fields such as ``phase`` are kept.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from .errors import OpenAIError
from .store import Objects, json_body, new_id, now, page
from .validation import authenticate

CONVERSATIONS = web.AppKey("conversations", Objects)
ITEMS = web.AppKey("conversation_items", dict[str, Objects])
MAX_ITEMS = 20
PREFIXES = {"message": "msg", "function_call": "fc", "function_call_output": "fco", "reasoning": "rs"}


def add_routes(app: web.Application) -> None:
    app[CONVERSATIONS] = Objects("conversation")
    app[ITEMS] = {}
    app.router.add_post("/v1/conversations", create)
    app.router.add_get("/v1/conversations/{conv}", retrieve)
    app.router.add_post("/v1/conversations/{conv}", update)
    app.router.add_delete("/v1/conversations/{conv}", delete)
    app.router.add_post("/v1/conversations/{conv}/items", add_items)
    app.router.add_get("/v1/conversations/{conv}/items", list_items)
    app.router.add_get("/v1/conversations/{conv}/items/{item}", retrieve_item)
    app.router.add_delete("/v1/conversations/{conv}/items/{item}", delete_item)


def _public(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: obj[k] for k in ("id", "object", "created_at", "metadata")}


def _conversation(request: web.Request) -> dict[str, Any]:
    return request.app[CONVERSATIONS].get(request.match_info["conv"], "conversation_id")


def _item(raw: Any, index: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise OpenAIError(400, f"Invalid type for 'items[{index}]': expected an object.", param=f"items[{index}]",
                          code="invalid_type")
    kind = raw.get("type", "message")
    item = {"id": new_id(PREFIXES.get(kind, kind.split("_")[0] or "item")), "type": kind, "status": "completed",
            **{k: v for k, v in raw.items() if k not in ("id", "type")}}
    if kind == "message" and isinstance(item.get("content"), str):
        part = "output_text" if item.get("role") == "assistant" else "input_text"
        item["content"] = [{"type": part, "text": item["content"]}]
    if kind == "message":
        for part in item.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "output_text":
                part.setdefault("annotations", [])
                part.setdefault("logprobs", [])
    return item


def _add(app: web.Application, conv_id: str, raw_items: Any) -> list[dict[str, Any]]:
    if not isinstance(raw_items, list) or len(raw_items) > MAX_ITEMS:
        raise OpenAIError(400, f"Invalid 'items': expected an array of at most {MAX_ITEMS} items.", param="items",
                          code="invalid_value")
    items = [_item(raw, i) for i, raw in enumerate(raw_items)]
    for item in items:
        app[ITEMS][conv_id].add(item)
    return items


async def create(request: web.Request) -> web.Response:
    """``POST /v1/conversations``."""
    authenticate(request)
    body = await json_body(request)
    obj = {"id": new_id("conv"), "object": "conversation", "created_at": now(), "metadata": body.get("metadata") or {}}
    request.app[ITEMS][obj["id"]] = Objects("item")
    _add(request.app, obj["id"], body.get("items") or [])
    return web.json_response(request.app[CONVERSATIONS].add(obj))


async def retrieve(request: web.Request) -> web.Response:
    """``GET /v1/conversations/{id}``."""
    authenticate(request)
    return web.json_response(_public(_conversation(request)))


async def update(request: web.Request) -> web.Response:
    """``POST /v1/conversations/{id}``: replaces ``metadata``."""
    authenticate(request)
    obj, body = _conversation(request), await json_body(request)
    obj["metadata"] = body.get("metadata") or {}
    return web.json_response(_public(obj))


async def delete(request: web.Request) -> web.Response:
    """``DELETE /v1/conversations/{id}``."""
    authenticate(request)
    obj = request.app[CONVERSATIONS].remove(request.match_info["conv"], "conversation_id")
    del request.app[ITEMS][obj["id"]]
    return web.json_response({"id": obj["id"], "object": "conversation.deleted", "deleted": True})


async def add_items(request: web.Request) -> web.Response:
    """``POST /v1/conversations/{id}/items``: the added items as a list."""
    authenticate(request)
    obj, body = _conversation(request), await json_body(request)
    if not body.get("items"):
        raise OpenAIError(400, "Missing required parameter: 'items'.", param="items",
                          code="missing_required_parameter")
    items = _add(request.app, obj["id"], body["items"])
    return web.json_response({"object": "list", "data": items, "first_id": items[0]["id"],
                              "last_id": items[-1]["id"], "has_more": False})


async def list_items(request: web.Request) -> web.Response:
    """``GET /v1/conversations/{id}/items``: a cursor page (``order`` asc by default)."""
    authenticate(request)
    items = request.app[ITEMS][_conversation(request)["id"]].values()
    if "order" not in request.query:
        request = request.clone(rel_url=request.rel_url.update_query(order="asc"))
    return page(request, items)


async def retrieve_item(request: web.Request) -> web.Response:
    """``GET /v1/conversations/{id}/items/{item_id}``."""
    authenticate(request)
    items = request.app[ITEMS][_conversation(request)["id"]]
    return web.json_response(items.get(request.match_info["item"], "item_id"))


async def delete_item(request: web.Request) -> web.Response:
    """``DELETE /v1/conversations/{id}/items/{item_id}``: the conversation, as OpenAI answers."""
    authenticate(request)
    obj = _conversation(request)
    request.app[ITEMS][obj["id"]].remove(request.match_info["item"], "item_id")
    return web.json_response(_public(obj))
