"""split and join nodes (17-split.js): msg.parts, every split type, auto/manual/reduce joins,
done() semantics, timeouts, errors, and a 100,000-part round trip."""
from __future__ import annotations

import asyncio
import json
import time

from conftest import TEST_TAB, feeder, make_node


def split(id_: str = "s1", wires=(("d1",),), **fields) -> dict:
    """A split node with the fields Node-RED's editor writes, overridden by ``fields``."""
    return make_node(id_, "split", wires, **{
        "splt": "\\n", "spltType": "str", "arraySplt": 1, "arraySpltType": "len", "stream": False,
        "addname": "", "property": "payload", **fields})


def join(id_: str = "j1", wires=(("d1",),), **fields) -> dict:
    """A join node with the fields Node-RED's editor writes, overridden by ``fields``."""
    return make_node(id_, "join", wires, **{
        "mode": "auto", "build": "object", "property": "payload", "propertyType": "msg", "key": "topic",
        "joiner": "\\n", "joinerType": "str", "useparts": False, "accumulate": False, "timeout": "",
        "count": "", "reduceRight": False, "reduceExp": "", "reduceInit": "", "reduceInitType": "",
        "reduceFixup": "", **fields})


def debug(id_: str = "d1", complete: str = "true") -> dict:
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete=complete, targetType="full" if complete == "true" else "msg")


def catch(id_: str = "c1", target: str = "dc") -> dict:
    return make_node(id_, "catch", [[target]], scope=None, uncaught=False)


async def start(start_runtime, *nodes: dict, **settings):
    rt = await start_runtime([TEST_TAB, feeder("f1", nodes[0]["id"]), *nodes], **settings)
    return rt, await rt.comms()


def msgs(data: list[dict]) -> list[dict]:
    return [json.loads(d["msg"]) for d in data]


async def outputs(comms, count: int, node_id: str = "d1") -> list[dict]:
    """The first ``count`` debug msgs of ``node_id`` (its sidebar output, not log entries)."""
    found = await comms.wait_for(lambda m: m["topic"] == "debug" and m["data"].get("id") == node_id
                                 and "level" not in m["data"], count)
    return [m["data"] for m in found]


async def warnings(comms, count: int) -> list[dict]:
    found = await comms.wait_for(lambda m: m["topic"] == "debug" and m["data"].get("level") == 30, count)
    return [m["data"] for m in found]


async def test_node_red_export_splits_a_string_and_joins_it_back(start_runtime):
    export = [
        TEST_TAB,
        {"id": "0f4b8e2a9c1d3e57", "type": "inject", "z": "t1", "name": "",
         "props": [{"p": "payload"}, {"p": "topic", "vt": "str"}], "repeat": "", "crontab": "",
         "once": False, "onceDelay": 0.1, "topic": "words", "payload": "a b c", "payloadType": "str",
         "x": 110, "y": 80, "wires": [["7e2c5a1b3d4f6089"]]},
        {"id": "7e2c5a1b3d4f6089", "type": "split", "z": "t1", "name": "", "splt": " ", "spltType": "str",
         "arraySplt": 1, "arraySpltType": "len", "stream": False, "addname": "", "property": "payload",
         "x": 270, "y": 80, "wires": [["5b9d3f7a1c2e4068", "a1c3e5f7092b4d6f"]]},
        {"id": "a1c3e5f7092b4d6f", "type": "debug", "z": "t1", "name": "parts", "active": True,
         "tosidebar": True, "console": False, "tostatus": False, "complete": "true", "targetType": "full",
         "statusVal": "", "statusType": "auto", "x": 450, "y": 40, "wires": []},
        {"id": "5b9d3f7a1c2e4068", "type": "join", "z": "t1", "name": "", "mode": "auto", "build": "object",
         "property": "payload", "propertyType": "msg", "key": "topic", "joiner": "\\n", "joinerType": "str",
         "useparts": False, "accumulate": False, "timeout": "", "count": "", "reduceRight": False,
         "reduceExp": "", "reduceInit": "", "reduceInitType": "", "reduceFixup": "",
         "x": 430, "y": 120, "wires": [["c4e6a8b0d2f41357"]]},
        {"id": "c4e6a8b0d2f41357", "type": "debug", "z": "t1", "name": "joined", "active": True,
         "tosidebar": True, "console": False, "tostatus": False, "complete": "true", "targetType": "full",
         "statusVal": "", "statusType": "auto", "x": 600, "y": 120, "wires": []},
    ]
    rt = await start_runtime(export)
    comms = await rt.comms()
    await rt.inject("0f4b8e2a9c1d3e57")
    parts = msgs(await comms.debug(3, node_id="a1c3e5f7092b4d6f"))
    assert [m["payload"] for m in parts] == ["a", "b", "c"]
    ids = {m["parts"]["id"] for m in parts}
    assert len(ids) == 1 and len({m["_msgid"] for m in parts}) == 3
    assert [m["parts"] for m in parts] == [
        {"id": parts[0]["parts"]["id"], "type": "string", "ch": " ", "index": i, "count": 3} for i in range(3)]
    assert all(m["topic"] == "words" for m in parts)
    [joined] = msgs(await comms.debug(1, node_id="c4e6a8b0d2f41357"))
    assert joined["payload"] == "a b c" and joined["topic"] == "words" and "parts" not in joined


async def test_100000_element_array_through_ten_hops_comes_back_whole(start_runtime):
    hops = [make_node(f"h{i}", "junction", [[f"h{i + 1}" if i < 9 else "j1"]]) for i in range(10)]
    rt, comms = await start(start_runtime, split(wires=[["h0"]]), *hops, join(), debug(complete="payload"),
                            debugMaxLength=1_000_000)
    data = list(range(100_000))
    await rt.inject("f1", {"payload": data, "topic": "big"})
    [got] = await comms.debug(1, timeout=60)
    assert json.loads(got["msg"]) == data and got["topic"] == "big"


async def test_parts_sent_on_two_wires_are_separate_msgs(start_runtime):
    # Scalar parts skip the clone on the first wire; the second wire still gets its own copies.
    tag = make_node("c1", "change", [["d1"]], rules=[{"t": "set", "p": "tag", "pt": "msg", "to": "a", "tot": "str"}])
    rt, comms = await start(start_runtime, split(wires=[["c1", "d2"]]), tag, debug("d1"), debug("d2"))
    await rt.inject("f1", {"payload": [1, "two", None], "topic": "t"})
    one, two = await outputs(comms, 3, "d1"), await outputs(comms, 3, "d2")
    assert [msgs([d])[0].get("tag") for d in one] == ["a", "a", "a"]
    assert [msgs([d])[0].get("tag") for d in two] == [None, None, None]
    assert [msgs([d])[0]["payload"] for d in two] == [1, "two", None]
    ids = {msgs([d])[0]["parts"]["id"] for d in one + two}
    assert len(ids) == 1 and [msgs([d])[0]["parts"]["index"] for d in two] == [0, 1, 2]


async def test_array_chunks_objects_with_addname_and_nested_splits(start_runtime):
    rt, comms = await start(start_runtime, split(wires=[["s2", "d1"]], arraySplt="2"),
                            split("s2", wires=[["j2", "d2"]], addname="key"),
                            join("j2", wires=[["j1"]]), join("j1", wires=[["d3"]]),
                            debug("d1"), debug("d2"), debug("d3"))
    await rt.inject("f1", {"payload": [{"a": 1}, {"b": 2, "c": 3}, {"d": 4}]})
    outer = msgs(await comms.debug(2, node_id="d1"))
    assert [m["payload"] for m in outer] == [[{"a": 1}, {"b": 2, "c": 3}], [{"d": 4}]]
    assert [(m["parts"]["type"], m["parts"]["count"], m["parts"]["len"], m["parts"]["index"]) for m in outer] == \
        [("array", 2, 2, 0), ("array", 2, 2, 1)]
    inner = msgs(await comms.debug(3, node_id="d2"))
    assert [m["payload"] for m in inner] == [{"a": 1}, {"b": 2, "c": 3}, {"d": 4}]
    assert inner[0]["parts"]["parts"] == outer[0]["parts"] and inner[0]["parts"]["type"] == "array"
    assert inner[1]["parts"]["parts"]["index"] == 0
    [back] = msgs(await comms.debug(1, node_id="d3"))
    assert back["payload"] == [{"a": 1}, {"b": 2, "c": 3}, {"d": 4}] and "parts" not in back


async def test_object_split_sends_key_value_msgs_and_copies_the_key(start_runtime):
    rt, comms = await start(start_runtime, split(wires=[["d1", "j1"]], addname="topic"), join(wires=[["d2"]]),
                            debug("d1"), debug("d2"))
    await rt.inject("f1", {"payload": {"x": 1, "y": [2], "z": None}})
    got = msgs(await comms.debug(3, node_id="d1"))
    assert [(m["topic"], m["payload"], m["parts"]["key"], m["parts"]["index"], m["parts"]["count"])
            for m in got] == [("x", 1, "x", 0, 3), ("y", [2], "y", 1, 3), ("z", None, "z", 2, 3)]
    [back] = msgs(await comms.debug(1, node_id="d2"))
    assert back["payload"] == {"x": 1, "y": [2], "z": None}


async def test_fixed_length_strings_and_separator_escapes(start_runtime):
    rt, comms = await start(start_runtime, split(wires=[["d1", "j1"]], splt="3", spltType="len"),
                            join(wires=[["d2"]]), debug("d1"), debug("d2"))
    await rt.inject("f1", {"payload": "abcdefg"})
    got = msgs(await comms.debug(3, node_id="d1"))
    assert [m["payload"] for m in got] == ["abc", "def", "g"]
    assert got[2]["parts"] == {"id": got[0]["parts"]["id"], "type": "string", "ch": "", "len": 3, "count": 3,
                               "index": 2}
    [back] = msgs(await comms.debug(1, node_id="d2"))
    assert back["payload"] == "abcdefg"

    await rt.deploy([TEST_TAB, feeder("f1", "s1"), split(splt="\\t"), debug()])
    await rt.inject("f1", {"payload": "1\t2"})
    assert [m["payload"] for m in msgs(await comms.debug(6))[4:]] == ["1", "2"]


async def test_stream_mode_keeps_the_remainder_for_the_next_msg(start_runtime):
    rt, comms = await start(start_runtime, split(stream=True), debug())
    await rt.inject("f1", {"payload": "a\nb"})
    await rt.inject("f1", {"payload": "c\nd\n"})
    got = msgs(await comms.debug(3))
    assert [m["payload"] for m in got] == ["a", "bc", "d"]
    assert [m["parts"]["index"] for m in got] == [0, 1, 2]
    assert all("count" not in m["parts"] for m in got)
    await asyncio.sleep(0.05)
    assert len(comms.topic("debug")) == 3


async def test_fixed_length_stream_completes_a_msg_only_when_its_data_is_sent(start_runtime):
    rt, comms = await start(start_runtime, split(splt="4", spltType="len", stream=True), debug(),
                            make_node("k1", "complete", [["dk"]], scope=["s1"], uncaught=False),
                            debug("dk"))
    await rt.inject("f1", {"payload": "abcdef", "n": 1})
    [first] = msgs(await comms.debug(1, node_id="d1"))
    assert first["payload"] == "abcd"
    await asyncio.sleep(0.05)
    assert comms.topic("debug")[-1]["id"] == "d1"  # "ef" waits: msg 1 is not complete yet
    await rt.inject("f1", {"payload": "gh", "n": 2})
    second = msgs(await comms.debug(2, node_id="d1"))[1]
    assert second["payload"] == "efgh" and second["parts"]["index"] == 1
    done = msgs(await comms.debug(2, node_id="dk"))
    assert sorted(m["n"] for m in done) == [1, 2]


async def test_buffers_split_on_bytes_and_join_back(start_runtime):
    flows = [TEST_TAB,
             make_node("i1", "inject", [["s1"]], props=[{"p": "payload", "v": "[1,2,10,3,4,10,5]", "vt": "bin"}]),
             split(wires=[["d1", "j1"]], splt="[10]", spltType="bin"), join(wires=[["d2"]]),
             debug("d1"), debug("d2", complete="payload")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1")
    got = await comms.debug(3, node_id="d1")
    parts = msgs(got)
    assert [m["payload"]["data"] for m in parts] == [[1, 2], [3, 4], [5]]
    assert parts[0]["parts"]["ch"] == [10] and parts[2]["parts"]["count"] == 3
    [back] = await comms.debug(1, node_id="d2")
    assert back["format"] == "buffer[7]" and back["msg"] == "01020a03040a05"


async def test_another_property_is_split_and_joined_back_in_place(start_runtime):
    rt, comms = await start(start_runtime, split(wires=[["d1", "j1"]], property="data.list"),
                            join(wires=[["d2"]]), debug("d1"), debug("d2"))
    await rt.inject("f1", {"payload": "kept", "data": {"list": [1, 2], "other": True}})
    got = msgs(await comms.debug(2, node_id="d1"))
    assert [m["data"] for m in got] == [{"list": 1, "other": True}, {"list": 2, "other": True}]
    assert got[0]["parts"]["property"] == "data.list" and got[0]["payload"] == "kept"
    [back] = msgs(await comms.debug(1, node_id="d2"))
    assert back["data"] == {"list": [1, 2], "other": True} and back["payload"] == "kept"


async def test_values_split_does_not_handle(start_runtime):
    rt, comms = await start(start_runtime, split(), debug(), catch(), debug("dc"))
    await rt.inject("f1", {"payload": 42})
    await rt.inject("f1", {"topic": "no payload"})
    await rt.inject("f1", {"payload": None})
    [err] = msgs(await comms.debug(1))
    assert err["error"]["message"] == "Cannot convert undefined or null to object"
    assert len(comms.topic("debug")) == 1


async def test_manual_join_string_count_topic_keys_and_timeout(start_runtime):
    rt, comms = await start(start_runtime, join(mode="custom", build="string", joiner="\\n", count="3"),
                            debug())
    for p in ("x", 2, True):
        await rt.inject("f1", {"payload": p, "topic": "t"})
    [got] = msgs(await comms.debug(1))
    assert got["payload"] == "x\n2\ntrue" and got["topic"] == "t"

    await rt.deploy([TEST_TAB, feeder("f1", "j1"), join(mode="custom", build="object", count="2"), debug()])
    await rt.inject("f1", {"payload": 1, "topic": "a"})
    await rt.inject("f1", {"payload": 2})  # no key: warned, not counted
    await rt.inject("f1", {"payload": 3, "topic": "b"})
    got = msgs(await outputs(comms, 2))[1]
    assert got["payload"] == {"a": 1, "b": 3}
    [warning] = await warnings(comms, 1)
    assert warning["msg"] == "Message missing key property 'msg.topic' - cannot add to object"

    await rt.deploy([TEST_TAB, feeder("f1", "j1"), join(mode="custom", build="array", timeout="0.2"), debug()])
    started = time.monotonic()
    await rt.inject("f1", {"payload": 1})
    await rt.inject("f1", {"payload": 2})
    got = msgs(await outputs(comms, 3))[2]
    assert got["payload"] == [1, 2] and 0.15 < time.monotonic() - started < 2


async def test_manual_join_complete_reset_merged_and_accumulate(start_runtime):
    rt, comms = await start(start_runtime, join(mode="custom", build="array"), debug())
    await rt.inject("f1", {"payload": 1})
    await rt.inject("f1", {"payload": 2, "reset": True})
    await rt.inject("f1", {"payload": 3})
    await rt.inject("f1", {"payload": 4, "complete": True})
    [got] = msgs(await comms.debug(1))
    assert got["payload"] == [3, 4] and "complete" not in got

    await rt.deploy([TEST_TAB, feeder("f1", "j1"), join(mode="custom", build="merged", count="2", accumulate=True),
                     debug()])
    await rt.inject("f1", {"payload": {"a": 1}})
    await rt.inject("f1", {"payload": {"b": 2}})
    await rt.inject("f1", {"payload": {"a": 3}})
    got = [m["payload"] for m in msgs(await comms.debug(3))[1:]]
    assert got == [{"a": 1, "b": 2}, {"a": 3, "b": 2}]


async def test_manual_join_of_complete_msgs_and_of_split_parts(start_runtime):
    rt, comms = await start(start_runtime, join(mode="custom", build="array", propertyType="full", count="2"),
                            debug())
    await rt.inject("f1", {"payload": "p1", "topic": "a"})
    await rt.inject("f1", {"payload": "p2", "topic": "b"})
    [got] = msgs(await comms.debug(1))
    assert [(m["payload"], m["topic"]) for m in got["payload"]] == [("p1", "a"), ("p2", "b")]
    assert got["topic"] == "b"

    # count "" and "use existing msg.parts": the sequence length comes from msg.parts.count
    await rt.deploy([TEST_TAB, feeder("f1", "s1"), split(wires=[["j1"]]),
                     join(mode="custom", build="string", joiner="+", useparts=True), debug()])
    await rt.inject("f1", {"payload": "a\nb\nc"})
    assert msgs(await comms.debug(2))[1]["payload"] == "a+b+c"


async def test_reduce_mode_sums_averages_and_evaluates_right_to_left(start_runtime):
    rt, comms = await start(start_runtime, split(wires=[["j1"]]),
                            join(mode="reduce", reduceExp="$A + payload", reduceInit="0", reduceInitType="num",
                                 reduceFixup="$A / $N"), debug())
    await rt.inject("f1", {"payload": [1, 2, 3, 4], "topic": "nums"})
    [got] = msgs(await comms.debug(1))
    assert got["payload"] == 2.5 and got["topic"] == "nums"

    await rt.deploy([TEST_TAB, feeder("f1", "s1"), split(wires=[["j1"]]),
                     join(mode="reduce", reduceExp="$A & payload & $string($I)", reduceInit="",
                          reduceInitType="str", reduceRight=True), debug(), feeder("f2", "j1")])
    await rt.inject("f1", {"payload": ["a", "b", "c"]})
    await rt.inject("f2", {"payload": "no parts"})
    first, second = msgs(await comms.debug(3))[1:]
    assert first["payload"] == "c2b1a0" and second["payload"] == "no parts"


async def test_reduce_errors_and_too_many_pending(start_runtime):
    rt, comms = await start(start_runtime, split(wires=[["j1"]]),
                            join(mode="reduce", reduceExp="$A + payload", reduceInit="0", reduceInitType="num"),
                            debug(), catch(), debug("dc"), feeder("f2", "j1"), nodeMessageBufferMaxLength=3)
    await rt.inject("f1", {"payload": [1, "x"]})
    [err] = msgs(await comms.debug(1, node_id="dc"))
    assert "must evaluate to a number" in err["error"]["message"]
    assert err["error"]["source"]["id"] == "j1"
    for i in range(4):
        await rt.inject("f2", {"payload": i, "parts": {"id": "seq", "index": i, "count": 10}})
    too_many = msgs(await comms.debug(2, node_id="dc"))[1]
    assert too_many["error"]["message"] == "too many pending messages in join node" and too_many["payload"] == 3


async def test_join_errors_and_warnings(start_runtime):
    rt, comms = await start(start_runtime, join(mode="custom", build="buffer", joiner="", count="2"),
                            debug(), catch(), debug("dc"))
    await rt.inject("f1", {"payload": 5})
    [err] = msgs(await comms.debug(1, node_id="dc"))
    assert err["error"]["message"] == "Cannot join number to buffer"

    await rt.deploy([TEST_TAB, feeder("f1", "j1"), join(), debug()])
    await rt.inject("f1", {"payload": "lonely"})
    [warning] = await warnings(comms, 1)
    assert warning["msg"] == "Message missing msg.parts property - cannot join in 'auto' mode"


async def test_invalid_settings_are_deploy_errors(start_runtime):
    rt = await start_runtime([])
    for node in (split(splt="zero", spltType="len"), split(splt="{}", spltType="bin"), split(arraySplt="0"),
                 join(mode="reduce", reduceExp="$A +"), join(joinerType="bin", joiner="12")):
        resp = await rt.deploy([TEST_TAB, node, debug()], expect=400)
        body = await resp.json()
        assert body["errors"][0]["id"] == node["id"], body


async def test_join_completes_its_parts_only_when_it_sends(start_runtime):
    rt, comms = await start(start_runtime, split(wires=[["j1"]]), join(), debug(),
                            make_node("k1", "complete", [["dk"]], scope=["j1"], uncaught=False), debug("dk"))
    await rt.inject("f1", {"payload": [1, 2, 3]})
    await comms.debug(1, node_id="d1")
    done = msgs(await comms.debug(3, node_id="dk"))
    assert sorted(m["payload"] for m in done) == [1, 2, 3]


async def test_pending_timeout_is_cancelled_when_the_node_is_redeployed(start_runtime):
    rt, comms = await start(start_runtime, join(mode="custom", build="array", timeout="0.2"), debug())
    await rt.inject("f1", {"payload": 1})
    await rt.deploy([TEST_TAB, debug()])
    await asyncio.sleep(0.4)
    assert comms.topic("debug") == []
