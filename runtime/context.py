"""Node, flow and global context, in memory (Node-RED's ``memory`` context store).

As @node-red/runtime/lib/nodes/context/: keys are property expressions (``a.b[0]``), a key may
name its store as ``#:(store)::key``, flow context is per tab and global context is shared.
Persistent stores (``localfilesystem``) plug in behind the same ``ContextStore`` interface.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import re
import threading
from pathlib import Path
from typing import Any

from .props import delete_property, get_property, set_property
from .values import UNDEFINED

__all__ = ["ContextStore", "MemoryStore", "Context", "ContextManager", "parse_context_key"]

_STORE_KEY = re.compile(r"^#:\((\S+?)\)::(.*)$")


def parse_context_key(key: str) -> tuple[str | None, str]:
    """Split ``#:(file)::a.b`` into ``("file", "a.b")``; a plain key gives ``(None, key)``."""
    m = _STORE_KEY.match(key)
    return (m.group(1), m.group(2)) if m else (None, key)


class ContextStore:
    """A context store: scoped key/value data. ``scope`` is ``global``, a flow id or ``node:flow``."""

    def get(self, scope: str, key: str) -> Any:
        raise NotImplementedError

    def set(self, scope: str, key: str, value: Any) -> None:
        raise NotImplementedError

    def keys(self, scope: str) -> list[str]:
        raise NotImplementedError

    def delete_scope(self, scope: str) -> None:
        raise NotImplementedError

    def peek(self, scope: str, key: str) -> tuple[Any, Any]:
        """``(token, value)`` for ``cas``: the store's version of ``key`` and its value
        (UNDEFINED when missing)."""
        raise NotImplementedError

    def cas(self, scope: str, key: str, token: Any, value: Any) -> "bool | concurrent.futures.Future":
        """Set ``key`` to ``value`` (UNDEFINED: delete) only if it is unchanged since ``peek``
        gave ``token``: True/False, or a future of it for a remote store."""
        raise NotImplementedError


class MemoryStore(ContextStore):
    """Node-RED's ``memory`` store: a dict per scope, values kept by reference."""

    def __init__(self) -> None:
        self._data: dict[str, dict] = {}
        self._writes = 0  # bumped by every set: the token of peek/cas
        self._cas_lock = threading.Lock()

    def get(self, scope: str, key: str) -> Any:
        return get_property(self._data.get(scope, {}), key)

    def set(self, scope: str, key: str, value: Any) -> None:
        data = self._data.setdefault(scope, {})
        if value is UNDEFINED:
            delete_property(data, key)
        else:
            set_property(data, key, value)
        self._writes += 1  # after the change: a peek that saw the new count sees the new value

    def keys(self, scope: str) -> list[str]:
        return list(self._data.get(scope, {}))

    def delete_scope(self, scope: str) -> None:
        self._data.pop(scope, None)

    def peek(self, scope: str, key: str) -> tuple[Any, Any]:
        with self._cas_lock:  # the count and the value of one moment, not of a cas half done
            return self._writes, self.get(scope, key)

    def cas(self, scope: str, key: str, token: Any, value: Any) -> bool:
        """Atomic in the process: no other ``cas`` runs between the check and the set (function
        nodes call from their own threads), and any ``set`` since ``peek`` fails it."""
        with self._cas_lock:
            if self._writes != token:
                return False
            self.set(scope, key, value)
            return True


class Context:
    """One scope of context as a node sees it: ``get(key)``, ``set(key, value)``, ``keys()``.

    ``key`` may carry a store prefix ``#:(store)::key``; ``store`` may also be passed. An unknown
    store name falls back to the default store, as Node-RED does (with a warning there).
    """

    __slots__ = ("_manager", "_scope", "flow", "global_")

    def __init__(self, manager: "ContextManager", scope: str) -> None:
        self._manager = manager
        self._scope = scope

    def get(self, key: str, store: str | None = None) -> Any:
        name, key = parse_context_key(key)
        return self._manager.store(store or name).get(self._scope, key)

    def set(self, key: str, value: Any, store: str | None = None) -> None:
        name, key = parse_context_key(key)
        self._manager.store(store or name).set(self._scope, key, value)

    def keys(self, store: str | None = None) -> list[str]:
        return self._manager.store(store).keys(self._scope)

    def peek(self, key: str, store: str | None = None) -> tuple[Any, Any]:
        """``(token, value)`` of ``key`` for ``cas`` (ContextStore.peek)."""
        name, key = parse_context_key(key)
        return self._manager.store(store or name).peek(self._scope, key)

    def cas(self, key: str, token: Any, value: Any, store: str | None = None) -> "bool | concurrent.futures.Future":
        """Compare-and-set (ContextStore.cas): True/False, or a future of it (``nats`` store)."""
        name, key = parse_context_key(key)
        return self._manager.store(store or name).cas(self._scope, key, token, value)

    async def update(self, key: str, fn: Any, store: str | None = None, attempts: int = 10000) -> Any:
        """Atomically replace ``key``'s value by ``fn(old)`` (old UNDEFINED when missing; a
        result of UNDEFINED deletes the key) and return the new value. FlowRed's own, as the
        function nodes' ``context.update``: compare-and-set with retry (``fn`` may run more than
        once) on the ``nats`` store, plainly atomic on ``memory`` and ``localfilesystem``.
        Updates of one key from this process run one at a time (no conflicts among them).
        Raises RuntimeError after ``attempts`` conflicts in a row."""
        name, path = parse_context_key(key)
        turn = (store or name, self._scope, path)
        locks = self._manager.update_locks
        held = locks.get(turn)
        if held is None:
            held = locks[turn] = [asyncio.Lock(), 0]
        held[1] += 1
        try:
            async with held[0]:
                for _ in range(attempts):
                    token, old = self.peek(key, store)
                    new = fn(old)
                    done = self.cas(key, token, new, store)
                    if isinstance(done, concurrent.futures.Future):
                        done = await asyncio.wrap_future(done)
                    if done:
                        return new
                raise RuntimeError(f"context update of {key!r} gave up after {attempts} conflicts")
        finally:
            held[1] -= 1
            if not held[1] and locks.get(turn) is held:
                del locks[turn]


class ContextManager:
    """Owns the context stores and hands out Context objects for nodes, flows and global."""

    def __init__(self, stores: dict[str, ContextStore] | None = None, default: str = "default") -> None:
        self.stores = stores or {"default": MemoryStore()}
        self.default = default if default in self.stores else next(iter(self.stores))
        self.aliases: dict[str, str] = {}
        self.update_locks: dict[tuple, list] = {}  # (store, scope, key) -> [Context.update's lock, users]

    def store(self, name: str | None) -> ContextStore:
        """The named store, or the default one for None or an unknown name."""
        return self.stores.get(name or self.default) or self.stores[self.default]

    def global_context(self) -> Context:
        ctx = Context(self, "global")
        ctx.global_ = ctx
        ctx.flow = None
        return ctx

    def flow_context(self, flow_id: str) -> Context:
        ctx = Context(self, flow_id)
        ctx.flow = ctx
        ctx.global_ = self.global_context()
        return ctx

    def node_context(self, node_id: str, flow_id: str) -> Context:
        ctx = Context(self, f"{node_id}:{flow_id}")
        ctx.flow = self.flow_context(flow_id)
        ctx.global_ = ctx.flow.global_
        return ctx

    @classmethod
    def from_settings(cls, storage: dict | None, user_dir: Path) -> "ContextManager":
        """Stores from Node-RED's ``contextStorage`` setting, e.g.
        ``{"default": {"module": "memory"}, "file": {"module": "localfilesystem",
        "config": {"flushInterval": 30, "base": "context"}}}``; a string value names another
        store (``"default": "file"``). None gives one memory store. Raises ValueError for an
        unknown module."""
        if not storage:
            return cls()
        from .context_file import LocalFileSystemStore

        stores: dict[str, ContextStore] = {}
        aliases: dict[str, str] = {}
        for name, spec in storage.items():
            if isinstance(spec, str):
                aliases[name] = spec
                continue
            module = spec.get("module", "memory") if isinstance(spec, dict) else "memory"
            config = (spec.get("config") if isinstance(spec, dict) else None) or {}
            if module == "memory":
                stores[name] = MemoryStore()
            elif module == "localfilesystem":
                folder = Path(config.get("dir") or user_dir) / (config.get("base") or "context")
                stores[name] = LocalFileSystemStore(folder, float(config.get("flushInterval", 30)))
            elif module == "nats":
                from .context_nats import NatsStore

                stores[name] = NatsStore(config)
            else:
                raise ValueError(f"context store {name!r}: unknown module {module!r} (memory, localfilesystem, nats)")
        for name, target in aliases.items():
            if target in stores:
                stores[name] = stores[target]
        default = "default" if "default" in stores else next(iter(stores))
        manager = cls(stores, default)
        manager.aliases = aliases
        return manager

    def store_names(self) -> list[str]:
        """The stores a user can name (aliases such as ``default`` left out, as Node-RED)."""
        return [n for n in self.stores if n not in self.aliases]

    def open(self) -> None:
        """Load persistent stores (call inside the running event loop)."""
        for store in set(self.stores.values()):
            if hasattr(store, "open"):
                store.open()

    async def start(self, cluster: Any = None) -> None:
        """``open()``, then connect the stores that live elsewhere (``nats``: on ``cluster``'s
        connection, flowred.cluster.connection.Cluster, when given). Raises what they raise
        (ClusterError)."""
        self.open()
        for store in set(self.stores.values()):
            if hasattr(store, "connect"):
                await store.connect(cluster)

    async def close(self) -> None:
        """Write persistent stores back (shutdown)."""
        for store in set(self.stores.values()):
            if hasattr(store, "close"):
                await store.close()

    def clean(self, active_ids: set[str]) -> None:
        """Drop node and flow scopes whose ids are no longer deployed (as context.clean)."""
        for store in self.stores.values():
            if isinstance(store, MemoryStore):  # every built-in store is one
                for scope in list(store._data):
                    if scope == "global":
                        continue
                    ids = scope.split(":")
                    if not all(i in active_ids for i in ids):
                        store.delete_scope(scope)
