"""The OpenAI API node's methods: method name (the package's) → the SDK call that serves it.

Each method takes ``(client, request)`` and returns JSON-ready data. As the package's
src/<area>/methods.js, with the Python SDK.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from openai import AsyncOpenAI

from runtime import NodeError

Method = Callable[[AsyncOpenAI, Any], Awaitable[Any]]


def _require_object(name: str, request: Any) -> dict:
    if not isinstance(request, dict):
        kind = "nothing" if request is None or request.__class__.__name__ == "_Undefined" else type(request).__name__
        raise NodeError(f"{name}: the request must be an object, got {kind}")
    return request


async def create_realtime_client_secret(client: AsyncOpenAI, request: Any) -> Any:
    """``POST /realtime/client_secrets`` with the request passed through unchanged: no defaults
    added, unknown keys forwarded, model ids not rewritten (as the package's
    src/realtime/methods.js). Returns ``{value, expires_at, session}`` as OpenAI sent it."""
    body = _require_object("createRealtimeClientSecret", request)
    return await client.post("/realtime/client_secrets", body=body, cast_to=object)


METHODS: dict[str, Method] = {
    "createRealtimeClientSecret": create_realtime_client_secret,
}
