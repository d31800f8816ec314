"""The ``status`` node: reports the status changes of other nodes in its flow.

As Node-RED's status node (nodes/core/common/25-status.js) and Flow.handleStatus.
"""
from __future__ import annotations

from flowred import Node, NodeConfig, register
from flowred.nodes.common import NodeScope


class StatusConfig(NodeConfig):
    """``scope``: None (every node of the flow), a list of node ids, or ``"group"``."""

    scope: NodeScope = None


@register("status", category="common", color="#94c1d0", inputs=0, outputs=1)
class StatusNode(Node):
    """Sends ``{status: {fill, shape, text, source: {id, type, name}}}`` for each status a
    watched node shows."""

    Config = StatusConfig

    def start(self) -> None:
        self.watch("status")

    def on_input(self, msg: dict) -> None:
        self.send(msg)
