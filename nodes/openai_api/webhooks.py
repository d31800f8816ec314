"""``unwrapWebhookEvent`` with the package's ``tolerance``.

openai-node's ``webhooks.unwrap(payload, headers, secret, tolerance)`` verifies the signature
with ``tolerance`` (the largest age of the webhook, in seconds; 300 by default) and parses the
payload. openai-python's ``webhooks.unwrap`` has no ``tolerance`` (it always verifies with 300),
so a request that gives one is verified with ``webhooks.verify_signature(..., tolerance=...)``
and the payload parsed here, as openai-node does.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openai import AsyncOpenAI


def unwrap_with_tolerance(client: AsyncOpenAI, kwargs: dict[str, Any]) -> Any:
    """The webhook event of ``kwargs["payload"]`` (str or bytes of JSON) as a dict, after
    verifying its ``headers`` with ``secret`` (or the client's) and ``tolerance`` seconds.
    Raises the SDK's ``InvalidWebhookSignatureError`` for a bad or too old signature,
    ``ValueError`` without a secret, and ``json.JSONDecodeError`` for a payload that is not JSON."""
    payload = kwargs["payload"]
    client.webhooks.verify_signature(payload, kwargs["headers"], secret=kwargs.get("secret"),
                                     tolerance=kwargs["tolerance"])
    return json.loads(payload.decode("utf-8") if isinstance(payload, (bytes, bytearray)) else payload)
