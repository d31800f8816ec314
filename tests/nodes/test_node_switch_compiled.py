"""The switch node's compiled rules (nodes/switch_rules.py) give what Node-RED's 10-switch.js
gives for values of every type against constant rule values, nested properties, otherwise
after matches, and clones on the second delivery of a msg."""
from __future__ import annotations

import json

from conftest import TEST_TAB, feeder, make_node


def debug(id_: str) -> dict:
    return make_node(id_, "debug", complete="true", active=True, tosidebar=True, console=False,
                     tostatus=False, targetType="full")


async def routed(start_runtime, rules: list[dict], msgs: list[dict], **fields) -> list[set]:
    """Inject ``msgs`` into a switch whose output i goes to debug ``o<i>``; per msg, the outputs
    it left by. A marker through as many hops (junction → ``end``) comes after the last msg."""
    switch = make_node("s1", "switch", [[f"o{i}"] for i in range(len(rules))], rules=rules,
                       **{"property": "payload", "propertyType": "msg", "checkall": "true", "repair": False,
                          "outputs": len(rules), **fields})
    flows = [TEST_TAB, feeder("f1", "s1"), switch, *(debug(f"o{i}") for i in range(len(rules))),
             feeder("f2", "j9"), make_node("j9", "junction", [["end"]]), debug("end")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    for i, msg in enumerate(msgs):
        await rt.inject("f1", {**msg, "n": i})
    await rt.inject("f2", {})
    await comms.debug(1, node_id="end")
    seen = [(d["id"], json.loads(d["msg"])) for d in comms.topic("debug") if d.get("id", "").startswith("o")]
    return [{node for node, m in seen if m.get("n") == i} for i in range(len(msgs))]


async def test_constant_rules_coerce_every_value_type_as_javascript(start_runtime):
    rules = [{"t": "eq", "v": "5", "vt": "num"}, {"t": "neq", "v": "5", "vt": "str"},
             {"t": "lt", "v": "10", "vt": "num"}, {"t": "gte", "v": "b", "vt": "str"},
             {"t": "btwn", "v": "10", "vt": "num", "v2": "1", "v2t": "num"}, {"t": "cont", "v": "23", "vt": "str"},
             {"t": "regex", "v": "^1[0-9]", "vt": "str"}, {"t": "true"}, {"t": "nnull"}]
    values = [{"payload": 5}, {"payload": "5"}, {"payload": 12.5}, {"payload": "c"}, {"payload": [5]},
              {"payload": True}, {"payload": 1234}, {"payload": None}, {}]
    got = await routed(start_runtime, rules, values)
    assert got[0] == {"o0", "o2", "o4", "o8"}  # 5
    assert got[1] == {"o0", "o2", "o4", "o8"}  # "5" == 5, "5" < 10 as numbers, "5" >= "b" false as text
    assert got[2] == {"o1", "o6", "o8"}  # 12.5: String() starts with "12"
    assert got[3] == {"o1", "o3", "o8"}  # "c" >= "b" as text; NaN against numbers
    assert got[4] == {"o0", "o2", "o4", "o8"}  # [5] is "5" as a primitive
    assert got[5] == {"o1", "o2", "o4", "o7", "o8"}  # true is 1
    assert got[6] == {"o1", "o5", "o6", "o8"}  # String(1234) contains "23"
    assert got[7] == {"o1", "o2"}  # null is 0 for <, and not between 1 and 10
    assert got[8] == {"o1"}  # undefined: NaN for every comparison


async def test_text_comparisons_against_text_and_numbers(start_runtime):
    rules = [{"t": "lt", "v": "9", "vt": "str"}, {"t": "lte", "v": "9", "vt": "num"},
             {"t": "gt", "v": "9", "vt": "num"}, {"t": "eq", "v": "a", "vt": "str"},
             {"t": "regex", "v": "^A", "vt": "str", "case": True}, {"t": "false"}, {"t": "null"}]
    got = await routed(start_runtime, rules, [{"payload": "10"}, {"payload": 10}, {"payload": "a"},
                                               {"payload": False}, {"payload": 9.5}])
    assert got[0] == {"o0", "o2"}  # "10" < "9" as text; "10" > 9 as numbers
    assert got[1] == {"o2"}  # 10 < "9" compares as numbers
    assert got[2] == {"o3", "o4"}  # "a" < "9" is false as text ("a" sorts after "9"); regex ignores case
    assert got[3] == {"o0", "o1", "o5"}  # false is 0
    assert got[4] == {"o2"}


async def test_nested_property_read_directly_and_through_any_value(start_runtime):
    rules = [{"t": "eq", "v": "a", "vt": "str"}, {"t": "eq", "v": "5", "vt": "str"}, {"t": "null"}]
    got = await routed(start_runtime, rules,
                       [{"payload": {"kind": "a"}}, {"payload": {"kind": 5}}, {"payload": "text"},
                        {"payload": ["a"]}, {"payload": {"other": 1}}, {"payload": None}],
                       property="payload.kind", checkall="false")
    assert got == [{"o0"}, {"o1"}, {"o2"}, {"o2"}, {"o2"}, {"o2"}]
    got = await routed(start_runtime, rules[:1], [{"payload": {"items": ["a"]}}, {"payload": {"items": "a"}}],
                       property="payload.items[0]")
    assert got == [{"o0"}, set()]


async def test_otherwise_follows_the_matches_since_the_last_otherwise(start_runtime):
    rules = [{"t": "eq", "v": "a", "vt": "str"}, {"t": "else"}, {"t": "eq", "v": "b", "vt": "str"}, {"t": "else"}]
    msgs = [{"payload": "a"}, {"payload": "b"}, {"payload": "c"}]
    assert await routed(start_runtime, rules, msgs) == [{"o0", "o3"}, {"o1", "o2"}, {"o1"}]
    assert await routed(start_runtime, rules, msgs, checkall="false") == [{"o0"}, {"o1"}, {"o1"}]


async def test_second_delivery_of_a_msg_is_a_clone(start_runtime):
    rules = [{"t": "nnull"}, {"t": "gt", "v": "0", "vt": "num"}]
    change = make_node("c1", "change", [["o0"]], rules=[{"t": "set", "p": "payload", "pt": "msg", "to": "changed",
                                                         "tot": "str"}])
    switch = make_node("s1", "switch", [["c1"], ["o1", "o2"]], property="payload", propertyType="msg",
                       rules=rules, checkall="true", repair=False, outputs=2)
    rt = await start_runtime([TEST_TAB, feeder("f1", "s1"), switch, change, debug("o0"), debug("o1"), debug("o2")])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": 3})
    got = {d["id"]: json.loads(d["msg"])["payload"] for d in await comms.debug(3)}
    assert got == {"o0": "changed", "o1": 3, "o2": 3}
