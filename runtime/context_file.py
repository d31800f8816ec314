"""Node-RED's ``localfilesystem`` context store: context kept in JSON files under the user
directory, cached in memory and written back every ``flushInterval`` seconds.

As @node-red/runtime/lib/nodes/context/localfilesystem.js, the layout is
``<dir>/global/global.json`` for global context, ``<dir>/<flow id>/flow.json`` for a flow and
``<dir>/<flow id>/<node id>.json`` for a node, so a Node-RED context folder can be used as it
is. Files are written atomically (temporary file, then rename); a file that does not parse is
reported once and treated as empty, never fatal.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any

from .context import MemoryStore

__all__ = ["LocalFileSystemStore"]

logger = logging.getLogger("flowred")


class LocalFileSystemStore(MemoryStore):
    """A MemoryStore whose scopes are loaded from and flushed to JSON files.

    ``directory``: the context folder (Node-RED: ``<userDir>/context``); ``flush_interval``:
    seconds between writes of changed scopes (Node-RED's default 30). Call ``open()`` once the
    event loop runs and ``close()`` at shutdown (it writes what is pending).
    """

    def __init__(self, directory: Path, flush_interval: float = 30.0) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.flush_interval = flush_interval
        self._dirty: set[str] = set()
        self._task: asyncio.Task | None = None

    def open(self) -> None:
        """Read every context file into memory and start the flush timer. Pending writes are
        flushed first, so opening again (a ``reload`` deploy) loses none of them."""
        if self._dirty:
            self.flush()
        if self.directory.is_dir():
            for folder in self.directory.iterdir():
                if not folder.is_dir():
                    continue
                for file in folder.glob("*.json"):
                    scope = self._scope_of(folder.name, file.stem)
                    try:
                        data = json.loads(file.read_text("utf-8") or "{}")
                    except (OSError, ValueError) as exc:
                        logger.error(f"Context file {file} is not valid JSON and is ignored: {exc}")
                        continue
                    if isinstance(data, dict):
                        self._data[scope] = data
        if self.flush_interval > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._flush_loop())

    async def close(self) -> None:
        """Stop the timer and write every changed scope."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.flush()

    def set(self, scope: str, key: str, value: Any) -> None:
        super().set(scope, key, value)
        self._dirty.add(scope)
        if self.flush_interval <= 0:
            self.flush()

    def delete_scope(self, scope: str) -> None:
        super().delete_scope(scope)
        path = self._path_of(scope)
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        self._dirty.discard(scope)

    def flush(self) -> None:
        """Write the scopes changed since the last flush."""
        dirty, self._dirty = self._dirty, set()
        for scope in dirty:
            path = self._path_of(scope)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".json.tmp")
            try:
                tmp.write_text(json.dumps(self._data.get(scope, {}), indent=4, ensure_ascii=False,
                                          default=_json_default), "utf-8")
                os.replace(tmp, path)
            except (OSError, TypeError, ValueError) as exc:
                logger.error(f"Cannot write context file {path}: {exc}")

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            if self._dirty:
                self.flush()

    def _path_of(self, scope: str) -> Path:
        if scope == "global":
            return self.directory / "global" / "global.json"
        node, _, flow = scope.partition(":")
        if not flow:
            return self.directory / scope / "flow.json"
        return self.directory / flow / f"{node}.json"

    @staticmethod
    def _scope_of(folder: str, stem: str) -> str:
        if folder == "global" and stem == "global":
            return "global"
        if stem == "flow":
            return folder
        return f"{stem}:{folder}"


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {"type": "Buffer", "data": list(value)}
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
