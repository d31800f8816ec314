"""Files, kept in memory per emulator: upload, list, retrieve, delete and download.

- ``POST /v1/files`` (multipart: ``file``, ``purpose``) → the file object (``status:
  "processed"``).
- ``GET /v1/files`` → a cursor page (``purpose``, ``limit`` 1..10000, ``order`` asc|desc by
  creation, ``after`` an id), newest first by default.
- ``GET /v1/files/{id}``, ``DELETE /v1/files/{id}`` (``{id, object, deleted: true}``),
  ``GET /v1/files/{id}/content`` (the bytes uploaded). Unknown ids: OpenAI's 404.
"""
from __future__ import annotations

import itertools
import secrets
import time
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field

from .errors import OpenAIError, not_found
from .validation import authenticate, validate

STORE = web.AppKey("files", dict[str, tuple[dict[str, Any], bytes]])
_order = itertools.count()

Purpose = Literal["assistants", "batch", "fine-tune", "vision", "user_data", "evals"]


class FileUpload(BaseModel):
    """The form fields of ``POST /v1/files`` besides the file."""

    purpose: Purpose


class FileListQuery(BaseModel):
    """The query of ``GET /v1/files`` (values arrive as text)."""

    purpose: str | None = None
    limit: int = Field(10000, ge=1, le=10000)
    order: Literal["asc", "desc"] = "desc"
    after: str | None = None


def form_fields(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a ``multipart/form-data`` body: name → (filename or None, bytes). The body
    is parsed from bytes because the request log has already read the stream."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[str(name)] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return fields


def add_routes(app: web.Application) -> None:
    app[STORE] = {}
    app.router.add_post("/v1/files", upload)
    app.router.add_get("/v1/files", list_files)
    app.router.add_get("/v1/files/{file_id}", retrieve)
    app.router.add_delete("/v1/files/{file_id}", delete)
    app.router.add_get("/v1/files/{file_id}/content", content)


async def upload(request: web.Request) -> web.Response:
    """``POST /v1/files``: stores the uploaded file."""
    authenticate(request)
    if not request.content_type.startswith("multipart/"):
        raise OpenAIError(400, f"Invalid Content-Type header ({request.content_type}), expected multipart/form-data.")
    form = form_fields(request.headers["Content-Type"], await request.read())
    if form.get("file", (None, b""))[0] is None:
        raise OpenAIError(400, "Missing required parameter: 'file'.", param="file", code="missing_required_parameter")
    if "purpose" not in form:
        raise OpenAIError(400, "Missing required parameter: 'purpose'.", param="purpose",
                          code="missing_required_parameter")
    params = validate(FileUpload, {"purpose": form["purpose"][1].decode(errors="replace")})
    filename, data = form["file"]
    return web.json_response(store_file(request.app, str(filename), params.purpose, data))


def store_file(app: web.Application, filename: str, purpose: str, data: bytes) -> dict[str, Any]:
    """Keeps ``data`` as a processed file (also for files the emulator makes, such as a batch's
    output, purpose ``batch_output``) and returns its public file object."""
    file_id = f"file-{secrets.token_hex(11)}"
    obj = {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
           "filename": filename, "purpose": purpose, "status": "processed",
           "expires_at": None, "status_details": None, "_order": next(_order)}
    app[STORE][file_id] = (obj, data)
    return _public(obj)


async def list_files(request: web.Request) -> web.Response:
    """``GET /v1/files``: a cursor page of the stored files."""
    authenticate(request)
    query = validate(FileListQuery, dict(request.query), strict=False)
    objs = sorted((o for o, _ in request.app[STORE].values()), key=lambda o: o["_order"],
                  reverse=query.order == "desc")
    if query.purpose:
        objs = [o for o in objs if o["purpose"] == query.purpose]
    if query.after:
        ids = [o["id"] for o in objs]
        objs = objs[ids.index(query.after) + 1:] if query.after in ids else []
    page = objs[:query.limit]
    return web.json_response({"object": "list", "data": [_public(o) for o in page],
                              "first_id": page[0]["id"] if page else None,
                              "last_id": page[-1]["id"] if page else None,
                              "has_more": len(objs) > len(page)})


def _stored(request: web.Request) -> tuple[dict[str, Any], bytes]:
    file_id = request.match_info["file_id"]
    found = request.app[STORE].get(file_id)
    if found is None:
        raise not_found("File", file_id)
    return found


async def retrieve(request: web.Request) -> web.Response:
    """``GET /v1/files/{id}``: the file object."""
    authenticate(request)
    return web.json_response(_public(_stored(request)[0]))


async def delete(request: web.Request) -> web.Response:
    """``DELETE /v1/files/{id}``: forgets the file."""
    authenticate(request)
    obj, _ = _stored(request)
    del request.app[STORE][obj["id"]]
    return web.json_response({"id": obj["id"], "object": "file", "deleted": True})


async def content(request: web.Request) -> web.Response:
    """``GET /v1/files/{id}/content``: the uploaded bytes."""
    authenticate(request)
    _, data = _stored(request)
    return web.Response(body=data, content_type="application/octet-stream")


def _public(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not k.startswith("_")}
