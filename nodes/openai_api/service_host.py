"""The ``Service Host`` config node: where and how the ``OpenAI API`` node reaches OpenAI.

As ``@inductiv/node-red-openai-api`` node.js (ServiceHost) and src/lib.js
(``createApiKeyTransportParams``): ``apiBase``, the API key (a credential, or an env variable),
the auth header name or query parameter, and the organization id, each value with a ``…Type``
of ``str``/``env``/``msg``/``flow``/``global``, resolved per msg.
"""
from __future__ import annotations

from typing import Any

from openai import AsyncOpenAI, DefaultAioHttpClient
from pydantic import field_validator

from runtime import Node, NodeConfig, NodeError, evaluate_value, register

DEFAULT_API_BASE = "https://api.openai.com/v1"


class ServiceHostConfig(NodeConfig):
    """Service Host settings (the package's defaults).

    ``apiBase``: base URL (default ``https://api.openai.com/v1``); ``secureApiKeyValueType``:
    ``cred`` (the key is the ``secureApiKeyValue`` credential, never in the flow file) or
    ``env``/``msg``/``flow``/``global`` (``secureApiKeyValueRef`` names the variable or
    property); ``secureApiKeyHeaderOrQueryName``: ``Authorization`` sends ``Bearer <key>``,
    another name sends the raw key in that header, or in that query parameter when
    ``secureApiKeyIsQuery``; ``organizationId``: sent as ``OpenAI-Organization``.
    """

    apiBase: str = DEFAULT_API_BASE
    apiBaseType: str = "str"
    secureApiKeyHeaderOrQueryName: str = "Authorization"
    secureApiKeyHeaderOrQueryNameType: str = "str"
    secureApiKeyValueType: str = "cred"
    secureApiKeyValueRef: str = ""
    secureApiKeyIsQuery: bool = False
    organizationId: str = ""
    organizationIdType: str = "str"

    @field_validator("secureApiKeyIsQuery", mode="before")
    @classmethod
    def _is_query(cls, v: Any) -> bool:
        return v is True or v == "true"

    @field_validator("secureApiKeyValueType", mode="before")
    @classmethod
    def _key_type(cls, v: Any) -> str:
        return "cred" if v in (None, "", "str") else v  # the editor turns a legacy "str" into "cred"


@register("Service Host", category="config", config_node=True, inputs=0, outputs=0)
class ServiceHostNode(Node):
    """Holds the connection settings; hands the OpenAI API node a pooled SDK client.

    One ``AsyncOpenAI`` client (aiohttp transport, connection pooling) is kept per distinct
    resolved setting and reused across msgs; clients are closed when the node stops.
    """

    Config = ServiceHostConfig

    def __init__(self, config: ServiceHostConfig, flow) -> None:
        super().__init__(config, flow)
        self._clients: dict[tuple, AsyncOpenAI] = {}

    def api_key(self, msg: dict) -> str:
        """The API key for this msg; "" when none is configured."""
        cfg = self.config
        if cfg.secureApiKeyValueType == "cred":
            value = self.credentials.get("secureApiKeyValue", "")
        else:
            value = evaluate_value(cfg.secureApiKeyValueRef, cfg.secureApiKeyValueType, self, msg)
        return "" if value is None else str(value)

    def client(self, msg: dict) -> tuple[AsyncOpenAI, str]:
        """``(client, api_key)`` for this msg. Raises NodeError when no key is configured."""
        cfg = self.config
        key = self.api_key(msg)
        if not key:
            raise NodeError("OpenAI API key is not configured")
        base = str(evaluate_value(cfg.apiBase, cfg.apiBaseType, self, msg) or "") or DEFAULT_API_BASE
        header = str(evaluate_value(cfg.secureApiKeyHeaderOrQueryName, cfg.secureApiKeyHeaderOrQueryNameType,
                                    self, msg) or "") or "Authorization"
        org = str(evaluate_value(cfg.organizationId, cfg.organizationIdType, self, msg) or "") or None
        cache_key = (key, base, header, cfg.secureApiKeyIsQuery, org)
        client = self._clients.get(cache_key)
        if client is None:
            headers: dict[str, Any] = {}
            query: dict[str, Any] = {}
            if cfg.secureApiKeyIsQuery:
                headers["Authorization"] = _omit()
                query[header] = key
            elif header.lower() != "authorization":
                headers["Authorization"] = _omit()
                headers[header] = key
            client = AsyncOpenAI(api_key=key, base_url=base.rstrip("/"), organization=org,
                                 default_headers=headers or None, default_query=query or None,
                                 http_client=DefaultAioHttpClient())
            self._clients[cache_key] = client
        return client, key

    async def close(self, removed: bool) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()


def _omit():
    from openai import Omit

    return Omit()
