"""xml node: XML text <-> object in xml2js's shape, both directions, the node's attr/chr
settings, msg.options for reading and writing, and errors."""
from __future__ import annotations

import json

from conftest import TEST_TAB, catch_all as catch, feeder, full_debug as debug, make_node, run_msgs as run

DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def xml_node(id_: str = "x1", wires=(("d1",),), **fields) -> dict:
    """An xml node with the fields Node-RED's editor writes, overridden by ``fields``."""
    return make_node(id_, "xml", wires, **{"property": "payload", "attr": "", "chr": "", **fields})


async def test_node_red_export_converts_both_ways(start_runtime):
    """A flow as Node-RED's editor exports it: inject (string XML, then a JSON object) → xml → debug."""
    xml_text = ('<note id="7" lang="en"><to>Tove</to><body>Don\'t <b>forget</b>!</body>'
                '<cc>a</cc><cc>b</cc><empty/></note>')
    flow = [
        {"id": "8d1e2f3a4b5c6d70", "type": "tab", "label": "Flow 1", "disabled": False, "info": "", "env": []},
        {"id": "1a2b3c4d5e6f7081", "type": "inject", "z": "8d1e2f3a4b5c6d70", "name": "xml text",
         "props": [{"p": "payload"}, {"p": "topic", "vt": "str"}], "repeat": "", "crontab": "", "once": False,
         "onceDelay": 0.1, "topic": "in", "payload": xml_text, "payloadType": "str", "x": 130, "y": 100,
         "wires": [["2b3c4d5e6f708192"]]},
        {"id": "3c4d5e6f708192a3", "type": "inject", "z": "8d1e2f3a4b5c6d70", "name": "object",
         "props": [{"p": "payload"}, {"p": "topic", "vt": "str"}], "repeat": "", "crontab": "", "once": False,
         "onceDelay": 0.1, "topic": "out",
         "payload": '{"order":{"$":{"id":"42"},"item":[{"_":"pen","$":{"qty":"2"}},"ink & paper"],"note":""}}',
         "payloadType": "json", "x": 130, "y": 160, "wires": [["2b3c4d5e6f708192"]]},
        {"id": "2b3c4d5e6f708192", "type": "xml", "z": "8d1e2f3a4b5c6d70", "name": "", "property": "payload",
         "attr": "", "chr": "", "x": 310, "y": 120, "wires": [["4d5e6f708192a3b4"]]},
        {"id": "4d5e6f708192a3b4", "type": "debug", "z": "8d1e2f3a4b5c6d70", "name": "", "active": True,
         "tosidebar": True, "console": False, "tostatus": False, "complete": "true", "targetType": "full",
         "statusVal": "", "statusType": "auto", "x": 480, "y": 120, "wires": []},
    ]
    rt = await start_runtime(flow)
    comms = await rt.comms()
    await rt.inject("1a2b3c4d5e6f7081")
    [first] = await comms.debug(1)
    await rt.inject("3c4d5e6f708192a3")
    _, second = await comms.debug(2)
    assert json.loads(first["msg"])["payload"] == {"note": {
        "$": {"id": "7", "lang": "en"}, "to": ["Tove"], "body": [{"_": "Don't !", "b": ["forget"]}],
        "cc": ["a", "b"], "empty": [""]}}
    assert json.loads(first["msg"])["topic"] == "in"
    assert json.loads(second["msg"])["payload"] == (
        DECL + '<order id="42"><item qty="2">pen</item><item>ink &amp; paper</item><note/></order>')


async def test_text_key_comes_first_and_text_only_elements_collapse(start_runtime):
    xml_text = '<p class="tag">Hello World</p>'
    [msg] = await run(start_runtime, [xml_node(), debug()], {"payload": xml_text})
    assert json.dumps(msg["payload"]) == '{"p": {"_": "Hello World", "$": {"class": "tag"}}}'


async def test_whitespace_cdata_entities_comments_and_prolog(start_runtime):
    xml_text = ('\n  <?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE r SYSTEM "r.dtd">\n<!-- c -->\n'
                '<r>\n  <a>  </a>\n  <b><![CDATA[<raw> & ]]></b>\n  <c>&lt;&amp;&#65;&#x42;</c>\n'
                '  <d> spaced  text </d>\n  <e>x<!-- note -->y</e>\n</r>\n<!-- after -->')
    [msg] = await run(start_runtime, [xml_node(), debug()], {"payload": xml_text})
    assert msg["payload"] == {"r": {"a": ["  "], "b": ["<raw> & "], "c": ["<&AB"], "d": [" spaced  text "],
                                    "e": ["xy"]}}


async def test_attr_and_chr_settings_name_the_keys_when_reading(start_runtime):
    [read] = await run(start_runtime, [xml_node(attr="@", chr="#"), debug()], {"payload": '<a k="v">t<b>u</b></a>'})
    assert read["payload"] == {"a": {"#": "t", "@": {"k": "v"}, "b": ["u"]}}


async def test_attr_and_chr_do_not_apply_when_writing(start_runtime):
    value = {"a": {"$": {"k": "v"}, "_": "text"}}
    [msg] = await run(start_runtime, [xml_node(attr="@", chr="#"), debug()], {"payload": value})
    assert msg["payload"] == DECL + '<a k="v">text</a>'


async def test_msg_options_for_reading_are_used_and_updated_in_place(start_runtime):
    xml_text = '<list n="2"><item>1</item><item>2</item><one x="y">z</one></list>'
    opts = {"explicitArray": False, "mergeAttrs": True, "explicitRoot": False}
    [msg] = await run(start_runtime, [xml_node(chr="text"), debug()], {"payload": xml_text, "options": opts})
    assert msg["payload"] == {"n": "2", "item": ["1", "2"], "one": {"text": "z", "x": "y"}}
    assert msg["options"] == {**opts, "async": True, "attrkey": "$", "charkey": "text"}


async def test_msg_options_trim_normalize_tags_and_explicit_charkey(start_runtime):
    opts = {"normalizeTags": True, "normalize": True, "explicitCharkey": True, "emptyTag": None}
    [msg] = await run(start_runtime, [xml_node(), debug()],
                      {"payload": "<Doc><Name>  Ada   Lovelace </Name><Gap/></Doc>", "options": opts})
    assert msg["payload"] == {"doc": {"name": [{"_": "Ada Lovelace"}], "gap": [None]}}


async def test_msg_options_explicit_children_keep_document_order(start_runtime):
    opts = {"explicitChildren": True, "preserveChildrenOrder": True, "charsAsChildren": True, "explicitArray": False}
    [msg] = await run(start_runtime, [xml_node(), debug()], {"payload": "<p>a<b>x</b>c</p>", "options": opts})
    assert msg["payload"] == {"p": {"_": "ac", "#name": "p", "$$": [
        {"#name": "__text__", "_": "a"}, {"_": "x", "#name": "b", "$$": [{"#name": "__text__", "_": "x"}]},
        {"#name": "__text__", "_": "c"}], "b": {"_": "x", "$$": [{"#name": "__text__", "_": "x"}]}}}


async def test_msg_options_xmlns_describes_names(start_runtime):
    xml_text = '<r xmlns="urn:d" xmlns:p="urn:p"><p:a p:x="1"/></r>'
    [msg] = await run(start_runtime, [xml_node(), debug()], {"payload": xml_text, "options": {"xmlns": True}})
    root = msg["payload"]["r"]
    assert root["$ns"] == {"uri": "urn:d", "local": "r"}
    assert root["p:a"][0]["$"]["p:x"] == {"name": "p:x", "value": "1", "prefix": "p", "local": "x", "uri": "urn:p"}


async def test_writing_with_msg_options_indents_unless_told_otherwise(start_runtime):
    value = {"a": {"b": ["1", "2"], "c": {"d": ""}}}
    [indented, named, bare] = await run(
        start_runtime, [xml_node(), debug()],
        {"payload": value, "options": {}},
        {"payload": {"x": 1, "y": True}, "options": {"rootName": "doc", "renderOpts": {"pretty": False}}},
        {"payload": {"t": "a<b"}, "options": {"headless": True, "cdata": True, "renderOpts": {"pretty": False}}})
    assert indented["payload"] == (DECL + "\n<a>\n  <b>1</b>\n  <b>2</b>\n  <c>\n    <d/>\n  </c>\n</a>")
    assert indented["options"] == {"async": False}
    assert named["payload"] == DECL + "<doc><x>1</x><y>true</y></doc>"
    assert bare["payload"] == "<t><![CDATA[a<b]]></t>"


async def test_several_top_level_keys_are_wrapped_in_root_and_escaped(start_runtime):
    value = {"a": 'x & "y" <z>', "b": {"$": {"q": 'say "hi"\n<&>'}}, "n": [1, 2.5, None]}
    [msg] = await run(start_runtime, [xml_node(), debug()], {"payload": value})
    assert msg["payload"] == (DECL + '<root><a>x &amp; "y" &lt;z&gt;</a>'
                              '<b q="say &quot;hi&quot;&#xA;&lt;&amp;>"/><n>1</n><n>2.5</n><n/></root>')


async def test_round_trip_gives_the_same_xml(start_runtime):
    xml_text = DECL + '<cat id="1"><name>Tom</name><toy kind="ball">red</toy><toy>mouse</toy><bed/></cat>'
    nodes = [xml_node("x1", (("x2",),)), xml_node("x2", (("d1",),)), debug()]
    [msg] = await run(start_runtime, nodes, {"payload": xml_text})
    assert msg["payload"] == xml_text


async def test_property_option_and_missing_property(start_runtime):
    [converted, untouched] = await run(start_runtime, [xml_node(property="data.xml"), debug()],
                                       {"payload": "<a/>", "data": {"xml": "<b>1</b>"}}, {"payload": "<broken"})
    assert converted["data"] == {"xml": {"b": "1"}} and converted["payload"] == "<a/>"
    assert untouched["payload"] == "<broken"


async def test_blank_text_gives_null_and_content_after_the_root_is_ignored(start_runtime):
    [blank, trailing] = await run(start_runtime, [xml_node(), debug()], {"payload": "  \n "},
                                  {"payload": "<a>1</a><b/>junk<"})
    assert blank["payload"] is None
    assert trailing["payload"] == {"a": "1"}


async def test_malformed_xml_is_an_error_with_sax_wording(start_runtime):
    nodes = [xml_node(wires=((),)), catch(), debug("dc")]
    got = await run(start_runtime, nodes, {"payload": "<a><b></a>", "topic": "bad"}, {"payload": "<a>"},
                    {"payload": "just text"}, {"payload": "<a>&nbsp;</a>"})
    first = got[0]
    assert first["error"]["message"] == "Unexpected close tag\nLine: 0\nColumn: 9\nChar: a"
    assert first["error"]["source"]["id"] == "x1" and first["topic"] == "bad" and first["payload"] == "<a><b></a>"
    assert [m["error"]["message"].split("\n")[0] for m in got[1:]] == [
        "Unclosed root tag", "Non-whitespace before first tag.", "Invalid character entity"]


async def test_entity_declarations_are_refused_not_expanded(start_runtime):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>')
    external = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    nodes = [xml_node(wires=((),)), catch(), debug("dc")]
    got = await run(start_runtime, nodes, {"payload": bomb}, {"payload": external})
    assert [m["error"]["message"] for m in got] == ["XML entity declarations are refused: <!ENTITY lol>",
                                                    "XML entity declarations are refused: <!ENTITY x>"]


async def test_objects_xml_cannot_hold_are_errors(start_runtime):
    nodes = [xml_node(wires=((),)), catch(), debug("dc")]
    got = await run(start_runtime, nodes, {"payload": {"bad name": 1}}, {"payload": None}, {"payload": {"a": "\u0001"}})
    assert [m["error"]["message"] for m in got] == [
        "Invalid character in name", "Cannot convert undefined or null to object",
        "Invalid character in string: \u0001 at index 0"]


async def test_numbers_and_booleans_are_dropped_with_a_warning(start_runtime):
    rt = await start_runtime([TEST_TAB, feeder("f1", "x1"), xml_node(), debug()])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": 5})
    await rt.inject("f1", {"payload": True})
    warnings = await comms.debug(2)
    assert all(w["level"] == 30 and w["id"] == "x1" and w["msg"] == "This node only handles xml strings or js objects."
               for w in warnings)


async def test_python_function_values_are_written_as_javascript_writes_them(start_runtime):
    make = make_node("pf", "python-function", [["x1"]], outputs=1, func=(
        "msg['payload'] = {'r': {'f': 1.0, 'g': 1e-7, 'i': 10, 't': (1, 2), 'b': False}}\nreturn msg"))
    [msg] = await run(start_runtime, [make, xml_node(), debug()], {"payload": None})
    assert msg["payload"] == DECL + "<r><f>1</f><g>1e-7</g><i>10</i><t>1</t><t>2</t><b>false</b></r>"
