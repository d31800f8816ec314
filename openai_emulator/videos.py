"""Videos (Sora) and video characters, kept in memory; every job is ``completed`` at once.

- ``POST /v1/videos`` (JSON or multipart: ``prompt``, ``model`` sora-2, ``seconds`` "4",
  ``size`` "720x1280"), ``GET /v1/videos`` (a cursor page), ``GET/DELETE /v1/videos/{id}``.
- ``POST /v1/videos/{id}/remix`` (``prompt``), ``POST /v1/videos/edits`` (``prompt``, ``video``
  a reference ``{id}`` or an upload) and ``POST /v1/videos/extensions`` (as edits, plus
  ``seconds``): new videos made from another.
- ``GET /v1/videos/{id}/content?variant=video|thumbnail|spritesheet``: ``video/mp4`` (an MP4
  ``ftyp`` box and an empty ``mdat``: no frames) or a solid-colour PNG (``image/png``; OpenAI's
  thumbnail is WebP and its spritesheet JPEG).
- ``POST /v1/videos/characters`` (multipart ``name`` and the ``video`` file), ``GET
  /v1/videos/characters/{id}`` → ``{id, name, created_at}``.

Multipart forms name nested fields ``video[id]``, as the SDKs send them.
"""
from __future__ import annotations

import hashlib
import struct
from typing import Any

from aiohttp import web

from .errors import OpenAIError
from .images import solid_png
from .store import Objects, file_field, form, json_body, new_id, now, page, required
from .validation import authenticate

VIDEOS = web.AppKey("videos", Objects)
CHARACTERS = web.AppKey("video_characters", Objects)
LIFETIME = 3600
MP4 = struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"isom", 512, b"isom", b"mp41") + struct.pack(">I4s", 8, b"mdat")
THUMBNAIL_SIDE = 64


def add_routes(app: web.Application) -> None:
    app[VIDEOS] = Objects("video")
    app[CHARACTERS] = Objects("character")
    app.router.add_post("/v1/videos", create)
    app.router.add_get("/v1/videos", list_videos)
    app.router.add_post("/v1/videos/edits", edit)
    app.router.add_post("/v1/videos/extensions", extend)
    app.router.add_post("/v1/videos/characters", create_character)
    app.router.add_get("/v1/videos/characters/{character}", retrieve_character)
    app.router.add_get("/v1/videos/{video}", retrieve)
    app.router.add_delete("/v1/videos/{video}", delete)
    app.router.add_post("/v1/videos/{video}/remix", remix)
    app.router.add_get("/v1/videos/{video}/content", content)


async def _fields(request: web.Request) -> dict[str, Any]:
    """The body as a flat dict: JSON as it is, a multipart form's text parts as text and its file
    parts as ``(filename, bytes)``; ``video[id]`` becomes ``video: {"id": ...}``."""
    if not request.content_type.startswith("multipart/"):
        return await json_body(request)
    fields: dict[str, Any] = {}
    for name, (filename, data) in (await form(request)).items():
        value = (filename, data) if filename is not None else data.decode(errors="replace")
        outer, _, inner = name.partition("[")
        if inner:
            fields.setdefault(outer, {})[inner.rstrip("]")] = value
        else:
            fields[name] = value
    return fields


def _new(app: web.Application, fields: dict[str, Any], source: dict[str, Any] | None = None,
         seconds: str | None = None) -> dict[str, Any]:
    prompt = required(fields, "prompt")
    if not isinstance(prompt, str) or not prompt:
        raise OpenAIError(400, "Invalid 'prompt': expected a non-empty string.", param="prompt", code="invalid_value")
    created = now()
    obj = {"id": new_id("video"), "object": "video", "created_at": created, "completed_at": created,
           "expires_at": created + LIFETIME, "status": "completed", "progress": 100, "error": None,
           "model": fields.get("model") or (source or {}).get("model") or "sora-2",
           "seconds": str(seconds or fields.get("seconds") or (source or {}).get("seconds") or "4"),
           "size": fields.get("size") or (source or {}).get("size") or "720x1280", "prompt": prompt,
           "remixed_from_video_id": source["id"] if source else None}
    return app[VIDEOS].add(obj)


def _source(app: web.Application, fields: dict[str, Any]) -> dict[str, Any] | None:
    """The video an edit or extension starts from: a reference ``{id}`` (404 when unknown), or
    None for an uploaded file."""
    video = required(fields, "video")
    if isinstance(video, tuple):
        return None
    if isinstance(video, dict) and isinstance(video.get("id"), str):
        return app[VIDEOS].get(video["id"], "video.id")
    raise OpenAIError(400, "Invalid 'video': expected a video reference {id} or a file.", param="video",
                      code="invalid_value")


async def create(request: web.Request) -> web.Response:
    """``POST /v1/videos``: a finished video."""
    authenticate(request)
    return web.json_response(_new(request.app, await _fields(request)))


async def list_videos(request: web.Request) -> web.Response:
    """``GET /v1/videos``: a cursor page."""
    authenticate(request)
    return page(request, request.app[VIDEOS].values())


async def retrieve(request: web.Request) -> web.Response:
    """``GET /v1/videos/{id}``."""
    authenticate(request)
    return web.json_response(request.app[VIDEOS].get(request.match_info["video"], "video_id"))


async def delete(request: web.Request) -> web.Response:
    """``DELETE /v1/videos/{id}``."""
    authenticate(request)
    obj = request.app[VIDEOS].remove(request.match_info["video"], "video_id")
    return web.json_response({"id": obj["id"], "object": "video.deleted", "deleted": True})


async def remix(request: web.Request) -> web.Response:
    """``POST /v1/videos/{id}/remix``: a new video from ``prompt``."""
    authenticate(request)
    source = request.app[VIDEOS].get(request.match_info["video"], "video_id")
    return web.json_response(_new(request.app, await _fields(request), source))


async def edit(request: web.Request) -> web.Response:
    """``POST /v1/videos/edits``: a new video from ``video`` and ``prompt``."""
    authenticate(request)
    fields = await _fields(request)
    return web.json_response(_new(request.app, fields, _source(request.app, fields)))


async def extend(request: web.Request) -> web.Response:
    """``POST /v1/videos/extensions``: a new video ``seconds`` long from ``video``."""
    authenticate(request)
    fields = await _fields(request)
    source = _source(request.app, fields)
    return web.json_response(_new(request.app, fields, source, str(required(fields, "seconds"))))


async def content(request: web.Request) -> web.Response:
    """``GET /v1/videos/{id}/content``: the video, its thumbnail or its spritesheet."""
    authenticate(request)
    obj = request.app[VIDEOS].get(request.match_info["video"], "video_id")
    variant = request.query.get("variant", "video")
    if variant == "video":
        return web.Response(body=MP4, content_type="video/mp4")
    if variant not in ("thumbnail", "spritesheet"):
        raise OpenAIError(400, f"Invalid value: '{variant}'. Supported values are: 'video', 'thumbnail', and "
                          "'spritesheet'.", param="variant", code="invalid_value")
    colour = hashlib.sha256(obj["prompt"].encode()).digest()[:3]
    return web.Response(body=solid_png(THUMBNAIL_SIDE, THUMBNAIL_SIDE, colour), content_type="image/png")


async def create_character(request: web.Request) -> web.Response:
    """``POST /v1/videos/characters``: a character from an uploaded video."""
    authenticate(request)
    fields = await form(request)
    file_field(fields, "video")
    name = fields.get("name", (None, b""))[1].decode(errors="replace") or None
    obj = {"id": new_id("char"), "created_at": now(), "name": name}
    return web.json_response(request.app[CHARACTERS].add(obj))


async def retrieve_character(request: web.Request) -> web.Response:
    """``GET /v1/videos/characters/{id}``."""
    authenticate(request)
    return web.json_response(request.app[CHARACTERS].get(request.match_info["character"], "character_id"))
