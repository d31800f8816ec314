"""In-memory objects of the emulator's stateful endpoints (assistants, threads, vector stores,
batches, videos ...): ids, cursor pages and OpenAI's 404 for an unknown id.

Each area keeps its objects in an :class:`Objects` held by the application under its own
``web.AppKey``, so every emulator has its own state and a restart forgets it.
"""
from __future__ import annotations

import itertools
import json
import secrets
import time
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field

from .errors import BAD_JSON, OpenAIError, not_found
from .validation import validate

_order = itertools.count()


def new_id(prefix: str) -> str:
    """A fresh object id in OpenAI's style: ``prefix`` + ``_`` + 24 hex digits (``vs_1a2b...``)."""
    return f"{prefix}_{secrets.token_hex(12)}"


def now() -> int:
    """Unix time in whole seconds, as OpenAI's ``created_at`` fields."""
    return int(time.time())


class PageQuery(BaseModel):
    """The query of OpenAI's cursor-paged list endpoints (values arrive as text)."""

    limit: int = Field(20, ge=1, le=100)
    order: Literal["asc", "desc"] = "desc"
    after: str | None = None
    before: str | None = None


class Objects:
    """One kind of object by id, in creation order. ``kind`` names it in 404s (``No such
    Vector store object: vs_x``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, tuple[int, dict[str, Any]]] = {}

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Stores ``obj`` under ``obj["id"]`` and returns it."""
        self._items[obj["id"]] = (next(_order), obj)
        return obj

    def get(self, id_: str, param: str = "id") -> dict[str, Any]:
        """The object; OpenAI's 404 naming ``param`` when there is none."""
        found = self._items.get(id_)
        if found is None:
            raise not_found(self.kind, id_, param)
        return found[1]

    def find(self, id_: str) -> dict[str, Any] | None:
        """The object or None."""
        found = self._items.get(id_)
        return None if found is None else found[1]

    def remove(self, id_: str, param: str = "id") -> dict[str, Any]:
        """Forgets the object and returns it; 404 as :meth:`get`."""
        obj = self.get(id_, param)
        del self._items[id_]
        return obj

    def values(self) -> list[dict[str, Any]]:
        """Every object, oldest first."""
        return [obj for _, obj in sorted(self._items.values(), key=lambda pair: pair[0])]


def page(request: web.Request, objs: list[dict[str, Any]], **extra: Any) -> web.Response:
    """A cursor page ``{object: "list", data, first_id, last_id, has_more}`` of ``objs`` (oldest
    first) under the request's ``limit`` (1..100, 20), ``order`` (desc), ``after``/``before``
    (ids); ``extra`` fields are added to the page."""
    query = validate_query(PageQuery, request)
    ordered = list(reversed(objs)) if query.order == "desc" else list(objs)
    ids = [o["id"] for o in ordered]
    if query.after:
        ordered = ordered[ids.index(query.after) + 1:] if query.after in ids else []
    elif query.before:
        ordered = ordered[:ids.index(query.before)] if query.before in ids else []
    data = ordered[:query.limit]
    return web.json_response({"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
                              "last_id": data[-1]["id"] if data else None,
                              "has_more": len(ordered) > len(data), **extra})


def validate_query(model: type[BaseModel], request: web.Request) -> Any:
    """The request's query string as ``model`` (text coerced); OpenAI's 400 naming a bad one."""
    return validate(model, {k: v for k, v in request.query.items() if not k.endswith("[]")}, strict=False)


async def json_body(request: web.Request) -> dict[str, Any]:
    """The JSON object of the body (``{}`` when empty); OpenAI's 400 for bad JSON or a non-object."""
    raw = await request.text()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise OpenAIError(400, BAD_JSON) from None
    if not isinstance(body, dict):
        raise OpenAIError(400, "Invalid type for the request body: expected an object.", code="invalid_type")
    return body


async def form(request: web.Request) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a ``multipart/form-data`` body: name → (filename or None, bytes); a part sent
    more than once (``name[]``) keeps its last value. OpenAI's 400 for another content type."""
    if not request.content_type.startswith("multipart/"):
        raise OpenAIError(400, f"Invalid Content-Type header ({request.content_type}), expected multipart/form-data.")
    content_type, body = request.headers["Content-Type"], await request.read()
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[str(name)] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return fields


def required(fields: dict[str, Any], name: str) -> Any:
    """``fields[name]``; OpenAI's 400 ``missing_required_parameter`` when absent or None."""
    if fields.get(name) is None:
        raise OpenAIError(400, f"Missing required parameter: '{name}'.", param=name,
                          code="missing_required_parameter")
    return fields[name]


def text_field(fields: dict[str, tuple[str | None, bytes]], name: str, default: str | None = None) -> str | None:
    """A text part of a multipart form, or ``default``."""
    found = fields.get(name)
    return default if found is None else found[1].decode(errors="replace")


def file_field(fields: dict[str, tuple[str | None, bytes]], name: str) -> tuple[str, bytes]:
    """An uploaded file part as (filename, bytes); OpenAI's 400 when missing or sent as text."""
    found = fields.get(name)
    if found is None:
        raise OpenAIError(400, f"Missing required parameter: '{name}'.", param=name,
                          code="missing_required_parameter")
    if found[0] is None:
        raise OpenAIError(400, f"Invalid type for '{name}': expected a file, but got a string instead.",
                          param=name, code="invalid_type")
    return found
