"""The ``html`` node: extracts elements of an HTML document with a CSS selector.

As Node-RED's html node (nodes/core/parsers/70-HTML.js, 70-HTML.html), which uses cheerio;
here BeautifulSoup with Python's html.parser and soupsieve's CSS selectors.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from flowred import UNDEFINED, Node, NodeConfig, NodeError, clone_message, get_msg_property, register, set_msg_property
from flowred.fields import OrDefault, Text
from flowred.jscompat import js_to_string

__all__ = ["HtmlConfig", "HtmlNode"]


class HtmlConfig(NodeConfig):
    """html node settings (Node-RED's defaults).

    ``property``: msg property holding the HTML (default ``payload``). ``outproperty``: where
    the result goes (default: ``property``). ``tag``: the CSS selector (empty: ``msg.select``).
    ``ret``: ``html`` (inner HTML of each element), ``text`` (its text), ``attr`` (its
    attributes as an object), ``compl`` (its attributes plus its inner HTML under ``chr``).
    ``as``: ``single`` (one msg with an array) or ``multi`` (one msg per element, with
    ``msg.parts``). ``chr``: the key of the inner HTML with ``compl`` (default ``_``).
    """

    property: Text = "payload"
    outproperty: Text = "payload"
    tag: Text = ""
    ret: OrDefault[Literal["html", "text", "attr", "compl"]] = "html"
    as_: OrDefault[Literal["single", "multi"]] = Field("single", alias="as")
    chr: Text = "_"


@register("html", category="parser", color="#DEBD5C", inputs=1, outputs=1, icon="parser-html.svg")
class HtmlNode(Node):
    """Extracts the elements matching a CSS selector from the HTML string in
    ``msg.<property>`` (default ``msg.payload``); as Node-RED's html node (70-HTML.js).

    Per matching element, in document order, the result is: *html*, its inner HTML (trimmed,
    written as XML: ``<br/>``, ``<p/>``, non-ASCII as ``&#x..;``); *text*, its text content;
    *attr*, an object of its attributes (``{}`` when it has none); *compl*, that object plus
    ``{<chr>: inner HTML}`` (the attribute wins a clash of names).

    *single*: ``msg.<outproperty>`` is set to the array of results, ``[]`` when nothing
    matches, and the msg is sent. *multi*: a copy of the msg per element with the result in
    ``msg.<outproperty>`` and ``msg.parts = {id: <_msgid of the input>, index, count,
    type: "string", ch: ""}``; as in Node-RED, an element whose html or text is empty sends no
    msg but keeps its index.

    When the node has no selector, ``msg.select`` gives it. A msg without the property passes
    unchanged; a Buffer is read as UTF-8; an object or array matches nothing.

    Errors: a selector that does not parse (soupsieve's text, e.g. ``Malformed attribute
    selector at position 1``; cheerio's texts differ); a number or boolean value
    (``Cannot use 'in' operator to search for 'length' in 5``, as cheerio).
    """

    Config = HtmlConfig

    def __init__(self, config: HtmlConfig, flow) -> None:
        super().__init__(config, flow)
        self.prop = config.property or "payload"
        self.outprop = config.outproperty or self.prop
        self.tag = config.tag
        self.ret = config.ret
        self.multi = config.as_ == "multi"
        self.chr = config.chr or "_"
        from .codecs import cheerio  # BeautifulSoup loads with the first html node, not with every flow

        self._dom = cheerio

    def _result(self, el: Any) -> Any:
        ret = self.ret
        dom = self._dom
        if ret == "text":
            return dom.text(el)
        if ret == "attr":
            return dict(el.attrs)
        inner = dom.serialize(el.contents, False).strip()
        if ret == "html":
            return dom.serialize(dom.parse(inner).contents, True)
        out = {self.chr: inner}
        out.update(el.attrs)
        return out

    def on_input(self, msg: dict) -> None:
        value = get_msg_property(msg, self.prop)
        if value is UNDEFINED:
            self.send(msg)
            return
        tag = self.tag
        if not tag and "select" in msg:
            tag = msg["select"]
        if isinstance(value, (bytes, bytearray)):
            value = bytes(value).decode("utf-8", "replace")
        elif isinstance(value, (bool, int, float)) or value is None:
            if value is None:
                raise NodeError("Cannot read properties of null (reading 'length')")
            raise NodeError(f"Cannot use 'in' operator to search for 'length' in {js_to_string(value)}")
        matches: list = []
        if isinstance(value, str) and isinstance(tag, str) and tag:
            try:
                matches = self._dom.select(value, tag)
            except self._dom.SelectorSyntaxError as exc:
                raise NodeError(str(exc).splitlines()[0]) from None
        if not self.multi:
            set_msg_property(msg, self.outprop, [self._result(el) for el in matches])
            self.send(msg)
            return
        count = len(matches)
        msgid = msg.get("_msgid")
        out = []
        for index, el in enumerate(matches):
            result = self._result(el)
            if result == "":
                continue
            m = clone_message(msg)
            set_msg_property(m, self.outprop, result)
            m["parts"] = {"id": msgid, "index": index, "count": count, "type": "string", "ch": ""}
            out.append(m)
        if out:
            self.send_built(out)
