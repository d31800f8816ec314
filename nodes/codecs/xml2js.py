"""xml2js 0.6 in Python: XML text to objects and objects to XML text, in xml2js's shape.

Mirrors the JavaScript library xml2js (lib/parser.js reading with sax in strict mode, lib/builder.js
writing with xmlbuilder 11) as Node-RED's XML node (nodes/core/parsers/70-XML.js) uses it. The
object shape: attributes under ``"$"``, text under ``"_"``, every child element in an array.
XML is read with expat through defusedxml (entity declarations refused, no external DTD or
entity is ever fetched); the document type declaration is otherwise ignored, as sax ignores it.

Interface: ``parse_xml(text, options) -> value`` and ``build_xml(value, options) -> text``, with
xml2js's options (PARSER_DEFAULTS, BUILDER_DEFAULTS); errors raise XmlError with sax's and
xmlbuilder's texts.
"""
from __future__ import annotations

import copy
import datetime as _dt
import json
import re
from typing import Any, Callable
from xml.parsers import expat
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler, property_lexical_handler

from defusedxml.common import DefusedXmlException, EntitiesForbidden
from defusedxml.expatreader import DefusedExpatParser

from flowred import UNDEFINED, NodeError
from flowred.jscompat import js_to_string, js_truthy

__all__ = ["XmlError", "parse_xml", "build_xml", "is_object", "PARSER_DEFAULTS", "BUILDER_DEFAULTS"]


class XmlError(NodeError):
    """XML that cannot be read, or a value that cannot be written, with the text xml2js (sax,
    xmlbuilder) gives, e.g. ``Unexpected close tag\\nLine: 0\\nColumn: 6\\nChar: b`` or
    ``Invalid character in name``. A NodeError, so a node may let it reach catch nodes as is."""


#: xml2js's reading options (its ``defaults["0.2"]``) parse_xml honours.
PARSER_DEFAULTS: dict[str, Any] = {
    "explicitCharkey": False, "trim": False, "normalize": False, "normalizeTags": False,
    "attrkey": "$", "charkey": "_", "explicitArray": True, "ignoreAttrs": False, "mergeAttrs": False,
    "explicitRoot": True, "validator": None, "xmlns": False, "explicitChildren": False,
    "preserveChildrenOrder": False, "childkey": "$$", "charsAsChildren": False, "includeWhiteChars": False,
    "attrNameProcessors": None, "attrValueProcessors": None, "tagNameProcessors": None,
    "valueProcessors": None, "emptyTag": "",
}

#: xml2js's writing options (its ``defaults["0.2"]``) build_xml honours.
BUILDER_DEFAULTS: dict[str, Any] = {
    "attrkey": "$", "charkey": "_", "rootName": "root",
    "xmldec": {"version": "1.0", "encoding": "UTF-8", "standalone": True}, "doctype": None,
    "renderOpts": {"pretty": True, "indent": "  ", "newline": "\n"}, "headless": False, "cdata": False,
}

_XML_NS = "http://www.w3.org/XML/1998/namespace"
_XMLNS_NS = "http://www.w3.org/2000/xmlns/"
_JS_SPACE = " \t\n\r\x0b\x0c\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
            "\u2028\u2029\u202f\u205f\u3000\ufeff"
_BLANK = re.compile(r"[\s\ufeff]*\Z")
_SPACES = re.compile(r"[\s\ufeff]{2,}")


def _js_trim(text: str) -> str:
    return text.strip(_JS_SPACE)


# -- XML text → object (xml2js's Parser) -----------------------------------------------------

class _RootClosed(Exception):
    """The root element has ended: xml2js delivers its result then and reads no further."""


class _Parser(DefusedExpatParser):
    """defusedxml's expat reader (no entity declarations, no external references) that, as
    sax, never reads an external DTD subset nor applies attribute defaults from a DTD."""

    def reset(self) -> None:
        super().reset()
        self._parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self._parser.specified_attributes = True


class _ObjectHandler(ContentHandler):
    """Builds xml2js's object from SAX events, following xml2js's onopentag / onclosetag /
    ontext handlers (lib/parser.js) on sax's events (text is one event between two tags)."""

    def __init__(self, options: dict, reader: _Parser) -> None:
        super().__init__()
        self.reader = reader
        o = options
        self.attrkey, self.charkey = o["attrkey"], o["charkey"]
        self.childkey = js_to_string(o["childkey"])
        self.explicit_charkey = js_truthy(o["explicitCharkey"])
        self.trim, self.normalize = js_truthy(o["trim"]), js_truthy(o["normalize"])
        self.explicit_array, self.explicit_root = js_truthy(o["explicitArray"]), js_truthy(o["explicitRoot"])
        self.ignore_attrs, self.merge_attrs = js_truthy(o["ignoreAttrs"]), js_truthy(o["mergeAttrs"])
        self.explicit_children = js_truthy(o["explicitChildren"])
        self.preserve_order = js_truthy(o["preserveChildrenOrder"])
        self.chars_as_children = js_truthy(o["charsAsChildren"])
        self.include_white = js_truthy(o["includeWhiteChars"])
        self.xmlns = js_truthy(o["xmlns"])
        self.xmlnskey = js_to_string(self.attrkey) + "ns"
        self.empty_tag = o["emptyTag"]
        self.validator = o["validator"]
        self.attr_name_procs = _processors(o, "attrNameProcessors")
        self.attr_value_procs = _processors(o, "attrValueProcessors")
        self.tag_name_procs = _processors(o, "tagNameProcessors")
        if js_truthy(o["normalizeTags"]):
            self.tag_name_procs = [lambda name, *_: js_to_string(name).lower(), *self.tag_name_procs]
        self.value_procs = _processors(o, "valueProcessors")
        if self.validator is not None and not callable(self.validator):
            raise XmlError("options.validator is not a function")
        # each open element: [obj, text parts, saw CDATA, namespace scope]
        self.stack: list[list] = []
        self.text: list[str] = []        # character data since the last markup (one sax text event)
        self.seen_root = False
        self.result: Any = None
        self.line_offset = 0             # lines of leading blank text not given to the reader

    # sax emits text as one event when markup follows; expat splits it, so gather it here
    def characters(self, content: str) -> None:
        self.text.append(content)

    def _flush(self) -> None:
        if self.text:
            text = "".join(self.text)
            self.text.clear()
            self._on_text(text)

    def _on_text(self, text: str) -> list | None:
        if not self.stack:
            return None
        frame = self.stack[-1]
        frame[1].append(text)
        # xml2js tests the text without the two characters backslash-n (its regex escapes twice)
        if self.explicit_children and self.preserve_order and self.chars_as_children \
                and (self.include_white or _js_trim(text.replace("\\n", "")) != ""):
            obj = frame[0]
            children = obj.get(self.childkey)
            if not js_truthy(children):
                children = obj[self.childkey] = []
            child = {"#name": "__text__",
                     self.charkey: _SPACES.sub(" ", text).strip(_JS_SPACE) if self.normalize else text}
            _push(children, child)
        return frame

    def comment(self, content: str) -> None:
        self._flush()

    def processingInstruction(self, target: str, data: str) -> None:
        self._flush()

    def startCDATA(self) -> None:
        self._flush()

    def endCDATA(self) -> None:
        text = "".join(self.text)
        self.text.clear()
        frame = self._on_text(text)
        if frame is not None:
            frame[2] = True

    def startDTD(self, name: str, public_id: str | None, system_id: str | None) -> None:
        pass

    def endDTD(self) -> None:
        pass

    def startEntity(self, name: str) -> None:
        pass

    def endEntity(self, name: str) -> None:
        pass

    def startElement(self, name: str, attrs: Any) -> None:
        self._flush()
        self.seen_root = True
        attributes = dict(attrs.items())
        scope = self.stack[-1][3] if self.stack else {"xml": _XML_NS, "xmlns": _XMLNS_NS}
        if self.xmlns:
            scope, name_info, attributes = self._namespaces(name, attributes, scope)
        obj: dict[str, Any] = {self.charkey: ""}
        if not self.ignore_attrs:
            for key, value in attributes.items():
                if self.attrkey not in obj and not self.merge_attrs:
                    obj[self.attrkey] = {}
                if self.attr_value_procs:
                    value = _apply(self.attr_value_procs, value, key)
                new_key = _apply(self.attr_name_procs, key) if self.attr_name_procs else key
                if self.merge_attrs:
                    self._assign_or_push(obj, _object_key(new_key), value)
                else:
                    _attr_bag(obj, self.attrkey)[_object_key(new_key)] = value
        obj["#name"] = _apply(self.tag_name_procs, name) if self.tag_name_procs else name
        if self.xmlns:
            obj[self.xmlnskey] = name_info
        self.stack.append([obj, [], False, scope])

    def endElement(self, name: str) -> None:
        self._flush()
        obj, parts, cdata, _ = self.stack.pop()
        node_name = _object_key(obj["#name"])
        if not self.explicit_children or not self.preserve_order:
            del obj["#name"]
        charkey = self.charkey
        if not isinstance(obj.get(charkey), str):
            raise XmlError(f'The XML uses the name "{charkey}" that holds text content; set another '
                            "property name for tag text content")
        text = "".join(parts)
        parent = self.stack[-1][0] if self.stack else None
        empty_str = None
        if _BLANK.match(text) and not cdata:
            empty_str = text
            del obj[charkey]
        else:
            if self.trim:
                text = _js_trim(text)
            if self.normalize:
                text = _js_trim(_SPACES.sub(" ", text))
            obj[charkey] = _apply(self.value_procs, text, node_name) if self.value_procs else text
            if len(obj) == 1 and charkey in obj and not self.explicit_charkey:
                obj = obj[charkey]
        if isinstance(obj, dict) and not obj:
            if callable(self.empty_tag):
                obj = self.empty_tag()
            elif _loosely_empty(self.empty_tag):
                obj = empty_str
            else:
                obj = copy.deepcopy(self.empty_tag)
        if self.validator is not None:
            xpath = "/" + "/".join([*(_object_key(f[0].get("#name", "")) for f in self.stack), node_name])
            try:
                obj = self.validator(xpath, parent.get(node_name, UNDEFINED) if parent is not None else UNDEFINED, obj)
            except NodeError:
                raise
            except Exception as exc:
                raise XmlError(str(exc)) from None
        if self.explicit_children and not self.merge_attrs and is_object(obj):
            if not self.preserve_order:
                node: dict[str, Any] = {}
                if self.attrkey in obj:
                    node[self.attrkey] = obj.pop(self.attrkey)
                if not self.chars_as_children and charkey in obj:
                    node[charkey] = obj.pop(charkey)
                if obj:
                    node[self.childkey] = obj
                obj = node
            elif parent is not None:
                children = parent.get(self.childkey)
                if not js_truthy(children):
                    children = parent[self.childkey] = []
                _push(children, dict(obj))
                obj.pop("#name", None)
                if len(obj) == 1 and charkey in obj and not self.explicit_charkey:
                    obj = obj[charkey]
        if parent is not None:
            self._assign_or_push(parent, node_name, obj)
            return
        self.result = {node_name: obj} if self.explicit_root else obj
        raise _RootClosed

    def _assign_or_push(self, obj: dict, key: str, value: Any) -> None:
        if key not in obj:
            obj[key] = [value] if self.explicit_array else value
        else:
            if not isinstance(obj[key], list):
                obj[key] = [obj[key]]
            obj[key].append(value)

    def _namespaces(self, name: str, attributes: dict, scope: dict) -> tuple[dict, dict, dict]:
        """sax's xmlns mode: bind the element's ``xmlns`` attributes, resolve the element's and
        the attributes' prefixes; attributes become ``{name, value, prefix, local, uri}``."""
        bound: dict | None = None
        for attr, value in attributes.items():
            prefix, local = _qname(attr, True)
            if prefix != "xmlns":
                continue
            if local == "xml" and value != _XML_NS:
                self._fail(f"xml: prefix must be bound to {_XML_NS}\nActual: {value}")
            elif local == "xmlns" and value != _XMLNS_NS:
                self._fail(f"xmlns: prefix must be bound to {_XMLNS_NS}\nActual: {value}")
            else:
                if bound is None:
                    bound = dict(scope)
                bound[local] = value
        scope = bound if bound is not None else scope
        prefix, local = _qname(name, False)
        uri = scope.get(prefix) or ""
        if prefix and not uri:
            self._fail(f"Unbound namespace prefix: {json.dumps(name)}")
        described = {}
        for attr, value in attributes.items():
            a_prefix, a_local = _qname(attr, True)
            a_uri = "" if a_prefix == "" else scope.get(a_prefix) or ""
            if a_prefix and a_prefix != "xmlns" and not a_uri:
                self._fail(f"Unbound namespace prefix: {json.dumps(a_prefix)}")
            described[attr] = {"name": attr, "value": value, "prefix": a_prefix, "local": a_local, "uri": a_uri}
        return scope, {"uri": uri, "local": local}, described

    def _fail(self, text: str) -> None:
        line = (self.reader.getLineNumber() or 1) - 1 + self.line_offset
        raise XmlError(f"{text}\nLine: {line}\nColumn: {(self.reader.getColumnNumber() or 0) + 1}\nChar: <")


def _qname(name: str, attribute: bool) -> tuple[str, str]:
    """sax's ``qname``: ``prefix:local`` split on colons; an ``xmlns`` attribute is prefix
    ``xmlns`` with an empty local part."""
    if attribute and name == "xmlns":
        return "xmlns", ""
    if ":" not in name:
        return "", name
    parts = name.split(":")
    return parts[0], parts[1]


def _attr_bag(obj: dict, attrkey: str) -> dict:
    bag = obj[attrkey]
    if not isinstance(bag, dict):
        raise XmlError(f'The XML uses the name "{attrkey}" that holds attributes; set another property '
                        "name for tag attributes")
    return bag


def _push(children: Any, child: dict) -> None:
    if not isinstance(children, list):
        raise XmlError("options.childkey names a property that is not a list")
    children.append(child)


def _object_key(key: Any) -> str:
    return key if isinstance(key, str) else js_to_string(key)


def _loosely_empty(value: Any) -> bool:
    """``value == ''`` in JavaScript: '', 0, false, [] and [''] are loosely equal to ''."""
    if isinstance(value, bool):
        return value is False
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, (str, list)):
        return js_to_string(value) == ""
    return False


def _processors(options: dict, name: str) -> list[Callable]:
    procs = options.get(name)
    if procs is None:
        return []
    if not isinstance(procs, (list, tuple)) or not all(callable(p) for p in procs):
        raise XmlError(f"options.{name} must be a list of functions")
    return list(procs)


def _apply(procs: list[Callable], item: Any, key: Any = UNDEFINED) -> Any:
    for process in procs:
        try:
            item = process(item, key)
        except NodeError:
            raise
        except Exception as exc:
            raise XmlError(str(exc)) from None
    return item


def is_object(value: Any) -> bool:
    """``typeof value === "object"`` for the values a msg holds (null included)."""
    return value is None or isinstance(value, (dict, list, tuple, bytes, bytearray, set, frozenset, _dt.date))


_SAX_TEXTS = {
    expat.errors.codes[expat.errors.XML_ERROR_TAG_MISMATCH]: "Unexpected close tag",
    expat.errors.codes[expat.errors.XML_ERROR_UNDEFINED_ENTITY]: "Invalid character entity",
    expat.errors.codes[expat.errors.XML_ERROR_BAD_CHAR_REF]: "Invalid character entity",
    expat.errors.codes[expat.errors.XML_ERROR_UNCLOSED_TOKEN]: "Unexpected end",
    expat.errors.codes[expat.errors.XML_ERROR_PARTIAL_CHAR]: "Unexpected end",
}


def _error_text(text: str, code: int, line: int, column: int, seen_root: bool, line_offset: int) -> str:
    """An expat error in sax's words and layout: ``<text>\\nLine: <0-based>\\nColumn: <n>\\nChar: <c>``."""
    if code == expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS]:
        message = "Unclosed root tag"
    elif not seen_root and code in (expat.errors.codes[expat.errors.XML_ERROR_SYNTAX],
                                    expat.errors.codes[expat.errors.XML_ERROR_INVALID_TOKEN]) \
            and not text.startswith("<"):
        message = "Non-whitespace before first tag."
    else:
        message = _SAX_TEXTS.get(code) or expat.ErrorString(code)
        message = message[:1].upper() + message[1:]
    lines = text.splitlines(keepends=True) or [""]
    row = lines[line - 1] if 0 < line <= len(lines) else ""
    char = row[column] if column < len(row) else ""
    return f"{message}\nLine: {line - 1 + line_offset}\nColumn: {column + 1}\nChar: {char}"


def parse_xml(text: str, options: dict | None = None) -> Any:
    """xml2js's ``parseString(text, options)``: the object of an XML document, in xml2js's
    shape; ``None`` for blank text or a document without an element.

    ``options`` are xml2js's (``attrkey``, ``charkey``, ``explicitArray``, ``mergeAttrs``, ...;
    see PARSER_DEFAULTS); processors and ``validator`` may be Python callables. Parsing is
    always strict. Reading stops when the root element ends, as xml2js's does. Raises
    XmlError with sax's message layout (``Unexpected close tag\\nLine: 0\\nColumn: 6\\nChar: b``;
    the place is expat's) or, for an entity declaration, a refusal naming the entity.
    """
    o = {**PARSER_DEFAULTS, **(options or {})}
    o["attrkey"], o["charkey"] = _object_key(o["attrkey"]), _object_key(o["charkey"])
    if _js_trim(text) == "":
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    body = text.lstrip(" \t\r\n")
    skipped_lines = text[:len(text) - len(body)].count("\n")
    reader = _Parser()
    handler = _ObjectHandler(o, reader)
    handler.line_offset = skipped_lines
    reader.setContentHandler(handler)
    reader.setProperty(property_lexical_handler, handler)
    try:
        reader.feed(body)
        reader.close()
    except _RootClosed:
        return handler.result
    except SAXParseException as exc:
        cause = exc.getException()
        code = getattr(cause, "code", 0)
        if code == expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS] and not handler.seen_root:
            return None
        line = getattr(cause, "lineno", exc.getLineNumber() or 1)
        column = getattr(cause, "offset", exc.getColumnNumber() or 0)
        raise XmlError(_error_text(body, code, line, column, handler.seen_root, skipped_lines)) from None
    except EntitiesForbidden as exc:
        raise XmlError(f"XML entity declarations are refused: <!ENTITY {exc.name}>") from None
    except DefusedXmlException as exc:
        raise XmlError(f"XML refused: {exc}") from None
    except UnicodeEncodeError as exc:
        raise XmlError(f"Invalid character in string at index {exc.start}") from None
    except RecursionError:
        raise XmlError("Maximum call stack size exceeded") from None
    return None


# -- object → XML text (xml2js's Builder on xmlbuilder 11) ----------------------------------

_NAME_START = (":A-Z_a-z\xC0-\xD6\xD8-\xF6\xF8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D\u2070-\u218F"
               "\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF")
_NAME = re.compile(f"[{_NAME_START}][\\-.0-9\xB7\u0300-\u036F\u203F\u2040{_NAME_START}]*\\Z")
_ILLEGAL_10 = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ILLEGAL_11 = re.compile("[\x00\ufffe\uffff\ud800-\udfff]")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", '"': "&quot;", "\t": "&#x9;", "\n": "&#xA;",
                               "\r": "&#xD;"})


class _Element:
    __slots__ = ("name", "attribs", "children")

    def __init__(self, name: str) -> None:
        self.name = name
        self.attribs: dict[str, str] = {}
        self.children: list = []    # _Element, or ("text" | "raw", value)


class _Writer:
    """xml2js's ``render`` onto an element tree, then xmlbuilder 11's string writer."""

    def __init__(self, options: dict) -> None:
        self.attrkey, self.charkey = options["attrkey"], options["charkey"]
        self.cdata = js_truthy(options["cdata"])
        xmldec = options["xmldec"] if isinstance(options["xmldec"], dict) else {}
        doctype = options["doctype"] if isinstance(options["doctype"], dict) else {}
        self.doc = {**xmldec, **doctype, "headless": options["headless"]}
        version = self.doc.get("version")
        self.version = js_to_string(version) if js_truthy(version) else "1.0"
        render = options["renderOpts"] if isinstance(options["renderOpts"], dict) else {}
        self.pretty = js_truthy(render.get("pretty"))
        self.allow_empty = js_truthy(render.get("allowEmpty"))
        self.indent = _default(render.get("indent"), "  ")
        self.newline = _default(render.get("newline"), "\n")
        offset = render.get("offset")
        self.offset = int(offset) if isinstance(offset, (int, float)) and offset == offset else 0
        self.dont_pretty_text = js_truthy(_default(render.get("dontPrettyTextNodes"),
                                                   render.get("dontprettytextnodes")))
        space = _default(_default(render.get("spaceBeforeSlash"), render.get("spacebeforeslash")), "")
        self.space_before_slash = " " if space is True else js_to_string(space)
        self.suppress = 0

    # -- validation and escaping, as xmlbuilder's XMLStringifier --
    def legal(self, text: str) -> str:
        pattern = _ILLEGAL_10 if self.version == "1.0" else _ILLEGAL_11 if self.version == "1.1" else None
        if pattern is not None and (m := pattern.search(text)):
            index = len(text[:m.start()].encode("utf-16-le", "surrogatepass")) // 2
            raise XmlError(f"Invalid character in string: {text} at index {index}")
        return text

    def name(self, value: Any) -> str:
        text = self.legal(js_to_string(value))
        if not _NAME.match(text):
            raise XmlError("Invalid character in name")
        return text

    def text_value(self, value: Any) -> str:
        return self.legal(js_to_string(value).translate(_TEXT_ESCAPES))

    # -- tree building (xml2js's render) --
    def ele(self, parent: _Element, key: Any, text: Any = UNDEFINED) -> _Element:
        child = _Element(self.name(key))
        parent.children.append(child)
        if text is not UNDEFINED:
            self.txt(child, text)
        return child

    def txt(self, element: _Element, value: Any) -> None:
        if value is None or value is UNDEFINED:
            raise XmlError(f"Missing element text. parent: <{element.name}>")
        element.children.append(("text", self.text_value(value)))

    def raw(self, element: _Element, value: str) -> None:
        element.children.append(("raw", value))

    def att(self, element: _Element, name: Any, value: Any) -> None:
        if value is None or value is UNDEFINED:
            return
        element.attribs[self.name(name)] = self.legal(js_to_string(value).translate(_ATTR_ESCAPES))

    def text_or_cdata(self, element: _Element, value: Any) -> None:
        if self.cdata and _requires_cdata(value):
            self.raw(element, _wrap_cdata(value))
        else:
            self.txt(element, value)

    def render(self, element: _Element, obj: Any) -> None:
        if not is_object(obj):
            self.text_or_cdata(element, obj)
        elif isinstance(obj, (list, tuple)):
            for child in obj:
                for key, entry in _for_in(child):
                    self.render(self.ele(element, key), entry)
        else:
            for key, child in _own_items(obj):
                if key == self.attrkey:
                    if is_object(child):
                        for attr, value in _for_in(child):
                            self.att(element, attr, value)
                elif key == self.charkey:
                    self.text_or_cdata(element, child)
                elif isinstance(child, (list, tuple)):
                    for entry in child:
                        if isinstance(entry, str):
                            if self.cdata and _requires_cdata(entry):
                                self.raw(self.ele(element, key), _wrap_cdata(entry))
                            else:
                                self.ele(element, key, entry)
                        else:
                            self.render(self.ele(element, key), entry)
                elif is_object(child):
                    self.render(self.ele(element, key), child)
                elif isinstance(child, str) and self.cdata and _requires_cdata(child):
                    self.raw(self.ele(element, key), _wrap_cdata(child))
                else:
                    self.ele(element, key, "" if child is UNDEFINED else js_to_string(child))

    # -- writing (xmlbuilder's XMLWriterBase / XMLStringWriter) --
    def space(self, level: int) -> str:
        if not self.pretty or self.suppress:
            return ""
        return js_to_string(self.indent) * max(level + self.offset, 0)

    def endline(self) -> str:
        return "" if not self.pretty or self.suppress else js_to_string(self.newline)

    def element(self, node: _Element, level: int) -> str:
        out = [self.space(level), "<", node.name]
        out.extend(f' {name}="{value}"' for name, value in node.attribs.items())
        children = node.children
        if not children or all(isinstance(c, tuple) and c[1] == "" for c in children):
            if self.allow_empty:
                out.append(f"></{node.name}>{self.endline()}")
            else:
                out.append(f"{self.space_before_slash}/>{self.endline()}")
        elif self.pretty and len(children) == 1 and isinstance(children[0], tuple):
            out.append(">")
            self.suppress += 1
            out.append(self.write_child(children[0], level + 1))
            self.suppress -= 1
            out.append(f"</{node.name}>{self.endline()}")
        else:
            suppressed = False
            if self.dont_pretty_text and any(isinstance(c, tuple) for c in children):
                self.suppress += 1
                suppressed = True
            out.append(">" + self.endline())
            out.extend(self.write_child(c, level + 1) for c in children)
            out.append(f"{self.space(level)}</{node.name}>")
            if suppressed:
                self.suppress -= 1
            out.append(self.endline())
        return "".join(out)

    def write_child(self, child: Any, level: int) -> str:
        if isinstance(child, _Element):
            return self.element(child, level)
        return self.space(level) + child[1] + self.endline()

    def document(self, root: _Element) -> str:
        out = []
        if not js_truthy(self.doc.get("headless")):
            out.append(self.declaration())
            public_id, system_id = self.doc.get("pubID"), self.doc.get("sysID")
            if public_id is not None or system_id is not None:
                out.append(self.doctype(root.name, public_id, system_id))
        out.append(self.element(root, 0))
        text = "".join(out)
        newline = js_to_string(self.newline)
        if self.pretty and newline and text.endswith(newline):
            text = text[:-len(newline)]
        return text

    def declaration(self) -> str:
        version = self.version
        if not re.search(r"1\.[0-9]+", version):
            raise XmlError(f"Invalid version number: {version}")
        out = f'<?xml version="{version}"'
        encoding = self.doc.get("encoding")
        if encoding is not None:
            encoding = js_to_string(encoding)
            if not re.match(r"[A-Za-z][A-Za-z0-9._-]*\Z", encoding):
                raise XmlError(f"Invalid encoding: {encoding}")
            out += f' encoding="{self.legal(encoding)}"'
        standalone = self.doc.get("standalone")
        if standalone is not None:
            out += f' standalone="{"yes" if js_truthy(standalone) else "no"}"'
        return out + f"{self.space_before_slash}?>{self.endline()}"

    def doctype(self, root_name: str, public_id: Any, system_id: Any) -> str:
        if system_id is None:
            public_id, system_id = None, public_id
        public_id = self.legal(js_to_string(public_id)) if public_id is not None else None
        system_id = self.legal(js_to_string(system_id)) if system_id is not None else None
        out = f"<!DOCTYPE {root_name}"
        if public_id and system_id:
            out += f' PUBLIC "{public_id}" "{system_id}"'
        elif system_id:
            out += f' SYSTEM "{system_id}"'
        return out + f"{self.space_before_slash}>{self.endline()}"


def _default(value: Any, fallback: Any) -> Any:
    """JavaScript's ``value ?? fallback``."""
    return fallback if value is None or value is UNDEFINED else value


def _requires_cdata(entry: Any) -> bool:
    return isinstance(entry, str) and ("&" in entry or ">" in entry or "<" in entry)


def _wrap_cdata(entry: str) -> str:
    return "<![CDATA[" + entry.replace("]]>", "]]]]><![CDATA[>", 1) + "]]>"


def _own_items(obj: Any) -> list[tuple[str, Any]]:
    """``for own key, value of obj`` (Object.keys order of a dict, indices of arrays and
    Buffers; nothing for null, Dates and Sets)."""
    if isinstance(obj, dict):
        return [(_object_key(k), v) for k, v in obj.items()]
    if isinstance(obj, (list, tuple, bytes, bytearray)):
        return [(str(i), v) for i, v in enumerate(obj)]
    return []


def _for_in(obj: Any) -> list[tuple[str, Any]]:
    """``for key, value of obj`` where obj may also be a string (its characters)."""
    if isinstance(obj, str):
        return [(str(i), c) for i, c in enumerate(obj)]
    return _own_items(obj)


def build_xml(value: Any, options: dict | None = None) -> str:
    """xml2js's ``new Builder(options).buildObject(value)``: XML text for an object.

    A single top-level key names the root element (unless ``rootName`` is set), else the root
    is ``<root>``; ``"$"`` holds attributes, ``"_"`` text, arrays repeat their element. By
    default the text starts ``<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`` and is
    indented by 2 spaces (``renderOpts: {pretty: false}`` writes it on one line). ``options``
    are xml2js's (see BUILDER_DEFAULTS). Raises XmlError with xmlbuilder's texts
    (``Invalid character in name``, ``Invalid character in string: ... at index N``).
    """
    o = {**BUILDER_DEFAULTS, **(options or {})}
    if value is None:
        raise XmlError("Cannot convert undefined or null to object")
    writer = _Writer(o)
    keys = _own_items(value)
    if len(keys) == 1 and o["rootName"] == "root":
        root_name, value = keys[0]
    else:
        root_name = o["rootName"]
        if root_name is None or root_name is UNDEFINED:
            raise XmlError("Root element needs a name.")
    try:
        root = _Element(writer.name(root_name))
        writer.render(root, value)
        return writer.document(root)
    except RecursionError:
        raise XmlError("Maximum call stack size exceeded") from None
