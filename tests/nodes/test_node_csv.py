"""csv node (70-CSV.js): CSV text to objects and back, in the RFC 4180 and legacy modes: column
templates and header lines, numbers, empty values, quoting, skipped lines, msg.parts sequences,
header lines once until msg.reset, errors and warnings."""
from __future__ import annotations

import json

from conftest import TEST_TAB, feeder, make_node


def csv(id_: str = "n1", wires=(("d1",),), **fields) -> dict:
    """A csv node with the fields Node-RED 4's editor writes, overridden by ``fields``."""
    return make_node(id_, "csv", wires, **{
        "spec": "rfc", "sep": ",", "hdrin": "", "hdrout": "none", "multi": "one", "ret": "\\n", "temp": "",
        "skip": "0", "strings": True, "include_empty_strings": "", "include_null_values": "", **fields})


def split(id_: str = "s1", wires=(("n1",),)) -> dict:
    return make_node(id_, "split", wires, splt="\\n", spltType="str", arraySplt=1, arraySpltType="len",
                     stream=False, addname="", property="payload")


def join(id_: str = "j1", wires=(("d1",),)) -> dict:
    """A manual join of strings with "" between them, as long as ``msg.parts.count`` says."""
    return make_node(id_, "join", wires, mode="custom", build="string", property="payload",
                     propertyType="msg", key="topic", joiner="", joinerType="str", useparts=True,
                     accumulate=False, timeout="", count="", reduceRight=False, reduceExp="", reduceInit="",
                     reduceInitType="", reduceFixup="")


def debug(id_: str = "d1") -> dict:
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full")


def catch(id_: str = "c1", target: str = "dc") -> dict:
    return make_node(id_, "catch", [[target]], scope=None, uncaught=False)


async def start(start_runtime, *nodes: dict, feed: tuple[str, ...] = ("n1",)):
    """A runtime with ``nodes``; ``rt.inject("f1", msg)`` sends ``msg`` to each node of ``feed``."""
    rt = await start_runtime([TEST_TAB, feeder("f1", *feed), *nodes])
    return rt, await rt.comms()


async def outputs(comms, count: int, node_id: str = "d1") -> list[dict]:
    """The first ``count`` msgs shown by debug node ``node_id`` (not log entries)."""
    found = await comms.wait_for(lambda m: m["topic"] == "debug" and m["data"].get("id") == node_id
                                 and "level" not in m["data"], count)
    return [json.loads(m["data"]["msg"]) for m in found[:count]]


async def payloads(comms, count: int, node_id: str = "d1") -> list:
    return [m["payload"] for m in await outputs(comms, count, node_id)]


async def warnings(comms, count: int) -> list[str]:
    found = await comms.wait_for(lambda m: m["topic"] == "debug" and m["data"].get("level") == 30, count)
    return [m["data"]["msg"] for m in found]


async def test_node_red_export_converts_csv_to_rows_and_rows_back(start_runtime):
    export = [
        TEST_TAB,
        {"id": "3c5e7a9b1d2f4860", "type": "inject", "z": "t1", "name": "",
         "props": [{"p": "payload"}, {"p": "topic", "vt": "str"}], "repeat": "", "crontab": "", "once": False,
         "onceDelay": 0.1, "topic": "stock",
         "payload": 'name,qty,note\r\nwidget,3,"says ""hi"", twice"\r\ngadget,0.5,\r\n',
         "payloadType": "str", "x": 110, "y": 80, "wires": [["a7c9e1f3b5d70246"]]},
        {"id": "a7c9e1f3b5d70246", "type": "csv", "z": "t1", "name": "rows", "spec": "rfc", "sep": ",",
         "hdrin": True, "hdrout": "none", "multi": "one", "ret": "\\r\\n", "temp": "", "skip": "0",
         "strings": True, "include_empty_strings": "", "include_null_values": "", "x": 290, "y": 80,
         "wires": [["e2f4a6c8b0d21357"]]},
        {"id": "e2f4a6c8b0d21357", "type": "debug", "z": "t1", "name": "", "active": True, "tosidebar": True,
         "console": False, "tostatus": False, "complete": "true", "targetType": "full", "statusVal": "",
         "statusType": "auto", "x": 470, "y": 80, "wires": []},
        {"id": "6b8d0f2a4c6e8091", "type": "inject", "z": "t1", "name": "",
         "props": [{"p": "payload"}, {"p": "topic", "vt": "str"}], "repeat": "", "crontab": "", "once": False,
         "onceDelay": 0.1, "topic": "",
         "payload": '[{"name":"widget","qty":3,"note":"says \\"hi\\", twice"},'
                    '{"qty":-1,"note":"two\\nlines","name":"gizmo"}]',
         "payloadType": "json", "x": 110, "y": 160, "wires": [["d4f6b8a0c2e41739"]]},
        {"id": "d4f6b8a0c2e41739", "type": "csv", "z": "t1", "name": "to text", "spec": "rfc", "sep": ",",
         "hdrin": False, "hdrout": "all", "multi": "one", "ret": "\\r\\n", "temp": "name,note,qty",
         "skip": "0", "strings": True, "include_empty_strings": False, "include_null_values": False,
         "x": 290, "y": 160, "wires": [["e2f4a6c8b0d21357"]]},
    ]
    rt = await start_runtime(export)
    comms = await rt.comms()
    await rt.inject("3c5e7a9b1d2f4860")
    first, second = await outputs(comms, 2, "e2f4a6c8b0d21357")
    msgid = first["_msgid"]
    assert first == {"payload": {"name": "widget", "qty": 3, "note": 'says "hi", twice'}, "topic": "stock",
                     "_msgid": msgid, "columns": "name,qty,note", "parts": {"id": msgid, "index": 0, "count": 2}}
    assert second == {"payload": {"name": "gadget", "qty": 0.5}, "topic": "stock", "_msgid": msgid,
                      "columns": "name,qty,note", "parts": {"id": msgid, "index": 1, "count": 2}}

    await rt.inject("6b8d0f2a4c6e8091")
    back = (await outputs(comms, 3, "e2f4a6c8b0d21357"))[2]
    assert back["payload"] == 'name,note,qty\r\nwidget,"says ""hi"", twice",3\r\ngizmo,"two\nlines",-1\r\n'
    assert back["columns"] == "name,note,qty"


async def test_legacy_export_without_spec_keeps_the_old_parser(start_runtime):
    # a csv node as Node-RED 3 exports it: no "spec", so the legacy parser
    legacy = {"id": "n1", "type": "csv", "z": "t1", "name": "", "sep": ",", "hdrin": "", "hdrout": "none",
              "multi": "one", "ret": "\\n", "temp": ' a , "b" ,c', "skip": "0", "strings": True,
              "include_empty_strings": "", "include_null_values": "", "x": 300, "y": 100, "wires": [["d1"]]}
    rt, comms = await start(start_runtime, legacy, debug())
    await rt.inject("f1", {"payload": '1," x,y ",03\n'})
    await rt.inject("f1", {"payload": '"a"b,"c\n'})  # a quote left open
    await rt.inject("f1", {"payload": {"a": 1, "b": "x\ny", "c": "p\rq"}})
    first, second, third = await outputs(comms, 3)
    assert first["payload"] == {"a": 1, "b": " x,y ", "c": "03"} and first["columns"] == "a,b,c"
    assert second["payload"] == {"a": "ab", "b": "c\n"}  # a quote toggles quoting wherever it is
    assert await warnings(comms, 1) == ["Malformed CSV data - output probably corrupt."]
    assert third["payload"] == '1,"x\ny",p\rq\n' and third["columns"] == "a,b,c"


async def test_columns_come_from_the_template_the_first_line_or_are_numbered(start_runtime):
    rt, comms = await start(start_runtime, csv(temp='id,,"full, name"'), csv("n2", wires=[["d2"]], hdrin=True),
                            csv("n3", wires=[["d3"]], sep="\\t"), debug(), debug("d2"), debug("d3"),
                            feed=("n1", "n2", "n3"))
    await rt.inject("f1", {"payload": 'k, spaced ,"q""t",extra\n1,2,3\n'})
    named = await outputs(comms, 2)
    assert [m["payload"] for m in named] == [{"id": "k", "full, name": 'q"t'}, {"id": 1, "full, name": 3}]
    assert named[0]["columns"] == 'id,"full, name"'
    [from_header] = await outputs(comms, 1, "d2")
    assert from_header["payload"] == {"k": 1, " spaced ": 2, 'q"t': 3}
    assert from_header["columns"] == 'k, spaced ,"q""t",extra'
    numbered = await outputs(comms, 2, "d3")  # a tab separator: the whole line is one field
    assert numbered[1]["payload"] == {"col1": "1,2,3"} and numbered[1]["columns"] == "col1"


async def test_numbers_empty_strings_and_nulls(start_runtime):
    columns = "a,b,c,d,e,f,g,h,i,j,k"
    rt, comms = await start(start_runtime, csv(temp=columns), csv("n2", wires=[["d2"]], temp=columns, strings=False),
                            csv("n3", wires=[["d3"]], temp=columns, include_empty_strings=True,
                                include_null_values=True),
                            csv("n4", wires=[["d4"]], spec="", temp=columns),
                            debug(), debug("d2"), debug("d3"), debug("d4"), feed=("n1", "n2", "n3", "n4"))
    await rt.inject("f1", {"payload": '12,0.5,-3e2,0123,+4, 7 ,0x1F,1.2.3,"",,\n'})
    [parsed] = await payloads(comms, 1)
    assert parsed == {"a": 12, "b": 0.5, "c": -300, "d": "0123", "e": "+4", "f": 7, "g": 31, "h": "1.2.3"}
    [text] = await payloads(comms, 1, "d2")
    assert text == {"a": "12", "b": "0.5", "c": "-3e2", "d": "0123", "e": "+4", "f": " 7 ", "g": "0x1F",
                    "h": "1.2.3"}
    [kept] = await payloads(comms, 1, "d3")
    assert (kept["i"], kept["j"], kept["k"]) == ("", None, None)
    [legacy] = await payloads(comms, 1, "d4")
    assert legacy == {"a": 12, "b": 0.5, "c": -300, "d": "0123", "e": "+4", "f": 7, "g": "0x1F", "h": "1.2.3"}


async def test_an_empty_field_is_null_and_an_empty_quoted_field_an_empty_string(start_runtime):
    rt, comms = await start(start_runtime, csv(temp="a,b,c", include_empty_strings=True, multi="mult"),
                            csv("n2", spec="", temp="a,b,c", include_empty_strings=True, multi="mult",
                                wires=[["d2"]]),
                            debug(), debug("d2"), feed=("n1", "n2"))
    await rt.inject("f1", {"payload": '1,,""\n,5,\n"",x,y'})
    # RFC 4180: a quoted empty field that ends a line is not a field
    assert await payloads(comms, 1) == [[{"a": 1}, {"b": 5}, {"a": "", "b": "x", "c": "y"}]]
    assert await payloads(comms, 1, "d2") == [[{"a": 1, "c": ""}, {"b": 5}, {"a": "", "b": "x", "c": "y"}]]


async def test_quoted_fields_hold_separators_quotes_and_line_breaks(start_runtime):
    rt, comms = await start(start_runtime, csv(temp="a,b,c", multi="mult"), debug())
    text = 'plain,"with, comma","say ""hi"""\r\n"line\nbreak","cr\ronly",x"y\n"a"b,"",last'
    await rt.inject("f1", {"payload": text})
    [got] = await outputs(comms, 1)
    assert got["payload"] == [{"a": "plain", "b": "with, comma", "c": 'say "hi"'},
                              {"a": "line\nbreak", "b": "cr\ronly", "c": 'x"y'},
                              {"a": 'a"b', "c": "last"}]
    assert got["columns"] == "a,b,c" and "parts" not in got


async def test_skipped_lines_and_the_header_line_shift_the_parts(start_runtime):
    rt, comms = await start(start_runtime, csv(hdrin=True, skip="2"), debug())
    await rt.inject("f1", {"payload": "exported by x\nversion 2\nwho,n\nann,1\nbob,2\n", "_msgid": "aaaaaaaaaaaaaaaa"})
    rows = await outputs(comms, 2)
    assert [(m["payload"], m["parts"]) for m in rows] == [
        ({"who": "ann", "n": 1}, {"id": "aaaaaaaaaaaaaaaa", "index": 0, "count": 2}),
        ({"who": "bob", "n": 2}, {"id": "aaaaaaaaaaaaaaaa", "index": 1, "count": 2})]
    # the same file, one line per msg (as a split node or a file-in node sends it)
    lines = ["exported by x", "version 2", "who,n", "ann,1", "bob,2"]
    for i, line in enumerate(lines):
        await rt.inject("f1", {"payload": line, "parts": {"id": "p1", "type": "string", "ch": "\n", "index": i,
                                                           "count": len(lines)}})
    rows = (await outputs(comms, 4))[2:]
    assert [(m["payload"], m["parts"]) for m in rows] == [
        ({"who": "ann", "n": 1}, {"id": "p1", "type": "string", "ch": "\n", "index": 0, "count": 2}),
        ({"who": "bob", "n": 2}, {"id": "p1", "type": "string", "ch": "\n", "index": 1, "count": 2})]
    assert "complete" not in rows[0] and rows[1]["complete"] is True


async def test_lines_split_from_a_csv_text_are_gathered_into_one_array(start_runtime):
    rt, comms = await start(start_runtime, split(), csv(hdrin=True, multi="mult"), debug(), feed=("s1",))
    await rt.inject("f1", {"payload": "city,pop\nOslo,709000\nBergen,291000\nTromsø,77000", "topic": "t"})
    [got] = await outputs(comms, 1)
    assert got["payload"] == [{"city": "Oslo", "pop": 709000}, {"city": "Bergen", "pop": 291000},
                              {"city": "Tromsø", "pop": 77000}]
    assert got["columns"] == "city,pop" and got["topic"] == "t" and "parts" not in got


async def test_objects_arrays_and_values_to_csv(start_runtime):
    rt, comms = await start(start_runtime, csv(temp="b,,a"), csv("n2", wires=[["d2"]], ret="\\r"),
                            debug(), debug("d2"), feed=("n1", "n2"))
    await rt.inject("f1", {"payload": {"a": 1, "b": {"k": [1, None]}, "c": 3}})
    await rt.inject("f1", {"payload": [{"a": True, "b": None}, {"a": 2.5}]})
    await rt.inject("f1", {"payload": [[1, "x", "y"], ["z", 2]]})
    await rt.inject("f1", {"payload": ["v", 1e21, False]})
    await rt.inject("f1", {"payload": []})
    got = await outputs(comms, 5)
    # the template picks properties (and, of array rows, columns); a null is written as null
    assert [m["payload"] for m in got] == ['"{""k"":[1,null]}",,1\n', "null,,true\n,,2.5\n", "1,,y\nz,,\n",
                                          "v,,false\n", "\n"]
    assert got[0]["columns"] == "b,a"
    # without a template: the properties of the first object that are not objects, arrays whole
    assert await payloads(comms, 5, "d2") == ["1,3\r", "true\r2.5\r", "1,x,y\rz,2\r", "v,1e+21,false\r", "\r"]


async def test_output_quoting_of_separators_quotes_and_line_breaks(start_runtime):
    values = ["a;b", 'say "x"', "two\nlines", "cr\ronly", "a,b", " pad ", ""]
    rt, comms = await start(start_runtime, csv(sep=";"), csv("n2", spec="", sep=";", wires=[["d2"]]),
                            debug(), debug("d2"), feed=("n1", "n2"))
    await rt.inject("f1", {"payload": values})
    assert await payloads(comms, 1) == ['"a;b";"say ""x""";"two\nlines";"cr\ronly";a,b; pad ;\n']
    # the legacy parser does not quote a lone \r
    assert await payloads(comms, 1, "d2") == ['"a;b";"say ""x""";"two\nlines";cr\ronly;a,b; pad ;\n']


async def test_header_line_never_always_or_once_until_reset(start_runtime):
    rt, comms = await start(start_runtime, csv(temp="x,y", hdrout="once"),
                            csv("n2", wires=[["d2"]], temp="x,y", hdrout="all"),
                            csv("n3", wires=[["d3"]], temp="x,y", sep="\\t", hdrout="all"),
                            debug(), debug("d2"), debug("d3"), feed=("n1", "n2", "n3"))
    for msg in ({"payload": {"x": 1, "y": 2}}, {"payload": {"x": 3, "y": 4}}, {"reset": True},
                {"payload": {"x": 5, "y": 6}}):
        await rt.inject("f1", msg)
    assert await payloads(comms, 3) == ["x,y\n1,2\n", "3,4\n", "x,y\n5,6\n"]
    assert await payloads(comms, 3, "d2") == ["x,y\n1,2\n", "x,y\n3,4\n", "x,y\n5,6\n"]
    # as Node-RED 4's RFC 4180 mode: the header line is comma-separated whatever the separator
    assert (await payloads(comms, 1, "d3")) == ["x,y\n1\t2\n"]


async def test_a_split_array_of_rows_is_written_and_joined_back_into_one_text(start_runtime):
    rt, comms = await start(start_runtime, split(), csv(hdrout="once", wires=[["j1"]]), join(), debug(),
                            feeder("f2", "n1"), feed=("s1",))
    rows = [{"id": 1, "label": "plain"}, {"id": 2, "label": "with, comma", "extra": "x"}, {"id": 3}]
    await rt.inject("f1", {"payload": rows})
    [whole] = await outputs(comms, 1)
    # the column names of the first part serve the whole sequence; the header line comes once
    assert whole["payload"] == 'id,label\n1,plain\n2,"with, comma"\n3,\n'
    await rt.inject("f2", {"reset": True})
    await rt.inject("f1", {"payload": rows[:1], "columns": "label,id"})
    assert (await payloads(comms, 2))[1] == "label,id\nplain,1\n"


async def test_msg_columns_names_the_properties_without_a_template(start_runtime):
    rt, comms = await start(start_runtime, csv(hdrout="all"),
                            csv("n2", spec="", sep=";", hdrout="all", wires=[["d2"]]),
                            debug(), debug("d2"), feed=("n1", "n2"))
    await rt.inject("f1", {"payload": [{"a": 1, "b": 2, "c": 3}], "columns": 'c,"b,x",a'})
    [got] = await outputs(comms, 1)
    assert got["payload"] == 'c,"b,x",a\n3,,1\n' and got["columns"] == 'c,"b,x",a'
    [legacy] = await outputs(comms, 1, "d2")
    assert legacy["payload"] == 'c;b,x;a\n3;;1\n' and legacy["columns"] == 'c,"b,x",a'


async def test_without_payload_msgs_pass_and_reset_only_resets(start_runtime):
    rt, comms = await start(start_runtime, csv(), debug())
    await rt.inject("f1", {"topic": "no payload"})
    await rt.inject("f1", {"reset": True})
    await rt.inject("f1", {"payload": "1"})
    first, second = await outputs(comms, 2)
    assert first == {"topic": "no payload", "_msgid": first["_msgid"]}
    assert second["payload"] == {"col1": 1}


async def test_objects_without_column_names_warn_once(start_runtime):
    rt, comms = await start(start_runtime, csv(), debug())
    await rt.inject("f1", {"payload": {"b": "x", "a": {"nested": 1}, "c": None, "d": 4}})
    await rt.inject("f1", {"payload": {"d": 5, "b": "y,z"}})
    assert await payloads(comms, 2) == ["x,4\n", '5,"y,z"\n']
    assert await warnings(comms, 1) == ["No columns template specified for object -> CSV."]
    assert len([m for m in comms.topic("debug") if m.get("level") == 30]) == 1


async def test_values_that_are_neither_text_nor_objects(start_runtime):
    rt, comms = await start(start_runtime, csv(), catch(), debug(), debug("dc"))
    await rt.inject("f1", {"payload": 42, "topic": "bad"})
    [caught] = await outputs(comms, 1, "dc")
    assert caught["error"]["message"] == "This node only handles CSV strings or js objects."
    assert caught["error"]["source"]["id"] == "n1" and caught["topic"] == "bad" and caught["payload"] == 42
    assert comms.topic("status/n1") == [{"fill": "red", "shape": "dot",
                                         "text": "This node only handles CSV strings or js objects."}]
    await rt.inject("f1", {"payload": "1,2"})
    await outputs(comms, 1)
    assert comms.topic("status/n1")[-1] == {}  # the next msg clears the status

    await rt.deploy([TEST_TAB, feeder("f1", "n1"), csv(spec=""), catch(), debug(), debug("dc")])
    await rt.inject("f1", {"payload": True})
    assert await warnings(comms, 1) == ["This node only handles CSV strings or js objects."]
    assert len([m for m in comms.topic("debug") if m.get("id") == "dc"]) == 1  # a warning is not caught


async def test_a_header_line_that_does_not_parse_is_an_error(start_runtime):
    rt, comms = await start(start_runtime, csv(hdrin=True), catch(), debug(), debug("dc"))
    await rt.inject("f1", {"payload": 'a,b"c\n1,2'})
    [caught] = await outputs(comms, 1, "dc")
    assert caught["error"]["message"] == "Quote found in the middle of an unquoted field"
    assert comms.topic("status/n1")[-1] == {"fill": "red", "shape": "dot", "text": "Malformed columns template."}
    assert not [m for m in comms.topic("debug") if m.get("id") == "d1"]


async def test_csv_to_objects_and_back_gives_the_same_text(start_runtime):
    text = 'k,v\r\n1,"a ""q"" b"\r\n2,"x,\r\ny"\r\n3,plain\r\n'
    rt, comms = await start(start_runtime, csv(hdrin=True, multi="mult", wires=[["n2"]]),
                            csv("n2", hdrout="all", ret="\\r\\n"), debug())
    await rt.inject("f1", {"payload": text})
    [got] = await outputs(comms, 1)
    assert got["payload"] == text and got["columns"] == "k,v"


async def test_invalid_settings_are_deploy_errors(start_runtime):
    rt = await start_runtime([TEST_TAB])
    resp = await rt.deploy([TEST_TAB, csv(temp='"a" b,c'), csv("n2", hdrout="sometimes"), debug()], expect=400)
    errors = (await resp.json())["errors"]
    assert {(e["id"], e["field"]) for e in errors} == {("n1", "temp"), ("n2", "hdrout")}
    assert "Malformed columns template. Data found after closing quote" in next(
        e["message"] for e in errors if e["id"] == "n1")
    # the legacy parser takes the same template, and old flows' true/false and "yes" still load
    await rt.deploy([TEST_TAB, feeder("f1", "n1"), csv(spec="", temp='"a" b,c', hdrout=True, multi="yes"), debug()])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": [{"a b": 1, "c": 2}]})
    assert await payloads(comms, 1) == ["a b,c\n1,2\n"]
