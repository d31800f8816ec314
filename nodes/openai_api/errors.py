"""Errors of the OpenAI API node as catch nodes receive them.

Every error is a :class:`runtime.NodeError` whose text names the method, and whose details the
runtime merges into ``msg.error``: ``status`` (HTTP status, None when no answer came), ``type``,
``code``, ``param`` (OpenAI's ``error`` object, or the node's own for local checks),
``request_id`` (OpenAI's ``x-request-id``). The package (node.js) passes only the message
text; its text format ``"<status> <OpenAI's message>"`` is kept after the method name, e.g.
``createRealtimeClientSecret: 401 Incorrect API key provided: sk-wro*****k-42. ...``.
No text or detail ever holds a protected API key (see :mod:`.redaction`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import openai

from typing import Any

from flowred import NodeError

from .redaction import redact, redact_value


def local_error(text: str, code: str, param: str | None = None) -> NodeError:
    """An error found before any request: ``type: "invalid_request"``, no status."""
    return NodeError(redact(text), status=None, type="invalid_request", code=code, param=param, request_id=None)


def api_error(method: str, exc: "openai.OpenAIError") -> NodeError:
    """The NodeError for an SDK exception raised while calling ``method``.

    ``APIStatusError`` (OpenAI answered 4xx/5xx): ``"<method>: <status> <message>"`` with
    OpenAI's ``type``/``code``/``param`` and the request id. ``APITimeoutError``:
    ``"<method>: request timed out"``, type ``timeout``. ``APIConnectionError`` (refused,
    dropped): ``"<method>: Connection error."``, type ``connection_error``. Other SDK errors
    (e.g. a webhook signature that does not verify): their message, type ``sdk_error``.
    """
    import openai

    details: dict[str, Any] = {"status": None, "type": None, "code": None, "param": None, "request_id": None}
    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        message = body.get("message") or exc.message
        text = f"{method}: {exc.status_code} {message}"
        details.update(status=exc.status_code, type=exc.type, code=exc.code, param=exc.param,
                       request_id=exc.request_id)
    elif isinstance(exc, openai.APITimeoutError) and not _refused(exc):
        text = f"{method}: request timed out"
        details.update(type="timeout", code="timeout")
    elif isinstance(exc, openai.APIConnectionError):
        text = f"{method}: Connection error."
        details.update(type="connection_error", code="connection_error")
    else:
        text = f"{method}: {exc}"
        details.update(type="sdk_error", code=type(exc).__name__)
    return NodeError(redact(text), **{k: redact_value(v) for k, v in details.items()})


def _refused(exc: BaseException) -> bool:
    """True when a "timeout" is really a refused or dropped connection: the SDK's aiohttp
    transport reports ``Cannot connect to host`` and ``Server disconnected`` as connect
    timeouts."""
    cause = exc.__cause__
    return cause is not None and any(text in str(cause) for text in ("Cannot connect to host", "Server disconnected"))
