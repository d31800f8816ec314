"""The ``http response`` node: answers the request an ``http in`` node received.

As Node-RED's http response node (nodes/core/network/21-httpin.js, ``HTTPOut``), with the
body, header and cookie rules of Express' ``res.send``/``res.json``/``res.set``/``res.cookie``.
"""
from __future__ import annotations

import time
from email.utils import formatdate
from typing import Any
from urllib.parse import quote

import orjson
from aiohttp import web
from multidict import CIMultiDict
from pydantic import field_validator

from flowred import UNDEFINED, Node, NodeConfig, NodeError, register
from flowred.fields import EmptyDefault
from flowred.jscompat import js_number_text, js_to_string
from flowred.nodes.common import REQUEST_MARKER, headers_hash

# http in and http response are one feature: the response object http in puts in msg.res
from .http_in import HttpResponse

__all__ = ["HttpResponseConfig", "HttpResponseNode"]

_URI_SAFE = "-_.!~*'()"  # what encodeURIComponent leaves as is
_UNIX_EPOCH_PLUS_1MS = formatdate(0.001, usegmt=True)


class HttpResponseConfig(NodeConfig):
    """``statusCode``: the status to answer with ("" = ``msg.statusCode``, else 200).
    ``headers``: header name → value, set on every response; they win over ``msg.headers``."""

    statusCode: str = ""
    headers: EmptyDefault[dict[str, Any]] = {}

    @field_validator("statusCode", mode="before")
    @classmethod
    def _status(cls, v: Any) -> str:
        text = "" if v is None else str(v).strip()
        if text and not (text.isdigit() and 100 <= int(text) <= 999):
            raise ValueError(f"statusCode must be a number from 100 to 999, got {v!r}")
        return text


@register("http response", category="network", color="#e7e7ae", inputs=1, outputs=0, icon="white-globe.svg")
class HttpResponseNode(Node):
    """Sends the response to the request an ``http in`` node received (``msg.res``).

    Status: the node's "Status code", else ``msg.statusCode``, else 200. Headers: the node's
    headers, then those of ``msg.headers`` the node does not set (headers that came unchanged
    from an ``http request`` node are not copied). ``msg.cookies``: name → value, or →
    ``{value, maxAge (ms), expires, domain, path, httpOnly, secure, sameSite, encode}``; a
    ``null`` cookie or ``value: null`` clears it.

    Body: an object, array or null is sent as JSON (``application/json``); a string (or a
    number, as text) as is, ``text/html`` unless a Content-Type is set; bytes as
    ``application/octet-stream`` unless set; no payload gives an empty body. A msg without
    ``msg.res`` from an ``http in`` node is dropped with the warning "No response object". A
    request answers once: later msgs for it are ignored.
    """

    Config = HttpResponseConfig

    def __init__(self, config: HttpResponseConfig, flow) -> None:
        super().__init__(config, flow)
        self.status_code = int(config.statusCode) if config.statusCode else 0
        self.headers = dict(config.headers)

    def on_input(self, msg: dict) -> None:
        res = msg.get("res")
        if type(res) is not HttpResponse:
            self.warn("No response object")
            return
        if res.answered:
            return
        merged = dict(self.headers)
        msg_headers = msg.get("headers")
        if isinstance(msg_headers, dict) and REQUEST_MARKER in msg_headers:
            marker = msg_headers.pop(REQUEST_MARKER)
            if marker == headers_hash(msg_headers):
                del msg["headers"]
                msg_headers = None
        if isinstance(msg_headers, dict):
            for name, value in msg_headers.items():
                if name not in merged:
                    merged[name] = value
        headers = _header_list(merged)
        cookies = msg.get("cookies")
        if isinstance(cookies, dict):
            headers.extend(("Set-Cookie", _set_cookie(name, spec)) for name, spec in cookies.items())
        status = self.status_code or _status(msg.get("statusCode")) or 200
        res.send(_response(status, headers, msg.get("payload", UNDEFINED)))


def _status(value: Any) -> int:
    if value is None or value is UNDEFINED or value == "" or value == 0:
        return 0
    try:
        code = int(value)
    except (TypeError, ValueError):
        code = 0
    if not 100 <= code <= 999:
        raise NodeError(f"Invalid status code: {value}")
    return code


def _header_list(merged: dict) -> list[tuple[str, str]]:
    """Headers as Express' ``res.set`` leaves them: one value per name (case-insensitive, the
    last wins), arrays as repeated headers, a charset added to text and JSON content types."""
    by_name: dict[str, tuple[str, Any]] = {}
    for name, value in merged.items():
        by_name[str(name).lower()] = (str(name), value)
    by_name.pop("content-length", None)  # computed from the body
    out: list[tuple[str, str]] = []
    for key, (name, value) in by_name.items():
        if key == "content-type":
            text = js_to_string(value)
            if "charset" not in text.lower() and _wants_charset(text):
                text += "; charset=utf-8"
            out.append((name, text))
        elif isinstance(value, list):
            out.extend((name, js_to_string(v)) for v in value)
        else:
            out.append((name, js_to_string(value)))
    return out


def _wants_charset(ctype: str) -> bool:
    base = ctype.partition(";")[0].strip().lower()
    return base.startswith("text/") or base in ("application/json", "application/javascript")


def _response(status: int, headers: list[tuple[str, str]], payload: Any) -> web.Response:
    """The response for ``payload`` as Node-RED sends it (``res.jsonp`` for objects, else
    ``res.send``)."""
    ctype_index = next((i for i, (n, _) in enumerate(headers) if n.lower() == "content-type"), None)
    if payload is UNDEFINED:
        return web.Response(status=status, headers=CIMultiDict(headers))
    if isinstance(payload, (bytes, bytearray, memoryview)):
        body, default_type = bytes(payload), "application/octet-stream"
    elif isinstance(payload, str) or (isinstance(payload, (int, float)) and not isinstance(payload, bool)):
        body = (payload if isinstance(payload, str) else js_number_text(payload)).encode()
        default_type = "text/html; charset=utf-8"
        if ctype_index is not None:
            name, value = headers[ctype_index]
            headers[ctype_index] = (name, _with_utf8(value))
    else:
        body, default_type = _json(payload), "application/json; charset=utf-8"
        if ctype_index is not None:
            name, value = headers[ctype_index]
            headers[ctype_index] = (name, _with_utf8(value))
    if ctype_index is None:
        headers.append(("Content-Type", default_type))
    return web.Response(status=status, body=body, headers=CIMultiDict(headers))


def _with_utf8(ctype: str) -> str:
    """Express' ``setCharset(type, "utf-8")``: the charset parameter set (parameters sorted)."""
    base, *params = [p.strip() for p in ctype.split(";")]
    pairs = {}
    for param in params:
        key, _, value = param.partition("=")
        if key:
            pairs[key.strip().lower()] = value.strip()
    pairs["charset"] = "utf-8"
    return "; ".join([base.lower()] + [f"{k}={pairs[k]}" for k in sorted(pairs)])


def _json(payload: Any) -> bytes:
    return orjson.dumps(payload, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"type": "Buffer", "data": list(bytes(value))}
    if value is UNDEFINED:
        return None
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _set_cookie(name: str, spec: Any) -> str:
    """A Set-Cookie value as Express' ``res.cookie``/``res.clearCookie`` write it."""
    if spec is None or (isinstance(spec, dict) and spec.get("value", "") is None):
        options = {"path": "/", "expires": _UNIX_EPOCH_PLUS_1MS, **(spec or {})}
        options.pop("maxAge", None)
        return _serialize_cookie(name, "", options)
    if isinstance(spec, dict):
        value = spec.get("value", UNDEFINED)
        options = spec
    else:
        value, options = spec, {}
    if isinstance(value, (dict, list)):
        text = "j:" + orjson.dumps(value, default=_json_default).decode()
    else:
        text = js_to_string(value)
    if options.get("encode") is not False:
        text = quote(text, safe=_URI_SAFE)
    return _serialize_cookie(name, text, {"path": "/", **options})


def _serialize_cookie(name: str, value: str, options: dict) -> str:
    parts = [f"{name}={value}"]
    max_age = options.get("maxAge")
    expires = options.get("expires")
    if max_age is not None:
        try:
            ms = float(max_age)
        except (TypeError, ValueError):
            ms = None
        if ms is not None:
            parts.append(f"Max-Age={int(ms // 1000)}")
            expires = formatdate(time.time() + ms / 1000, usegmt=True)
    if options.get("domain"):
        parts.append(f"Domain={options['domain']}")
    if options.get("path"):
        parts.append(f"Path={options['path']}")
    if expires:
        parts.append("Expires=" + (formatdate(expires / 1000, usegmt=True) if isinstance(expires, (int, float))
                                   else str(expires)))
    if options.get("httpOnly"):
        parts.append("HttpOnly")
    if options.get("secure"):
        parts.append("Secure")
    if options.get("partitioned"):
        parts.append("Partitioned")
    if options.get("priority"):
        parts.append("Priority=" + str(options["priority"]).capitalize())
    same_site = options.get("sameSite")
    if same_site:
        same_site = "Strict" if same_site is True else str(same_site).capitalize()
        parts.append(f"SameSite={same_site}")
    return "; ".join(parts)
