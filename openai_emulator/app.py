"""The emulator's aiohttp application: OpenAI's Realtime REST endpoints, answered locally.

Endpoints (all ``POST``, all need ``Authorization: Bearer <key>``):

- ``/v1/realtime/client_secrets`` -- ``{"expires_after"?, "session"?}`` validated as OpenAI's API
  does; answers ``{"value": "ek_emulator_<hex>", "expires_at", "session"}``.
- ``/v1/realtime/sessions`` and ``/v1/realtime/transcription_sessions`` -- the legacy flat session
  configurations; answer the session object with ``client_secret: {value, expires_at}``.

Any other ``/v1/...`` request gets OpenAI's 404 ``Invalid URL (METHOD /v1/...)``. Errors have
OpenAI's body ``{"error": {"message", "type", "param", "code"}}``; every response carries an
``x-request-id: req_<hex>`` header.

Every ``/v1/...`` request is recorded in ``app[REQUESTS]`` as ``{"method", "path", "query",
"headers" (lower-cased names), "body_raw", "body" (parsed JSON or None)}``; ``GET
/__emulator/requests`` lists them and ``DELETE /__emulator/requests`` clears them (204).

Request headers that change the answer of any ``/v1/...`` request, before authentication:

- ``x-emulator-delay: <seconds>`` -- wait that long (a decimal number) before answering.
- ``x-emulator-status: 429`` -- answer OpenAI's rate-limit error (type ``requests``, code
  ``rate_limit_exceeded``); ``x-emulator-status: 500..599`` -- answer OpenAI's ``server_error``.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import time
from typing import Any, Awaitable, Callable, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from .models import (
    ClientSecretCreateRequest,
    ClientSecretCreateResponse,
    LegacySessionRequest,
    LegacyTranscriptionSessionRequest,
    RealtimeSessionClientSecret,
    RealtimeSessionCreateRequest,
    RealtimeSessionCreateResponse,
    RealtimeTranscriptionSessionCreateResponse,
)

REQUESTS = web.AppKey("requests", list[dict[str, Any]])
API_KEYS = web.AppKey("api_keys", frozenset[str])
M = TypeVar("M", bound=BaseModel)

LEGACY_SECRET_TTL = 60
NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (i.e. "
    "password: YOUR_KEY), or as the username field (i.e. username: YOUR_KEY). You can obtain an "
    "API key from https://platform.openai.com/account/api-keys."
)
BAD_KEY = ("Incorrect API key provided: {}. You can find your API key at "
           "https://platform.openai.com/account/api-keys.")
BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
    "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
    "valid JSON. If you have trouble figuring out how to fix this, please contact us through our "
    "help center at help.openai.com.)"
)
RATE_LIMITED = ("Rate limit reached for requests. Please try again in 1s. Visit "
                "https://platform.openai.com/account/rate-limits to learn more.")
SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"

_EXPECTED = {
    "string_type": "a string", "int_type": "an integer", "int_from_float": "an integer",
    "float_type": "a decimal", "bool_type": "a boolean", "list_type": "an array",
    "dict_type": "an object", "model_type": "an object", "model_attributes_type": "an object",
}


class OpenAIError(Exception):
    """An error answered with OpenAI's body ``{"error": {"message", "type", "param", "code"}}``."""

    def __init__(self, status: int, message: str, type: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = {"message": message, "type": type, "param": param, "code": code}

    def response(self) -> web.Response:
        return web.json_response({"error": self.error}, status=self.status)


def create_app(api_keys: set[str] | None = None) -> web.Application:
    """The emulator application. ``api_keys``: the Bearer keys accepted; None or empty accepts
    any non-empty key. Recorded requests are in ``app[REQUESTS]``."""
    app = web.Application(middlewares=[_v1_middleware])
    app[REQUESTS] = []
    app[API_KEYS] = frozenset(api_keys or ())
    app.on_response_prepare.append(_add_request_id)
    app.router.add_post("/v1/realtime/client_secrets", create_client_secret)
    app.router.add_post("/v1/realtime/sessions", create_session)
    app.router.add_post("/v1/realtime/transcription_sessions", create_transcription_session)
    app.router.add_route("*", "/v1/{tail:.*}", invalid_url)
    app.router.add_get("/__emulator/requests", list_requests)
    app.router.add_delete("/__emulator/requests", clear_requests)
    return app


# --- middleware ------------------------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _v1_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Records ``/v1/...`` requests, applies the ``x-emulator-*`` headers, and turns
    :class:`OpenAIError` into its response."""
    if not request.path.startswith("/v1/"):
        return await handler(request)
    request.app[REQUESTS].append(await _record(request))
    try:
        await _apply_test_headers(request)
        return await handler(request)
    except OpenAIError as exc:
        return exc.response()


async def _add_request_id(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["x-request-id"] = f"req_{secrets.token_hex(16)}"


async def _record(request: web.Request) -> dict[str, Any]:
    raw = (await request.read()).decode("utf-8", errors="replace")
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    return {
        "method": request.method,
        "path": request.path,
        "query": dict(request.query),
        "headers": {name.lower(): value for name, value in request.headers.items()},
        "body_raw": raw,
        "body": body,
    }


async def _apply_test_headers(request: web.Request) -> None:
    delay = request.headers.get("x-emulator-delay")
    if delay is not None:
        try:
            seconds = float(delay)
        except ValueError:
            raise OpenAIError(400, f"Invalid x-emulator-delay header: {delay!r} is not a number.") from None
        await asyncio.sleep(seconds)
    status = request.headers.get("x-emulator-status")
    if status is None:
        return
    if status == "429":
        raise OpenAIError(429, RATE_LIMITED, type="requests", code="rate_limit_exceeded")
    if status.isdigit() and 500 <= int(status) <= 599:
        raise OpenAIError(int(status), SERVER_ERROR, type="server_error")
    raise OpenAIError(400, f"Invalid x-emulator-status header: {status!r}; use 429 or 500..599.")


# --- authentication and validation -----------------------------------------------------------

def _authenticate(request: web.Request) -> None:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise OpenAIError(401, NO_KEY)
    accepted = request.app[API_KEYS]
    if accepted and key not in accepted:
        raise OpenAIError(401, BAD_KEY.format(mask_key(key)), code="invalid_api_key")


def mask_key(key: str) -> str:
    """A key as OpenAI's errors show it: the first 3 and last 4 characters with ``*`` between;
    keys of 8 characters or fewer unchanged."""
    if len(key) <= 8:
        return key
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


async def _validated(request: web.Request, model: type[M]) -> M:
    raw = await request.text()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise OpenAIError(400, BAD_JSON) from None
    try:
        return model.model_validate(body, strict=True)
    except ValidationError as exc:
        raise _invalid(exc, body) from None


def _invalid(exc: ValidationError, body: Any) -> OpenAIError:
    """The one error OpenAI would report for ``exc``: the first, or the most specific of the
    alternatives a union reported for the same parameter."""
    errors = [(_param(e, body), e) for e in exc.errors()]
    first = errors[0][0]
    related = [(p, e) for p, e in errors if p == first or p.startswith((first + ".", first + "["))]
    param, error = max(related, key=lambda pe: len(pe[0]))
    return _describe(param or None, error)


def _param(error: Any, body: Any) -> str:
    """The dotted parameter (``session.tools[0].name``; "" for the body itself) of a pydantic
    error, found by walking the request body along its ``loc``; union member tags are skipped."""
    path, value, loc = "", body, error["loc"]
    for i, segment in enumerate(loc):
        if isinstance(value, dict) and segment in value:
            value = value[segment]
        elif isinstance(value, list) and isinstance(segment, int) and segment < len(value):
            value = value[segment]
        elif not (i == len(loc) - 1 and error["type"] == "missing"):
            continue
        path += f"[{segment}]" if isinstance(segment, int) else f".{segment}" if path else segment
    return path


def _describe(param: str | None, error: Any) -> OpenAIError:
    kind, value = error["type"], error["input"]
    where = f"'{param}'" if param else "the request body"
    if kind == "missing":
        return OpenAIError(400, f"Missing required parameter: {where}.", param=param,
                           code="missing_required_parameter")
    if kind == "extra_forbidden":
        return OpenAIError(400, f"Unknown parameter: {where}.", param=param, code="unknown_parameter")
    if kind.startswith("union_tag") and isinstance(value, dict):  # a bad or missing "type"
        param = f"{param}.type" if param else "type"
        if "type" not in value:
            return _describe(param, {"type": "missing", "input": value})
        return OpenAIError(400, f"Invalid value for '{param}': {_show(value['type'])}. Supported "
                           f"values are: {error['ctx']['expected_tags']}.", param=param,
                           code="invalid_value")
    if kind in _EXPECTED or kind.startswith("union_tag"):
        expected = _EXPECTED.get(kind, "an object")
        return OpenAIError(400, f"Invalid type for {where}: expected {expected}, but got "
                           f"{_json_type(value)} instead.", param=param, code="invalid_type")
    detail = error["msg"][:1].lower() + error["msg"][1:]
    return OpenAIError(400, f"Invalid value for {where}: {detail}, but got {_show(value)} instead.",
                       param=param, code="invalid_value")


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else json.dumps(value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    for kind, name in ((bool, "a boolean"), (int, "an integer"), (float, "a decimal"),
                       (str, "a string"), (list, "an array")):
        if isinstance(value, kind):
            return name
    return "an object"


# --- handlers --------------------------------------------------------------------------------

async def create_client_secret(request: web.Request) -> web.Response:
    """``POST /v1/realtime/client_secrets``: an ephemeral key and the session it opens, the
    session being the request's merged over OpenAI's defaults."""
    _authenticate(request)
    params = await _validated(request, ClientSecretCreateRequest)
    session = params.session
    fields = {"id": _session_id(), **dict(session)}
    response = ClientSecretCreateResponse(
        value=f"ek_emulator_{secrets.token_hex(16)}",
        expires_at=int(time.time()) + params.expires_after.seconds,
        session=RealtimeSessionCreateResponse(**fields)
        if isinstance(session, RealtimeSessionCreateRequest)
        else RealtimeTranscriptionSessionCreateResponse(**fields),
    )
    return web.json_response(response.model_dump(mode="json"))


async def create_session(request: web.Request) -> web.Response:
    """``POST /v1/realtime/sessions`` (legacy): the session with a one-minute ``client_secret``."""
    _authenticate(request)
    params = await _validated(request, LegacySessionRequest)
    return _legacy_session("realtime.session", params)


async def create_transcription_session(request: web.Request) -> web.Response:
    """``POST /v1/realtime/transcription_sessions`` (legacy): as :func:`create_session`."""
    _authenticate(request)
    params = await _validated(request, LegacyTranscriptionSessionRequest)
    return _legacy_session("realtime.transcription_session", params)


def _legacy_session(object_: str, params: BaseModel) -> web.Response:
    secret = RealtimeSessionClientSecret(value=f"ek_emulator_{secrets.token_hex(16)}",
                                         expires_at=int(time.time()) + LEGACY_SECRET_TTL)
    return web.json_response({"id": _session_id(), "object": object_, **params.model_dump(mode="json"),
                              "client_secret": secret.model_dump()})


async def invalid_url(request: web.Request) -> web.Response:
    """Any other ``/v1/...`` request: 404 as OpenAI answers it."""
    raise OpenAIError(404, f"Invalid URL ({request.method} {request.path})")


async def list_requests(request: web.Request) -> web.Response:
    """``GET /__emulator/requests``: the recorded ``/v1/...`` requests, oldest first."""
    return web.json_response(request.app[REQUESTS])


async def clear_requests(request: web.Request) -> web.Response:
    """``DELETE /__emulator/requests``: forgets the recorded requests; 204."""
    request.app[REQUESTS].clear()
    return web.Response(status=204)


def _session_id() -> str:
    return f"sess_{secrets.token_hex(12)}"
