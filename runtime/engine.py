"""The flow engine: deploys flows, starts and stops nodes, and reports what happens.

As Node-RED's runtime/lib/flows/index.js: a deploy is validated first and replaces the running
flows only when valid (the last good flows stay otherwise); unknown node types keep every flow
stopped ("waiting for missing types") while the runtime keeps serving. Everything the outside
sees goes through ``events`` (an EventHub): ``debug``, ``status/<id>``,
``notification/runtime-state``, ``notification/runtime-deploy``. The engine never imports the
HTTP layer.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import time
import traceback
from typing import Any

from .bus import AsyncioBus
from .context import ContextManager
from .diff import changed_nodes
from .events import DebugSidebar, EventHub
from .flow import Flow, error_text as _text
from .http_routes import HttpRoutes
from .loader import ParsedFlows, validate_flows
from .log import logger
from .node import Node, NodeError
from .registry import AdminRuntime, NodeSets, get_type, load_node_packages
from .settings import Settings
from .storage import FlowStorage
from .trace import MessageTrace

__all__ = ["Engine", "flows_rev"]

LEVEL_NAMES = {20: "error", 30: "warn", 40: "info"}


def flows_rev(nodes: list[dict]) -> str:
    """The flows revision: sha256 hex of the compact JSON, as Node-RED's
    ``crypto.createHash('sha256').update(JSON.stringify(flows))``."""
    return hashlib.sha256(json.dumps(nodes, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


class Engine:
    """Owns the running flows. Create it inside the running event loop.

    ``storage`` (optional) is where deploys are saved and startup flows are read from.
    ``node_sets``: this engine's enabled node sets and node module load errors;
    ``debug_sidebar``: the ``debug`` topic as debug nodes publish to it; ``admin_runtime``:
    what node modules' admin routes are given.
    """

    def __init__(self, settings: Settings | None = None, storage: FlowStorage | None = None) -> None:
        self.node_sets = NodeSets(load_node_packages())
        self.settings = settings or Settings()
        self.storage = storage
        self.events = EventHub()
        self.trace = MessageTrace(enabled=self.settings.trace)
        self.debug_sidebar = DebugSidebar(self.events, self.trace, self.settings.debugMaxLength)
        self.admin_runtime = AdminRuntime(self.get_node)
        self.bus = AsyncioBus(trace=self.trace)
        self.context = ContextManager.from_settings(self.settings.contextStorage, self.settings.userDir)
        self.http_routes = HttpRoutes()
        self.credentials: dict[str, dict] = {}
        self.parsed: ParsedFlows = ParsedFlows(nodes=[])
        self.rev = flows_rev([])
        self.flows: dict[str, Flow] = {}
        self.nodes: dict[str, Node] = {}
        self.state = "stop"
        self.load_error: str | None = None
        self._lock = asyncio.Lock()
        self._watcher: asyncio.Task | None = None
        # this worker's connection when it runs in a cluster (flowred.cluster), else None
        self.cluster: Any = None

    # -- queries ---------------------------------------------------------------------------
    def get_node(self, node_id: str) -> Node | None:
        """The running node with this id (flow or config node), or None."""
        return self.nodes.get(node_id)

    def get_flows(self) -> list[dict]:
        """The deployed flows as stored: every field kept, credentials never included."""
        return self.parsed.nodes

    @property
    def missing_types(self) -> dict[str, list[str]]:
        return self.parsed.missing_types

    # -- startup and deploy ----------------------------------------------------------------
    async def load(self) -> None:
        """Load the flows from storage and start them. A malformed file is reported (log and
        ``notification/runtime-state``) and the runtime keeps serving with no flows."""
        await self.context.start(self.cluster)
        if self.storage is None:
            return
        if self.settings.watchFlowFile and self._watcher is None:
            from .watch import watch_flow_file

            self._watcher = asyncio.get_running_loop().create_task(watch_flow_file(self))
        self.storage.on_notice = self._storage_notice
        try:
            nodes, creds = self.storage.load()
            await self.deploy(nodes, creds, save=False, replace_credentials=True, start=not self.settings.safeMode,
                              share=False)
            self._storage_notice(self.storage.notice_for(nodes, creds))
        except Exception as exc:
            self.load_error = str(exc)
            logger.error(f"Failed to load flows: {exc}")
            self.events.publish("notification/runtime-state",
                                {"state": "stop", "error": "load-failed", "type": "error", "text": str(exc)},
                                retain=True)

    def _storage_notice(self, notice: dict | None) -> None:
        """Log and publish (retained, ``notification/storage-warning``) what storage says about
        an unreadable credentials or flow file; warn on each node left without credentials.
        None clears a notice retained by an earlier load."""
        if notice is None:
            if self.events.is_retained("notification/storage-warning"):
                self.events.publish("notification/storage-warning", {}, retain=True)
            return
        logger.warning(notice["text"])
        for nid in notice.get("nodes", ()):
            node = self.nodes.get(nid)
            if node is not None:
                node.warn("started without its credentials: the credentials file could not be read")
        self.events.publish("notification/storage-warning", notice, retain=True)

    async def deploy(self, nodes: list[dict], credentials: dict | None = None, *, save: bool = True,
                     replace_credentials: bool = False, mode: str = "full", start: bool = True,
                     share: bool = True, expected_rev: str | None = None) -> str:
        """Validate ``nodes`` and, if valid, make them the running flows.

        ``mode`` is Node-RED's deployment type: ``full`` restarts every node; ``nodes`` only the
        changed, added and removed ones; ``flows`` every node of the tabs holding a change
        (see runtime.diff). ``credentials``: node id → credential fields, merged over the known
        ones (or replacing them when ``replace_credentials``); credentials inside node objects
        are taken out and stored too. ``start`` False loads the flows without starting them
        (``--safe``). ``expected_rev``: the rev the deployer read (Node-RED's v2 ``rev``),
        checked under the deploy lock. In a cluster, ``share`` stores the deploy in the cluster
        (flowred.cluster.flow_sync) before it is applied here; a worker applying the cluster's
        flows passes False. Returns the new rev. Raises FlowValidationError when the flows are
        invalid, runtime.deploy_gate's DeployConflict for a stale ``expected_rev`` (or shared
        flows that moved meanwhile) and DeployUnavailable when the cluster cannot take it; each
        changes nothing.
        A ``nodes``/``flows`` deploy that restarts every node anyway (the old or new flows have
        subflows, or types are missing) adds ``fullRestart: "subflows"`` or ``"missing-types"`` to
        its ``notification/runtime-state`` start notice (FlowRed's own field).
        """
        parsed = validate_flows(nodes, self.node_sets.get_type)
        async with self._lock:
            creds = dict(credentials or {}) if replace_credentials else {**self.credentials, **(credentials or {})}
            for nid, fields in parsed.credentials.items():
                creds[nid] = {**creds.get(nid, {}), **fields}
            ids = {n["id"] for n in parsed.nodes}
            creds = {k: v for k, v in creds.items() if k in ids}
            if expected_rev is not None and expected_rev != self.rev:
                from .deploy_gate import DeployConflict

                raise DeployConflict("the flows were changed since they were read")
            shared = self.cluster.flows if share and self.cluster is not None else None
            if shared is not None:
                await shared.share(parsed.nodes, creds, mode)
            if save and self.storage is not None:
                self.storage.save(parsed.nodes, creds)
            running = self.state == "start"
            # subflow instances restart as a whole: their generated nodes are not in the diff
            partial = mode in ("nodes", "flows") and running and not parsed.missing_types \
                and not parsed.subflows and not self.parsed.subflows
            restart = changed_nodes(self.parsed.nodes, parsed.nodes, self.credentials, creds, mode) if partial else None
            # a "nodes"/"flows" deploy that restarts everything says why (the editor tells the user)
            fallback = None if partial or not running or mode not in ("nodes", "flows") else \
                "subflows" if parsed.subflows or self.parsed.subflows else "missing-types"
            if running:
                logger.info("Stopping modified " + mode if partial else "Stopping flows")
                self.events.publish("notification/runtime-state", {"state": "stop", "deploy": True}, retain=True)
            await self._stop_nodes(None if restart is None else [n for i, n in self.nodes.items() if i in restart])
            if running:
                logger.info("Stopped modified " + mode if partial else "Stopped flows")
            old_tabs = self.parsed.tabs
            self.parsed, self.credentials, self.rev = parsed, creds, flows_rev(parsed.nodes)
            self.load_error = None
            if running:
                logger.info("Updated flows")
            for issue in parsed.warnings:
                logger.warning(str(issue))
            if parsed.missing_types and self.settings.missingTypes == "stop":
                self._wait_for_missing_types()
            elif not start:
                self.state = "stop"
                logger.info("Flows loaded but not started (safe mode): deploy to start them")
                self.events.publish("notification/runtime-state", {"state": "stop", "safe": True}, retain=True)
            else:
                blocked = self._blocked_flows()
                self._start_nodes(restart, old_tabs, blocked)
                logger.info("Started modified " + mode if partial else "Started flows")
                state: dict[str, Any] = {"state": "start", "deploy": True} if running else {"state": "start"}
                if fallback:
                    state["fullRestart"] = fallback
                if blocked:
                    missing = ", ".join(sorted(blocked))
                    state.update(self._missing_types_notice(f"Flows not started (missing node types): {missing}. "))
                self.events.publish("notification/runtime-state", state, retain=True)
            self.context.clean(ids)
            self.events.publish("notification/runtime-deploy", {"revision": self.rev}, retain=True)
            return self.rev

    async def settled(self) -> None:
        """Returns once no deploy, start or stop of the flows is under way: it waits for the
        deploy lock and lets go of it at once. An Admin API request naming a node (``POST
        /inject/:id``) waits here, so that an inject pressed right after Deploy reaches the node
        of the new flows instead of finding none while the old ones stop (Node-RED answers 404
        then)."""
        if self._lock.locked():
            async with self._lock:
                pass

    def _wait_for_missing_types(self) -> None:
        self.state = "stop"
        logger.info("Waiting for missing types to be registered:")
        for t, ids in self.parsed.missing_types.items():
            logger.info(f" - {t} (used by {', '.join(ids)})")
        self.events.publish("notification/runtime-state",
                            {"state": "stop", **self._missing_types_notice("Flows stopped: ")}, retain=True)

    def _missing_types_notice(self, prefix: str) -> dict[str, Any]:
        missing = self.parsed.missing_types
        text = prefix + "waiting for missing node types: " + ", ".join(
            f"{t} (used by {', '.join(ids)})" for t, ids in missing.items())
        return {"error": "missing-types", "type": "warning", "text": text, "types": list(missing), "nodes": missing}

    def _blocked_flows(self) -> set[str]:
        """With ``missingTypes: "start-others"``: the tabs (``"global"`` for config nodes)
        holding a node of a missing type; they stay stopped while the other tabs run."""
        if not self.parsed.missing_types:
            return set()
        by_id = {n["id"]: n for n in self.parsed.nodes}
        blocked = set()
        for ids in self.parsed.missing_types.values():
            for nid in ids:
                z = by_id.get(nid, {}).get("z") or "global"
                blocked.add(z if z in self.parsed.tabs else "global")
        return blocked

    async def stop_flows(self) -> None:
        """Stop every flow without changing them (``POST /flows/state {"state":"stop"}``)."""
        async with self._lock:
            if self.state == "start":
                logger.info("Stopping flows")
                await self._stop_nodes(None)
                logger.info("Stopped flows")
            self.events.publish("notification/runtime-state", {"state": "stop"}, retain=True)

    async def start_flows(self) -> None:
        """Start the deployed flows again (``POST /flows/state {"state":"start"}``); with
        missing types they keep waiting, as after a deploy."""
        async with self._lock:
            if self.state == "start":
                return
            if self.parsed.missing_types and self.settings.missingTypes == "stop":
                self._wait_for_missing_types()
                return
            self._start_nodes(None, {}, self._blocked_flows())
            logger.info("Started flows")
            self.events.publish("notification/runtime-state", {"state": "start"}, retain=True)

    def _start_nodes(self, restart: set[str] | None, old_tabs: dict, blocked: set[str] = frozenset()) -> None:
        """Create and start the nodes not running yet (all of them when ``restart`` is None)
        except those of the ``blocked`` flows, then rewire every running node."""
        if restart is None:
            logger.info("Starting flows")
        parsed = self.parsed
        glob = self.flows.get("global") if restart is not None else None
        if glob is None:
            glob = Flow(self, "global", env=parsed.env.get("global"))
        flows = {"global": glob}
        for tab in parsed.tabs.values():
            if tab.disabled:
                continue
            keep = self.flows.get(tab.id)
            flows[tab.id] = keep if keep is not None and restart is not None and tab.id not in restart \
                and old_tabs.get(tab.id) == tab else Flow(self, tab.id, tab.label, parsed.env.get(tab.id))
        for spec in parsed.subflows.values():
            sub = flows[spec.id] = Flow(self, spec.id, spec.name, spec.env)
            sub.path = spec.path
            sub.parent = flows.get(spec.parent)
        self.flows = flows
        created: list[Node] = []
        # config nodes first, so flow nodes can find them when they start
        order = sorted((c for c in parsed.configs.values() if c.id not in self.nodes),
                       key=lambda c: c.x is not None and c.y is not None)
        for cfg in order:
            flow = flows.get(parsed.owner.get(cfg.id, "global")) or flows["global"]
            if blocked and _root_flow(flow) in blocked:
                continue
            try:
                cls = parsed.classes.get(cfg.id) or get_type(cfg.type).cls
                node = cls(cfg, flow)
                node.alias = parsed.aliases.get(cfg.id)
                node.credentials = self.credentials.get(cfg.id, {})
            except Exception as exc:
                self._report(cfg.id, cfg.type, cfg.name, cfg.z, flow.path, f"Error creating node: {_text(exc)}", exc)
                continue
            flow.nodes[cfg.id] = node
            self.nodes[cfg.id] = node
            created.append(node)
        nodes = self.nodes
        for spec in parsed.subflows.values():
            flows[spec.id].instance_node = nodes.get(spec.id)
        for node in nodes.values():
            cfg = parsed.configs.get(node.id, node.config)
            node._outputs = tuple(tuple(nodes[t] for t in port if t in nodes) for port in cfg.wires)
        for node in created:
            try:
                node.start()
            except Exception as exc:
                node.error(exc)
        self.state = "start"

    async def _stop_nodes(self, stopping: list[Node] | None) -> None:
        """Close ``stopping`` (every running node when None) and forget them."""
        if stopping is None:
            stopping = list(self.nodes.values())
            self.nodes = {}
            self.flows = {}
            self.state = "stop"
        else:
            for node in stopping:
                self.nodes.pop(node.id, None)
                node.flow.nodes.pop(node.id, None)
        if stopping:
            timeout = self.settings.nodeCloseTimeout
            results = await asyncio.gather(*(asyncio.wait_for(n._close(True), timeout) for n in stopping),
                                           return_exceptions=True)
            for node, res in zip(stopping, results, strict=True):
                if isinstance(res, BaseException) and not isinstance(res, asyncio.CancelledError):
                    self._report(node.id, node.type, node.name, node.z, node.path,
                                 f"Error stopping node: {_text(res)}", res)
            self.bus.discard(set(stopping))
            for node in stopping:
                if self.events.is_retained("status/" + node.id):
                    self.events.publish("status/" + node.id, {}, retain=True)

    async def stop(self) -> None:
        """Stop every node (shutdown)."""
        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None
        async with self._lock:
            await self._stop_nodes(None)
            await self.context.close()

    # -- what nodes report -----------------------------------------------------------------
    def report_error(self, node: Node, text: str, err: Any, msg: dict | None) -> None:
        """A node's error that no catch node took (Flow.node_error): logged as
        ``[type:name] text`` and shown in the debug sidebar (level 20) with the msg's
        ``_msgid``."""
        self._report(node.id, node.type, node.name, node.z, node.path, text, err,
                     msg.get("_msgid") if isinstance(msg, dict) else None, alias=node.alias)

    def node_log(self, node: Node, level: int, text: Any) -> None:
        """A node's log line; warnings (30) and errors (20) also go to the debug sidebar."""
        text = _text(text)
        label = f"[{node.type}:{node.name or node.id}] {text}"
        if level <= 20:
            self._report(node.id, node.type, node.name, node.z, node.path, text, None, alias=node.alias)
        elif level == 30:
            logger.warning(label)
            self._publish_log(30, node.id, node.type, node.name, node.z, node.path, text, None, node.alias)
        else:
            logger.info(label)

    def publish_status(self, node_id: str, status: dict) -> bool:
        """Publish ``status/<id>`` (retained); ``{}`` clears it, and is only sent when a
        status was shown (as Node-RED). Returns whether it was published (Flow.node_status
        then gives it to the flow's status nodes)."""
        topic = "status/" + node_id
        if not status and not self.events.is_retained(topic):
            return False
        self.events.publish(topic, status, retain=True)
        return True

    def log_error(self, text: str) -> None:
        logger.error(text)

    def _report(self, nid: str, ntype: str, name: str, z: str, path: str, text: str, exc: Any,
                msgid: str | None = None, alias: str | None = None) -> None:
        suffix = f" (msg {msgid})" if msgid else ""
        logger.error(f"[{ntype}:{name or nid}] {text}{suffix}")
        if isinstance(exc, BaseException) and not isinstance(exc, (NodeError, ValueError, TypeError, KeyError)):
            logger.debug("".join(traceback.format_exception(exc)))
        # a JavaScript Error is shown as the Error object, as Node-RED's sidebar shows one
        shown = exc if getattr(exc, "js_error", None) is not None else text
        self._publish_log(20, nid, ntype, name, z, path, shown, msgid, alias)

    def _publish_log(self, level: int, nid: str, ntype: str, name: str, z: str, path: str, text: Any,
                     msgid: str | None, alias: str | None) -> None:
        if not self.events.has_listeners:
            return
        from .encode import encode_object

        data: dict[str, Any] = {"level": level, "id": nid, "type": ntype, "msg": text}
        if alias:
            data["_alias"] = alias
        if z:
            data["z"] = z
        if name:
            data["name"] = name
        data["path"] = path
        data["timestamp"] = int(time.time() * 1000)
        if msgid:
            data["_msgid"] = msgid
        self.events.publish("debug", encode_object(data, self.settings.debugMaxLength))


def _root_flow(flow: Flow) -> str:
    """The tab (or ``global``) a flow belongs to, through nested subflow instances."""
    while flow.parent is not None:
        flow = flow.parent
    return flow.id
