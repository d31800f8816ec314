"""Reloading the flows when the flow file changes on disk (``watchFlowFile``), with watchfiles.

An edit made outside FlowRed (an editor, ``git pull``) is deployed as a full deploy; a file
FlowRed wrote itself is recognised by its content and ignored. A file that does not parse or
validate is reported — logged and published as ``notification/flow-file-error``
``{type: "error", text}`` — and the running flows stay as they are; the watcher keeps watching.

An empty (0-byte or blank) file is not "delete every flow": editors truncate before they
write, so it is read again a few times over ``EMPTY_WAIT`` seconds, and a file that stays
empty is reported and not deployed. Valid JSON ``[]`` is a real empty flow set and is
deployed. Invalid UTF-8 is reported with its byte offset.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from .loader import FlowFileError, FlowValidationError
from .log import logger

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["watch_flow_file", "EMPTY_WAIT"]

EMPTY_WAIT = 1.0
"""Seconds an empty flow file is given to get its content (reread every 0.1 s)."""


async def watch_flow_file(engine: "Engine") -> None:
    """Watch ``engine.storage.flow_file`` until cancelled, reloading the flows on each change."""
    from watchfiles import awatch

    storage = engine.storage
    path = Path(storage.flow_file).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    async for _changes in awatch(path.parent, watch_filter=lambda _c, p: Path(p) == path,
                                 debounce=300, step=50):
        try:
            text = await _read_settled(path)
        except OSError:
            continue  # removed or being replaced: the next event has the new file
        except FlowFileError as exc:
            _report(engine, str(exc))
            continue
        if text == storage.last_text:
            continue
        if not text.strip():
            _report(engine, f"{path}: the file is empty (a partial write?), so it is not deployed as an empty "
                            "flow set; write [] to remove every flow")
            continue
        await _reload(engine, text)


async def _read_settled(path: Path) -> str:
    """The file's text, reread while it is empty for up to EMPTY_WAIT seconds. Raises OSError,
    or FlowFileError for invalid UTF-8."""
    from .storage import read_flow_text

    loop = asyncio.get_running_loop()
    end = loop.time() + EMPTY_WAIT
    while True:
        text = read_flow_text(path)
        if text.strip() or loop.time() >= end:
            return text
        await asyncio.sleep(0.1)


def _report(engine: "Engine", reason: str) -> None:
    message = f"The flow file changed but was not loaded: {reason}"
    logger.error(message)
    engine.events.publish("notification/flow-file-error", {"type": "error", "text": message})


async def _reload(engine: "Engine", text: str) -> None:
    from .loader import parse_flow_text

    where = str(engine.storage.flow_file)
    try:
        nodes = parse_flow_text(text, where)
        await engine.deploy(nodes, save=False)
    except (FlowFileError, FlowValidationError) as exc:
        _report(engine, str(exc))
        return
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # the watcher keeps watching whatever a deploy raises
        _report(engine, f"{type(exc).__name__}: {exc}")
        return
    engine.storage.last_text = text
    logger.info(f"Reloaded flows from {where}")
