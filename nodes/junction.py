"""The ``junction`` node: a wiring point that passes every msg through unchanged.

As Node-RED's junction (nodes/core/common/05-junction.js): ``send(msg); done()``.
"""
from flowred import Node, register


@register("junction", category="common", color="#d9d9d9", inputs=1, outputs=1)
class JunctionNode(Node):
    """Passes each msg to its output, the same object (cloned only on fan-out)."""

    def on_input(self, msg: dict) -> None:
        self.send(msg)
