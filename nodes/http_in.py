"""The ``http in`` node: serves an HTTP endpoint under ``httpNodeRoot`` and sends each request
into the flow as a msg.

As Node-RED's http in node (nodes/core/network/21-httpin.js, 21-httpin.html). The request is
answered by an ``http response`` node (nodes/http_response.py) through ``msg.res``.
"""
from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import parse_qsl, unquote

import orjson
from aiohttp import web
from pydantic import field_validator

from flowred import Node, NodeConfig, generate_id, register
from flowred.fields import Text
from flowred.nodes.common import node_headers

__all__ = ["HttpInConfig", "HttpInNode", "HttpRequest", "HttpResponse", "parse_query"]

METHODS = ("get", "post", "put", "delete", "patch")
DEFAULT_TIMEOUT_MS = 120000  # Node.js' classic 120 s socket timeout
_MAX_ARRAY_INDEX = 20  # as qs' arrayLimit: a[21]=x makes an object key, not a list index
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


class HttpInConfig(NodeConfig):
    """``url``: the path under httpNodeRoot, Express syntax (``/user/:id``; a missing leading
    ``/`` is added). ``method``: get, post, put, delete or patch (default get). ``upload``:
    accept multipart file uploads on POST (``msg.req.files``). ``swaggerDoc`` is kept, unused."""

    url: Text = ""
    method: str = "get"
    upload: bool = False
    swaggerDoc: Text = ""

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, v: Any) -> str:
        method = str(v or "get").strip().lower()
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {v!r}")
        return method

    @field_validator("upload", mode="before")
    @classmethod
    def _upload(cls, v: Any) -> Any:
        return v in (True, "true", 1, "1")


class HttpRequest(dict):
    """``msg.req``: the fields of Express' request that flows read, as a dict (so property
    paths such as ``req.params.id`` work everywhere): ``method``, ``url`` and ``path``
    (relative to httpNodeRoot, raw), ``originalUrl``, ``baseUrl``, ``params``, ``query``,
    ``headers`` (lower-case names), ``cookies``, ``body`` (not for GET), ``files`` (uploads),
    ``hostname``, ``ip``, ``protocol``, ``secure``, ``xhr``. Kept by reference when a msg is
    cloned."""

    __slots__ = ()


class HttpResponse(dict):
    """``msg.res``: the handle an ``http response`` node answers through. Only the first
    answer counts; later ones (and answers after the request timed out or its node closed)
    are ignored. Kept by reference when a msg is cloned or deep-copied.

    To JSONata and the debug sidebar it is Node-RED's wrapper object ``{"_res": ...}``, whose
    ``_res`` the sidebar shows as internal."""

    __slots__ = ("_future",)

    def __init__(self, future: asyncio.Future) -> None:
        super().__init__(_res=None)
        self._future = future

    @property
    def answered(self) -> bool:
        return self._future.done()

    def send(self, response: web.StreamResponse) -> None:
        """Answer the request with ``response`` unless it was answered already."""
        if not self._future.done():
            self._future.set_result(response)

    def __copy__(self) -> "HttpResponse":
        return self

    def __deepcopy__(self, memo: dict) -> "HttpResponse":
        return self


@register("http in", category="network", color="#e7e7ae", inputs=0, outputs=1, icon="white-globe.svg")
class HttpInNode(Node):
    """Creates an HTTP endpoint ``[method] url`` under ``httpNodeRoot``; each request becomes
    a msg. Answer it with an ``http response`` node.

    Output msg: ``payload`` is the query string (GET) or the parsed body (POST, PUT, PATCH,
    DELETE): ``application/json`` → an object (or array), urlencoded → an object, text, XML or
    no content type → a string, ``application/*`` that is valid UTF-8 → a string, anything else
    → bytes. ``msg.req`` holds ``params`` (from ``:name`` parts of the url), ``query``,
    ``headers``, ``cookies``, ``body``, ``method``, ``url``, ``originalUrl`` and ``path``;
    with "Accept file uploads" a multipart POST gives ``msg.req.files`` (``fieldname``,
    ``originalname``, ``encoding``, ``mimetype``, ``buffer``, ``size``) and its text fields in
    ``payload``. ``msg.res`` is the response handle: keep it on the msg.

    A body that does not parse (invalid JSON) is answered ``500`` with a warning, as Node-RED.
    A request no ``http response`` answers within ``httpNodeTimeout`` ms (setting, default
    120000) gets ``504``; requests still open when the node stops (redeploy) get ``503``.
    When two nodes serve the same method and url, the one started first answers (Express'
    first matching route); the other serves once the first is removed.
    """

    Config = HttpInConfig

    def __init__(self, config: HttpInConfig, flow) -> None:
        super().__init__(config, flow)
        url = config.url
        self.url = url if not url or url.startswith("/") else "/" + url
        self.method = config.method
        timeout = self.setting("httpNodeTimeout")
        self._timeout = (float(timeout) if timeout else DEFAULT_TIMEOUT_MS) / 1000
        self._base_url = self.setting("httpNodeRoot").rstrip("/")
        self._read_body = self.method != "get"
        self._multipart = config.upload and self.method == "post"
        self._pending: set[asyncio.Future] = set()

    def start(self) -> None:
        if not self.url:
            self.warn("missing path")
            return
        self.add_http_route(self.method, self.url, self._serve)  # removed on close

    async def close(self, removed: bool) -> None:
        for future in list(self._pending):
            if not future.done():
                future.set_result(web.Response(status=503, text="Service Unavailable"))
        self._pending.clear()

    async def _serve(self, request: web.Request, params: dict) -> web.StreamResponse:
        """The route handler: build the msg, send it, wait for the answer."""
        req = _request_fields(request, params, self._base_url)
        if self._read_body:
            try:
                body = await _read_body(request, req, self._multipart)
            except (ValueError, web.HTTPException) as exc:
                self.warn(f"{type(exc).__name__}: {exc}")
                return web.Response(status=500, text="Internal Server Error")
            req["body"] = body
            payload = body
        else:
            payload = req["query"]
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.add(future)
        timer = loop.call_later(self._timeout, _expire, future)
        self.send({"_msgid": generate_id(), "req": req, "res": HttpResponse(future), "payload": payload})
        try:
            return await future
        finally:
            timer.cancel()
            self._pending.discard(future)


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(web.Response(status=504, text="Gateway Timeout"))


def _request_fields(request: web.Request, params: dict, base_url: str) -> HttpRequest:
    raw = request.raw_path
    headers = node_headers(request.headers)
    url = (raw[len(base_url):] or "/") if base_url and raw.startswith(base_url) else raw
    return HttpRequest(
        method=request.method, url=url, originalUrl=raw, baseUrl=base_url, path=url.split("?", 1)[0],
        params=params, query=parse_query(request.query_string), headers=headers,
        cookies=_parse_cookies(headers.get("cookie", "")), hostname=request.host.split(":", 1)[0],
        ip=request.remote, protocol=request.scheme, secure=request.secure,
        xhr=headers.get("x-requested-with", "").lower() == "xmlhttprequest",
    )




def parse_query(text: str) -> dict:
    """A query string as Express' default parser (qs) reads it: repeated keys give a list,
    ``a[b]=1`` an object, ``a[]=1`` and ``a[0]=1`` a list."""
    out: dict = {}
    if not text:
        return out
    for key, value in parse_qsl(text, keep_blank_values=True):
        head, _, rest = key.partition("[")
        if not rest or not head:
            _assign(out, key, value)
            continue
        parts = [head] + _BRACKETS.findall("[" + rest)
        node: Any = out
        for part, nxt in zip(parts, parts[1:], strict=False):
            child = node.get(part) if isinstance(node, dict) else None
            if nxt == "" or (nxt.isdigit() and int(nxt) <= _MAX_ARRAY_INDEX):
                if not isinstance(child, list):
                    child = [] if child is None else [child]
            elif not isinstance(child, dict):
                items = child if isinstance(child, list) else [child]
                child = {} if child is None else {str(i): v for i, v in enumerate(items)}
            _put(node, part, child)
            node = child
        _put(node, parts[-1], value)
    return out


def _assign(out: dict, key: str, value: str) -> None:
    prev = out.get(key)
    if prev is None:
        out[key] = value
    elif isinstance(prev, list):
        prev.append(value)
    else:
        out[key] = [prev, value]


def _put(node: Any, key: str, value: Any) -> None:
    if isinstance(node, list):
        if key == "" or not key.isdigit():
            node.append(value)
        else:
            index = int(key)
            while len(node) < index:
                node.append(None)
            if index < len(node):
                node[index] = value
            else:
                node.append(value)
    elif key in node and not isinstance(value, (dict, list)) and node[key] is not value:
        _assign(node, key, value)
    else:
        node[key] = value


def _parse_cookies(header: str) -> dict:
    """A Cookie header as cookie-parser reads it: first of each name wins, values
    URL-decoded, ``j:`` values parsed as JSON."""
    cookies: dict[str, Any] = {}
    if not header:
        return cookies
    for pair in header.split(";"):
        name, eq, value = pair.partition("=")
        name = name.strip()
        if not eq or not name or name in cookies:
            continue
        value = value.strip()
        if len(value) > 1 and value[0] == value[-1] == '"':
            value = value[1:-1]
        value = unquote(value) if "%" in value else value
        if value.startswith("j:"):
            try:
                value = orjson.loads(value[2:])
            except orjson.JSONDecodeError:
                pass
        cookies[name] = value
    return cookies


async def _read_body(request: web.Request, req: HttpRequest, multipart: bool) -> Any:
    """The body as Node-RED's parsers leave it (json, urlencoded, multipart, raw)."""
    ctype = request.content_type if "Content-Type" in request.headers else ""
    if multipart and ctype == "multipart/form-data":
        return await _read_multipart(request, req)
    data = await request.read()
    if ctype == "application/json":
        if not data.strip():
            return {}
        if data.lstrip()[:1] not in (b"{", b"["):  # body-parser's strict mode
            raise ValueError("JSON body must be an object or an array")
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise ValueError(str(exc)) from None
    if ctype == "application/x-www-form-urlencoded":
        return parse_query(data.decode("utf-8", "replace"))
    if _is_text(ctype):
        return data.decode("utf-8", "replace")
    if ctype.startswith("application/") and ctype != "application/octet-stream":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data
    return data


def _is_text(ctype: str) -> bool:
    if not ctype or ctype.startswith("text/"):
        return True
    subtype = ctype.partition("/")[2]
    return subtype == "xml" or subtype.endswith("+xml")


async def _read_multipart(request: web.Request, req: HttpRequest) -> dict:
    fields: dict[str, Any] = {}
    files: list[dict] = []
    reader = await request.multipart()
    async for part in reader:
        if part.filename is not None:
            data = bytes(await part.read())
            files.append({"fieldname": part.name, "originalname": part.filename,
                          "encoding": part.headers.get("Content-Transfer-Encoding", "7bit"),
                          "mimetype": part.headers.get("Content-Type", "application/octet-stream"),
                          "buffer": data, "size": len(data)})
        elif part.name:
            _assign(fields, part.name, await part.text())
    req["files"] = files
    return fields
