"""A local imitation of OpenAI's API for the endpoints FlowRed's "OpenAI API" node calls, so flows
and tests run offline with the real ``openai`` SDK pointed at it::

    emu = await start_emulator(api_keys={"sk-test"})
    client = openai.AsyncOpenAI(base_url=emu.base_url, api_key="sk-test")
    secret = await client.realtime.client_secrets.create(session={"type": "realtime"})
    await emu.stop()

It answers realtime client secrets and the legacy realtime session endpoints, chat completions
and responses (JSON or SSE streams, echoing the user's text), embeddings, moderations, models,
image generation and edits, audio (speech as real silent mp3/wav/pcm, transcriptions and
translations), and, kept in memory per emulator, files, vector stores (files, file batches,
search), assistants/threads/messages/runs, conversations, ChatKit sessions and threads,
fine-tuning jobs, batches and videos, with OpenAI's shapes, status codes and error bodies,
validating request bodies with pydantic; it records every ``/v1/...`` request and injects faults on demand (429
with ``retry-after``, 5xx, slow answers, dropped connections), by request header or with
:meth:`Emulator.fail`. See :mod:`openai_emulator.app` and :mod:`openai_emulator.faults`.
``python -m openai_emulator`` runs it standalone.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from .app import FAULTS, REQUESTS, create_app
from .faults import Fault

__all__ = ["REQUESTS", "Emulator", "Fault", "create_app", "start_emulator"]


class Emulator:
    """A running emulator.

    ``base_url`` is the SDK's ``base_url`` (``http://HOST:PORT/v1``), ``port`` the bound TCP port,
    and ``requests`` the live list of recorded ``/v1/...`` requests (each ``{"method", "path",
    "query", "headers", "body_raw", "body"}``, the last ``MAX_REQUESTS``), the same list the
    application appends to.
    """

    def __init__(self, runner: web.AppRunner, host: str, port: int) -> None:
        self._runner = runner
        self.port = port
        self.base_url = f"http://{host}:{port}/v1"
        self.requests: list[dict[str, Any]] = runner.app[REQUESTS]

    def fail(self, status: int | str | None = None, *, times: int = 1, delay: float = 0.0,
             retry_after: float | None = None, path: str = "") -> Fault:
        """Makes the next ``times`` requests whose path ends with ``path`` fail: ``status`` 429
        (with ``retry-after`` = ``retry_after`` seconds, default 1), 500..599, or ``"drop"`` (the
        connection closes unanswered); ``delay`` seconds before answering (alone: a slow
        answer). ValueError for another status, a negative delay or ``times`` < 1."""
        return self._runner.app[FAULTS].add(status=status, times=times, delay=delay, retry_after=retry_after,
                                            path=path)

    async def stop(self) -> None:
        """Closes the listening socket and any open connections."""
        await self._runner.cleanup()


async def start_emulator(host: str = "127.0.0.1", port: int = 0,
                         api_keys: set[str] | None = None) -> Emulator:
    """Serves the emulator on ``host:port`` (port 0: a free port) until ``stop()``.

    ``api_keys``: the Bearer keys accepted, others get OpenAI's 401 ``invalid_api_key``; None or
    empty accepts any non-empty key. Raises OSError when the address cannot be bound.
    """
    runner = web.AppRunner(create_app(api_keys), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    return Emulator(runner, host, runner.addresses[0][1])
