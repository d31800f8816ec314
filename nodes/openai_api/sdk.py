"""Loading the ``openai`` SDK without stalling the event loop.

Importing ``openai`` (and its aiohttp transport and stream helpers) takes about a second of
CPU. :func:`preload` starts that import on a daemon thread when a flow with an OpenAI API node
starts; :func:`ready` is awaited before each call and waits for that thread (or runs the
import on a worker thread itself) so the loop keeps serving HTTP and websocket clients while
the SDK loads. Errors of the import are raised by :func:`ready`, and so is an installed SDK
older than :data:`FLOOR` (:class:`SdkTooOld`).
"""
from __future__ import annotations

import asyncio
import importlib
import re
import threading

from flowred import NodeError

MODULES = ("openai", "openai.lib.streaming.chat", "openai._base_client")
FLOOR = (2, 27, 0)
"""The oldest openai-python with every SDK method of the method table (catalog.py): 2.27.0
added ``videos.create_character``, ``get_character``, ``edit`` and ``extend``; ``skills``
came in 2.19.0, ``beta.chatkit`` in 2.2.0, ``realtime.calls`` in 2.1.0. Keep pyproject.toml's
``openai`` requirement at this floor."""


class SdkTooOld(NodeError):
    """The installed ``openai`` package is older than FLOOR; the message names both versions
    and the pip command that fixes it."""


def check_version(version: str) -> None:
    """Raises SdkTooOld when ``version`` (``openai.__version__``, e.g. ``"2.20.0"``) is older
    than FLOOR or cannot be read."""
    numbers = tuple(int(n) for n in re.findall(r"\d+", version.split("+")[0].split("-")[0])[:3])
    if len(numbers) == 3 and numbers >= FLOOR:
        return
    floor = ".".join(map(str, FLOOR))
    raise SdkTooOld(f"The OpenAI API node needs the openai package >= {floor}, but {version or 'an unknown version'} "
                    f"is installed: pip install -U 'openai[aiohttp]>={floor}'",
                    type="invalid_request", code="sdk_too_old")


def _import_all() -> None:
    """Import the SDK modules, checking the version as soon as ``openai`` itself is in."""
    openai = importlib.import_module(MODULES[0])
    check_version(str(getattr(openai, "__version__", "")))
    for name in MODULES[1:]:
        importlib.import_module(name)

_lock = threading.Lock()
_done = threading.Event()
_thread: threading.Thread | None = None
_ready = False  # set once a call found the SDK imported and recent enough


def _load() -> None:
    try:
        _import_all()
    except Exception:  # ready() raises it again for the caller
        pass
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
    import's error (e.g. ImportError) when it failed, SdkTooOld when the installed SDK is
    older than FLOOR."""
    global _ready
    if _ready:
        return
    if not _done.is_set():
        preload()
        await asyncio.to_thread(_done.wait)
    _import_all()  # raises again what failed
    _ready = True
