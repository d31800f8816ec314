"""The ``Service Host`` config node: where and how the ``OpenAI API`` node reaches OpenAI.

As ``@inductiv/node-red-openai-api`` node.js (ServiceHost) and src/lib.js
(``createApiKeyTransportParams``): ``apiBase``, the API key (a credential, or a reference),
the auth header name or query parameter, and the organization id, each value with a ``…Type``
resolved per msg. Added, as the package's users asked (its issues #1 and the spec's "gaps"):
``projectId``, ``timeout``, ``maxRetries`` and extra ``headers``. Where the package builds a new
SDK client for every call, one pooled client is kept and reused (see :class:`ServiceHostNode`).
As with the package, the SDK falls back to ``OPENAI_ORG_ID`` / ``OPENAI_PROJECT_ID`` from the
environment when no organization or project is set.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openai import AsyncOpenAI, DefaultAioHttpClient

from typing import Any, Literal

from pydantic import Field, field_validator

from flowred import UNDEFINED, Node, NodeConfig, evaluate_value, register
from flowred.fields import EmptyDefault, Flag, Number
from flowred.jscompat import js_to_string

from .errors import local_error
from .lean import lean_client_class
from .redaction import protect

DEFAULT_API_BASE = "https://api.openai.com/v1"
ValueType = Literal["str", "env", "msg", "flow", "global"]


class ServiceHostConfig(NodeConfig):
    """Service Host settings; the package's fields and defaults, plus project, timeout, retries
    and headers. A ``…Type`` of ``env`` reads the value as an environment variable name;
    ``msg``/``flow``/``global`` read it from the msg or context, per msg."""

    apiBase: str = Field(DEFAULT_API_BASE, description="Base URL of the API (empty: https://api.openai.com/v1).")
    apiBaseType: EmptyDefault[ValueType] = Field("str",
                                                 description="How apiBase is read: str, env, msg, flow or global.")
    secureApiKeyHeaderOrQueryName: str = Field(
        "Authorization", description="'Authorization' sends 'Bearer <key>'; another name sends the raw key in "
                                     "that header, or in that query parameter when secureApiKeyIsQuery.")
    secureApiKeyHeaderOrQueryNameType: EmptyDefault[ValueType] = Field(
        "str", description="How the header/query name is read.")
    secureApiKeyValueType: Literal["cred", "env", "msg", "flow", "global"] = Field(
        "cred", description="cred: the key is the secureApiKeyValue credential (never in the flow file); "
                            "otherwise secureApiKeyValueRef names the variable or property holding it.")
    secureApiKeyValueRef: str = Field("", description="Env variable or msg/flow/global property holding the key.")
    secureApiKeyIsQuery: Flag = Field(False, description="Send the key as a query parameter instead of a header.")
    organizationId: str = Field("", description="Sent as OpenAI-Organization when set.")
    organizationIdType: EmptyDefault[ValueType] = Field("str", description="How organizationId is read.")
    projectId: str = Field("", description="Sent as OpenAI-Project when set.")
    projectIdType: EmptyDefault[ValueType] = Field("str", description="How projectId is read.")
    timeout: Number[float] = Field(600, gt=0,
                                   description="Seconds to wait for an answer before giving up (SDK default 600).")
    maxRetries: Number[int] = Field(2, ge=0, le=10,
                                    description="Retries on connection errors, 408, 409, 429 and 5xx, with "
                                                "back-off honouring retry-after (SDK default 2).")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers sent with every request.")

    @field_validator("secureApiKeyValueType", mode="before")
    @classmethod
    def _key_type(cls, v: Any) -> str:
        return "cred" if v in (None, "", "str") else v  # the editor turns a legacy "str" into "cred"


@lru_cache(maxsize=None)
def _key_elsewhere() -> type:
    """A client class that sends no ``Authorization`` header: the key travels in another header
    or in the query (``default_headers``/``default_query``), as the package's non-bearer modes.
    Made on first use so the SDK is imported with the first client, not at startup."""
    from openai import AsyncOpenAI

    class KeyElsewhere(AsyncOpenAI):
        @property
        def _bearer_auth(self) -> dict[str, str]:
            return {}

        def _validate_headers(self, headers: Any, custom_headers: Any) -> None:
            return None

    return KeyElsewhere


def build_client(key: str, base: str | None, *, timeout: float, max_retries: int, organization: str | None = None,
                 project: str | None = None, headers: dict[str, str] | None = None,
                 query: dict[str, str] | None = None, key_elsewhere: bool = False,
                 transport: DefaultAioHttpClient | None = None) -> tuple[AsyncOpenAI, DefaultAioHttpClient]:
    """``(client, transport)``: an ``AsyncOpenAI`` for ``key`` and ``base`` (None: the SDK's
    default) on ``transport`` (the SDK's aiohttp transport; a new one when None), with
    ``timeout`` seconds, ``max_retries``, the organization, project, extra ``headers`` and
    ``query``; ``key_elsewhere``: no ``Authorization`` header (the key is in ``headers`` or
    ``query``). The client takes the lean path of :mod:`.lean` for raw non-streaming calls."""
    from openai import AsyncOpenAI, DefaultAioHttpClient

    cls = lean_client_class(_key_elsewhere() if key_elsewhere else AsyncOpenAI)
    if transport is None:
        transport = DefaultAioHttpClient()
    client = cls(api_key=key, base_url=base, organization=organization, project=project, timeout=timeout,
                 max_retries=max_retries, default_headers=headers or None, default_query=query or None,
                 http_client=transport)
    return client, transport


@register("Service Host", category="config", config_node=True, inputs=0, outputs=0,
          credentials=("secureApiKeyValue",))
class ServiceHostNode(Node):
    """Holds the connection settings; hands the OpenAI API node a pooled SDK client.

    One HTTP transport (aiohttp, connection pooling) per Service Host is shared by every
    client it hands out. Clients are cached by their resolved settings (base URL, key, auth
    mode, organization, project), so msgs with the same settings reuse one ``AsyncOpenAI``,
    and a changed setting (an env variable, a msg-provided key) gets its own client on the same
    pool. Changing the node's config in the editor restarts it and its users, which builds
    everything anew. Everything is closed when the node stops.
    """

    Config = ServiceHostConfig
    MAX_CLIENTS = 32

    def __init__(self, config: ServiceHostConfig, flow) -> None:
        super().__init__(config, flow)
        self._clients: dict[tuple, AsyncOpenAI] = {}
        self._transport: DefaultAioHttpClient | None = None

    def _value(self, value: str, vt: str, msg: dict, node: Node | None) -> str | None:
        """``value`` of type ``vt`` evaluated for the calling ``node`` (its flow context and env)
        and ``msg``, as the package's ``evaluateTypedAsync``; None when it does not resolve."""
        result = evaluate_value(value, vt, node or self, msg)
        if result is None or result is UNDEFINED:
            return None
        return result if isinstance(result, str) else js_to_string(result)

    def api_key(self, msg: dict, node: Node | None = None) -> str:
        """The API key configured for this msg and calling node; "" when none is."""
        cfg = self.config
        if cfg.secureApiKeyValueType == "cred":
            return str(self.credentials.get("secureApiKeyValue") or "")
        return self._value(cfg.secureApiKeyValueRef, cfg.secureApiKeyValueType, msg, node) or ""

    def client(self, msg: dict, api_key: str | None = None, node: Node | None = None) -> tuple[AsyncOpenAI, str]:
        """``(client, api_key)`` for this msg and the calling ``node``; ``api_key`` overrides
        the configured key. A base URL that does not resolve leaves the SDK's default
        (``OPENAI_BASE_URL``, else OpenAI), an empty one is OpenAI's; a header name that does
        not resolve or is blank is ``Authorization``; an organization or project that does not
        resolve is not sent. Raises NodeError (code ``missing_api_key``) when there is no key."""
        cfg = self.config
        key = api_key or self.api_key(msg, node)
        if not key:
            raise local_error("OpenAI API key is not configured", "missing_api_key")
        protect(key)
        base = self._value(cfg.apiBase, cfg.apiBaseType, msg, node)
        base = None if base is None else (base or DEFAULT_API_BASE).rstrip("/")
        name = self._value(cfg.secureApiKeyHeaderOrQueryName, cfg.secureApiKeyHeaderOrQueryNameType, msg, node)
        name = (name or "").strip() or "Authorization"
        org = self._value(cfg.organizationId, cfg.organizationIdType, msg, node) or None
        project = self._value(cfg.projectId, cfg.projectIdType, msg, node) or None
        cache_key = (key, base, name, cfg.secureApiKeyIsQuery, org, project)
        client = self._clients.get(cache_key)
        if client is None:
            client = self._build(key, base, name, org, project)
            if len(self._clients) >= self.MAX_CLIENTS:
                del self._clients[next(iter(self._clients))]  # shares the pool: nothing to close
            self._clients[cache_key] = client
        return client, key

    def _build(self, key: str, base: str | None, name: str, org: str | None, project: str | None) -> AsyncOpenAI:
        cfg = self.config
        headers: dict[str, str] = dict(cfg.headers)
        query: dict[str, str] = {}
        elsewhere = False
        if cfg.secureApiKeyIsQuery:
            elsewhere, query[name] = True, key
        elif name.lower() != "authorization":
            elsewhere, headers[name] = True, key
        client, self._transport = build_client(key, base, timeout=cfg.timeout, max_retries=cfg.maxRetries,
                                               organization=org, project=project, headers=headers, query=query,
                                               key_elsewhere=elsewhere, transport=self._transport)
        return client

    async def close(self, removed: bool) -> None:
        self._clients = {}
        transport, self._transport = self._transport, None
        if transport is not None:
            await transport.aclose()
