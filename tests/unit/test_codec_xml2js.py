"""flowred.nodes.codecs.xml2js called directly: xml2js 0.6's object shape both ways, its
options, and sax's / xmlbuilder's error texts (the xml node's own tests cover msg handling)."""
from __future__ import annotations

import pytest

from flowred.nodes.codecs.xml2js import XmlError, build_xml, parse_xml


def test_an_object_written_and_read_back_is_the_same_object():
    value = {"order": {"$": {"id": "7"}, "item": [{"_": "tea", "$": {"qty": "2"}}, "cake"], "note": [""]}}
    text = build_xml(value, {"renderOpts": {"pretty": False}})
    assert text == ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    '<order id="7"><item qty="2">tea</item><item>cake</item><note/></order>')
    assert parse_xml(text) == value


def test_reading_options_shape_the_object():
    text = '<a x="1"><b>one</b><b>two</b><c/></a>'
    assert parse_xml(text) == {"a": {"$": {"x": "1"}, "b": ["one", "two"], "c": [""]}}
    assert parse_xml(text, {"explicitArray": False, "mergeAttrs": True, "explicitRoot": False}) == \
        {"x": "1", "b": ["one", "two"], "c": ""}
    assert parse_xml(text, {"attrkey": "@", "charkey": "#", "explicitCharkey": True}) == \
        {"a": {"@": {"x": "1"}, "b": [{"#": "one"}, {"#": "two"}], "c": [""]}}


def test_writing_escapes_text_and_attributes_and_pretty_prints_by_default():
    text = build_xml({"p": {"$": {"q": 'a"<b'}, "_": "x & y < z"}}, {"headless": True})
    assert text == '<p q="a&quot;&lt;b">x &amp; y &lt; z</p>'
    pretty = build_xml({"r": {"a": ["1", "2"]}}, {"headless": True})
    assert pretty == "<r>\n  <a>1</a>\n  <a>2</a>\n</r>"
    assert build_xml({"a": 1, "b": 2}, {"headless": True, "renderOpts": {"pretty": False}}) == \
        "<root><a>1</a><b>2</b></root>"


def test_blank_text_is_none_and_errors_carry_sax_and_xmlbuilder_texts():
    assert parse_xml("  \n ") is None
    with pytest.raises(XmlError, match=r"\AUnexpected close tag\nLine: 0\nColumn: \d+\nChar: "):
        parse_xml("<a></b>")
    with pytest.raises(XmlError, match="entity declarations are refused"):
        parse_xml('<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>')
    with pytest.raises(XmlError, match="Invalid character in name"):
        build_xml({"1bad": "x"})
    with pytest.raises(XmlError, match="Cannot convert undefined or null to object"):
        build_xml(None)
