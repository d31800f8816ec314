"""Node, flow and global context, in memory (Node-RED's ``memory`` context store).

As @node-red/runtime/lib/nodes/context/: keys are property expressions (``a.b[0]``), a key may
name its store as ``#:(store)::key``, flow context is per tab and global context is shared.
Persistent stores (``localfilesystem``) plug in behind the same ``ContextStore`` interface.
"""
from __future__ import annotations

import re
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


class MemoryStore(ContextStore):
    """Node-RED's ``memory`` store: a dict per scope, values kept by reference."""

    def __init__(self) -> None:
        self._data: dict[str, dict] = {}

    def get(self, scope: str, key: str) -> Any:
        return get_property(self._data.get(scope, {}), key)

    def set(self, scope: str, key: str, value: Any) -> None:
        data = self._data.setdefault(scope, {})
        if value is UNDEFINED:
            delete_property(data, key)
        else:
            set_property(data, key, value)

    def keys(self, scope: str) -> list[str]:
        return list(self._data.get(scope, {}))

    def delete_scope(self, scope: str) -> None:
        self._data.pop(scope, None)


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


class ContextManager:
    """Owns the context stores and hands out Context objects for nodes, flows and global."""

    def __init__(self, stores: dict[str, ContextStore] | None = None, default: str = "default") -> None:
        self.stores = stores or {"default": MemoryStore()}
        self.default = default if default in self.stores else next(iter(self.stores))

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

    def clean(self, active_ids: set[str]) -> None:
        """Drop node and flow scopes whose ids are no longer deployed (as context.clean)."""
        for store in self.stores.values():
            if isinstance(store, MemoryStore):
                for scope in list(store._data):
                    if scope == "global":
                        continue
                    ids = scope.split(":")
                    if not all(i in active_ids for i in ids):
                        store.delete_scope(scope)
