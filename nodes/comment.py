"""The ``comment`` node: a note on the canvas; it does nothing at run time.

As Node-RED's comment node (nodes/core/common/90-comment.js).
"""
from flowred import Node, NodeConfig, register


class CommentConfig(NodeConfig):
    """``name`` is the note's title, ``info`` its text (Markdown)."""

    info: str = ""


@register("comment", category="common", color="#ffffff", inputs=0, outputs=0, icon="comment.svg")
class CommentNode(Node):
    """A comment. It has no inputs or outputs and never sees a msg."""

    Config = CommentConfig
