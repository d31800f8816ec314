"""The change node (15-change.js): set/change/delete/move on msg, flow and global, typed values,
search and replace, deep copy, legacy rules, errors, and independent clones on fan-out."""
from __future__ import annotations

import json
import time

from conftest import TEST_TAB, feeder, make_node


def debug(id_: str = "d1") -> dict:
    return make_node(id_, "debug", complete="true", active=True, tosidebar=True, console=False,
                     tostatus=False, targetType="full")


def change(id_: str, rules: list[dict], wires=(("d1",),), **fields) -> dict:
    """A change node as the Node-RED editor exports it (legacy fields included)."""
    return make_node(id_, "change", wires, rules=rules, action="", property="", **{"from": ""}, to="",
                     reg=False, **fields)


async def run(start_runtime, nodes: list[dict], *msgs: dict, count: int | None = None) -> list[dict]:
    """Deploy ``nodes`` after a feeder wired to c1, send ``msgs``, return the decoded debug msgs."""
    rt = await start_runtime([TEST_TAB, feeder("f1", "c1"), *nodes])
    comms = await rt.comms()
    for msg in msgs:
        await rt.inject("f1", msg)
    got = await comms.debug(len(msgs) if count is None else count)
    return [json.loads(d["msg"]) for d in got]


async def test_node_red_export_sets_typed_values(start_runtime, monkeypatch):
    monkeypatch.setenv("CHANGE_TEST_VAR", "from-env")
    flows = [
        {"id": "c1", "type": "change", "z": "t1", "name": "typed", "rules": [
            {"t": "set", "p": "payload", "pt": "msg", "to": "hello", "tot": "str"},
            {"t": "set", "p": "n", "pt": "msg", "to": "0x10", "tot": "num"},
            {"t": "set", "p": "b", "pt": "msg", "to": "TRUE", "tot": "bool"},
            {"t": "set", "p": "j.deep[1]", "pt": "msg", "to": "{\"a\":[1,null]}", "tot": "json"},
            {"t": "set", "p": "ts", "pt": "msg", "to": "", "tot": "date"},
            {"t": "set", "p": "e", "pt": "msg", "to": "CHANGE_TEST_VAR", "tot": "env"},
            {"t": "set", "p": "copy", "pt": "msg", "to": "topic", "tot": "msg"},
            {"t": "set", "p": "expr", "pt": "msg", "to": "$count(j.deep) & '-' & topic", "tot": "jsonata"},
            {"t": "set", "p": "buf", "pt": "msg", "to": "[104,105]", "tot": "bin"},
        ], "action": "", "property": "", "from": "", "to": "", "reg": False, "x": 300, "y": 100,
         "wires": [["d1"]]},
        debug()]
    before = int(time.time() * 1000)
    [msg] = await run(start_runtime, flows, {"topic": "t", "payload": 1})
    assert msg["payload"] == "hello" and msg["n"] == 16 and msg["b"] is True
    assert msg["j"] == {"deep": [None, {"a": [1, None]}]}
    assert msg["buf"]["type"] == "Buffer" and msg["buf"]["data"] == [104, 105]
    assert before <= msg["ts"] <= int(time.time() * 1000)
    assert msg["e"] == "from-env" and msg["copy"] == "t" and msg["expr"] == "2-t"


async def test_set_on_flow_and_global_context_and_read_back(start_runtime):
    nodes = [change("c1", [
        {"t": "set", "p": "count", "pt": "flow", "to": "payload", "tot": "msg"},
        {"t": "set", "p": "#:(memory)::g.k", "pt": "global", "to": "{\"x\":1}", "tot": "json"},
    ], wires=(("c2",),)),
        change("c2", [
            {"t": "set", "p": "fromFlow", "pt": "msg", "to": "count", "tot": "flow"},
            {"t": "set", "p": "fromGlobal", "pt": "msg", "to": "g.k.x", "tot": "global"},
            {"t": "set", "p": "sum", "pt": "msg", "to": "$flowContext('count') + 1", "tot": "jsonata"},
        ]), debug()]
    [msg] = await run(start_runtime, nodes, {"payload": 41})
    assert msg["fromFlow"] == 41 and msg["fromGlobal"] == 1 and msg["sum"] == 42


async def test_change_replaces_text_numbers_booleans_and_regex_groups(start_runtime):
    nodes = [change("c1", [
        {"t": "change", "p": "payload", "pt": "msg", "from": "a.b", "fromt": "str", "to": "X", "tot": "str"},
        {"t": "change", "p": "whole", "pt": "msg", "from": "42", "fromt": "str", "to": "7", "tot": "num"},
        {"t": "change", "p": "num", "pt": "msg", "from": "5", "fromt": "num", "to": "five", "tot": "str"},
        {"t": "change", "p": "other", "pt": "msg", "from": "6", "fromt": "num", "to": "six", "tot": "str"},
        {"t": "change", "p": "flag", "pt": "msg", "from": "true", "fromt": "bool", "to": "yes", "tot": "str"},
        {"t": "change", "p": "date", "pt": "msg", "from": "(\\d+)-(\\d+)", "fromt": "re", "to": "$2/$1 [$&] $$",
         "tot": "str"},
        {"t": "change", "p": "missing", "pt": "msg", "from": "x", "fromt": "str", "to": "y", "tot": "str"},
    ]), debug()]
    [msg] = await run(start_runtime, nodes, {"payload": "a.b aXb a.b", "whole": "42", "num": 5, "other": 5,
                                             "flag": True, "date": "12-34 and 5-6"})
    assert msg["payload"] == "X aXb X"  # the search text is literal, every match replaced
    assert msg["whole"] == 7  # an exact match is replaced by the typed value itself
    assert msg["num"] == "five" and msg["other"] == 5 and msg["flag"] == "yes"
    assert msg["date"] == "34/12 [12-34] $ and 6/5 [5-6] $"
    assert "missing" not in msg


async def test_change_searches_for_a_msg_value(start_runtime):
    nodes = [change("c1", [
        {"t": "change", "p": "payload", "pt": "msg", "from": "needle", "fromt": "msg", "to": "topic", "tot": "msg"},
    ]), debug()]
    [msg] = await run(start_runtime, nodes, {"payload": "hay needle hay", "needle": "needle", "topic": "pin"})
    assert msg["payload"] == "hay pin hay"


async def test_delete_and_move_on_msg_and_context(start_runtime):
    nodes = [change("c1", [
        {"t": "delete", "p": "secret", "pt": "msg"},
        {"t": "move", "p": "payload", "pt": "msg", "to": "payload.inner", "tot": "msg"},
        {"t": "move", "p": "a.b", "pt": "msg", "to": "a", "tot": "msg"},
        {"t": "move", "p": "topic", "pt": "msg", "to": "saved", "tot": "flow"},
        {"t": "move", "p": "saved", "pt": "flow", "to": "restored", "tot": "msg"},
        {"t": "move", "p": "nothing", "pt": "msg", "to": "gone", "tot": "msg"},
    ]), debug()]
    [msg] = await run(start_runtime, nodes, {"payload": [1, 2], "secret": "x", "a": {"b": {"c": 1}},
                                             "topic": "t", "gone": "old"})
    assert "secret" not in msg and "topic" not in msg and "gone" not in msg
    assert msg["payload"] == {"inner": [1, 2]}
    assert msg["a"] == {"c": 1} and msg["restored"] == "t"


async def test_deep_copy_makes_an_independent_value(start_runtime):
    nodes = [change("c1", [
        {"t": "set", "p": "ref", "pt": "msg", "to": "payload", "tot": "msg", "dc": False},
        {"t": "set", "p": "copy", "pt": "msg", "to": "payload", "tot": "msg", "dc": True},
        {"t": "set", "p": "payload.changed", "pt": "msg", "to": "yes", "tot": "str"},
    ]), debug()]
    [msg] = await run(start_runtime, nodes, {"payload": {"v": 1}})
    assert msg["ref"] == {"v": 1, "changed": "yes"}  # the same object, as Node-RED
    assert msg["copy"] == {"v": 1}


async def test_legacy_single_rule_fields(start_runtime):
    nodes = [make_node("c1", "change", [["c2"]], action="replace", property="payload", to="msg.topic"),
             make_node("c2", "change", [["c3"]], action="change", property="payload", **{"from": "o+"},
                       to="0", reg=True),
             make_node("c3", "change", [["d1"]], action="delete", property="topic"), debug()]
    [msg] = await run(start_runtime, nodes, {"payload": 1, "topic": "foo"})
    assert msg["payload"] == "f0" and "topic" not in msg


async def test_fan_out_to_three_change_nodes_gets_independent_clones(start_runtime):
    def rules(v):
        return [{"t": "set", "p": "payload.who", "pt": "msg", "to": v, "tot": "str"},
                {"t": "set", "p": "payload.list[0]", "pt": "msg", "to": v, "tot": "str"}]
    nodes = [make_node("fan", "junction", [["c2", "c3", "c4"]]),
             change("c1", [{"t": "set", "p": "payload", "pt": "msg", "to": "{\"list\":[0]}", "tot": "json"}],
                    wires=(("fan",),)),
             change("c2", rules("a"), wires=(("d2",),)), change("c3", rules("b"), wires=(("d3",),)),
             change("c4", rules("c"), wires=(("d4",),)), debug("d2"), debug("d3"), debug("d4")]
    got = await run(start_runtime, nodes, {}, count=3)
    payloads = sorted((m["payload"] for m in got), key=lambda p: p["who"])
    assert payloads == [{"who": w, "list": [w]} for w in "abc"]


async def test_jsonata_failure_is_caught_with_the_msg_and_stops_it(start_runtime):
    nodes = [change("c1", [{"t": "set", "p": "payload", "pt": "msg", "to": "$undefinedFn(1)", "tot": "jsonata"}]),
             debug(), make_node("k1", "catch", [["d2"]], scope=None, uncaught=False), debug("d2")]
    [msg] = await run(start_runtime, nodes, {"payload": "p"})
    assert msg["error"]["source"]["id"] == "c1"
    assert msg["error"]["message"].startswith("Invalid JSONata expression")
    assert msg["payload"] == "p"


async def test_unusable_rules_report_each_msg(start_runtime):
    bad = [
        ({"t": "set", "p": "payload", "pt": "msg", "to": "$$$(", "tot": "jsonata"}, "Invalid JSONata expression"),
        ({"t": "set", "p": "payload", "pt": "msg", "to": "{nope", "tot": "json"}, "Invalid 'to' JSON property"),
        ({"t": "change", "p": "payload", "pt": "msg", "from": "(", "fromt": "re", "to": "", "tot": "str"},
         "Invalid 'from' property"),
        ({"t": "set", "p": "a..b", "pt": "msg", "to": "x", "tot": "str"}, "Invalid property expression"),
        ({"t": "change", "p": "payload", "pt": "msg", "from": "nothere", "fromt": "msg", "to": "", "tot": "str"},
         "Invalid 'from' property: unsupported type: undefined"),
    ]
    nodes = [make_node("k1", "catch", [["d2"]], scope=None, uncaught=False), debug("d2")]
    ids = []
    for i, (rule, _) in enumerate(bad):
        ids.append(f"c{i + 1}")
        nodes.append(change(ids[-1], [rule]))
    nodes.append(debug())
    rt = await start_runtime([TEST_TAB, feeder("f1", *ids), *nodes])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": "x"})
    got = [json.loads(d["msg"]) for d in await comms.debug(len(bad), node_id="d2")]
    messages = {m["error"]["source"]["id"]: m["error"]["message"] for m in got}
    for node_id, (_, text) in zip(ids, bad, strict=True):
        assert messages[node_id].startswith(text), (node_id, messages[node_id])
    assert not [d for d in comms.topic("debug") if d.get("id") == "d1"]


async def test_set_below_a_non_object_warns_and_sends_on(start_runtime):
    nodes = [change("c1", [{"t": "set", "p": "payload.x", "pt": "msg", "to": "1", "tot": "num"}]), debug()]
    rt = await start_runtime([TEST_TAB, feeder("f1", "c1"), *nodes])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": "text"})
    [warning] = await comms.wait_for(lambda m: m["topic"] == "debug" and m["data"].get("level") == 30)
    assert warning["data"]["msg"] == "Cannot set property of non-object type: payload.x"
    [data] = await comms.debug(1, node_id="d1")
    assert json.loads(data["msg"])["payload"] == "text"


async def test_unknown_rule_type_is_a_located_deploy_error(start_runtime):
    rt = await start_runtime([TEST_TAB])
    resp = await rt.deploy([TEST_TAB, change("c1", [{"t": "set", "p": "payload", "pt": "msg", "to": "x",
                                                     "tot": "nope"}])], expect=400)
    body = await resp.json()
    assert [(e["id"], e["field"]) for e in body["errors"]] == [("c1", "rules[0].tot")]
