"""The ``debug`` node: shows msgs in the editor's debug sidebar, the log, or its own status.

As Node-RED's debug node (nodes/core/common/21-debug.js, 21-debug.html).
"""
from __future__ import annotations

import json
from typing import Any

from pydantic import field_validator

from flowred import (
    UNDEFINED,
    JsonataError,
    Node,
    NodeConfig,
    NodeError,
    admin_route,
    compile_jsonata,
    evaluate_jsonata,
    get_msg_property,
    register,
)
from flowred.fields import EmptyDefault, Flag

STATUS_LENGTH = 32  # Node-RED's debugStatusLength


class DebugConfig(NodeConfig):
    """Debug node settings (Node-RED's defaults).

    ``complete``: ``"true"`` shows the whole msg, ``"false"`` (or empty) ``msg.payload``, any
    other text is a msg property path; with ``targetType: "jsonata"`` it is a JSONata expression
    evaluated against the msg (the sidebar entry then has no ``property``).
    ``tosidebar``/``console``/``tostatus`` choose where it goes; ``statusType`` ``auto`` shows
    the value, ``counter`` counts msgs.
    """

    active: EmptyDefault[bool] = True
    tosidebar: EmptyDefault[bool] = True
    console: Flag = False
    tostatus: bool = False
    complete: str = "false"
    targetType: str | None = None
    statusVal: str = ""
    statusType: str = "auto"

    @field_validator("complete", mode="before")
    @classmethod
    def _complete(cls, v: Any) -> str:
        if v is None or v is False or v == "":
            return "false"
        return "true" if v is True else str(v)


@register("debug", category="common", color="#87a980", inputs=1, outputs=0, icon="debug.svg")
class DebugNode(Node):
    """Publishes each msg (or one property of it) on the ``debug`` comms topic as Node-RED:
    ``{id, z, path, name, topic, property, msg, format}``, the value encoded and cut to
    ``debugMaxLength``. ``POST /debug/<id>/enable|disable`` switches it on and off.
    """

    Config = DebugConfig

    def __init__(self, config: DebugConfig, flow) -> None:
        super().__init__(config, flow)
        self.active = config.active
        whole = config.complete == "true"
        self.property = None if whole else ("payload" if config.complete == "false" else config.complete)
        self._jsonata: str | None = None
        if config.targetType == "jsonata":
            try:
                compile_jsonata(config.complete)
            except JsonataError as exc:
                raise NodeError(str(exc)) from None
            self._jsonata, self.property = config.complete, None
        self._sidebar = self.debug_sidebar()
        self._count = 0
        self._last_status: Any = None
        # As 21-debug.js, while the node is created (so only status nodes created before it
        # see these): a grey ring with tostatus, then at once the counter's 0 or no status.
        if config.tostatus:
            self.status({"fill": "grey", "shape": "ring"})
        if config.statusType == "counter":
            self.status({"fill": "blue", "shape": "ring", "text": "0"})
        else:
            self.status({})

    def on_input(self, msg: dict) -> None:
        if not self.active:
            return
        cfg = self.config
        prop = self.property
        if self._jsonata is not None:
            value = evaluate_jsonata(self._jsonata, msg, self)
        else:
            value = msg if prop is None else get_msg_property(msg, prop)
        sidebar = self._sidebar
        if cfg.tosidebar and sidebar.listening:
            data = {"id": self.id, "z": self.z, "path": self.flow.path, "name": self.name} if self.z else \
                {"id": self.id, "path": self.flow.path, "name": self.name}
            if self.alias:
                data["_alias"] = self.alias
            topic = msg.get("topic", UNDEFINED)
            if topic is not UNDEFINED:
                data["topic"] = topic
            if prop is not None:
                data["property"] = prop
            if sidebar.tracing:  # lets the editor ask for the path this msg took
                data["_msgid"] = msg.get("_msgid")
            data["msg"] = value
            sidebar.publish(data)
        if cfg.console:
            self.log(value if isinstance(value, str) else _inspect(value))
        if cfg.tostatus:
            self._show_status(msg, value)

    def _show_status(self, msg: dict, value: Any) -> None:
        if self.config.statusType == "counter":
            self._count += 1
            status = {"fill": "blue", "shape": "ring", "text": str(self._count)}
        else:
            shown = value
            if self.config.statusType not in ("auto", "") and self.config.statusVal:
                shown = get_msg_property(msg, self.config.statusVal)
            text = shown if isinstance(shown, str) else _inspect(shown)
            if len(text) > STATUS_LENGTH:
                text = text[:STATUS_LENGTH] + "..."
            error = msg.get("error")
            if isinstance(error, dict):
                status = {"fill": "red", "shape": "dot", "text": str(error.get("message", text))}
            else:
                status = {"fill": "grey", "shape": "dot", "text": text}
        if status != self._last_status:
            self._last_status = status
            self.status(status)


def _inspect(value: Any) -> str:
    if value is UNDEFINED:
        return "undefined"
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _set_active(runtime, node_id: str, state: str) -> tuple[int, Any]:
    node = runtime.get_node(node_id)
    if node is None or node.type != "debug" or state not in ("enable", "disable"):
        return 404, "Not Found"
    node.active = state == "enable"
    return (200, "OK") if node.active else (201, "Created")


@admin_route("POST", "/debug/{id}/{state}", permission="debug.write")
async def debug_toggle(runtime, params: dict, body: Any) -> tuple[int, Any]:
    """``POST /debug/:id/enable`` → 200 ``OK``; ``/disable`` → 201 ``Created`` (as Node-RED);
    an unknown id or state → 404."""
    return _set_active(runtime, params["id"], params["state"])


@admin_route("POST", "/debug/{state}", permission="debug.write")
async def debug_toggle_many(runtime, params: dict, body: Any) -> tuple[int, Any]:
    """``POST /debug/enable|disable`` with ``{"nodes": [ids]}`` switches several debug nodes;
    without a ``nodes`` array → 400."""
    if params["state"] not in ("enable", "disable"):
        return 404, "Not Found"
    if not isinstance(body, dict) or not isinstance(body.get("nodes"), list):
        return 400, {"code": "invalid_request", "message": "body must be {\"nodes\": [ids]}"}
    for nid in body["nodes"]:
        _set_active(runtime, str(nid), params["state"])
    return (200, "OK") if params["state"] == "enable" else (201, "Created")
