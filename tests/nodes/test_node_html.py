"""html node: html, text, attr and compl outputs, single array or one msg per element with
msg.parts, msg.select, nothing matched, msgs without the property, errors."""
from __future__ import annotations

import json

from conftest import TEST_TAB, feeder, make_node

DOC = ('<html><body><h1 id="t" class="big title">Héllo <b>world</b></h1>'
       '<ul><li class="a">one</li><li data-x="2">two &amp; <br>more</li><li></li></ul>'
       '<p>x</p></body></html>')


def html_node(id_: str = "h1", wires=(("d1",),), **fields) -> dict:
    """An html node as Node-RED's editor exports it, overridden by ``fields``."""
    return {"id": id_, "type": "html", "z": "t1", "name": "", "property": "payload",
            "outproperty": "payload", "tag": "", "ret": "html", "as": "single", "chr": "_",
            "x": 330, "y": 160, "wires": [list(w) for w in wires], **fields}


def debug(id_: str = "d1") -> dict:
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full", statusVal="", statusType="auto")


def catch(id_: str = "c1", target: str = "dc") -> dict:
    return make_node(id_, "catch", [[target]], scope=None, uncaught=False)


async def start(start_runtime, *nodes: dict):
    rt = await start_runtime([TEST_TAB, feeder("f1", nodes[0]["id"]), *nodes])
    return rt, await rt.comms()


def msgs(data: list[dict]) -> list[dict]:
    return [json.loads(d["msg"]) for d in data]


async def run_one(start_runtime, body: dict, **fields) -> dict:
    rt, comms = await start(start_runtime, html_node(**fields), debug())
    await rt.inject("f1", body)
    [got] = msgs(await comms.debug(1))
    return got


async def test_html_single_inner_html_written_as_xml(start_runtime):
    got = await run_one(start_runtime, {"payload": DOC, "topic": "t"}, tag="li")
    assert got["payload"] == ["one", "two &amp; <br/>more", ""]
    assert got["topic"] == "t" and "parts" not in got


async def test_html_non_ascii_and_nested_markup(start_runtime):
    got = await run_one(start_runtime, {"payload": DOC}, tag="h1")
    assert got["payload"] == ["H&#xe9;llo <b>world</b>"]


async def test_text_mode(start_runtime):
    got = await run_one(start_runtime, {"payload": DOC}, tag="li, h1", ret="text")
    assert got["payload"] == ["Héllo world", "one", "two & more", ""]


async def test_attr_mode_keeps_attribute_strings(start_runtime):
    got = await run_one(start_runtime, {"payload": DOC}, tag="h1, li", ret="attr")
    assert got["payload"] == [{"id": "t", "class": "big title"}, {"class": "a"}, {"data-x": "2"}, {}]


async def test_compl_mode_attributes_and_html_under_chr(start_runtime):
    got = await run_one(start_runtime, {"payload": DOC}, tag="li[data-x], h1", ret="compl", chr="content")
    assert got["payload"] == [{"content": "H&#xe9;llo <b>world</b>", "id": "t", "class": "big title"},
                              {"content": "two &amp; <br>more", "data-x": "2"}]


async def test_multi_sends_one_msg_per_element_with_parts(start_runtime):
    rt, comms = await start(start_runtime, html_node(tag="li", ret="text", **{"as": "multi"}), debug())
    await rt.inject("f1", {"payload": DOC, "topic": "list"})
    got = msgs(await comms.debug(2))
    ids = {m["parts"]["id"] for m in got}
    assert len(ids) == 1 and None not in ids
    assert [m["payload"] for m in got] == ["one", "two & more"]
    assert [m["parts"] for m in got] == [
        {"id": got[0]["_msgid"], "index": 0, "count": 3, "type": "string", "ch": ""},
        {"id": got[0]["_msgid"], "index": 1, "count": 3, "type": "string", "ch": ""}]
    assert all(m["topic"] == "list" for m in got)
    await rt.inject("f1", {"payload": "<p>none</p>"})      # no match: nothing at all
    await rt.inject("f1", {"payload": "<li>end</li>"})     # the empty third li sent nothing
    [last] = msgs(await comms.debug(3))[2:]
    assert last["payload"] == "end" and last["parts"]["count"] == 1


async def test_multi_attr_sends_empty_objects(start_runtime):
    rt, comms = await start(start_runtime, html_node(tag="li", ret="attr", **{"as": "multi"}), debug())
    await rt.inject("f1", {"payload": DOC})
    got = msgs(await comms.debug(3))
    assert [m["payload"] for m in got] == [{"class": "a"}, {"data-x": "2"}, {}]
    assert [m["parts"]["index"] for m in got] == [0, 1, 2]


async def test_outproperty_and_property(start_runtime):
    got = await run_one(start_runtime, {"page": {"body": DOC}, "payload": "kept"},
                        property="page.body", outproperty="result", tag="p")
    assert got["result"] == ["x"] and got["payload"] == "kept"


async def test_selector_matching_nothing_gives_empty_array(start_runtime):
    got = await run_one(start_runtime, {"payload": DOC}, tag="table td")
    assert got["payload"] == []


async def test_msg_select_used_without_tag(start_runtime):
    got = await run_one(start_runtime, {"payload": DOC, "select": "li.a"}, ret="text")
    assert got["payload"] == ["one"]


async def test_missing_property_passes_unchanged(start_runtime):
    got = await run_one(start_runtime, {"topic": "no payload"}, tag="p")
    assert got == {"_msgid": got["_msgid"], "topic": "no payload"}


async def test_invalid_selector_and_number_are_errors(start_runtime):
    rt, comms = await start(start_runtime, html_node(tag="li[", wires=(("d1",),)), debug(), catch(), debug("dc"))
    await rt.inject("f1", {"payload": DOC})
    [err] = msgs(await comms.debug(1, node_id="dc"))
    assert err["error"]["message"].startswith("Malformed attribute selector")
    assert err["error"]["source"]["type"] == "html"
    await rt.deploy([TEST_TAB, feeder("f1", "h1"), html_node(tag="p"), debug(), catch(), debug("dc")])
    await rt.inject("f1", {"payload": 5})
    [_, err] = msgs(await comms.debug(2, node_id="dc"))
    assert err["error"]["message"] == "Cannot use 'in' operator to search for 'length' in 5"
    assert not [d for d in comms.topic("debug") if d.get("id") == "d1"]
