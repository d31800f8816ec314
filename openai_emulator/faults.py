"""Fault injection: make the emulator answer like a struggling OpenAI, so retries and timeouts
are tested for real.

A fault is asked for per request with headers, or queued ahead with :meth:`Faults.add` (the
``Emulator.fail`` option, or ``POST /__emulator/faults`` with the same fields as JSON):

- ``x-emulator-delay: <seconds>`` / ``delay``: wait that long before answering (a slow answer).
- ``x-emulator-status: 429`` / ``status=429``: OpenAI's rate-limit error (type ``requests``,
  code ``rate_limit_exceeded``), with ``retry-after`` (seconds) and ``retry-after-ms`` headers.
- ``x-emulator-status: 500..599``: OpenAI's ``server_error``.
- ``x-emulator-status: drop`` / ``status="drop"``: close the connection without an answer.
- ``x-emulator-retry-after: <seconds>`` / ``retry_after``: the delay the 429/5xx answer asks for
  (default 1 s for 429, none for 5xx; the SDK then backs off 0.5 s, 1 s, ...).

A queued fault applies to the next ``times`` requests whose path ends with ``path`` (any path
when empty), then is used up. Headers win over queued faults.
"""
from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import OpenAIError

RATE_LIMITED = ("Rate limit reached for requests. Please try again in 1s. Visit "
                "https://platform.openai.com/account/rate-limits to learn more.")
SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"


class DroppedConnection(Exception):
    """Raised to close the connection without answering."""


@dataclass
class Fault:
    """One queued fault; see the module docstring for the fields."""

    status: int | str | None = None
    delay: float = 0.0
    retry_after: float | None = None
    times: int = 1
    path: str = ""

    def __post_init__(self) -> None:
        if self.status is not None and self.status != "drop":
            self.status = int(self.status)
            if not (self.status == 429 or 500 <= self.status <= 599):
                raise ValueError(f"status must be 429, 500..599 or 'drop', got {self.status}")
        if self.times < 1 or self.delay < 0:
            raise ValueError("times must be >= 1 and delay >= 0")


class Faults:
    """The queue of faults of one emulator."""

    def __init__(self) -> None:
        self.queue: list[Fault] = []

    def add(self, **fields: Any) -> Fault:
        """Queues ``Fault(**fields)``; ValueError for a bad status, delay or count."""
        fault = Fault(**fields)
        self.queue.append(fault)
        return fault

    def clear(self) -> None:
        self.queue.clear()

    def take(self, path: str) -> Fault | None:
        """The first queued fault matching ``path``, counted down (removed when used up)."""
        for fault in self.queue:
            if path.endswith(fault.path):
                fault.times -= 1
                if fault.times == 0:
                    self.queue.remove(fault)
                return fault
        return None


def from_headers(request: web.Request) -> Fault | None:
    """The fault the ``x-emulator-*`` headers ask for, or None. OpenAIError 400 for bad values."""
    headers = request.headers
    names = ("x-emulator-delay", "x-emulator-status", "x-emulator-retry-after")
    if not any(name in headers for name in names):
        return None
    try:
        delay = _seconds(headers.get("x-emulator-delay"), "x-emulator-delay") or 0.0
        retry_after = _seconds(headers.get("x-emulator-retry-after"), "x-emulator-retry-after")
        status = headers.get("x-emulator-status")
        return Fault(status=status if status in (None, "drop") or not status.isdigit() else int(status),
                     delay=delay, retry_after=retry_after)
    except ValueError:
        raise OpenAIError(400, f"Invalid x-emulator-status header: {headers.get('x-emulator-status')!r}; "
                          f"use 429, 500..599 or drop.") from None


def _seconds(value: str | None, header: str) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise OpenAIError(400, f"Invalid {header} header: {value!r} is not a number.") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise OpenAIError(400, f"Invalid {header} header: {value!r} is not a number.")
    return seconds


async def apply(fault: Fault) -> None:
    """Waits the fault's delay, then raises its error (OpenAIError or DroppedConnection)."""
    if fault.delay:
        await asyncio.sleep(fault.delay)
    if fault.status is None:
        return
    if fault.status == "drop":
        raise DroppedConnection()
    retry_after = fault.retry_after if fault.retry_after is not None else (1.0 if fault.status == 429 else None)
    headers = {}
    if retry_after is not None:
        headers = {"retry-after": str(math.ceil(retry_after)), "retry-after-ms": str(int(retry_after * 1000))}
    if fault.status == 429:
        raise OpenAIError(429, RATE_LIMITED, type="requests", code="rate_limit_exceeded", headers=headers)
    raise OpenAIError(int(fault.status), SERVER_ERROR, type="server_error", headers=headers)
