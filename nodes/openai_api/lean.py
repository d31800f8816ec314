"""A lean request path inside the SDK client for the calls whose answer the node reads raw.

The node reads every non-streaming single-request answer as HTTP (status, headers, body bytes;
:func:`.calls._shape` decodes the JSON itself): through ``with_raw_response`` or the generic
``post(..., cast_to=Response)``. For those, openai-python's ``AsyncAPIClient.request`` builds an
``httpx2`` request (``Headers``/``URL`` models, a copy of the options per attempt) that its
aiohttp transport turns back into an aiohttp request, and the answer into an ``httpx2.Response``:
about half of the SDK's CPU per call. :func:`lean_client_class` gives the client class whose
``request`` sends such calls on the same aiohttp session (the transport's connection pool, TLS
context and limits) with headers, URL and timeouts built once per client, and keeps the SDK as
the source of everything else:

- the request: the ``FinalRequestOptions`` the SDK's resource method built (path, JSON body and
  ``extra_body``, query, ``extra_headers``, timeout, ``max_retries``), the client's headers
  (``Authorization`` from ``_auth_headers`` per the options' security, ``User-Agent``,
  ``X-Stainless-*`` platform headers, ``OpenAI-Organization``/``-Project``, the Service Host's
  headers, ``x-stainless-retry-count`` and ``x-stainless-read-timeout`` per attempt) and query;
- retries: the SDK's ``_should_retry`` (408/409/429/5xx, ``x-should-retry``, ``retry-after``
  beyond the cap) and ``_sleep_for_retry`` (``retry-after(-ms)``, exponential back-off with
  jitter, ``max_retries``), also after timeouts and connection errors;
- errors: aiohttp's exceptions mapped by the SDK's own aiohttp transport map, then raised as
  ``APITimeoutError``/``APIConnectionError``; 4xx/5xx answers become an ``httpx2.Response``
  given to the SDK's ``_make_status_error_from_response`` (its classes and messages).

Anything else (streams, multipart uploads, raw content, pages parsed into models, a client with
a proxy mount, custom auth, an auth provider or an absolute URL) goes through the SDK's own
``request`` unchanged. Success answers are :class:`LeanResponse`, which stands in for both the
``httpx2.Response`` and the ``LegacyAPIResponse`` (``http_response``) the SDK would return.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

import orjson


class LeanResponse:
    """A complete HTTP answer: ``status_code`` (int), ``headers`` (aiohttp's case-insensitive
    multidict proxy), ``content`` (bytes, already read and decompressed)."""

    __slots__ = ("status_code", "headers", "content")

    def __init__(self, status_code: int, headers: Any, content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def http_response(self) -> "LeanResponse":
        """Itself, as ``LegacyAPIResponse.http_response`` gives the HTTP response."""
        return self

    async def aread(self) -> bytes:
        """The body bytes, as ``httpx2.Response.aread``."""
        return self.content


def _dumps(data: Any) -> bytes:
    """JSON bytes as the SDK's ``openapi_dumps`` writes them (compact, UTF-8); orjson first,
    the SDK's encoder for what orjson refuses (ints beyond 64 bits, NaN, SDK types)."""
    try:
        return orjson.dumps(data)
    except TypeError:
        from openai._utils._json import openapi_dumps

        return openapi_dumps(data)


@lru_cache(maxsize=None)
def lean_client_class(base: type) -> type:
    """A subclass of ``base`` (``AsyncOpenAI`` or a subclass) whose ``request`` takes the lean
    path for non-streaming calls answered raw (see the module docstring); made once per base.
    ``base`` itself with an SDK release that has no ``httpx2`` aiohttp transport."""
    try:
        import httpx2
        from aiohttp import ClientSession, ClientTimeout
        from openai import APIConnectionError, APITimeoutError
        from openai._base_client import _merge_headers, _merge_mappings
        from openai._constants import RAW_RESPONSE_HEADER
        from openai._httpx2 import http_response_types, request_exceptions, timeout_exceptions
        from openai._types import NotGiven, Omit
        from openai._utils import asyncify
        from openai._vendor.httpx_aiohttp.transport import AiohttpTransport, map_aiohttp_exceptions
    except ImportError:  # an SDK release without httpx2 and its vendored aiohttp transport: its own path only
        return base

    raw_types = http_response_types()
    timeouts, request_errors = timeout_exceptions(), request_exceptions()

    class LeanOpenAI(base):
        __doc__ = f"``{base.__name__}`` with the lean path for raw non-streaming calls (flowred.nodes.openai_api.lean)."

        _lean_state: Any = None  # None: not decided; False: SDK path only; else (session, base url, headers)
        _lean_timeouts: dict
        _lean_posts: dict

        async def request(self, cast_to: Any, options: Any, *, stream: bool = False, stream_cls: Any = None) -> Any:
            if stream or not self._lean_wanted(cast_to, options):
                return await super().request(cast_to, options, stream=stream, stream_cls=stream_cls)
            state = self._lean_state
            if state is None:
                state = await self._lean_init()
            if state is False:
                return await super().request(cast_to, options, stream=stream, stream_cls=stream_cls)
            return await self._lean_send(state, options)

        async def _lean_init(self) -> Any:
            if self._platform is None:  # the SDK reads it off the loop once, before any request
                from openai._base_client import get_platform

                self._platform = await asyncify(get_platform)()
            self._lean_state = self._lean_setup()
            return self._lean_state

        @staticmethod
        def _lean_wanted(cast_to: Any, options: Any) -> bool:
            """True for a call answered raw with a JSON (or no) body and a relative path."""
            if options.files is not None or options.content is not None or options.follow_redirects is not None:
                return False
            if options.url.startswith(("http://", "https://", "ws://", "wss://")):
                return False
            headers = options.headers
            if cast_to not in raw_types and not (headers and headers.get(RAW_RESPONSE_HEADER) == "true"):
                return False
            json_data = options.json_data
            if json_data is not None and not isinstance(json_data, Mapping):
                return False
            if headers:
                for name, value in headers.items():
                    if name.lower() == "content-type" and not isinstance(value, Omit) \
                            and not str(value).startswith("application/json"):
                        return False
            return True

        def _lean_setup(self) -> Any:
            """(aiohttp session, base URL with its trailing slash, the client's headers) when
            the client can take the lean path, else False."""
            http = self._client
            transport = getattr(http, "_transport", None)
            if not isinstance(transport, AiohttpTransport) or getattr(http, "_mounts", None) \
                    or transport.uds or transport.proxy or transport.local_address or transport.socket_options:
                return False
            if getattr(self, "_provider_runtime", None) is not None \
                    or getattr(self, "_workload_identity_auth", None) is not None \
                    or getattr(self, "_api_key_provider", None) is not None or self.custom_auth is not None:
                return False
            if self._custom_query or self._idempotency_header:
                return False  # rare: the SDK's own path merges the query and adds idempotency keys
            if not isinstance(transport.client, ClientSession):  # as the transport does at its first request
                transport.client = transport.get_client()
            session = transport.client
            self._lean_timeouts, self._lean_posts = {}, {}
            return session, str(self.base_url), self.default_headers

        def _lean_timeout(self, options: Any) -> Any:
            """(aiohttp ClientTimeout, read timeout text or None) of the options' timeout, as the
            SDK's aiohttp transport maps httpx's (connect → sock_connect, read → sock_read,
            pool → connect)."""
            timeout = self.timeout if isinstance(options.timeout, NotGiven) else options.timeout
            key = timeout if isinstance(timeout, (int, float)) or timeout is None else repr(timeout)
            found = self._lean_timeouts.get(key)
            if found is None:
                t = timeout if isinstance(timeout, httpx2.Timeout) else httpx2.Timeout(timeout)
                read = t.read if isinstance(timeout, httpx2.Timeout) else timeout  # as the SDK's _build_headers
                found = (ClientTimeout(sock_connect=t.connect, sock_read=t.read, connect=t.pool),
                         None if read is None else str(read))
                self._lean_timeouts[key] = found
            return found

        async def post_json(self, path: str, body: Any) -> Any:
            """POST ``body`` (a JSON object) to ``path`` (relative to the base URL) as the SDK's
            ``post(path, body=body, cast_to=httpx2.Response)`` does, with the request (URL,
            headers, timeout, retry options) prepared once per path; a :class:`LeanResponse`,
            or the SDK's ``httpx2.Response`` when this client cannot take the lean path."""
            state = self._lean_state
            if state is None:
                state = await self._lean_init()
            if state is False:
                return await self.post(path, body=body, cast_to=httpx2.Response)
            prepared = self._lean_posts.get(path)
            if prepared is None:
                from openai._models import FinalRequestOptions

                prepared = self._lean_prepare(state, FinalRequestOptions.construct(method="post", url=path))
                if len(self._lean_posts) < 256:
                    self._lean_posts[path] = prepared
            return await self._lean_exchange(state[0], prepared, _dumps(body))

        def _lean_prepare(self, state: Any, options: Any) -> tuple:
            """(method, url, query, headers, aiohttp timeout, max_retries, options) of ``options``:
            everything of the request but its body and per-attempt retry count."""
            _session, base_url, default_headers = state
            custom = options.headers or {}
            headers = _merge_headers(self._auth_headers(options.security), default_headers, custom)
            self._validate_headers(headers, custom)
            method = options.method.upper()
            if method == "GET":
                headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            timeout, read_timeout = self._lean_timeout(options)
            custom_names = {name.lower() for name in custom}
            if read_timeout is not None and "x-stainless-read-timeout" not in custom_names:
                headers["x-stainless-read-timeout"] = read_timeout
            if "x-stainless-retry-count" not in custom_names:
                headers["x-stainless-retry-count"] = "0"
            params = self.qs.stringify(options.params) if options.params else None
            return (method, base_url + options.url.lstrip("/"), params, headers, timeout,
                    options.get_max_retries(self.max_retries), options, "x-stainless-retry-count" in custom_names)

        async def _lean_send(self, state: Any, options: Any) -> LeanResponse:
            prepared = self._lean_prepare(state, options)
            json_data = options.json_data
            if options.extra_json is not None:
                json_data = options.extra_json if json_data is None else _merge_mappings(json_data, options.extra_json)
            body = None if prepared[0] == "GET" or json_data is None else _dumps(json_data)
            return await self._lean_exchange(state[0], prepared, body)

        async def _lean_exchange(self, session: Any, prepared: tuple, body: bytes | None) -> LeanResponse:
            """Sends the prepared request with ``body``, with the SDK's retry rules and errors."""
            method, url, params, headers, timeout, max_retries, options, fixed_count = prepared
            for retries_taken in range(max_retries + 1):
                if retries_taken and not fixed_count:
                    headers = {**headers, "x-stainless-retry-count": str(retries_taken)}
                remaining = max_retries - retries_taken
                try:
                    with map_aiohttp_exceptions():
                        async with session.request(method, url, params=params, data=body, headers=headers,
                                                   timeout=timeout) as response:
                            content = await response.read()
                except timeouts as err:
                    if remaining > 0:
                        await self._sleep_for_retry(retries_taken=retries_taken, max_retries=max_retries,
                                                    options=options, response=None)
                        continue
                    raise APITimeoutError(request=_request(method, url, params, headers)) from err
                except request_errors as err:
                    if remaining > 0:
                        await self._sleep_for_retry(retries_taken=retries_taken, max_retries=max_retries,
                                                    options=options, response=None)
                        continue
                    raise APIConnectionError(request=_request(method, url, params, headers)) from err
                status = response.status
                if status < 400:
                    return LeanResponse(status, response.headers, content)
                answer = httpx2.Response(status, headers=response.raw_headers, content=content,
                                         request=_request(method, url, params, headers))
                if remaining > 0 and self._should_retry(answer):
                    await self._sleep_for_retry(retries_taken=retries_taken, max_retries=max_retries,
                                                options=options, response=answer)
                    continue
                raise self._make_status_error_from_response(answer) from None
            raise AssertionError("unreachable: the last attempt returns or raises")

    def _request(method: str, url: str, params: Any, headers: dict) -> Any:
        """The ``httpx2.Request`` an error carries (made only when one is raised)."""
        return httpx2.Request(method, url, params=params, headers=headers)

    LeanOpenAI.__name__ = LeanOpenAI.__qualname__ = base.__name__
    return LeanOpenAI
