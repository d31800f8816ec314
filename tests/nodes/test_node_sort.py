"""sort node (18-sort.js): arrays in a msg property and msg sequences, by value or JSONata,
ascending/descending, as numbers, JavaScript comparison rules, errors and pending limits."""
from __future__ import annotations

import json

from conftest import TEST_TAB, feeder, make_node


def sort(id_: str = "o1", wires=(("d1",),), **fields) -> dict:
    """A sort node with the fields Node-RED's editor writes, overridden by ``fields``."""
    return make_node(id_, "sort", wires, **{
        "order": "ascending", "as_num": False, "target": "payload", "targetType": "msg",
        "msgKey": "payload", "msgKeyType": "elem", "seqKey": "payload", "seqKeyType": "msg", **fields})


def debug(id_: str = "d1") -> dict:
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full")


def catch(id_: str = "c1", target: str = "dc") -> dict:
    return make_node(id_, "catch", [[target]], scope=None, uncaught=False)


async def start(start_runtime, *nodes: dict, **settings):
    rt = await start_runtime([TEST_TAB, feeder("f1", nodes[0]["id"]), *nodes], **settings)
    return rt, await rt.comms()


async def payloads(comms, count: int, node_id: str = "d1") -> list:
    return [json.loads(d["msg"])["payload"] for d in await comms.debug(count, node_id=node_id)]


async def test_node_red_export_sorts_the_payload_array(start_runtime):
    export = {"id": "3c5e7a9b1d2f4068", "type": "sort", "z": "t1", "name": "", "order": "ascending",
              "as_num": False, "target": "payload", "targetType": "msg", "msgKey": "payload",
              "msgKeyType": "elem", "seqKey": "payload", "seqKeyType": "msg", "x": 310, "y": 160,
              "wires": [["d1"]]}
    rt, comms = await start(start_runtime, export, debug())
    await rt.inject("f1", {"payload": [3, 1.5, -2, 10, 2], "topic": "t"})
    await rt.inject("f1", {"payload": ["b", "a", "10", "9", "B"]})
    assert await payloads(comms, 2) == [[-2, 1.5, 2, 3, 10], ["10", "9", "B", "a", "b"]]


async def test_descending_as_number_and_javascript_mixed_comparisons(start_runtime):
    rt, comms = await start(start_runtime, sort(order="descending", as_num=True), debug(),
                            sort("o2", wires=[["d2"]]), debug("d2"), feeder("f2", "o2"))
    await rt.inject("f1", {"payload": ["10", "9", "1", 5]})
    await rt.inject("f2", {"payload": [3, "20", 1, None, 2.5]})
    assert await payloads(comms, 1) == [["10", "9", 5, "1"]]
    # JavaScript: numbers and numeric strings compare as numbers, null as 0
    assert await payloads(comms, 1, "d2") == [[None, 1, 2.5, 3, "20"]]


async def test_sort_by_jsonata_key_of_each_element(start_runtime):
    rt, comms = await start(start_runtime, sort(msgKey="n * -1", msgKeyType="jsonata", target="data.items"),
                            debug())
    await rt.inject("f1", {"data": {"items": [{"n": 1}, {"n": 3}, {"n": 2}]}, "payload": [2, 1]})
    [data] = await comms.debug(1)
    msg = json.loads(data["msg"])
    assert msg["data"]["items"] == [{"n": 3}, {"n": 2}, {"n": 1}] and msg["payload"] == [2, 1]


async def test_sequence_sort_renumbers_parts_and_joins_back_sorted(start_runtime):
    split = make_node("s1", "split", [["o1"]], splt="\\n", spltType="str", arraySplt=1, arraySpltType="len",
                      stream=False, addname="", property="payload")
    join = make_node("j1", "join", [["d2"]], mode="auto", build="object", property="payload", propertyType="msg",
                     key="topic", joiner="\\n", joinerType="str", useparts=False, accumulate=False, timeout="",
                     count="", reduceRight=False, reduceExp="", reduceInit="", reduceInitType="", reduceFixup="")
    rt, comms = await start(start_runtime, split, sort(wires=[["d1", "j1"]], targetType="seq"), join,
                            debug(), debug("d2"))
    await rt.inject("f1", {"payload": [30, 10, 20]})
    sent = [json.loads(d["msg"]) for d in await comms.debug(3, node_id="d1")]
    assert [(m["payload"], m["parts"]["index"]) for m in sent] == [(10, 0), (20, 1), (30, 2)]
    assert await payloads(comms, 1, "d2") == [[10, 20, 30]]


async def test_sequence_sort_by_jsonata_descending(start_runtime):
    rt, comms = await start(start_runtime, sort(targetType="seq", seqKey="$length(payload)", seqKeyType="jsonata",
                                                order="descending"), debug())
    for i, word in enumerate(["bb", "a", "cccc"]):
        await rt.inject("f1", {"payload": word, "parts": {"id": "g", "index": i, "count": 3}})
    assert await payloads(comms, 3) == ["cccc", "bb", "a"]


async def test_msgs_that_cannot_be_sorted_are_dropped(start_runtime):
    rt, comms = await start(start_runtime, sort(), debug(), sort("o2", wires=[["d1"]], targetType="seq"),
                            feeder("f2", "o2"), make_node("k1", "complete", [["dk"]], scope=["o1", "o2"]),
                            debug("dk"))
    await rt.inject("f1", {"payload": "not an array"})
    await rt.inject("f2", {"payload": 1})
    await rt.inject("f2", {"payload": 2, "parts": {"id": "x"}})
    completed = await comms.debug(3, node_id="dk")
    assert len(completed) == 3 and not [d for d in comms.topic("debug") if d["id"] == "d1"]


async def test_expression_errors_and_too_many_pending(start_runtime):
    rt, comms = await start(start_runtime, sort(msgKey="$number(n)", msgKeyType="jsonata"), debug(),
                            sort("o2", wires=[["d1"]], targetType="seq"), feeder("f2", "o2"),
                            catch(), debug("dc"), nodeMessageBufferMaxLength=2)
    await rt.inject("f1", {"payload": [{"n": "1"}, {"n": "x"}]})
    [err] = await comms.debug(1, node_id="dc")
    assert json.loads(err["msg"])["error"]["message"].startswith("Invalid JSONata expression in sort node: ")
    for i in range(3):
        await rt.inject("f2", {"payload": i, "parts": {"id": "big", "index": i, "count": 5}})
    errors = [json.loads(d["msg"]) for d in await comms.debug(2, node_id="dc")]
    assert errors[1]["error"]["message"] == "Too many pending messages in sort node" and errors[1]["payload"] == 2


async def test_invalid_key_expression_is_a_deploy_error(start_runtime):
    rt = await start_runtime([])
    resp = await rt.deploy([TEST_TAB, sort(msgKey="$$$(", msgKeyType="jsonata"), debug()], expect=400)
    body = await resp.json()
    assert body["errors"][0]["id"] == "o1" and "Invalid JSONata expression in sort node" in body["errors"][0]["message"]


async def test_sequence_sort_by_jsonata_expression_that_is_not_a_property_path(start_runtime):
    # Node-RED's example sequence/sort/02: the key is a JSONata expression, not a msg property;
    # Node-RED 5 sent apple, orange (price 100), then banana, kiwi, pear (price 200).
    rt, comms = await start(start_runtime, sort(targetType="seq", target="", msgKeyType="jsonata",
                                                msgKey='$substring("0000" & $string(price), -4) & name',
                                                seqKey='$substring("0000" & $string(payload.price), -4) & payload.name',
                                                seqKeyType="jsonata"), debug())
    fruits = [("orange", 100), ("banana", 200), ("apple", 100), ("pear", 200), ("kiwi", 200)]
    for i, (name, price) in enumerate(fruits):
        await rt.inject("f1", {"payload": {"name": name, "price": price}, "parts": {"id": "g", "index": i, "count": 5}})
    assert [p["name"] for p in await payloads(comms, 5)] == ["apple", "orange", "banana", "kiwi", "pear"]
