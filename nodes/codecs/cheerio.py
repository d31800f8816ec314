"""HTML as cheerio reads and writes it for Node-RED's html node (nodes/core/parsers/70-HTML.js):
a document fragment parsed by BeautifulSoup with Python's html.parser, elements found with
soupsieve's CSS selectors, and written back as cheerio's ``.html()`` and ``.xml()`` do.

Imported by the html node when the first one is created: BeautifulSoup and soupsieve take about
4 MiB and 100 ms to import, which flows without an html node do not pay.
"""
from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup, CData, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag
from soupsieve import SelectorSyntaxError

__all__ = ["parse", "select", "serialize", "text", "SelectorSyntaxError"]


# Elements written without an end tag in HTML (dom-serializer's list, as cheerio writes them).
_VOID = frozenset(("area", "base", "basefont", "br", "col", "command", "embed", "frame", "hr",
                   "img", "input", "isindex", "keygen", "link", "meta", "param", "source",
                   "track", "wbr"))
# Elements whose text is written as it is in HTML mode.
_RAW = frozenset(("style", "script", "xmp", "iframe", "noembed", "noframes", "plaintext",
                  "noscript"))
_NOT_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction, CData)

_XML_ESCAPE = {'"': "&quot;", "&": "&amp;", "'": "&apos;", "<": "&lt;", ">": "&gt;"}
_XML_RE = re.compile("[\"&'<>$\u0080-\U0010ffff]")


def _xml_char(m: re.Match) -> str:
    c = m.group(0)
    return _XML_ESCAPE.get(c) or f"&#x{ord(c):x};"


def _encode(text: str) -> str:
    """The entities package's ``encodeXML``, which cheerio uses for text and attribute values:
    ``& < > " '`` by name, ``$`` and every non-ASCII character as a hex character reference."""
    return _XML_RE.sub(_xml_char, text)


def parse(text: str) -> BeautifulSoup:
    """A document fragment (no html/head/body added, as ``cheerio.load(text, null, false)``);
    attribute values stay strings (``class`` included) and a repeated attribute keeps its
    first value, as htmlparser2 does."""
    return BeautifulSoup(text, "html.parser", multi_valued_attributes=None,
                         on_duplicate_attribute="ignore")


def serialize(nodes: Any, xml: bool) -> str:
    """Nodes written as cheerio writes them: ``.html()`` (``xml=False``: void elements
    without end tag, raw text of script/style as it is, empty attributes by name only) or
    ``.xml()`` (``xml=True``: childless elements self-closed ``<p/>``, attributes always with
    a value). Text and attribute values are encoded with ``_encode`` in both."""
    out: list[str] = []
    _write(nodes, xml, out, False)
    return "".join(out)


def _write(nodes: Any, xml: bool, out: list[str], raw: bool) -> None:
    for node in nodes:
        if isinstance(node, Tag):
            name = node.name
            out.append("<" + name)
            for key, value in node.attrs.items():
                if isinstance(value, list):
                    value = " ".join(value)
                if value == "" and not xml:
                    out.append(" " + key)
                else:
                    out.append(f' {key}="{_encode(value)}"')
            if not node.contents and (xml or name in _VOID):
                out.append("/>" if xml else ">")
                continue
            out.append(">")
            _write(node.contents, xml, out, not xml and name in _RAW)
            out.append(f"</{name}>")
        elif isinstance(node, Comment):
            out.append(f"<!--{node}-->")
        elif isinstance(node, CData):
            out.append(f"<![CDATA[{node}]]>")
        elif isinstance(node, (Doctype, Declaration)):
            prefix = "!DOCTYPE " if isinstance(node, Doctype) else "!"
            out.append(f"<{prefix}{node}>")
        elif isinstance(node, ProcessingInstruction):
            out.append(f"<?{node}>")
        elif isinstance(node, NavigableString):
            out.append(str(node) if raw else _encode(str(node)))


def text(tag: Tag) -> str:
    """cheerio's ``.text()``: every text node below the element (script and style text
    included, comments not)."""
    return "".join(str(s) for s in tag.descendants
                   if isinstance(s, NavigableString) and not isinstance(s, _NOT_TEXT))


def select(html: str, selector: str) -> list[Tag]:
    """The elements of the fragment ``html`` matching the CSS ``selector``, in document order;
    raises SelectorSyntaxError when the selector does not parse."""
    return parse(html).select(selector)
