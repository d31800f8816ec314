"""A running flow: one tab (or the ``global`` scope of config nodes) with its env.

As Node-RED's runtime/lib/flows/Flow.js for what nodes see: ``path`` (the tab id or
``global``), the tab's env scope (runtime.env), and the routing of errors and statuses to its
catch and status nodes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .env import EnvScope
from .values import clone_message

if TYPE_CHECKING:
    from .engine import Engine
    from .node import Node

__all__ = ["Flow"]


class Flow:
    """A tab's running nodes and its environment. ``id`` is the tab id or ``"global"``."""

    def __init__(self, engine: "Engine", flow_id: str, label: str = "", env: EnvScope | None = None,
                 disabled: bool = False) -> None:
        self.engine = engine
        self.id = flow_id
        self.label = label
        self.path = flow_id
        self.disabled = disabled
        self.nodes: dict[str, Node] = {}
        self.catch_nodes: list[Node] = []
        self.status_nodes: list[Node] = []
        self.parent: Flow | None = None
        self.instance_node: Node | None = None  # for a subflow instance's flow
        self.env = env or EnvScope(builtins={"NR_FLOW_ID": flow_id, "NR_FLOW_NAME": label})
        self.env.on_error = lambda text: engine.log_error(f"[flow:{flow_id}] {text}")

    def get_env(self, name: str) -> Any:
        """The flow's env (``NR_FLOW_ID``/``NR_FLOW_NAME`` built in), then the global env, then
        the process env; ``""`` if unset."""
        return self.env.get(name)

    def handle_error(self, node: "Node", text: str, err: Any, msg: dict) -> bool:
        """Give an error to the catch nodes of this flow, as Node-RED's Flow.handleError:
        catches scoped to the node (or its group) first, then unscoped ones; ``uncaught``
        catches only when no other took it. Each gets a clone of ``msg`` with
        ``msg.error = {message, source: {id, type, name, count}, ...details}`` (an existing
        ``msg.error`` moves to ``msg._error``). Returns whether any catch node took it."""
        if not self.catch_nodes:
            return self._to_parent(text, err, msg)
        count = 1
        prev = msg.get("error")
        if isinstance(prev, dict) and isinstance(prev.get("source"), dict) and prev["source"].get("id") == node.id:
            count = int(prev["source"].get("count", 0)) + 1
            if count >= 10:
                node.warn("Message exceeded maximum number of catches")
                return True
        scoped, unscoped, uncaught = [], [], []
        for catch in self.catch_nodes:
            scope = catch.config.scope
            if isinstance(scope, list):
                if node.id in scope:
                    scoped.append(catch)
            elif scope == "group":
                if catch.config.g and catch.config.g == getattr(node.config, "g", None):
                    scoped.append(catch)
            elif catch.config.uncaught:
                uncaught.append(catch)
            else:
                unscoped.append(catch)
        targets = scoped + unscoped or uncaught
        details = getattr(err, "details", None) or {}
        for catch in targets:
            out = clone_message(msg)
            if "error" in out:
                out["_error"] = out["error"]
            error = {"message": text, "source": {"id": node.id, "type": node.type, "name": node.name, "count": count}}
            error.update({k: v for k, v in details.items() if k != "message"})
            out["error"] = error
            catch.receive(out)
        return bool(targets) or self._to_parent(text, err, msg)

    def _to_parent(self, text: str, err: Any, msg: dict) -> bool:
        """A subflow instance passes an error no catch node inside took to the flow around it,
        as an error of the instance node (Node-RED's Subflow.handleError)."""
        if self.parent is None or self.instance_node is None:
            return False
        return self.parent.handle_error(self.instance_node, text, err, msg)

    def handle_status(self, node: "Node", status: dict) -> None:
        """Give a status change to the status nodes watching ``node`` (Flow.handleStatus)."""
        for watcher in self.status_nodes:
            scope = watcher.config.scope
            if watcher is node or (isinstance(scope, list) and node.id not in scope) or \
                    (scope == "group" and (not watcher.config.g or watcher.config.g != getattr(node.config, "g", None))):
                continue
            watcher.receive({"status": {**status, "source": {"id": node.id, "type": node.type, "name": node.name}}})
