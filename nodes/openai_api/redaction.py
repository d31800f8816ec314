"""Keeping API keys out of every error, status and log line.

Service Hosts register each key they use with :func:`protect`. :func:`redact` replaces them in
a text, and :class:`RedactingFilter`, installed on the loggers of the SDK and its HTTP
transport, does the same for their log records: httpx2 logs each request URL at INFO level,
and with the Service Host's "key in query" mode that URL holds the key.
"""
from __future__ import annotations

import logging
from typing import Any

MASK = "[redacted]"
_KEYS: dict[str, None] = {}   # insertion-ordered set of the keys in use, newest last
_MAX_KEYS = 256
SDK_LOGGERS = ("openai", "openai._base_client", "httpx2", "httpx", "aiohttp.client")


def protect(key: str) -> None:
    """Remember ``key`` (an API key) as a secret to redact; the oldest of more than 256 is
    forgotten."""
    if not key or key in _KEYS:
        return
    _KEYS[key] = None
    if len(_KEYS) > _MAX_KEYS:
        del _KEYS[next(iter(_KEYS))]


def redact(text: str) -> str:
    """``text`` with every protected key replaced by ``[redacted]``."""
    for key in _KEYS:
        if key in text:
            text = text.replace(key, MASK)
    return text


def redact_value(value: Any) -> Any:
    """A str redacted; other values unchanged."""
    return redact(value) if isinstance(value, str) else value


class RedactingFilter(logging.Filter):
    """Rewrites a record whose message holds a protected key (message formatted, args dropped)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _KEYS:
            message = record.getMessage()
            clean = redact(message)
            if clean != message:
                record.msg, record.args = clean, ()
        return True


_FILTER = RedactingFilter()
for _name in SDK_LOGGERS:
    logging.getLogger(_name).addFilter(_FILTER)
