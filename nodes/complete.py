"""The ``complete`` node: gets each msg that the watched nodes finish handling.

As Node-RED's complete node (nodes/core/common/24-complete.js) and ``done()``.
"""
from __future__ import annotations

from flowred import Node, NodeConfig, register


class CompleteConfig(NodeConfig):
    """``scope``: the ids of the nodes to watch."""

    scope: list[str] = []


@register("complete", category="common", color="#c0edc0", inputs=0, outputs=1)
class CompleteNode(Node):
    """Sends a clone of each msg a watched node completes (its handler returned, or it called
    ``done(msg)``); errors are not completions."""

    Config = CompleteConfig

    def start(self) -> None:
        self.watch("complete")

    def on_input(self, msg: dict) -> None:
        self.send(msg)
