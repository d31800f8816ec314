"""Admin API error bodies: ``{"code", "message"}`` as Node-RED's ``rejectHandler``, also for
malformed JSON (where Node-RED answers with an HTML page)."""
from __future__ import annotations

import json
import math
import re
from typing import Any

from aiohttp import web

__all__ = ["api_error", "read_json", "BadJson", "MAX_DEPTH"]

MAX_DEPTH = 128  # deepest nesting of arrays and objects a request body may have
_SURROGATE = re.compile("[\ud800-\udfff]")


def api_error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    """A JSON error response ``{"code", "message", ...extra}`` with ``status``."""
    return web.json_response({"code": code, "message": message, **extra}, status=status)


class BadJson(Exception):
    """A request body that is not acceptable JSON; ``response`` is the error to answer with."""

    def __init__(self, response: web.Response):
        self.response = response


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def check_json_value(value: Any) -> str | None:
    """Why an already-parsed JSON value cannot be stored and read back (nesting deeper than
    ``MAX_DEPTH``, a lone UTF-16 surrogate in a string or key, a number too big for a float
    such as ``1e999``), else None. Iterative: any depth is safe to check."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff)"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "a number is out of range"
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return f"nested deeper than {MAX_DEPTH} levels"
            if isinstance(item, dict):
                stack.extend((k, depth) for k in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)
    return None


def parse_json_body(raw: bytes, empty: Any = None) -> Any:
    """Parse a request body (UTF-8 JSON, RFC 8259) strictly: no ``NaN``/``Infinity`` (refused by
    Node-RED's ``JSON.parse`` too), no lone surrogates, at most ``MAX_DEPTH`` levels. ``empty``
    when the body is blank. Raises ValueError saying what is wrong."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"Malformed JSON body: not UTF-8 (byte {exc.start})") from None
    if not text.strip():
        return empty
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"Malformed JSON body: {exc.msg} at line {exc.lineno} column {exc.colno} "
                         f"(char {exc.pos})") from None
    except RecursionError:
        raise ValueError(f"Malformed JSON body: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise ValueError(f"Malformed JSON body: {exc}") from None
    problem = check_json_value(value)
    if problem:
        raise ValueError(f"Malformed JSON body: {problem}")
    return value


async def read_json(request: web.Request, empty: Any = None) -> Any:
    """The request body as JSON (``empty`` when there is none), parsed by ``parse_json_body``.
    Raises BadJson holding a 400 ``{"code":"invalid_json","message":"... at line L column C"}``
    response, or a 413 ``too_large`` one for a body over the app's ``client_max_size``."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise BadJson(api_error(413, "too_large", exc.text or "Request body too large")) from None
    try:
        return parse_json_body(raw, empty)
    except ValueError as exc:
        raise BadJson(api_error(400, "invalid_json", str(exc))) from None
