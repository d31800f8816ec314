"""The ``OpenAI API`` node: calls one OpenAI API method per msg through a Service Host.

As ``@inductiv/node-red-openai-api`` node.js: reads the request from ``property`` of
``propertyType`` (msg, flow or global), calls ``method``, puts the result in ``msg.payload`` and
sends the same msg on. Status: blue dot "requesting" while in flight, cleared on success, red
ring "error" on failure. Differences, on purpose: errors name the method and carry details
(status, type, code, param, request_id) for catch nodes, an unknown method is an error on the
node (the package only logs it), and the API key never appears in any error text.
"""
from __future__ import annotations

from typing import Any

import openai
from pydantic import field_validator

from runtime import Node, NodeConfig, NodeError, evaluate_value, get_msg_property, register

from .methods import METHODS
from .service_host import ServiceHostNode

REQUESTING = {"fill": "blue", "shape": "dot", "text": "requesting"}
ERROR = {"fill": "red", "shape": "ring", "text": "error"}


class OpenAIApiConfig(NodeConfig):
    """OpenAI API node settings (the package's defaults).

    ``property``/``propertyType``: where the request object is read (default ``msg.payload``);
    ``service``: the id of a ``Service Host`` config node; ``method``: the API method name,
    e.g. ``createRealtimeClientSecret``.
    """

    property: str = "payload"
    propertyType: str = "msg"
    service: str = ""
    method: str = ""

    @field_validator("propertyType")
    @classmethod
    def _property_type(cls, v: str) -> str:
        if v not in ("msg", "flow", "global"):
            raise ValueError(f"propertyType must be msg, flow or global, got {v!r}")
        return v

    @field_validator("property", mode="before")
    @classmethod
    def _property(cls, v: Any) -> Any:
        return "payload" if v in (None, "") else v


@register("OpenAI API", category="AI", color="#a2d3c9", inputs=1, outputs=1, icon="openai.svg")
class OpenAIApiNode(Node):
    """Sends the request found at ``property`` to the OpenAI ``method`` and puts the response in
    ``msg.payload``; the rest of the msg (e.g. ``msg.ai``) is kept.

    Errors (reported with the msg, so a catch node gets it): no Service Host, no API key,
    unknown method, OpenAI's 4xx/5xx answer (``"<method>: <status> <OpenAI's message>"``),
    connection failure and timeout.
    """

    Config = OpenAIApiConfig

    def label(self) -> str:
        return self.name or self.config.method or "OpenAI API"

    async def on_input(self, msg: dict) -> None:
        cfg = self.config
        method = METHODS.get(cfg.method)
        service = self.config_node(cfg.service)
        if not isinstance(service, ServiceHostNode):
            raise NodeError("OpenAI service host is not configured")
        if method is None:
            raise NodeError(f"Unknown method: {cfg.method!r}" if cfg.method else "No method is selected")
        if cfg.propertyType == "msg":
            request = get_msg_property(msg, cfg.property)
        else:
            request = evaluate_value(cfg.property, cfg.propertyType, self, msg)
        client, key = service.client(msg)
        self.status(REQUESTING)
        try:
            result = await method(client, request)
        except NodeError:
            self.status(ERROR)
            raise
        except openai.APIError as exc:
            self.status(ERROR)
            raise _api_error(cfg.method, exc, key) from None
        msg["payload"] = result
        self.send(msg)
        self.status({})


def _api_error(method: str, exc: openai.APIError, key: str) -> NodeError:
    """A NodeError with the text a user reads and the details a catch node routes on."""
    details: dict[str, Any] = {"type": exc.type, "code": exc.code, "param": exc.param}
    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        message = body.get("message") or exc.message
        text = f"{method}: {exc.status_code} {message}"
        details.update(status=exc.status_code, request_id=exc.request_id)
    elif isinstance(exc, openai.APITimeoutError) and not _refused(exc):
        text = f"{method}: request timed out"
    elif isinstance(exc, openai.APIConnectionError):
        text = f"{method}: Connection error."
    else:
        text = f"{method}: {exc.message}"
    if key and key in text:
        text = text.replace(key, "[redacted]")
    return NodeError(text, **details)


def _refused(exc: BaseException) -> bool:
    """True when a "timeout" is really a refused connection: the SDK's aiohttp transport
    reports ``Cannot connect to host`` as a connect timeout."""
    cause = exc.__cause__
    return cause is not None and "Cannot connect to host" in str(cause)
