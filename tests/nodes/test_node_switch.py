"""The switch node (10-switch.js): every operator, value types, JavaScript coercion, checkall,
else, previous value, sequences (head/tail/index, repair) and errors."""
from __future__ import annotations

import json

from conftest import TEST_TAB, feeder, make_node


def debug(id_: str) -> dict:
    return make_node(id_, "debug", complete="true", active=True, tosidebar=True, console=False,
                     tostatus=False, targetType="full")


def switch(rules: list[dict], **fields) -> dict:
    """A switch node as the Node-RED editor exports it, output i wired to debug ``o<i>``."""
    base = {"property": "payload", "propertyType": "msg", "checkall": "true", "repair": False,
            "outputs": len(rules)}
    return make_node("s1", "switch", [[f"o{i}"] for i in range(len(rules))], rules=rules, **{**base, **fields})


async def route(start_runtime, rules: list[dict], msgs: list[dict], extra: list[dict] = (), **fields) -> list[set]:
    """Send ``msgs`` one by one through a switch; per msg, the set of outputs it left by.
    A marker msg through a path as long as the switch's, to debug node ``end``, shows when a msg
    has been routed (delivery is one FIFO queue)."""
    nodes = [switch(rules, **fields), *(debug(f"o{i}") for i in range(len(rules))), *extra]
    marker = [feeder("f2", "j9"), make_node("j9", "junction", [["end"]]), debug("end")]  # as many hops as s1
    rt = await start_runtime([TEST_TAB, feeder("f1", "s1"), *marker, *nodes])
    comms = await rt.comms()
    outputs = []
    for i, msg in enumerate(msgs):
        await rt.inject("f1", {**msg, "n": i})
        await rt.inject("f2", {"n": i})
        await comms.debug(i + 1, node_id="end")
    for i in range(len(msgs)):
        outputs.append({d["id"] for d in comms.topic("debug")
                        if d.get("id", "").startswith("o") and json.loads(d["msg"]).get("n") == i})
    return outputs


async def test_node_red_export_with_otherwise(start_runtime):
    flows = [TEST_TAB, feeder("f1", "s1"),
             {"id": "s1", "type": "switch", "z": "t1", "name": "route", "property": "payload",
              "propertyType": "msg", "rules": [{"t": "eq", "v": "a", "vt": "str"},
                                               {"t": "gt", "v": "10", "vt": "num"},
                                               {"t": "else"}],
              "checkall": "true", "repair": False, "outputs": 3, "x": 300, "y": 100,
              "wires": [["o0"], ["o1"], ["o2"]]},
             debug("o0"), debug("o1"), debug("o2")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    for p in ("a", 11, "zz", "12"):
        await rt.inject("f1", {"payload": p})
    got = await comms.debug(4)
    assert [(d["id"], json.loads(d["msg"])["payload"]) for d in got] == [
        ("o0", "a"), ("o1", 11), ("o2", "zz"), ("o1", "12")]


async def test_comparisons_coerce_as_javascript(start_runtime):
    rules = [{"t": "eq", "v": "5", "vt": "num"}, {"t": "neq", "v": "5", "vt": "str"},
             {"t": "lt", "v": "9", "vt": "str"}, {"t": "lte", "v": "5", "vt": "num"},
             {"t": "gte", "v": "5", "vt": "num"}, {"t": "btwn", "v": "10", "vt": "num", "v2": "1", "v2t": "num"}]
    got = await route(start_runtime, rules, [{"payload": "5"}, {"payload": 10}, {"payload": "10"},
                                             {"payload": None}, {"payload": "abc"}])
    assert got[0] == {"o0", "o2", "o3", "o4", "o5"}  # "5" == 5; "5" < "9" as text
    assert got[1] == {"o1", "o4", "o5"}  # 10 < "9" compares as numbers: false
    assert got[2] == {"o1", "o2", "o4", "o5"}  # "10" < "9" as text
    assert got[3] == {"o1", "o2", "o3"}  # null is 0 for < and <=, and not == 5
    assert got[4] == {"o1"}  # NaN compares false


async def test_text_rules_and_case(start_runtime):
    rules = [{"t": "cont", "v": "ell", "vt": "str"}, {"t": "regex", "v": "^HEL+O$", "vt": "str", "case": True},
             {"t": "regex", "v": "^HEL+O$", "vt": "str", "case": False},
             {"t": "hask", "v": "k", "vt": "str"}]
    got = await route(start_runtime, rules, [{"payload": "hello"}, {"payload": "HELLO\n"},
                                             {"payload": {"k": 0}}, {"payload": [1, 2]}])
    assert got == [{"o0", "o1"}, set(), {"o3"}, set()]


async def test_value_tests_and_types(start_runtime):
    rules = [{"t": "true"}, {"t": "false"}, {"t": "null"}, {"t": "nnull"}, {"t": "empty"}, {"t": "nempty"},
             {"t": "istype", "v": "string", "vt": "string"}, {"t": "istype", "v": "number", "vt": "number"},
             {"t": "istype", "v": "boolean", "vt": "boolean"}, {"t": "istype", "v": "array", "vt": "array"},
             {"t": "istype", "v": "object", "vt": "object"}, {"t": "istype", "v": "json", "vt": "json"},
             {"t": "istype", "v": "undefined", "vt": "undefined"}, {"t": "istype", "v": "null", "vt": "null"},
             {"t": "istype", "v": "buffer", "vt": "buffer"}]
    got = await route(start_runtime, rules, [{"payload": True}, {"payload": ""}, {"payload": "{\"a\":1}"},
                                             {"payload": 0}, {"payload": []}, {"payload": {}}, {},
                                             {"payload": None}])
    assert got[0] == {"o0", "o3", "o8", "o11"}
    assert got[1] == {"o3", "o4", "o6"}
    assert got[2] == {"o3", "o5", "o6", "o11"}
    assert got[3] == {"o3", "o7", "o11"}
    assert got[4] == {"o3", "o4", "o9"}
    assert got[5] == {"o3", "o4", "o10"}
    assert got[6] == {"o2", "o12"}
    assert got[7] == {"o2", "o11", "o13"}


async def test_stop_after_first_match_and_else_after_a_match(start_runtime):
    rules = [{"t": "gt", "v": "0", "vt": "num"}, {"t": "gt", "v": "5", "vt": "num"}, {"t": "else"}]
    got = await route(start_runtime, rules, [{"payload": 9}, {"payload": -1}], checkall="false")
    assert got == [{"o0"}, {"o2"}]
    got = await route(start_runtime, rules, [{"payload": 9}, {"payload": -1}])
    assert got == [{"o0", "o1"}, {"o2"}]


async def test_values_from_msg_flow_global_env_jsonata_and_previous(start_runtime, monkeypatch):
    monkeypatch.setenv("SWITCH_LIMIT", "3")
    rules = [{"t": "eq", "v": "expected", "vt": "msg"}, {"t": "eq", "v": "f", "vt": "flow"},
             {"t": "lt", "v": "SWITCH_LIMIT", "vt": "env"}, {"t": "eq", "v": "$count(list)", "vt": "jsonata"},
             {"t": "gt", "v": "", "vt": "prev"}, {"t": "jsonata_exp", "v": "payload * 2 = 8", "vt": "jsonata"},
             {"t": "btwn", "v": "lo", "vt": "msg", "v2": "$number('5')", "v2t": "jsonata"}]
    setter = make_node("c0", "change", [], rules=[{"t": "set", "p": "f", "pt": "flow", "to": "4", "tot": "num"}])
    msgs = [{"payload": 2, "expected": 2, "list": [1], "lo": 9},
            {"payload": 4, "expected": 0, "list": [1, 2, 3, 4], "lo": 3}]
    rt = await start_runtime([TEST_TAB, feeder("f0", "c0"), setter, feeder("f1", "s1"), switch(rules),
                              *(debug(f"o{i}") for i in range(len(rules)))])
    comms = await rt.comms()
    await rt.inject("f0", {})  # sets flow.f first
    for i, msg in enumerate(msgs):
        await rt.inject("f1", {**msg, "n": i})
    got = await comms.debug(6)
    by_msg = [{d["id"] for d in got if json.loads(d["msg"])["n"] == i} for i in range(2)]
    assert by_msg[0] == {"o0", "o2", "o4"}  # payload 2: == msg.expected, < env 3, > first prev null (0)
    # 4 == flow.f and $count(list), > prev 2, 4*2 = 8, between 3 and 5
    assert by_msg[1] == {"o1", "o3", "o4", "o5", "o6"}


async def test_jsonata_property_and_sequence_rules(start_runtime):
    rules = [{"t": "head", "v": "2", "vt": "num"}, {"t": "tail", "v": "1", "vt": "num"},
             {"t": "index", "v": "1", "vt": "num", "v2": "2", "v2t": "num"},
             {"t": "jsonata_exp", "v": "$I = $N - 1", "vt": "jsonata"}]
    msgs = [{"payload": i, "parts": {"id": "p", "index": i, "count": 4}} for i in (0, 1, 2, 3)]
    got = await route(start_runtime, rules, msgs)
    assert got == [{"o0"}, {"o0", "o2"}, {"o2"}, {"o1", "o3"}]


async def test_tail_waits_for_the_whole_sequence_without_count_on_early_parts(start_runtime):
    rules = [{"t": "tail", "v": "2", "vt": "num"}]
    nodes = [switch(rules), debug("o0")]
    rt = await start_runtime([TEST_TAB, feeder("f1", "s1"), *nodes])
    comms = await rt.comms()
    for i in range(3):
        parts = {"id": "x", "index": i, **({"count": 3} if i == 2 else {})}
        await rt.inject("f1", {"payload": i, "parts": parts})
    got = [json.loads(d["msg"]) for d in await comms.debug(2)]
    assert [m["payload"] for m in got] == [1, 2] and got[0]["parts"]["count"] == 3


async def test_repair_renumbers_the_sequence_per_output(start_runtime):
    rules = [{"t": "lt", "v": "2", "vt": "num"}, {"t": "else"}]
    nodes = [switch(rules, repair=True), debug("o0"), debug("o1")]
    rt = await start_runtime([TEST_TAB, feeder("f1", "s1"), *nodes])
    comms = await rt.comms()
    for i in range(5):
        await rt.inject("f1", {"payload": i, "parts": {"id": "seq", "index": i, "count": 5, "type": "array"}})
    got = await comms.debug(5)
    low = [json.loads(d["msg"]) for d in got if d["id"] == "o0"]
    high = [json.loads(d["msg"]) for d in got if d["id"] == "o1"]
    assert [(m["payload"], m["parts"]["index"], m["parts"]["count"]) for m in low] == [(0, 0, 2), (1, 1, 2)]
    assert [(m["payload"], m["parts"]["index"], m["parts"]["count"]) for m in high] == [
        (2, 0, 3), (3, 1, 3), (4, 2, 3)]
    assert len({m["parts"]["id"] for m in low} | {m["parts"]["id"] for m in high}) == 2
    assert all(m["parts"]["type"] == "array" for m in low + high)


async def test_property_types_jsonata_and_flow(start_runtime):
    got = await route(start_runtime, [{"t": "eq", "v": "6", "vt": "num"}], [{"payload": [1, 2, 3]}, {"payload": [5]}],
                      property="$sum(payload)", propertyType="jsonata")
    assert got == [{"o0"}, set()]


async def test_errors_go_to_catch_with_the_msg(start_runtime):
    rules = [{"t": "regex", "v": "(", "vt": "str"}]
    catch = [make_node("k1", "catch", [["caught"]], scope=None, uncaught=False), debug("caught")]
    nodes = [switch(rules), debug("o0"), *catch]
    rt = await start_runtime([TEST_TAB, feeder("f1", "s1"), *nodes])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": "x"})
    [data] = await comms.debug(1, node_id="caught")
    err = json.loads(data["msg"])["error"]
    assert err["source"]["id"] == "s1" and err["message"].startswith("Invalid regular expression: /(/")
    await rt.deploy([TEST_TAB, feeder("f1", "s1"), switch([{"t": "head", "v": "1", "vt": "num"}]), debug("o0"),
                     *catch])
    await rt.inject("f1", {"payload": "no parts"})
    got = await comms.debug(2, node_id="caught")
    assert "msg.parts" in json.loads(got[1]["msg"])["error"]["message"]
    assert not [d for d in comms.topic("debug") if d.get("id") == "o0"]


async def test_invalid_jsonata_property_reports_each_msg_and_failing_property_warns(start_runtime):
    catch = [make_node("k1", "catch", [["caught"]], scope=None, uncaught=False), debug("caught")]
    rt = await start_runtime([TEST_TAB, feeder("f1", "s1"), switch([{"t": "nnull"}], property="$$(",
                                                                    propertyType="jsonata"), debug("o0"), *catch])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": 1})
    [data] = await comms.debug(1, node_id="caught")
    assert json.loads(data["msg"])["error"]["message"].startswith("Invalid JSONata expression")
    await rt.deploy([TEST_TAB, feeder("f1", "s1"), switch([{"t": "nnull"}], property="$error('boom')",
                                                          propertyType="jsonata"), debug("o0")])
    await rt.inject("f1", {"payload": 1})
    [warning] = await comms.wait_for(lambda m: m["topic"] == "debug" and m["data"].get("level") == 30)
    assert "boom" in warning["data"]["msg"]


async def test_unknown_operator_is_a_located_deploy_error(start_runtime):
    rt = await start_runtime([TEST_TAB])
    resp = await rt.deploy([TEST_TAB, switch([{"t": "eq", "v": "1"}, {"t": "sortof"}])], expect=400)
    body = await resp.json()
    assert [(e["id"], e["field"]) for e in body["errors"]] == [("s1", "rules[1].t")]
