"""Loading the ``openai`` SDK without stalling the event loop.

Importing ``openai`` (and its aiohttp transport and stream helpers) takes about a second of
CPU. :func:`preload` starts that import on a daemon thread when a flow with an OpenAI API node
starts; :func:`ready` is awaited before each call and waits for that thread (or runs the
import on a worker thread itself) so the loop keeps serving HTTP and websocket clients while
the SDK loads. Errors of the import are raised by :func:`ready`.
"""
from __future__ import annotations

import asyncio
import importlib
import threading

MODULES = ("openai", "openai.lib.streaming.chat", "openai._base_client")

_lock = threading.Lock()
_done = threading.Event()
_thread: threading.Thread | None = None


def _load() -> None:
    try:
        for name in MODULES:
            importlib.import_module(name)
    finally:
        _done.set()


def preload() -> None:
    """Starts importing the SDK on a background thread, once per process."""
    global _thread
    with _lock:
        if _thread is None and not _done.is_set():
            _thread = threading.Thread(target=_load, name="openai-sdk-import", daemon=True)
            _thread.start()


async def ready() -> None:
    """Returns once the SDK is imported; the import runs off the event loop. Raises the
    import's error (e.g. ImportError) when it failed."""
    if not _done.is_set():
        preload()
        await asyncio.to_thread(_done.wait)
    for name in MODULES:
        importlib.import_module(name)  # cached after a good load; re-raises a failed one
