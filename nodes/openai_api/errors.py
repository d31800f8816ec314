"""Errors of the OpenAI API node as catch nodes receive them.

Every error is a :class:`runtime.NodeError` whose text is the package's ``error.message``
(node.js ``node.error(error.message, msg)``), i.e. openai-node's own text, so switch rules
written for Node-RED match: ``"<status> <OpenAI's message>"`` (openai-node's
``APIError.makeMessage``, e.g. ``401 Incorrect API key provided: sk-wro*****k-42. ...``),
``Request timed out.``, ``Connection error.``. Its details, which the runtime merges into
``msg.error`` beside ``message``, are FlowRed's: ``status`` (HTTP status, None when no answer
came), ``type``, ``code``, ``param`` (OpenAI's ``error`` object, or the node's own for local
checks), ``request_id`` (OpenAI's ``x-request-id``) and ``method``.
No text or detail ever holds a protected API key (see :mod:`.redaction`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import openai

import json
from typing import Any

from flowred import NodeError

from .redaction import redact, redact_value


def local_error(text: str, code: str, param: str | None = None) -> NodeError:
    """An error found before any request: ``type: "invalid_request"``, no status (the node adds
    ``method``)."""
    return NodeError(redact(text), status=None, type="invalid_request", code=code, param=param, request_id=None)


def api_error(method: str, exc: "openai.OpenAIError") -> NodeError:
    """The NodeError for an SDK exception raised while calling ``method``.

    ``APIStatusError`` (OpenAI answered 4xx/5xx): ``"<status> <message>"`` as openai-node's
    ``makeMessage`` (``"<status> status code (no body)"`` without a body) with OpenAI's
    ``type``/``code``/``param`` and the request id. ``APITimeoutError``: ``"Request timed
    out."``, type ``timeout``. ``APIConnectionError`` (refused, dropped): ``"Connection
    error."``, type ``connection_error``. Other SDK errors (e.g. a webhook signature that does
    not verify): their message, type ``sdk_error``. ``method`` is the detail ``method``.
    """
    import openai

    details: dict[str, Any] = {"status": None, "type": None, "code": None, "param": None, "request_id": None,
                               "method": method}
    if isinstance(exc, openai.APIStatusError):
        text = f"{exc.status_code} {_body_message(exc.body)}"
        details.update(status=exc.status_code, type=exc.type, code=exc.code, param=exc.param,
                       request_id=exc.request_id)
    elif isinstance(exc, openai.APITimeoutError) and not _refused(exc):
        text = "Request timed out."
        details.update(type="timeout", code="timeout")
    elif isinstance(exc, openai.APIConnectionError):
        text = "Connection error."
        details.update(type="connection_error", code="connection_error")
    else:
        text = str(exc)
        details.update(type="sdk_error", code=type(exc).__name__)
    return NodeError(redact(text), **{k: redact_value(v) for k, v in details.items()})


def _body_message(body: Any) -> str:
    """The text after the status, as openai-node's ``APIError.makeMessage``: the error's
    ``message``, else the error as JSON, else the body's text, else ``status code (no body)``."""
    if isinstance(body, dict) and body.get("message"):
        message = body["message"]
        return message if isinstance(message, str) else json.dumps(message, separators=(",", ":"))
    if isinstance(body, str) and body:
        return body
    if body:
        return json.dumps(body, separators=(",", ":"))
    return "status code (no body)"


def _refused(exc: BaseException) -> bool:
    """True when a "timeout" is really a refused or dropped connection: the SDK's aiohttp
    transport reports ``Cannot connect to host`` and ``Server disconnected`` as connect
    timeouts."""
    cause = exc.__cause__
    return cause is not None and any(text in str(cause) for text in ("Cannot connect to host", "Server disconnected"))
