"""Helpers several node modules share: JSON parse/stringify as Node-RED's nodes do it, Node.js'
lenient base64, JavaScript's ``parseInt``, the separator escapes of split and join, and the
HTTP header helpers of the http nodes. (Port numbers are a field type: ``flowred.fields.Port``.)

No node type lives here. JavaScript's value rules (``Number()``, ``String()`` ...) are in
``flowred.jscompat``; lenient config field types in ``flowred.fields``.
"""
from __future__ import annotations

import asyncio
import base64
import datetime as _dt
import hashlib
import json
import math
import re
from typing import Annotated, Any, Awaitable, Callable, Literal

import orjson
from pydantic import BeforeValidator

from flowred import UNDEFINED, NodeError
from flowred.jscompat import js_to_string

__all__ = ["json_error_text", "parse_json", "to_json", "b64decode", "parse_int", "unescape", "unescape_controls",
           "node_headers", "headers_hash", "REQUEST_MARKER", "mustache_text", "NodeScope", "RunOn", "LeaderGate",
           "JSError"]


# -- JSON ----------------------------------------------------------------------------------

def json_error_text(exc: orjson.JSONDecodeError) -> str:
    """A JSON parse error as one line with its place, the counterpart of JavaScript's
    ``Unexpected token } in JSON at position 9``: ``Invalid JSON: trailing comma is not
    allowed at line 1 column 10 (position 9)`` (position is 0-based, as JavaScript's)."""
    return f"Invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno} (position {exc.pos})"


def parse_json(text: str | bytes) -> Any:
    """``JSON.parse``: strict JSON (no NaN/Infinity); bytes are read as UTF-8. Numbers beyond
    64-bit integers become floats, as in JavaScript. Raises NodeError with json_error_text."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise NodeError(json_error_text(exc)) from None


def _js_json_default(value: Any) -> Any:
    """What JSON.stringify writes for values JSON has no type for: a Buffer's
    ``{"type":"Buffer","data":[...]}``, a Date's ISO string, an empty object for a Set."""
    if isinstance(value, (bytes, bytearray)):
        return {"type": "Buffer", "data": list(value)}
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, (set, frozenset)):
        return {}
    if value is UNDEFINED:
        return None
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_OPTS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def to_json(value: Any, indent: int = 0) -> str:
    """``JSON.stringify(value, null, indent)``: compact, or ``indent`` spaces per level with
    ``": "`` after keys; non-ASCII kept; NaN/Infinity written as ``null``; bytes, datetimes and
    sets as JavaScript writes Buffers, Dates and Sets. Raises TypeError/ValueError (other
    objects, integers over 64 bits) which callers report."""
    data = orjson.dumps(value, default=_js_json_default, option=_OPTS)
    if not indent:
        return data.decode()
    return json.dumps(orjson.loads(data), indent=indent, ensure_ascii=False)


# -- text and numbers ----------------------------------------------------------------------

_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")


def b64decode(text: str) -> bytes:
    """Node.js ``Buffer.from(text, "base64")``: lenient: URL-safe letters accepted, other
    characters outside the alphabet skipped, decoding stops at the first ``=``, padding
    optional, a lone last character (no whole byte) dropped. Never raises for text."""
    text = _NOT_BASE64.sub("", text.split("=", 1)[0].replace("-", "+").replace("_", "/"))
    if len(text) % 4 == 1:
        text = text[:-1]
    return base64.b64decode(text + "=" * (-len(text) % 4))


_INT_PREFIX = re.compile(r"\s*([+-]?\d+)")


def parse_int(value: Any) -> int | None:
    """JavaScript's ``parseInt(value)``: the leading integer of its text, None for NaN."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    m = _INT_PREFIX.match(str(value))
    return int(m.group(1)) if m else None


def unescape_controls(text: str) -> str:
    """The ``\\t``, ``\\n`` and ``\\r`` the editor writes in the separators of the tcp and csv
    nodes, as the characters."""
    return text.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r")


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "e": "e", "f": "\f", "0": "\0"}
_ESCAPE = re.compile(r"\\([nrtef0])")


def unescape(text: str) -> str:
    """The escapes Node-RED's split and join accept in a separator: ``\\n \\r \\t \\f \\0``
    (``\\e`` gives a plain ``e``, as it does in JavaScript)."""
    return _ESCAPE.sub(lambda m: _ESCAPES[m.group(1)], text)


def mustache_text(value: Any) -> str:
    """A value as mustache.js writes it into a template: null and undefined as ``""``, anything
    else as JavaScript's ``String(value)`` (template node, http request's URL)."""
    return "" if value is None or value is UNDEFINED else js_to_string(value)


# -- config fields -------------------------------------------------------------------------

def _scope(v: Any) -> Any:
    return None if v in ("", "all") else v


NodeScope = Annotated[list[str] | str | None, BeforeValidator(_scope)]
"""The ``scope`` field of catch and status nodes: None (every node of the flow; also given as
``""`` or ``"all"``), a list of node ids, or ``"group"`` (the nodes of its group)."""


# -- HTTP headers --------------------------------------------------------------------------

def node_headers(headers: Any) -> dict[str, Any]:
    """HTTP headers as Node.js' ``message.headers``: lower-case names; ``set-cookie`` always a
    list; repeated ``cookie`` joined by ``; ``; repeats of single-valued headers dropped; other
    repeats joined by ``, ``."""
    out: dict[str, Any] = {}
    for name, value in headers.items():
        key = name.lower()
        if key == "set-cookie":
            out.setdefault(key, []).append(value)
        elif key not in out:
            out[key] = value
        elif key == "cookie":
            out[key] += "; " + value
        elif key not in _SINGLE_VALUED:
            out[key] += ", " + value
    return out


_SINGLE_VALUED = frozenset((
    "age", "authorization", "content-length", "content-type", "etag", "expires", "from", "host",
    "if-modified-since", "if-unmodified-since", "last-modified", "location", "max-forwards",
    "proxy-authorization", "referer", "retry-after", "server", "user-agent"))

REQUEST_MARKER = "x-node-red-request-node"


def headers_hash(headers: dict) -> str:
    """A short hash of response headers; an ``http response`` node skips ``msg.headers`` that
    still carry it unchanged (Node-RED's ``x-node-red-request-node``)."""
    data = orjson.dumps(headers, default=str, option=orjson.OPT_NON_STR_KEYS)
    return hashlib.blake2b(data, digest_size=4).hexdigest()


# -- clusters: inputs that run on the leader only --------------------------------------------

RunOn = Literal["leader", "every"]
"""The ``runOn`` option of inputs that bind a port or watch files: in a cluster (``flowred run
--cluster``), run on the ``leader`` only (one copy for the whole cluster: no msg handled twice,
no port clash between workers on one host) or on ``every`` worker. Outside a cluster the node
always runs. FlowRed's own; Node-RED has no cluster."""


class LeaderGate:
    """Starts a node's input where its ``runOn`` says: at once when the runtime runs alone or
    ``run_on`` is ``"every"``; with ``"leader"``, whenever this worker gains the leader lease,
    and stops it (awaiting ``stop()``) when the lease is lost, showing the status
    ``standby (runs on the leader)`` meanwhile. Starts and stops run one after the other.
    ``close()`` (from the node's ``close``) stops following and stops the input if it runs."""

    def __init__(self, node: Any, run_on: str, start: Callable[[], None],
                 stop: Callable[[], Awaitable[None]]) -> None:
        self._node, self._start, self._stop = node, start, stop
        self._running = False
        self._last: asyncio.Task | None = None
        cluster = node.cluster()
        if cluster is None or run_on != "leader":
            self._unfollow: Callable[[], None] | None = None
            self._running = True
            start()
        else:
            self._unfollow = cluster.on_leadership(self._changed)
            if not self._running:
                node.status(STANDBY)

    def _changed(self, leading: bool) -> None:
        if leading == self._running:
            return
        self._running = leading
        self._last = asyncio.get_running_loop().create_task(self._switch(self._last, leading))

    async def _switch(self, before: asyncio.Task | None, leading: bool) -> None:
        if before is not None:
            await asyncio.gather(before, return_exceptions=True)
        if self._node.closed:
            return
        if leading:
            self._node.status({})
            self._start()
        else:
            await self._stop()
            self._node.status(STANDBY)

    async def close(self) -> None:
        """Stop following the lease and stop the input if it runs."""
        if self._unfollow is not None:
            self._unfollow()
            self._unfollow = None
        if self._last is not None:
            await asyncio.gather(self._last, return_exceptions=True)
        if self._running:
            self._running = False
            await self._stop()


STANDBY = {"fill": "grey", "shape": "ring", "text": "standby (runs on the leader)"}


# -- JavaScript errors ---------------------------------------------------------------------

class JSError(NodeError):
    """An Error the user's code threw: ``str()`` is its text (``"TypeError: ..."``), ``js_error``
    its ``{name, message, stack}`` (the debug sidebar shows it as Node-RED shows an Error), and
    catch nodes get ``stack`` in ``msg.error``. Copies of a msg holding it share it."""

    def __init__(self, text: str, js_error: dict) -> None:
        super().__init__(text, stack=js_error.get("stack", ""))
        self.js_error = js_error

    def __deepcopy__(self, memo: dict) -> JSError:
        return self

    def __reduce__(self) -> tuple:
        return (JSError, (str(self), self.js_error))
