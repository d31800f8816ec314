"""The ``xml`` node: converts a msg property between an XML string and an object.

As Node-RED's XML node (nodes/core/parsers/70-XML.js, 70-XML.html), which uses xml2js 0.6
(with sax in strict mode to read and xmlbuilder 11 to write). The object shape is xml2js's:
attributes under ``"$"``, text under ``"_"``, every child element in an array. XML is read with
expat through defusedxml (entity declarations refused, no external DTD or entity is ever
fetched); the document type declaration is otherwise ignored, as sax ignores it. The codec
itself is flowred.nodes.codecs.xml2js; this module holds the node.
"""
from __future__ import annotations

from typing import Any

from flowred import UNDEFINED, Node, NodeConfig, NodeError, get_msg_property, register, set_msg_property
from flowred.fields import OrDefault, Text
from flowred.jscompat import js_truthy

__all__ = ["XmlConfig", "XmlNode"]


class XmlConfig(NodeConfig):
    """XML node settings (Node-RED's defaults).

    ``property``: the msg property to convert (default ``payload``). ``attr``: the property
    name for attributes when reading XML (empty: ``msg.options.attrkey`` or ``"$"``). ``chr``:
    the property name for text content when reading XML (empty: ``msg.options.charkey`` or
    ``"_"``).
    """

    property: OrDefault[str] = "payload"
    attr: Text = ""
    chr: Text = ""


@register("xml", category="parser", color="#DEBD5C", inputs=1, outputs=1, icon="parser-xml.svg")
class XmlNode(Node):
    """Converts ``msg.<property>`` (default ``msg.payload``) between an XML string and an
    object, as Node-RED's xml node (70-XML.js), in xml2js's shape.

    A string is parsed into an object: ``<p class="tag">Hello</p>`` becomes
    ``{"p": {"_": "Hello", "$": {"class": "tag"}}}``. Attributes go under ``"$"`` (or the
    node's *attr* setting), text under ``"_"`` (or *chr*); an element with only text becomes
    that string, an empty one ``""``; child elements are always arrays (``{"a": {"b": ["1"]}}``
    for ``<a><b>1</b></a>``), the root is not. Blank text gives ``null``.

    An object is written as XML text: one top-level key names the root element, several are
    wrapped in ``<root>``; ``"$"`` values become attributes, ``"_"`` text, arrays repeated
    elements. Without ``msg.options`` it is one line after
    ``<?xml version="1.0" encoding="UTF-8" standalone="yes"?>``. The node's *attr* and *chr*
    settings only apply to reading; writing uses ``msg.options.attrkey`` / ``charkey``.

    ``msg.options`` passes xml2js's options: for reading ``explicitArray``, ``explicitRoot``,
    ``mergeAttrs``, ``ignoreAttrs``, ``explicitCharkey``, ``trim``, ``normalize``,
    ``normalizeTags``, ``emptyTag``, ``explicitChildren``, ``preserveChildrenOrder``,
    ``childkey``, ``charsAsChildren``, ``includeWhiteChars``, ``xmlns`` (and Python callables as
    processors/validator); for writing ``rootName``, ``renderOpts`` (``pretty``, ``indent``,
    ``newline``, ...; given ``msg.options`` without it, the text is indented), ``xmldec``,
    ``doctype``, ``headless``, ``cdata``. As in Node-RED the node records ``async``,
    ``attrkey`` and ``charkey`` in that object. A msg without the property passes unchanged.

    Errors: malformed XML, with sax's message and place (``Unexpected close tag\\nLine: 0\\n
    Column: 6\\nChar: b``, ``Unclosed root tag``, ``Invalid character entity``,
    ``Non-whitespace before first tag.``); an entity declaration (refused, never expanded); a
    name XML cannot have (``Invalid character in name``); ``null`` (``Cannot convert undefined
    or null to object``). A number or boolean is dropped with the warning ``This node only
    handles xml strings or js objects.``
    """

    Config = XmlConfig

    def __init__(self, config: XmlConfig, flow) -> None:
        super().__init__(config, flow)
        self.prop = config.property
        self.attrkey = config.attr
        self.charkey = config.chr
        from .codecs import xml2js  # defusedxml loads with the first xml node, not with every flow

        self._xml = xml2js

    def on_input(self, msg: dict) -> None:
        value = get_msg_property(msg, self.prop)
        if value is UNDEFINED:
            self.send(msg)
            return
        given = msg.get("options", UNDEFINED)
        if isinstance(value, str):
            options = self._options(given, {}, True)
            options["attrkey"] = self.attrkey or (options.get("attrkey") if js_truthy(options.get("attrkey")) else "$")
            options["charkey"] = self.charkey or (options.get("charkey") if js_truthy(options.get("charkey")) else "_")
            result = self._xml.parse_xml(value, options)
        elif self._xml.is_object(value):
            options = self._options(given, {"renderOpts": {"pretty": False}}, False)
            result = self._xml.build_xml(value, options)
        else:
            self.warn("This node only handles xml strings or js objects.")
            return
        set_msg_property(msg, self.prop, result)
        self.send(msg)

    @staticmethod
    def _options(given: Any, default: dict, reading: bool) -> dict:
        """``msg.options`` when it is an object (updated in place, as Node-RED does), else
        ``default``; an array counts as an object without options."""
        if given is None:
            raise NodeError("Cannot set properties of null (setting 'async')")
        if isinstance(given, dict):
            given["async"] = reading
            return given
        if isinstance(given, list):
            return {}
        return default
