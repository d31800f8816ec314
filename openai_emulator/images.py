"""Image generation, answered with a solid-colour PNG derived from the prompt.

- ``POST /v1/images/generations`` (``prompt``, ``model``, ``n`` 1..10, ``size`` ``WxH`` or
  ``auto``, ``response_format`` ``b64_json`` | ``url``) → ``{created, data: [{b64_json}],
  usage}`` as OpenAI's ``gpt-image-1`` answers. The colour is taken from SHA-256 of the model and
  prompt, so equal requests give equal images. ``response_format: "url"`` gives
  ``data: [{url}]`` with a ``data:image/png;base64,...`` URL (OpenAI's is an https address that
  expires; the emulator keeps everything on loopback).
- ``POST /v1/images/edits`` (multipart ``image`` or ``image[]`` files, ``prompt``, ``mask``,
  ``model``, ``n``, ``size``, ``response_format``) and ``POST /v1/images/variations`` (``image``,
  no prompt): the same answer, a solid PNG whose colour comes from the prompt and the images'
  bytes.
"""
from __future__ import annotations

import base64
import hashlib
import struct
import time
import zlib
from typing import Literal

from aiohttp import web
from pydantic import Field

from .errors import OpenAIError
from .store import form, text_field
from .text_models import Lenient
from .validation import authenticate, validate, validated

DEFAULT_SIZE = (1024, 1024)
MAX_SIDE = 4096


class ImageRequest(Lenient):
    """``POST /v1/images/generations``: only the fields the emulator uses are declared."""

    prompt: str = Field(min_length=1, max_length=32000)
    model: str = "gpt-image-1"
    n: int = Field(1, ge=1, le=10)
    size: str = "auto"
    response_format: Literal["b64_json", "url"] = "b64_json"


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/images/generations", generate)
    app.router.add_post("/v1/images/edits", edit)
    app.router.add_post("/v1/images/variations", edit)


async def generate(request: web.Request) -> web.Response:
    """``POST /v1/images/generations``: ``n`` equal PNGs of ``size`` in one colour."""
    authenticate(request)
    params = await validated(request, ImageRequest)
    return _answer(params, hashlib.sha256(f"{params.model}\0{params.prompt}".encode()).digest())


async def edit(request: web.Request) -> web.Response:
    """``POST /v1/images/edits`` and ``/v1/images/variations``: PNGs as :func:`generate` makes,
    coloured by the prompt and the uploaded images."""
    authenticate(request)
    fields = await form(request)
    images = [data for name, (filename, data) in fields.items() if name in ("image", "image[]") and filename]
    if not images:
        raise OpenAIError(400, "Missing required parameter: 'image'.", param="image",
                          code="missing_required_parameter")
    variation = request.path.endswith("/variations")
    body = {k: text_field(fields, k) for k in ("prompt", "model", "size", "response_format", "n") if k in fields}
    params = validate(ImageRequest, {"prompt": "variation", **body} if variation else body, strict=False)
    digest = hashlib.sha256(f"{params.model}\0{params.prompt}".encode() + b"".join(images)).digest()
    return _answer(params, digest)


def _answer(params: ImageRequest, digest: bytes) -> web.Response:
    width, height = _size(params.size)
    encoded = base64.b64encode(solid_png(width, height, digest[:3])).decode()
    item = {"url": f"data:image/png;base64,{encoded}"} if params.response_format == "url" else {"b64_json": encoded}
    tokens = len(params.prompt.split())
    return web.json_response({
        "created": int(time.time()), "data": [dict(item) for _ in range(params.n)],
        "usage": {"input_tokens": tokens, "input_tokens_details": {"image_tokens": 0, "text_tokens": tokens},
                  "output_tokens": 0, "total_tokens": tokens},
    })


def _size(size: str) -> tuple[int, int]:
    """``"auto"`` → 1024×1024; ``"WxH"`` → (W, H); anything else is OpenAI's 400 on ``size``."""
    if size == "auto":
        return DEFAULT_SIZE
    width, _, height = size.partition("x")
    if width.isdigit() and height.isdigit() and 0 < int(width) <= MAX_SIDE and 0 < int(height) <= MAX_SIDE:
        return int(width), int(height)
    raise OpenAIError(400, f"Invalid value: '{size}'. Supported values are: '1024x1024', '1024x1536', "
                      "'1536x1024', and 'auto'.", param="size", code="invalid_value")


def solid_png(width: int, height: int, rgb: bytes) -> bytes:
    """A ``width``×``height`` 8-bit RGB PNG filled with ``rgb`` (3 bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + rgb * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height))
            + chunk(b"IEND", b""))
