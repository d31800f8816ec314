"""Calling one method of the table and shaping what comes back.

:func:`run` is an async generator of ``(kind, value)`` pairs: ``("result", value)`` once for a
plain call; for a stream ``("event", event)`` per event and then ``("final", value)`` with the
complete result (see :mod:`.streams`). Shapes, by the method's :class:`~.spec.Result`:

- ``parsed`` (default): ``OBJECT`` the body as OpenAI sent it (JSON → dict, ``text/*`` → str),
  or its ``pick`` field (embeddings and images: ``data``, as the package), with openai-node's
  ``output_text`` added for Responses (``Method.output_text``);
  ``LIST`` the page's ``data`` list, or every page's items with ``all_pages`` (the package
  returns the first page only); ``BINARY`` bytes; ``CONFIRM``/``LOCAL`` without an answer the
  table's ``confirm`` object plus the path parameters (the package's
  ``{call_id, status: "accepted"}``); ``COMPOSED``/``LOCAL`` the SDK's model as a dict.
- ``raw`` (seeds 001/003 "Raw Response"): ``{body, status, headers}`` of the one HTTP
  response (header names lower-cased); only for methods answered by one request.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openai import AsyncOpenAI

import inspect
import json
from typing import Any, AsyncIterator

import orjson

from .arguments import SDK_OPTIONS, request_object, sdk_arguments, sdk_function
from .errors import local_error
from .jsonable import to_json
from .output_text import add_output_text
from .passthrough import json_body_ready
from .spec import Method, Result
from .streams import stream_events
from .webhooks import unwrap_with_tolerance


async def run(client: AsyncOpenAI, method: Method, request: Any, *, raw: bool = False,
              all_pages: bool = False) -> AsyncIterator[tuple[str, Any]]:
    """Calls ``method`` with ``request`` (the msg's request object). Raises NodeError for a
    request that cannot be sent, and the SDK's exceptions (``openai.OpenAIError``) as raised."""
    if method.as_is:
        yield "result", await _shape(method, await _post_as_is(client, method, request), request, raw)
        return
    kwargs = sdk_arguments(method, request)
    streaming = method.result is Result.EVENTS or (method.stream is not None and kwargs.get("stream") is True)
    if raw and (streaming or not method.single_request):
        what = "a stream" if streaming else "a method that may make several requests"
        raise local_error(f"{method.name}: resultFormat raw does not apply to {what}", "raw_not_available")
    if streaming:
        async for pair in stream_events(sdk_function(client, method), method, kwargs):
            yield pair
        return
    if method.result is Result.LIST and all_pages:
        yield "result", [to_json(item) async for item in sdk_function(client, method)(**kwargs)]
        return
    if method.json_body and json_body_ready(method.json_body):
        yield "result", await _shape(method, await _post_json(client, method, request, kwargs), request, raw)
        return
    if _references_only(method, kwargs):
        yield "result", await _shape(method, await _post_multipart(client, method, request, kwargs), request, raw)
        return
    if method.single_request:
        response = await sdk_function(client, method, raw=True)(**kwargs)
        yield "result", await _shape(method, response.http_response, request, raw)
        return
    if method.sdk == "webhooks.unwrap" and "tolerance" in kwargs:  # openai-python's unwrap has none
        yield "result", unwrap_with_tolerance(client, kwargs)
        return
    value = sdk_function(client, method)(**kwargs)
    if inspect.isawaitable(value):
        value = await value
    if value is None and method.confirm:
        yield "result", _confirmation(method, request)
        return
    value = to_json(value)
    yield "result", add_output_text(value, parsed=True) if method.output_text else value


async def _post_as_is(client: AsyncOpenAI, method: Method, request: Any) -> Any:
    """POST ``request`` as the JSON body, unchanged; the SDK's HTTP response. Raises NodeError
    for a request that is not an object, the SDK's errors as raised."""
    body = request_object(method, request)
    post_json = getattr(client, "post_json", None)  # the lean client's prepared POST (see .lean)
    if post_json is not None:
        return await post_json(method.path, body)
    try:
        from httpx2 import Response
    except ImportError:  # SDK releases built on httpx
        from httpx import Response
    return await client.post(method.path, body=body, cast_to=Response)


async def _post_json(client: AsyncOpenAI, method: Method, request: dict, kwargs: dict) -> Any:
    """POST the arguments (SDK keywords and ``extra_body`` merged, as the SDK merges them) as the
    JSON body, for a method whose SDK parameter transform changes nothing in JSON data
    (:mod:`.passthrough`); the HTTP response (auth, retries and errors are the SDK's)."""
    body = {k: v for k, v in kwargs.items() if k not in SDK_OPTIONS and k not in method.path_params}
    body.update(kwargs.get("extra_body") or {})
    path = method.path.format(**{p: request[p] for p in method.path_params}) if method.path_params else method.path
    post_json = getattr(client, "post_json", None)  # the lean client's prepared POST (see .lean)
    if post_json is not None:
        return await post_json(path, body)
    try:
        from httpx2 import Response
    except ImportError:  # SDK releases built on httpx
        from httpx import Response
    return await client.post(path, body=body, cast_to=Response)


def _references_only(method: Method, kwargs: dict) -> bool:
    """True when a file field of a POST holds a reference (an object such as ``{"id": ...}``,
    not an upload) and no field holds an upload: the SDK's multipart helper only takes files
    in file fields (``videos.edit``/``extend`` raise on ``video: {"id": ...}``), so the request
    goes through :func:`_post_multipart`."""
    present = [kwargs[f] for f in method.files if f in kwargs]
    return method.verb == "POST" and any(isinstance(v, dict) for v in present) \
        and all(isinstance(v, dict) for v in present)


async def _post_multipart(client: AsyncOpenAI, method: Method, request: dict, kwargs: dict) -> Any:
    """POST the arguments as multipart/form-data through the SDK's generic ``post`` (its auth,
    retries and errors), nested objects as ``video[id]`` fields, as openai-node's multipart
    encoding sends them; the SDK's HTTP response."""
    try:
        from httpx2 import Response
    except ImportError:  # SDK releases built on httpx
        from httpx import Response
    body = {k: v for k, v in kwargs.items() if k not in SDK_OPTIONS and k not in method.path_params}
    body.update(kwargs.get("extra_body") or {})
    path = method.path.format(**{p: request[p] for p in method.path_params})
    return await client.post(path, body=body, cast_to=Response,
                             options={"headers": {"Content-Type": "multipart/form-data"}})


async def _shape(method: Method, response: Any, request: dict, raw: bool) -> Any:
    content = await response.aread()
    body: Any = content if method.result is Result.BINARY else _decode(response.headers, content,
                                                                          response.status_code)
    if raw:
        return {"body": body, "status": response.status_code,
                "headers": {name.lower(): value for name, value in response.headers.items()}}
    if method.result is Result.LIST:
        return body.get("data", []) if isinstance(body, dict) else body
    if method.result is Result.CONFIRM and body in (None, "", b""):
        return _confirmation(method, request)
    if method.pick and isinstance(body, dict):
        return body.get(method.pick)
    if method.output_text:
        return add_output_text(body)
    return body


def _decode(headers: Any, content: bytes, status: int = 200) -> Any:
    """A body by its content type, as openai-node reads it: 204 → None, JSON parsed (empty →
    None), ``text/*`` and an empty body as str, else bytes."""
    if status == 204:
        return None
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        if not content.strip():
            return None
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:  # what only Python's parser takes (integers beyond 64 bits, NaN)
            return json.loads(content)
    if kind.startswith("text/") or not content:
        return content.decode("utf-8", errors="replace")
    return content


def _confirmation(method: Method, request: dict) -> dict[str, Any]:
    return {**{p: request[p] for p in method.path_params}, **(method.confirm or {})}

