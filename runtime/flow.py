"""A running flow: one tab (or the ``global`` scope of config nodes) with its env.

As Node-RED's runtime/lib/flows/Flow.js for what nodes see: ``path`` (the tab id or
``global``), the tab's env scope (runtime.env), and the routing of errors and statuses to its
catch and status nodes. Every Node method that reaches the runtime goes through its flow
(``node_error``, ``node_log``, ``node_status``, ``setting``, ``add_http_route``, ``watch``,
``debug_sidebar``, ``get_node``, ``find_nodes``), and only the flow talks to the engine.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable

from .env import EnvScope
from .node import NodeError
from .values import clone_message

if TYPE_CHECKING:
    from .engine import Engine
    from .events import DebugSidebar
    from .node import Node

__all__ = ["Flow", "error_text"]


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

    # -- what nodes report (Node.error / warn / log / status) ------------------------------
    def node_error(self, node: "Node", err: Any, msg: dict | None) -> None:
        """``node.error(err, msg)``: with a msg, this flow's catch nodes get it first
        (``handle_error``); otherwise, or when none takes it, the engine logs it and shows it in
        the debug sidebar (level 20), as Flow.handleError then Node.js' ``log``."""
        text = error_text(err)
        if isinstance(msg, dict) and self.handle_error(node, text, err, msg):
            return
        self.engine.report_error(node, text, err, msg)

    def node_log(self, node: "Node", level: int, text: Any) -> None:
        """``node.warn``/``node.log``: a log line at ``level`` (runtime.log), warnings also in
        the debug sidebar (Flow.log)."""
        self.engine.node_log(node, level, text)

    def node_status(self, node: "Node", status: dict) -> None:
        """``node.status(status)``: the engine publishes ``status/<id>``; when it did, the status
        nodes of this flow get it too (Flow.handleStatus)."""
        if self.engine.publish_status(node.id, status) and self.status_nodes:
            self.handle_status(node, status)

    # -- what nodes ask of the runtime -----------------------------------------------------
    def setting(self, name: str, default: Any = None) -> Any:
        """The engine's setting ``name`` (runtime.settings.Settings), or ``default`` when it is
        unset or None (``RED.settings``)."""
        value = getattr(self.engine.settings, name, None)
        return default if value is None else value

    def add_http_route(self, method: str, path: str, handler: Callable[[Any, dict], Awaitable[Any]],
                       exclusive: bool = False) -> Callable[[], None] | None:
        """Add a route under httpNodeRoot to the engine's table (runtime.http_routes, as
        ``RED.httpNode``); returns its remover, or None when ``exclusive`` and the method and
        path are held by another exclusive route."""
        return self.engine.http_routes.add(method, path, handler, exclusive=exclusive)

    def watch(self, kind: str, node: "Node") -> Callable[[], None]:
        """Make ``node`` a watcher of this flow and return the function that undoes it.

        ``"error"``: a catch node, given the errors ``handle_error`` routes (scope from
        ``node.config.scope``/``uncaught``); ``"status"``: a status node, given the statuses
        ``handle_status`` routes; ``"complete"``: a complete node, given a clone of each msg
        that the nodes listed in ``node.config.scope`` (found with ``get_node``) complete. As
        Flow.js' catchNodes, statusNodes and completeNodeMap. Raises ValueError for another
        kind."""
        if kind == "error" or kind == "status":
            watchers = self.catch_nodes if kind == "error" else self.status_nodes
            watchers.append(node)
            return lambda: watchers.remove(node) if node in watchers else None
        if kind == "complete":
            undo = [target._add_completer(node) for target in map(self.get_node, node.config.scope)
                    if target is not None]
            return lambda: [u() for u in undo] and None
        raise ValueError(f"cannot watch {kind!r}: expected 'error', 'status' or 'complete'")

    def cluster(self) -> Any:
        """The engine's cluster connection (flowred.cluster.connection.Cluster), or None."""
        return self.engine.cluster

    def debug_sidebar(self) -> "DebugSidebar":
        """The engine's debug sidebar (runtime.events.DebugSidebar)."""
        return self.engine.debug_sidebar

    def get_node(self, node_id: str) -> "Node | None":
        """A running node by id: this flow's, else the parent flow's (a subflow instance), else
        any flow's or config node (Flow.getNode, which ends at the global flow)."""
        node = self.nodes.get(node_id)
        if node is not None:
            return node
        if self.parent is not None:
            return self.parent.get_node(node_id)
        return self.engine.get_node(node_id)

    def durable_links(self) -> Any:
        """The worker's durable links (flowred.cluster.durable.DurableLinks), or None alone."""
        if self.engine.cluster is None:
            return None
        from .cluster.durable import durable_links

        return durable_links(self.engine)

    def find_nodes(self, type_name: str, name: str) -> "list[Node]":
        """The running nodes of ``type_name`` named ``name``, in every flow."""
        return [n for n in self.engine.nodes.values() if n.type == type_name and n.name == name]

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
                    (scope == "group" and (not watcher.config.g or
                                           watcher.config.g != getattr(node.config, "g", None))):
                continue
            watcher.receive({"status": {**status, "source": {"id": node.id, "type": node.type, "name": node.name}}})


def error_text(err: Any) -> str:
    """An error as the text a user reads: a NodeError or ValueError gives its message, another
    exception ``Name: message`` (as JavaScript's ``String(err)``), anything else ``str()``."""
    if isinstance(err, str):
        return err
    if isinstance(err, (NodeError, ValueError)):
        return str(err) or type(err).__name__
    if isinstance(err, BaseException):
        return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    return str(err)
