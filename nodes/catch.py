"""The ``catch`` node: receives the errors that other nodes of its flow report with a msg.

As Node-RED's catch node (nodes/core/common/25-catch.js) and Flow.handleError.
"""
from __future__ import annotations

from flowred import Node, NodeConfig, register
from flowred.nodes.common import NodeScope


class CatchConfig(NodeConfig):
    """``scope``: None (every node of the flow), a list of node ids, or ``"group"`` (the nodes
    of its group). ``uncaught``: only errors no other catch node handled."""

    scope: NodeScope = None
    uncaught: bool = False


@register("catch", category="common", color="#e49191", inputs=0, outputs=1)
class CatchNode(Node):
    """Sends on each caught error's msg, with ``msg.error = {message, source: {id, type, name,
    count}}`` plus the details the failing node gave (e.g. ``status``, ``code``)."""

    Config = CatchConfig

    def start(self) -> None:
        self.watch("error")

    def on_input(self, msg: dict) -> None:
        self.send(msg)
