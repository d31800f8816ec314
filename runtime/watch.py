"""Reloading the flows when the flow file changes on disk (``watchFlowFile``), with watchfiles.

An edit made outside FlowRed (an editor, ``git pull``) is deployed as a full deploy; a file
FlowRed wrote itself is recognised by its content and ignored. A file that does not parse or
validate is reported — logged and published as ``notification/flow-file-error``
``{type: "error", text}`` — and the running flows stay as they are.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from .loader import FlowFileError, FlowValidationError
from .log import logger

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["watch_flow_file"]


async def watch_flow_file(engine: "Engine") -> None:
    """Watch ``engine.storage.flow_file`` until cancelled, reloading the flows on each change."""
    from watchfiles import awatch

    storage = engine.storage
    path = Path(storage.flow_file).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    async for _changes in awatch(path.parent, watch_filter=lambda _c, p: Path(p) == path,
                                 debounce=300, step=50):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue  # removed or being replaced: the next event has the new file
        if text == storage.last_text:
            continue
        await _reload(engine, text)


async def _reload(engine: "Engine", text: str) -> None:
    from .loader import parse_flow_text

    where = str(engine.storage.flow_file)
    try:
        nodes = parse_flow_text(text, where)
        await engine.deploy(nodes, save=False)
    except (FlowFileError, FlowValidationError) as exc:
        message = f"The flow file changed but was not loaded: {exc}"
        logger.error(message)
        engine.events.publish("notification/flow-file-error", {"type": "error", "text": message})
        return
    except asyncio.CancelledError:
        raise
    engine.storage.last_text = text
    logger.info(f"Reloaded flows from {where}")
