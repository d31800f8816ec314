"""Vector stores, their files and file batches, kept in memory per emulator, with search.

- ``POST/GET /v1/vector_stores``, ``GET/POST/DELETE /v1/vector_stores/{id}``: create (``name``,
  ``file_ids`` of uploaded files, ``metadata``, ``expires_after``, ``description``), list, retrieve,
  update, delete.
- ``POST/GET /v1/vector_stores/{id}/files``, ``GET/POST/DELETE .../files/{file_id}``,
  ``GET .../files/{file_id}/content``: attach an uploaded file (``file_id``, ``attributes``), list
  (``filter`` by status), retrieve, update ``attributes``, detach, and the file's text as parsed
  content.
- ``POST /v1/vector_stores/{id}/file_batches`` (``file_ids`` or ``files: [{file_id,
  attributes}]``), ``GET .../file_batches/{batch_id}``, ``POST .../cancel``, ``GET .../files``.
- ``POST /v1/vector_stores/{id}/search`` (``query`` text or texts, ``filters``,
  ``max_num_results`` 1..50) → ``vector_store.search_results.page``.

Indexing is immediate: files and batches are ``completed`` when created, so the SDK's
``create_and_poll`` / ``upload_and_poll`` helpers return after one request. A file's score is
the share of the query's words found in its text (files sharing no word are left out); its
content is one text chunk. ``filters`` are OpenAI's comparison (``eq ne gt gte lt lte in nin``)
and compound (``and or``) filters over the file's ``attributes``.
"""
from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from . import files
from .errors import OpenAIError, not_found
from .store import Objects, json_body, new_id, now, page, required
from .validation import authenticate

STORES = web.AppKey("vector_stores", Objects)
STORE_FILES = web.AppKey("vector_store_files", dict[str, Objects])
BATCHES = web.AppKey("vector_store_file_batches", Objects)
CHUNKING = {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}
COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin")


def add_routes(app: web.Application) -> None:
    app[STORES] = Objects("vector store")
    app[STORE_FILES] = {}
    app[BATCHES] = Objects("vector store file batch")
    base = "/v1/vector_stores"
    app.router.add_post(base, create_store)
    app.router.add_get(base, list_stores)
    app.router.add_get(base + "/{vs}", retrieve_store)
    app.router.add_post(base + "/{vs}", update_store)
    app.router.add_delete(base + "/{vs}", delete_store)
    app.router.add_post(base + "/{vs}/search", search)
    app.router.add_post(base + "/{vs}/files", attach_file)
    app.router.add_get(base + "/{vs}/files", list_files)
    app.router.add_get(base + "/{vs}/files/{file_id}", retrieve_file)
    app.router.add_post(base + "/{vs}/files/{file_id}", update_file)
    app.router.add_delete(base + "/{vs}/files/{file_id}", detach_file)
    app.router.add_get(base + "/{vs}/files/{file_id}/content", file_content)
    app.router.add_post(base + "/{vs}/file_batches", create_batch)
    app.router.add_get(base + "/{vs}/file_batches/{batch}", retrieve_batch)
    app.router.add_post(base + "/{vs}/file_batches/{batch}/cancel", cancel_batch)
    app.router.add_get(base + "/{vs}/file_batches/{batch}/files", list_batch_files)


def _counts(app: web.Application, vs_id: str) -> dict[str, int]:
    attached = app[STORE_FILES][vs_id].values()
    done = sum(1 for f in attached if f["status"] == "completed")
    return {"in_progress": 0, "completed": done, "failed": 0, "cancelled": len(attached) - done,
            "total": len(attached)}


def _store(request: web.Request) -> dict[str, Any]:
    obj = request.app[STORES].get(request.match_info["vs"], "vector_store_id")
    files_ = request.app[STORE_FILES][obj["id"]].values()
    obj.update(file_counts=_counts(request.app, obj["id"]), usage_bytes=sum(f["usage_bytes"] for f in files_))
    return obj


def new_store(app: web.Application, body: dict[str, Any]) -> dict[str, Any]:
    """Creates a vector store from a create body (``name``, ``file_ids``, ``metadata``,
    ``expires_after``, ``description``) and attaches its files; also used by assistants and
    threads whose ``tool_resources.file_search.vector_stores`` asks for one. 404 for an unknown
    file id."""
    created = now()
    expires = body.get("expires_after")
    obj = {"id": new_id("vs"), "object": "vector_store", "created_at": created, "name": body.get("name") or "",
           "description": body.get("description"), "usage_bytes": 0,
           "file_counts": {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": 0},
           "status": "completed", "expires_after": expires,
           "expires_at": created + 86400 * int(expires.get("days", 0)) if isinstance(expires, dict) else None,
           "last_active_at": created, "metadata": body.get("metadata") or {}}
    app[STORE_FILES][obj["id"]] = Objects("vector store file")
    for file_id in body.get("file_ids") or []:
        _attach(app, obj["id"], str(file_id), {})
    app[STORES].add(obj)
    obj.update(file_counts=_counts(app, obj["id"]),
               usage_bytes=sum(f["usage_bytes"] for f in app[STORE_FILES][obj["id"]].values()))
    return obj


def _attach(app: web.Application, vs_id: str, file_id: str, attributes: dict[str, Any]) -> dict[str, Any]:
    upload = app[files.STORE].get(file_id)
    if upload is None:
        raise not_found("File", file_id, "file_id")
    attached = {"id": file_id, "object": "vector_store.file", "usage_bytes": len(upload[1]), "created_at": now(),
                "vector_store_id": vs_id, "status": "completed", "last_error": None,
                "chunking_strategy": CHUNKING, "attributes": attributes}
    return app[STORE_FILES][vs_id].add(attached)


async def create_store(request: web.Request) -> web.Response:
    """``POST /v1/vector_stores``: a new, already indexed store."""
    authenticate(request)
    return web.json_response(new_store(request.app, await json_body(request)))


async def list_stores(request: web.Request) -> web.Response:
    """``GET /v1/vector_stores``: a cursor page."""
    authenticate(request)
    for obj in request.app[STORES].values():
        obj["file_counts"] = _counts(request.app, obj["id"])
    return page(request, request.app[STORES].values())


async def retrieve_store(request: web.Request) -> web.Response:
    """``GET /v1/vector_stores/{id}``."""
    authenticate(request)
    return web.json_response(_store(request))


async def update_store(request: web.Request) -> web.Response:
    """``POST /v1/vector_stores/{id}``: ``name``, ``metadata``, ``expires_after``."""
    authenticate(request)
    obj, body = _store(request), await json_body(request)
    obj.update({k: body[k] for k in ("name", "metadata", "expires_after") if k in body})
    return web.json_response(obj)


async def delete_store(request: web.Request) -> web.Response:
    """``DELETE /v1/vector_stores/{id}``."""
    authenticate(request)
    obj = request.app[STORES].remove(request.match_info["vs"], "vector_store_id")
    del request.app[STORE_FILES][obj["id"]]
    return web.json_response({"id": obj["id"], "object": "vector_store.deleted", "deleted": True})


async def attach_file(request: web.Request) -> web.Response:
    """``POST /v1/vector_stores/{id}/files``: attaches an uploaded file."""
    authenticate(request)
    obj, body = _store(request), await json_body(request)
    return web.json_response(_attach(request.app, obj["id"], str(required(body, "file_id")),
                                     body.get("attributes") or {}))


def _files(request: web.Request) -> Objects:
    return request.app[STORE_FILES][_store(request)["id"]]


async def list_files(request: web.Request) -> web.Response:
    """``GET /v1/vector_stores/{id}/files``: a cursor page, ``filter`` by status."""
    authenticate(request)
    wanted = request.query.get("filter")
    return page(request, [f for f in _files(request).values() if wanted in (None, f["status"])])


async def retrieve_file(request: web.Request) -> web.Response:
    """``GET /v1/vector_stores/{id}/files/{file_id}``."""
    authenticate(request)
    return web.json_response(_files(request).get(request.match_info["file_id"], "file_id"))


async def update_file(request: web.Request) -> web.Response:
    """``POST /v1/vector_stores/{id}/files/{file_id}``: replaces ``attributes``."""
    authenticate(request)
    attached, body = _files(request).get(request.match_info["file_id"], "file_id"), await json_body(request)
    attached["attributes"] = required(body, "attributes")
    return web.json_response(attached)


async def detach_file(request: web.Request) -> web.Response:
    """``DELETE /v1/vector_stores/{id}/files/{file_id}``: the upload itself stays."""
    authenticate(request)
    attached = _files(request).remove(request.match_info["file_id"], "file_id")
    return web.json_response({"id": attached["id"], "object": "vector_store.file.deleted", "deleted": True})


def _text(app: web.Application, file_id: str) -> str:
    found = app[files.STORE].get(file_id)
    return found[1].decode(errors="replace") if found else ""


async def file_content(request: web.Request) -> web.Response:
    """``GET /v1/vector_stores/{id}/files/{file_id}/content``: one text part with the file's text."""
    authenticate(request)
    attached = _files(request).get(request.match_info["file_id"], "file_id")
    return web.json_response({"object": "vector_store.file_content.page",
                              "data": [{"type": "text", "text": _text(request.app, attached["id"])}],
                              "has_more": False, "next_page": None})


async def create_batch(request: web.Request) -> web.Response:
    """``POST /v1/vector_stores/{id}/file_batches``: attaches every file at once."""
    authenticate(request)
    obj, body = _store(request), await json_body(request)
    wanted = [(str(f), body.get("attributes") or {}) for f in body.get("file_ids") or []]
    wanted += [(str(f.get("file_id")), f.get("attributes") or {}) for f in body.get("files") or []
               if isinstance(f, dict)]
    if not wanted:
        raise OpenAIError(400, "Missing required parameter: 'file_ids'.", param="file_ids",
                          code="missing_required_parameter")
    ids = [_attach(request.app, obj["id"], file_id, attributes)["id"] for file_id, attributes in wanted]
    batch = {"id": new_id("vsfb"), "object": "vector_store.files_batch", "created_at": now(),
             "vector_store_id": obj["id"], "status": "completed",
             "file_counts": {"in_progress": 0, "completed": len(ids), "failed": 0, "cancelled": 0,
                             "total": len(ids)}, "_file_ids": ids}
    request.app[BATCHES].add(batch)
    return web.json_response(_public(batch))


def _batch(request: web.Request) -> dict[str, Any]:
    batch = request.app[BATCHES].get(request.match_info["batch"], "batch_id")
    if batch["vector_store_id"] != _store(request)["id"]:
        raise not_found("vector store file batch", batch["id"], "batch_id")
    return batch


async def retrieve_batch(request: web.Request) -> web.Response:
    """``GET /v1/vector_stores/{id}/file_batches/{batch_id}``."""
    authenticate(request)
    return web.json_response(_public(_batch(request)))


async def cancel_batch(request: web.Request) -> web.Response:
    """``POST .../file_batches/{batch_id}/cancel``: a finished batch stays ``completed``, as OpenAI's."""
    authenticate(request)
    return web.json_response(_public(_batch(request)))


async def list_batch_files(request: web.Request) -> web.Response:
    """``GET .../file_batches/{batch_id}/files``: the batch's files still attached, as a page."""
    authenticate(request)
    batch, attached = _batch(request), _files(request)
    wanted = request.query.get("filter")
    found = [f for f in (attached.find(i) for i in batch["_file_ids"]) if f and wanted in (None, f["status"])]
    return page(request, found)


def _public(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def matches(filters: Any, attributes: dict[str, Any]) -> bool:
    """Whether ``attributes`` pass OpenAI's attribute ``filters`` (comparison or compound);
    OpenAI's 400 for a filter of another type."""
    kind = filters.get("type") if isinstance(filters, dict) else None
    if kind in ("and", "or"):
        results = [matches(f, attributes) for f in filters.get("filters") or []]
        return all(results) if kind == "and" else any(results)
    if kind not in COMPARISONS:
        raise OpenAIError(400, f"Invalid value for 'filters.type': {kind!r}. Supported values are: "
                          f"{', '.join(COMPARISONS + ('and', 'or'))}.", param="filters.type", code="invalid_value")
    have, want = attributes.get(filters.get("key")), filters.get("value")
    if kind in ("in", "nin"):
        inside = have in (want if isinstance(want, list) else [want])
        return inside if kind == "in" else not inside
    if kind in ("eq", "ne"):
        return (have == want) == (kind == "eq")
    if have is None or type(have) is bool or type(want) is bool or isinstance(have, str) != isinstance(want, str):
        return False
    return {"gt": have > want, "gte": have >= want, "lt": have < want, "lte": have <= want}[kind]


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


async def search(request: web.Request) -> web.Response:
    """``POST /v1/vector_stores/{id}/search``: the attached files sharing words with the query,
    best first."""
    authenticate(request)
    obj, body = _store(request), await json_body(request)
    query = required(body, "query")
    queries = query if isinstance(query, list) else [query]
    limit = body.get("max_num_results", 10)
    if not isinstance(limit, int) or not 1 <= limit <= 50:
        raise OpenAIError(400, f"Invalid 'max_num_results': {limit}. Expected a value between 1 and 50.",
                          param="max_num_results", code="invalid_value")
    wanted = _words(" ".join(str(q) for q in queries))
    results = []
    for attached in request.app[STORE_FILES][obj["id"]].values():
        if body.get("filters") is not None and not matches(body["filters"], attached["attributes"]):
            continue
        text = _text(request.app, attached["id"])
        score = len(wanted & _words(text)) / len(wanted) if wanted else 0.0
        if score > 0:
            upload = request.app[files.STORE][attached["id"]][0]
            results.append({"file_id": attached["id"], "filename": upload["filename"], "score": round(score, 4),
                            "attributes": attached["attributes"], "content": [{"type": "text", "text": text}]})
    results.sort(key=lambda r: -r["score"])
    return web.json_response({"object": "vector_store.search_results.page", "search_query": queries,
                              "data": results[:limit], "has_more": False, "next_page": None})
