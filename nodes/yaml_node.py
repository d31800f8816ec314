"""The ``yaml`` node: converts a msg property between a YAML string and an object.

As Node-RED's YAML node (nodes/core/parsers/70-YAML.js, 70-YAML.html), which reads and writes
YAML with js-yaml 4 (its default schema). Parsing uses PyYAML's safe loader with js-yaml's
implicit types (YAML 1.2 core: ``yes``/``no``/``on``/``off`` stay strings, ``1e3`` is a number,
``010`` is ten) and js-yaml's rules for keys, merges and duplicates; writing uses PyYAML's safe
dumper shaped as js-yaml writes (block style, sequences indented under their key, multi-line
strings as ``|`` blocks, no ``...`` end marker, JavaScript number text). The codec itself is
flowred.nodes.codecs.jsyaml; this module holds the node.
"""
from __future__ import annotations

import datetime as _dt

from flowred import UNDEFINED, Node, NodeConfig, NodeError, get_msg_property, register, set_msg_property
from flowred.fields import OrDefault

__all__ = ["YamlConfig", "YamlNode"]


class YamlConfig(NodeConfig):
    """YAML node settings (Node-RED's defaults): ``property``, the msg property to convert
    (default ``payload``)."""

    property: OrDefault[str] = "payload"


@register("yaml", category="parser", color="#DEBD5C", inputs=1, outputs=1, icon="parser-yaml.svg")
class YamlNode(Node):
    """Converts ``msg.<property>`` (default ``msg.payload``) between a YAML string and an
    object, as Node-RED's yaml node (70-YAML.js).

    A string is parsed as one YAML document (js-yaml's default schema: ``yes``/``on`` stay
    strings, ``1e3`` is a number, timestamps become Dates, ``<<`` merges) into an object,
    array or scalar; a string holding no document (empty, comments only) removes the property.
    An object, an array or null is written as YAML text (block style, 2-space indent,
    ``"a:\\n  - 1\\n"``). A msg without the property passes unchanged.

    Errors: text that is not YAML, reported with js-yaml's message shape and place, e.g.
    ``duplicated mapping key (2:1)`` followed by the lines around it, or ``expected a single
    document in the stream, but found more``; aliases that would expand the document by more
    than a million values (refused; Node-RED builds them); a value YAML cannot hold (``Failed
    to convert payload``). A flow's ``propertyOut`` field, which Node-RED's runtime also
    reads, names another property for the result. A Buffer is dropped with the warning
    ``Ignored non-object payload``, a number or boolean with ``Ignored unsupported payload type``.
    """

    Config = YamlConfig

    def __init__(self, config: YamlConfig, flow) -> None:
        super().__init__(config, flow)
        self.prop = config.property
        self.prop_out = getattr(config, "propertyOut", None) or self.prop
        from .codecs import jsyaml  # PyYAML loads with the first yaml node, not with every flow

        self._yaml = jsyaml

    def on_input(self, msg: dict) -> None:
        value = get_msg_property(msg, self.prop)
        if value is UNDEFINED:
            self.send(msg)
            return
        if isinstance(value, str):
            set_msg_property(msg, self.prop_out, self._yaml.load_yaml(value))
        elif isinstance(value, (bytes, bytearray)):
            self.warn("Ignored non-object payload")
            return
        elif value is None or isinstance(value, (dict, list, tuple, set, frozenset, _dt.date)):
            try:
                text = self._yaml.dump_yaml(value)
            except self._yaml.YamlError:
                raise NodeError("Failed to convert payload") from None
            set_msg_property(msg, self.prop_out, text)
        else:
            self.warn("Ignored unsupported payload type")
            return
        self.send(msg)
