"""The Realtime REST endpoints: client secrets and the legacy session endpoints.

- ``POST /v1/realtime/client_secrets`` -- ``{"expires_after"?, "session"?}`` validated as OpenAI's
  API does; answers ``{"value": "ek_emulator_<hex>", "expires_at", "session"}``.
- ``POST /v1/realtime/sessions`` and ``/v1/realtime/transcription_sessions`` -- the legacy flat
  session configurations; answer the session object with ``client_secret: {value, expires_at}``.
"""
from __future__ import annotations

import secrets
import time

from aiohttp import web
from pydantic import BaseModel

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
from .validation import authenticate, validated

LEGACY_SECRET_TTL = 60


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/realtime/client_secrets", create_client_secret)
    app.router.add_post("/v1/realtime/sessions", create_session)
    app.router.add_post("/v1/realtime/transcription_sessions", create_transcription_session)


async def create_client_secret(request: web.Request) -> web.Response:
    """``POST /v1/realtime/client_secrets``: an ephemeral key and the session it opens, the
    session being the request's merged over OpenAI's defaults."""
    authenticate(request)
    params = await validated(request, ClientSecretCreateRequest)
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
    authenticate(request)
    params = await validated(request, LegacySessionRequest)
    return _legacy_session("realtime.session", params)


async def create_transcription_session(request: web.Request) -> web.Response:
    """``POST /v1/realtime/transcription_sessions`` (legacy): as :func:`create_session`."""
    authenticate(request)
    params = await validated(request, LegacyTranscriptionSessionRequest)
    return _legacy_session("realtime.transcription_session", params)


def _legacy_session(object_: str, params: BaseModel) -> web.Response:
    secret = RealtimeSessionClientSecret(value=f"ek_emulator_{secrets.token_hex(16)}",
                                         expires_at=int(time.time()) + LEGACY_SECRET_TTL)
    return web.json_response({"id": _session_id(), "object": object_, **params.model_dump(mode="json"),
                              "client_secret": secret.model_dump()})


def _session_id() -> str:
    return f"sess_{secrets.token_hex(12)}"
