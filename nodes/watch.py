"""The ``watch`` node: sends a msg when a watched file or directory changes.

As Node-RED's watch node (nodes/core/storage/23-watch.js, 23-watch.html), which uses
node-watch; here the ``watchfiles`` library.
"""
from __future__ import annotations

import asyncio
import json
import os
import stat as _stat

from pydantic import Field

from flowred import Node, NodeConfig, register
from flowred.fields import OrDefault, Text, TruthyFlag
from flowred.nodes.common import JSError, LeaderGate, RunOn

__all__ = ["WatchConfig", "WatchNode"]

DEBOUNCE_MS = 200
"""Changes to one path within this time give one msg (node-watch's default ``delay``)."""


class WatchConfig(NodeConfig):
    """watch node settings (Node-RED's defaults).

    ``files``: comma-separated files or directories (``~`` is the home directory; relative
    names are relative to the working directory). ``recursive``: also watch the directories
    below a watched directory. ``filesType`` is kept for newer editors; only ``str`` (the
    list above) is supported.
    """

    files: Text = ""
    recursive: TruthyFlag = False
    filesType: Text = "str"
    runOn: OrDefault[RunOn] = Field("leader", title="Run on", description=(
        "In a cluster (flowred run --cluster): run on the leader only (default: a shared folder watched by "
        "every worker would send each change once per worker) or on every worker (each watches its own disk)."))


def _file_type(st: os.stat_result | None) -> str:
    if st is None:
        return "none"
    mode = st.st_mode
    if _stat.S_ISREG(mode):
        return "file"
    if _stat.S_ISBLK(mode):
        return "blockdevice"
    if _stat.S_ISCHR(mode):
        return "characterdevice"
    if _stat.S_ISSOCK(mode):
        return "socket"
    if _stat.S_ISFIFO(mode):
        return "fifo"
    if _stat.S_ISDIR(mode):
        return "directory"
    return "n/a"


@register("watch", category="storage", color="BurlyWood", inputs=0, outputs=1, icon="watch.svg")
class WatchNode(Node):
    """Watches files and directories and sends a msg for each change; as Node-RED's watch
    node (23-watch.js).

    *Files*: a comma-separated list of files or directories. A watched directory reports the
    changes of its entries (with *recursive*, of everything below it). Each change sends::

        {payload: <path>, topic: <the watched name, or the JSON array of names when several>,
         file: <base name>, filename: <path>, size: <bytes, files only>,
         type: "file" | "directory" | "socket" | "fifo" | "blockdevice" |
               "characterdevice" | "n/a" | "none" (it no longer exists),
         event: "update" (created or changed) | "remove" (deleted)}

    ``<path>`` is the watched name (``~`` expanded) joined with the entry's path below it.
    Changes to one path within 200 ms give one msg with the latest state (as node-watch's
    delay); a file deleted and created again within that time gives one ``update``.

    Errors (no msg is sent; catch nodes get ``{payload: ""}``): a name that does not exist,
    the Error ``<name> does not exist.`` (logged as ``Error: <name> does not exist.``, shown in
    the debug sidebar as an Error object); a failing watcher, its error text.
    """

    Config = WatchConfig

    def __init__(self, config: WatchConfig, flow) -> None:
        super().__init__(config, flow)
        names = [f.strip() for f in config.files.split(",")]
        self.topic = names[0] if len(names) == 1 else json.dumps(names, separators=(",", ":"),
                                                                 ensure_ascii=False)
        self.names = names
        self.recursive = config.recursive
        self._stop = asyncio.Event()
        self._watchers: list[asyncio.Task] = []
        # absolute path -> name shown, for watched files and watched directories
        self._files: dict[str, str] = {}
        self._dirs: dict[str, str] = {}

    def start(self) -> None:
        self._gate = LeaderGate(self, self.config.runOn, self._start_input, self._stop_input)

    def _start_input(self) -> None:
        self._stop = asyncio.Event()
        self._files.clear()
        self._dirs.clear()
        roots_flat: set[str] = set()
        roots_deep: set[str] = set()
        loop = asyncio.get_running_loop()
        for name in self.names:
            shown = os.path.expanduser(name)
            path = os.path.abspath(shown)
            if not name or not os.path.exists(path):
                # reported once the flows have started, as node-watch reports it
                loop.call_soon(self.error, _missing(name), {"payload": ""})
                continue
            if os.path.isdir(path):
                self._dirs[path] = shown
                (roots_deep if self.recursive else roots_flat).add(path)
            else:
                # a file is watched through its directory, so that it is seen again after
                # being deleted and created
                self._files[path] = shown
                roots_flat.add(os.path.dirname(path))
        if roots_flat:
            self._watchers.append(loop.create_task(self._watch(sorted(roots_flat), False)))
        if roots_deep:
            self._watchers.append(loop.create_task(self._watch(sorted(roots_deep), True)))

    async def _watch(self, roots: list[str], recursive: bool) -> None:
        from watchfiles import awatch

        try:
            async for changes in awatch(*roots, watch_filter=None, recursive=recursive,
                                        debounce=DEBOUNCE_MS, step=50, stop_event=self._stop):
                self._changed({path for _change, path in changes})
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not self._stop.is_set():
                self.error(str(exc) or type(exc).__name__, {"payload": ""})

    def _shown(self, path: str) -> str | None:
        """The path as the msg shows it, or None when no watched name covers it."""
        shown = self._files.get(path)
        if shown is not None:
            return shown
        dirs = self._dirs
        head, tail = os.path.split(path)
        rest = [tail]
        while True:
            root = dirs.get(head)
            if root is not None:
                if len(rest) > 1 and not self.recursive:
                    return None
                return os.path.join(root, *reversed(rest))
            head, tail = os.path.split(head)
            if not tail:
                return None
            rest.append(tail)

    def _changed(self, paths: set[str]) -> None:
        out = []
        for path in sorted(paths):
            shown = self._shown(path)
            if shown is None:
                continue
            try:
                st = os.stat(path)
            except OSError:
                st = None
            kind = _file_type(st)
            msg = {"payload": shown, "topic": self.topic, "file": os.path.basename(shown),
                   "filename": shown, "event": "update" if st is not None else "remove"}
            if kind == "file":
                msg["size"] = st.st_size
            msg["type"] = kind
            out.append(msg)
        for msg in out:
            self.send(msg)

    async def close(self, removed: bool) -> None:
        await self._gate.close()

    async def _stop_input(self) -> None:
        self._stop.set()
        tasks, self._watchers = self._watchers, []
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)


def _missing(name: str) -> JSError:
    """node-watch's error for a name that does not exist: an Error object, so the debug sidebar
    shows it as an Error and catch nodes get its ``stack``, as on Node-RED; its text (the log
    line, ``msg.error.message``) is ``Error: <name> does not exist.``."""
    text = f"Error: {name} does not exist."
    return JSError(text, {"name": "Error", "message": f"{name} does not exist.", "stack": text})
