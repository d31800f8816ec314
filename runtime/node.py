"""The node base class: what every node type subclasses.

As Node-RED's runtime/lib/nodes/Node.js: ``send`` (with Node-RED's multi-output and cloning
rules), ``error``/``warn``/``log``, ``status``, ``context``, ``receive``, and the lifecycle
``start``/``close``. A node type implements ``on_input(self, msg)``, plain or ``async``: returning
completes the msg, raising reports the error on the node with that msg (as ``done(err)``).

Everything else a node needs from the runtime is a method here, and each goes through the
node's Flow as Node.js goes through ``this._flow``: ``setting``, ``add_http_route``,
``watch``, ``debug_sidebar``, ``get_node``, ``find_nodes``, ``config_node``. Node modules never
touch the engine (tests/unit/test_node_api_boundaries.py checks it).
"""
from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING, Any, Awaitable, Callable, ClassVar

from .config import NodeConfig
from .context import Context
from .ids import generate_id
from .jscompat import js_to_string
from .values import clone_message

if TYPE_CHECKING:
    from .events import DebugSidebar
    from .flow import Flow

__all__ = ["Node", "NodeError", "PENDING"]

PENDING = object()
"""Returned by ``on_input`` when the node completes the msg later with ``self.done(msg)``
(e.g. a delay node); returning anything else completes it at once."""

DROPPED_MSG = "msg dropped: the flows were redeployed or stopped while it was in flight"


class NodeError(Exception):
    """An error a node reports with details for catch nodes and the sidebar.

    ``details`` (e.g. ``{"status": 401, "code": "invalid_api_key"}``) is merged into
    ``msg.error`` next to ``message`` and ``source``.
    """

    def __init__(self, message: str, /, **details: Any) -> None:
        super().__init__(message)
        self.details = details


class Node:
    """Base class of all node types. Subclasses set ``Config`` (a NodeConfig model).

    Attributes: ``id``, ``type``, ``z`` (tab id), ``name``, ``config`` (the validated model),
    ``flow`` (the Flow it runs in: ``.id``, ``.path``, ``.label``), ``alias``, ``credentials``
    (config nodes), ``closed``. ``engine`` is the runtime's own: node modules use the methods.
    """

    Config: ClassVar[type[NodeConfig]] = NodeConfig
    type_name: ClassVar[str] = ""

    def __init__(self, config: NodeConfig, flow: "Flow") -> None:
        self.config = config
        self.id: str = config.id
        self.type: str = config.type
        self.z: str = config.z
        self.name: str = config.name
        self.flow = flow
        self.engine = flow.engine
        self.alias: str | None = None
        self._outputs: tuple[tuple[Node, ...], ...] = ()
        self._deliver = self.engine.bus.deliver
        self._context: Context | None = None
        self._tasks: set[asyncio.Task] = set()
        self._completers: list[Node] = []
        self._undo: list[Callable[[], None]] = []  # what close takes back: routes, watches
        self.closed = False
        self._is_async = inspect.iscoroutinefunction(type(self).on_input)
        self._handle = self._handle_async if self._is_async else self.on_input

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Called once every node of the deploy exists and is wired (timers start here)."""

    async def close(self, removed: bool) -> None:
        """Called when the node is stopped by a deploy or shutdown; ``removed`` if it is gone."""

    async def _close(self, removed: bool) -> None:
        self.closed = True
        for task in list(self._tasks):
            if task.cancel():  # Node-RED drops such a msg silently; say it, once per msg
                self.warn(DROPPED_MSG)
        undo, self._undo = self._undo, []
        for take_back in reversed(undo):
            take_back()
        await self.close(removed)

    # -- input -----------------------------------------------------------------------------
    def on_input(self, msg: dict) -> Any:
        """Handle one msg. Override; may be ``async def``. The base class drops the msg."""

    def _handle_async(self, msg: dict) -> None:
        task = asyncio.get_running_loop().create_task(self._run(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, msg: dict) -> None:
        try:
            result = await self.on_input(msg)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.error(exc, msg)
            return
        if self._completers and result is not PENDING:
            self.done(msg)

    def _handle_and_complete(self, msg: dict) -> None:
        if self.on_input(msg) is not PENDING:
            self.done(msg)

    def _add_completer(self, node: "Node") -> Callable[[], None]:
        """Have ``node`` (a complete node) receive a clone of each msg this node completes;
        returns the function that stops it. Only nodes watched this way pay for completion
        tracking on their hot path. Called by ``Flow.watch``."""
        self._completers.append(node)
        if not self._is_async:
            self._handle = self._handle_and_complete
        return lambda: self._completers.remove(node) if node in self._completers else None

    def done(self, msg: dict, error: Any = None) -> None:
        """Finish handling ``msg``: with ``error`` it is reported as ``error(error, msg)``;
        otherwise complete nodes watching this node get a clone with
        ``complete: {source: {id, type, name}}`` (Node-RED's ``done()``)."""
        if error is not None:
            self.error(error, msg)
            return
        for node in self._completers:
            out = clone_message(msg)
            out["complete"] = {"source": {"id": self.id, "type": self.type, "name": self.name}}
            node.receive(out)

    def receive(self, msg: dict | None = None) -> None:
        """Deliver ``msg`` to this node's input (as Node-RED's ``node.receive``)."""
        msg = {} if msg is None else msg
        if "_msgid" not in msg:
            msg["_msgid"] = generate_id()
        self._deliver(self, msg)

    # -- output ----------------------------------------------------------------------------
    def send(self, msg: Any) -> None:
        """Send a msg, or a list with one entry per output (a msg, a list of msgs, or None).

        As Node.js ``send``: the first delivery of a call gets the msg object itself, every
        later delivery a deep clone; missing ``_msgid``s are set (to the first msg's id when
        it has one); outputs beyond the wires are ignored; a non-dict msg is an error.
        """
        if type(msg) is dict:
            outs = self._outputs
            if not outs or not outs[0]:
                return
            targets = outs[0]
            if "_msgid" not in msg:
                msg["_msgid"] = generate_id()
            deliver = self._deliver
            deliver(targets[0], msg)
            for i in range(1, len(targets)):
                deliver(targets[i], clone_message(msg))
            return
        if msg is None:
            return
        if isinstance(msg, (list, tuple)):
            self._send_many(msg)
            return
        self.error(TypeError(f"Only a msg (dict) or a list per output can be sent, not {type(msg).__name__}"))

    def send_built(self, msgs: list, port: int = 0) -> None:
        """Send ``msgs`` (dicts with their ``_msgid``) on output ``port``, in order, for msgs
        this node has just built and that share no mutable value with each other or with any
        other msg: each goes to the port's first wire as it is and to any other wire as a
        clone. What a receiver sees is what ``send([msgs])`` gives (Node-RED clones every msg
        of a send call but the first); only the clones nobody could tell apart are skipped."""
        outs = self._outputs
        if port >= len(outs) or not outs[port]:
            return
        targets = outs[port]
        deliver = self._deliver
        first = targets[0]
        if len(targets) == 1:
            for m in msgs:
                deliver(first, m)
            return
        for m in msgs:
            deliver(first, m)
            for i in range(1, len(targets)):
                deliver(targets[i], clone_message(m))

    def _send_many(self, msgs: list | tuple) -> None:
        outs = self._outputs
        events: list[tuple[Node, dict]] = []
        first_id = None
        missing = []
        for port, entry in enumerate(msgs):
            if port >= len(outs):
                break
            if entry is None:
                continue
            for m in (entry if isinstance(entry, (list, tuple)) else (entry,)):
                if m is None:
                    continue
                if type(m) is not dict and not isinstance(m, dict):
                    self.error(TypeError(f"Only msgs (dicts) can be sent; output {port} got {type(m).__name__}"))
                    continue
                if "_msgid" in m:
                    first_id = first_id or m["_msgid"]
                else:
                    missing.append(m)
                for target in outs[port]:
                    events.append((target, m))
        if missing:
            mid = first_id or generate_id()
            for m in missing:
                m["_msgid"] = mid
        deliver = self._deliver
        for i, (target, m) in enumerate(events):
            deliver(target, m if i == 0 else clone_message(m))

    # -- reporting -------------------------------------------------------------------------
    def error(self, err: Any, msg: dict | None = None) -> None:
        """Report an error (text or exception). With ``msg``, catch nodes may handle it; an
        unhandled error is logged and shown in the debug sidebar (level 20). As Node.js
        ``error`` → ``Flow.handleError``: goes to this node's flow (``Flow.node_error``)."""
        self.flow.node_error(self, err, msg)

    def warn(self, text: Any) -> None:
        """Log a warning; shown in the debug sidebar (level 30) as Node-RED does (Node.js
        ``warn`` → ``Flow.log``)."""
        self.flow.node_log(self, 30, text)

    def log(self, text: Any) -> None:
        """Log at info level (console only); Node.js ``log``."""
        self.flow.node_log(self, 40, text)

    def status(self, status: Any) -> None:
        """Set the node's status ``{fill, shape, text}``; ``{}`` clears it. A str/number/bool
        becomes ``{"text": str(value)}`` (Node.js ``status`` → ``Flow.handleStatus``).
        Published as ``status/<id>`` and given to the status nodes of its flow."""
        if not isinstance(status, dict):
            status = {"text": "" if status is None else js_to_string(status)}
        elif "text" in status and not isinstance(status["text"], str):
            status = {**status, "text": "" if status["text"] is None else js_to_string(status["text"])}
        self.flow.node_status(self, status)

    # -- context and environment -----------------------------------------------------------
    def context(self) -> Context:
        """This node's context; ``.flow`` and ``.global_`` give the flow and global contexts."""
        if self._context is None:
            self._context = self.engine.context.node_context(self.alias or self.id, self.z or "global")
        return self._context

    def get_env(self, name: str) -> Any:
        """An environment variable as Node-RED resolves it: the node's built-ins
        (``NR_NODE_ID``, ``NR_NODE_NAME``, ``NR_NODE_PATH``), then its group(s), its flow (tab
        or subflow instance), the global env and the process environment (runtime.env). Unset
        gives ``""``."""
        if name.startswith("NR_NODE_"):
            if name == "NR_NODE_ID":
                return self.id
            if name == "NR_NODE_NAME":
                return self.name
            if name == "NR_NODE_PATH":
                return f"{self.flow.path}/{self.id}"
        g = self.config.g
        if g:
            scope = self.engine.parsed.env.get(g)
            if scope is not None:
                return scope.get(name)
        return self.flow.env.get(name)

    def config_node(self, node_id: str | None) -> "Node | None":
        """The running config node with this id, or None when it is empty, missing or disabled
        (Node-RED's ``RED.nodes.getNode(n.server)``)."""
        return self.flow.get_node(node_id) if node_id else None

    # -- the runtime around the node -------------------------------------------------------
    def setting(self, name: str, default: Any = None) -> Any:
        """The runtime setting ``name`` as runtime.settings.Settings holds it (typed: e.g.
        ``nodeMessageBufferMaxLength`` is an int ≥ 0, ``httpNodeRoot`` a str), or ``default``
        when it is not set (None). A name Settings does not declare gives what the settings
        file says, unchecked. As ``RED.settings.<name>``. Read it in ``__init__``/``start``,
        not per msg."""
        return self.flow.setting(name, default)

    def add_http_route(self, method: str, path: str,
                       handler: Callable[[Any, dict], Awaitable[Any]], *,
                       exclusive: bool = False) -> Callable[[], None] | None:
        """Serve ``method`` (``GET``, ``POST`` ... or ``*``) on the Express-style ``path``
        (``/user/:id``) under ``httpNodeRoot`` with ``async handler(request, params) ->
        aiohttp.web.StreamResponse``, until this node closes (the route is removed then).
        Routes are tried in the order they were added. ``exclusive``: refuse (return None)
        when another exclusive route holds the same method and path, e.g. two websocket
        listeners on one path. Returns a function that removes the route earlier. As
        ``RED.httpNode[method](path, handler)``."""
        remove = self.flow.add_http_route(method, path, handler, exclusive)
        if remove is not None:
            self._undo.append(remove)
        return remove

    def watch(self, kind: str) -> None:
        """Receive, until this node closes, the ``"error"``s (a catch node), ``"status"``
        changes (a status node) or ``"complete"``d msgs (a complete node) of the nodes its
        ``config.scope`` selects in its flow; see ``Flow.watch``. As Node-RED's Flow.js, which
        keeps catch, status and complete nodes apart when it starts. Raises ValueError for
        another kind."""
        self._undo.append(self.flow.watch(kind, self))

    def cluster(self) -> Any:
        """This worker's cluster connection (flowred.cluster.connection.Cluster: ``worker_id``,
        ``subject()``, ``key_value()``, ``js``), or None when the runtime runs alone (no
        ``--cluster``). FlowRed's own; Node-RED has no cluster."""
        return self.flow.cluster()

    def debug_sidebar(self) -> "DebugSidebar":
        """The editor's debug sidebar: ``.listening`` (does any editor listen), ``.tracing``
        (is the msg trace on: add ``_msgid``), ``.publish(data)`` (encode and send one entry).
        As the debug node's ``RED.comms.publish("debug", ...)``. Get it once, in ``__init__``."""
        return self.flow.debug_sidebar()

    def get_node(self, node_id: str) -> "Node | None":
        """The running node with this id: this node's flow first, then the flows around it and
        every other flow; None if it is not running. As Node-RED's ``flow.getNode(id)``."""
        return self.flow.get_node(node_id)

    def find_nodes(self, type_name: str, name: str) -> "list[Node]":
        """The running nodes of ``type_name`` named ``name``, in every flow (as Node-RED's
        link call finds a ``link in`` by name, ``RED.nodes.linkcallTargets``)."""
        return self.flow.find_nodes(type_name, name)

    def durable_links(self) -> Any:
        """This worker's durable links (flowred.cluster.durable.DurableLinks: ``attach``,
        ``detach``, ``send``), or None when the runtime runs alone. Used by ``link out``."""
        return self.flow.durable_links()

    def wires(self) -> "tuple[tuple[Node, ...], ...]":
        """The running nodes each output port is wired to, in wire order (what ``send``
        delivers to), as the last deploy wired them. A deploy may rewire a node that keeps
        running, so read it where it is used rather than keeping it. As Node-RED's
        ``node.wires``, which holds their ids."""
        return self._outputs

    def catchable(self) -> bool:
        """Whether an error this node reports with a msg can reach a catch node: one of its
        flow or, inside a subflow instance, of a flow around it (as ``Flow.handle_error``
        routes it). For a node that keeps a copy of a msg only to report it with an error."""
        flow = self.flow
        while flow is not None:
            if flow.catch_nodes:
                return True
            flow = flow.parent if flow.instance_node is not None else None
        return False

    @property
    def path(self) -> str:
        return self.flow.path

    def label(self) -> str:
        return self.name or self.type

    def __repr__(self) -> str:
        return f"<{self.type}:{self.name or self.id}>"
