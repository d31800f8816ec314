"""Admin API error bodies: ``{"code", "message"}`` as Node-RED's ``rejectHandler``, also for
malformed JSON (where Node-RED answers with an HTML page)."""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

__all__ = ["api_error", "read_json"]


def api_error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    """A JSON error response ``{"code", "message", ...extra}`` with ``status``."""
    return web.json_response({"code": code, "message": message, **extra}, status=status)


class BadJson(Exception):
    def __init__(self, response: web.Response):
        self.response = response


async def read_json(request: web.Request, empty: Any = None) -> Any:
    """The request body as JSON (``empty`` when there is none). Raises BadJson holding a 400
    ``{"code":"invalid_json","message":"... at line L column C"}`` response."""
    text = await request.text()
    if not text.strip():
        return empty
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadJson(api_error(400, "invalid_json",
                                f"Malformed JSON body: {exc.msg} at line {exc.lineno} column {exc.colno} (char {exc.pos})")) from None
