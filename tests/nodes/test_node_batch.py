"""batch node (19-batch.js): sequences by count (with overlap), by time interval (with and
without empty sequences), concatenated sequences of listed topics, msg.reset, done() of the
msgs held, the pending limit, deploy errors and the interval timer across a redeploy."""
from __future__ import annotations

import asyncio
import json

from conftest import TEST_TAB, feeder, make_node

TOO_MANY = "too many pending messages in batch node"


def batch(id_: str = "b1", wires=(("d1",),), **fields) -> dict:
    """A batch node with the fields Node-RED's editor writes, overridden by ``fields``."""
    return make_node(id_, "batch", wires, **{
        "mode": "count", "count": 10, "overlap": 0, "interval": 10, "allowEmptySequence": False,
        "topics": [], **fields})


def split(id_: str, target: str = "b1") -> dict:
    return make_node(id_, "split", [[target]], splt="\\n", spltType="str", arraySplt=1, arraySpltType="len",
                     stream=False, addname="", property="payload")


def debug(id_: str = "d1") -> dict:
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full")


def catch(id_: str = "c1", target: str = "dc") -> dict:
    return make_node(id_, "catch", [[target]], scope=None, uncaught=False)


def completes(id_: str = "k1", target: str = "dk", watched: str = "b1") -> dict:
    return make_node(id_, "complete", [[target]], scope=[watched], uncaught=False)


async def start(start_runtime, *nodes: dict, **settings):
    rt = await start_runtime([TEST_TAB, *nodes], **settings)
    return rt, await rt.comms()


async def received(comms, count: int, node_id: str = "d1", timeout: float = 10) -> list[dict]:
    """The first ``count`` msgs shown by debug node ``node_id``."""
    return [json.loads(d["msg"]) for d in await comms.debug(count, timeout=timeout, node_id=node_id)]


def shown(comms, node_id: str = "d1") -> list[dict]:
    """Every msg debug node ``node_id`` has shown so far."""
    return [json.loads(d["msg"]) for d in comms.topic("debug") if d.get("id") == node_id]


def check_sequence(seq: list[dict], payloads: list) -> None:
    """``seq`` is one sequence of ``payloads``: its id is the ``_msgid`` of its first msg."""
    assert [m["payload"] for m in seq] == payloads
    seq_id = seq[0]["_msgid"]
    assert [(m["parts"]["id"], m["parts"]["index"], m["parts"]["count"]) for m in seq] == \
        [(seq_id, i, len(payloads)) for i in range(len(payloads))]


async def test_node_red_export_groups_every_three_msgs_into_a_sequence(start_runtime):
    export = {"id": "4d7f2c9e8a1b3056", "type": "batch", "z": "t1", "name": "", "mode": "count",
              "count": "3", "overlap": 0, "interval": 10, "allowEmptySequence": False, "topics": [],
              "x": 330, "y": 140, "wires": [["d1"]]}
    rt, comms = await start(start_runtime, feeder("f1", export["id"]), export, debug(),
                            completes(watched=export["id"]), debug("dk"))
    for i in range(2):
        await rt.inject("f1", {"payload": i, "topic": "t"})
    await asyncio.sleep(0.1)
    assert shown(comms) == [] and shown(comms, "dk") == []  # held, not completed yet
    await rt.inject("f1", {"payload": 2, "topic": "t"})
    first = await received(comms, 3)
    check_sequence(first, [0, 1, 2])
    assert all(m["topic"] == "t" for m in first)
    assert sorted(m["payload"] for m in await received(comms, 3, "dk")) == [0, 1, 2]

    for i in range(3, 7):
        await rt.inject("f1", {"payload": i})
    second = (await received(comms, 6))[3:]
    check_sequence(second, [3, 4, 5])
    assert second[0]["parts"]["id"] != first[0]["parts"]["id"]
    await asyncio.sleep(0.1)
    assert len(shown(comms)) == 6  # 6 is held for the next sequence
    assert sorted(m["payload"] for m in shown(comms, "dk")) == [0, 1, 2, 3, 4, 5]


async def test_overlap_repeats_the_last_msgs_of_each_sequence(start_runtime):
    rt, comms = await start(start_runtime, feeder("f1", "s1"), split("s1"), batch(count=3, overlap=2),
                            debug(), completes(), debug("dk"))
    await rt.inject("f1", {"payload": [0, 1, 2, 3, 4, 5]})
    got = await received(comms, 12)
    seqs = [got[i:i + 3] for i in range(0, 12, 3)]
    for seq, start_at in zip(seqs, range(4), strict=True):
        check_sequence(seq, [start_at, start_at + 1, start_at + 2])
    assert len({seq[0]["parts"]["id"] for seq in seqs}) == 4
    # the parts the split node set are kept, but for id, index and count
    assert all(m["parts"]["type"] == "array" and m["parts"]["len"] == 1 for m in got)
    # as Node-RED, a msg is completed each time a sequence holding it is sent
    done = sorted(m["payload"] for m in await received(comms, 12, "dk"))
    assert done == [0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5]


async def test_reset_drops_the_held_msgs_in_count_mode(start_runtime):
    rt, comms = await start(start_runtime, feeder("f1", "b1"), batch(count=2), debug(), completes(),
                            debug("dk"))
    for msg in ({"payload": 0}, {"payload": 1}, {"payload": 2}, {"payload": 3, "reset": True},
                {"payload": 4}, {"payload": 5}):
        await rt.inject("f1", msg)
    got = await received(comms, 4)
    check_sequence(got[:2], [0, 1])
    check_sequence(got[2:], [4, 5])
    await received(comms, 4, "dk")
    await asyncio.sleep(0.1)
    # as Node-RED: neither the dropped msg nor the reset msg is completed
    assert sorted(m["payload"] for m in shown(comms, "dk")) == [0, 1, 4, 5]
    assert len(shown(comms)) == 4


async def test_interval_sends_the_msgs_of_each_interval_as_one_sequence(start_runtime):
    rt, comms = await start(start_runtime, feeder("f1", "s1"), split("s1"),
                            batch(mode="interval", interval="0.2"), debug(), completes(), debug("dk"))
    await rt.inject("f1", {"payload": ["a", "b", "c"], "topic": "letters"})
    first = await received(comms, 3)
    check_sequence(first, ["a", "b", "c"])
    assert all(m["topic"] == "letters" and m["parts"]["type"] == "array" for m in first)
    await rt.inject("f1", {"payload": ["d"]})
    second = (await received(comms, 4))[3:]
    check_sequence(second, ["d"])
    assert second[0]["parts"]["id"] != first[0]["parts"]["id"]
    assert sorted(m["payload"] for m in await received(comms, 4, "dk")) == ["a", "b", "c", "d"]
    await asyncio.sleep(0.5)
    assert len(shown(comms)) == 4  # no empty sequences unless asked for


async def test_interval_sends_an_empty_sequence_when_no_msg_arrived(start_runtime):
    rt, comms = await start(start_runtime, batch(mode="interval", interval=0.1, allowEmptySequence=True),
                            debug())
    empties = await received(comms, 3)
    for m in empties:
        assert set(m) == {"_msgid", "payload", "parts"} and m["payload"] is None
        assert m["parts"]["index"] == 0 and m["parts"]["count"] == 1
    assert len({m["parts"]["id"] for m in empties}) == 3 and len({m["_msgid"] for m in empties}) == 3


async def test_reset_in_interval_mode_completes_the_dropped_msgs_and_restarts_the_interval(start_runtime):
    rt, comms = await start(start_runtime, feeder("f1", "s1"), split("s1"), feeder("f2", "b1"),
                            batch(mode="interval", interval=0.3), debug(), completes(), debug("dk"))
    await rt.inject("f2", {"payload": "r1", "reset": True})  # the next interval ends 0.3 s from now
    await rt.inject("f1", {"payload": [1, 2]})
    await rt.inject("f2", {"payload": "r2", "reset": True})
    await rt.inject("f1", {"payload": [3, 4]})
    got = await received(comms, 2)
    check_sequence(got, [3, 4])
    await received(comms, 4, "dk")
    await asyncio.sleep(0.4)
    assert len(shown(comms)) == 2
    # the msgs a reset drops are completed; the reset msgs are not (as Node-RED)
    assert sorted(m["payload"] for m in shown(comms, "dk")) == [1, 2, 3, 4]


async def test_concat_sends_complete_sequences_of_the_topics_in_their_listed_order(start_runtime):
    rt, comms = await start(start_runtime, feeder("fa", "sa"), split("sa"), feeder("fb", "sb"), split("sb"),
                            feeder("f3", "b1"),
                            batch(mode="concat", topics=[{"topic": "TA"}, {"topic": "TB"}]), debug(),
                            catch(), debug("dc"), completes(), debug("dk"))
    await rt.inject("fb", {"payload": [0, 1], "topic": "TB"})
    await asyncio.sleep(0.1)
    assert shown(comms) == []  # TA's sequence is not there yet
    await rt.inject("fa", {"payload": [2, 3], "topic": "TA"})
    got = await received(comms, 4)
    check_sequence(got, [2, 3, 0, 1])
    assert [m["topic"] for m in got] == ["TA", "TA", "TB", "TB"]
    assert sorted(m["payload"] for m in await received(comms, 4, "dk")) == [0, 1, 2, 3]

    # two TA sequences wait: each is concatenated with the next TB sequence
    await rt.inject("fa", {"payload": [5], "topic": "TA"})
    await rt.inject("fa", {"payload": [6, 7], "topic": "TA"})
    await rt.inject("fb", {"payload": [8], "topic": "TB"})
    await rt.inject("fb", {"payload": [9], "topic": "TB"})
    got = (await received(comms, 9))[4:]
    check_sequence(got[:2], [5, 8])
    check_sequence(got[2:], [6, 7, 9])

    # other topics are ignored; a listed topic needs msg.parts
    await rt.inject("f3", {"payload": "other", "topic": "TC", "parts": {"id": "x", "index": 0, "count": 1}})
    await rt.inject("f3", {"payload": "bare", "topic": "TA"})
    await rt.inject("f3", {"payload": "no count", "topic": "TB", "parts": {"id": "y", "index": 0}})
    errors = await received(comms, 2, "dc")
    assert [(e["payload"], e["error"]["message"]) for e in errors] == [
        ("bare", "no parts property in message"), ("no count", "no parts property in message")]
    assert errors[0]["error"]["source"]["id"] == "b1"
    await asyncio.sleep(0.1)
    assert len(shown(comms)) == 9


async def test_reset_in_concat_mode_drops_the_partial_sequences(start_runtime):
    rt, comms = await start(start_runtime, feeder("f1", "b1"),
                            batch(mode="concat", topics=[{"topic": "TA"}, {"topic": "TB"}]), debug())
    for msg in ({"payload": "old", "topic": "TB", "parts": {"id": "TB", "index": 0, "count": 2}},
                {"payload": "old", "topic": "TA", "parts": {"id": "TA", "index": 0, "count": 2}},
                {"reset": True},
                {"payload": 0, "topic": "TB", "parts": {"id": "TB", "index": 0, "count": 2}},
                {"payload": 1, "topic": "TB", "parts": {"id": "TB", "index": 1, "count": 2}},
                {"payload": 2, "topic": "TA", "parts": {"id": "TA", "index": 0, "count": 2}},
                {"payload": 3, "topic": "TA", "parts": {"id": "TA", "index": 1, "count": 2}}):
        await rt.inject("f1", msg)
    check_sequence(await received(comms, 4), [2, 3, 0, 1])


async def test_too_many_pending_msgs(start_runtime):
    rt, comms = await start(start_runtime, feeder("f1", "b1"), batch(count=5), debug(), catch(), debug("dc"),
                            nodeMessageBufferMaxLength=2)
    for i in range(3):
        await rt.inject("f1", {"payload": i})
    errors = await received(comms, 3, "dc")
    assert [(e["payload"], e["error"]["message"]) for e in errors] == [(i, TOO_MANY) for i in range(3)]

    # interval mode: the msg over the limit gets the error, the others are completed
    await rt.deploy([TEST_TAB, feeder("f1", "s1"), split("s1"), batch(mode="interval", interval=0.2), debug(),
                     catch(), debug("dc"), completes(), debug("dk")])
    await rt.inject("f1", {"payload": [0, 1, 2]})
    [error] = (await received(comms, 4, "dc"))[3:]
    assert error["payload"] == 2 and error["error"]["message"] == TOO_MANY
    assert sorted(m["payload"] for m in await received(comms, 2, "dk")) == [0, 1]
    await asyncio.sleep(0.5)
    assert shown(comms) == []  # the held msgs were dropped
    assert len(shown(comms, "dc")) == 4

    # concat mode: every msg held gets the error
    await rt.deploy([TEST_TAB, feeder("f1", "s1"), split("s1"),
                     batch(mode="concat", topics=[{"topic": "TA"}, {"topic": "TB"}]), debug(), catch(), debug("dc")])
    await rt.inject("f1", {"payload": [0, 1, 2], "topic": "TA"})
    errors = (await received(comms, 7, "dc"))[4:]
    assert [(e["payload"], e["error"]["message"]) for e in errors] == [(i, TOO_MANY) for i in range(3)]


async def test_redeploy_cancels_the_interval_timer(start_runtime):
    rt, comms = await start(start_runtime, batch(mode="interval", interval=0.1, allowEmptySequence=True), debug())
    await received(comms, 2)
    await rt.deploy([TEST_TAB, debug()])
    await asyncio.sleep(0.2)  # a msg sent before the deploy may still be on its way
    seen = len(shown(comms))
    await asyncio.sleep(0.5)
    assert len(shown(comms)) == seen


async def test_settings_that_can_never_send_are_deploy_errors(start_runtime):
    rt = await start_runtime([])
    for node, text in ((batch(count=2, overlap=2), "Invalid count and overlap"),
                       (batch(count="3.5"), "whole number"),
                       (batch(overlap=-1), "overlap must be a whole number"),
                       (batch(mode="bogus"), "unexpected mode"),
                       (batch(mode="interval", interval=0), "interval must be a number of seconds")):
        resp = await rt.deploy([TEST_TAB, node, debug()], expect=400)
        body = await resp.json()
        assert body["errors"][0]["id"] == "b1" and text in body["errors"][0]["message"], body
    # a count the mode does not use is not checked, and an empty mode is count mode
    await rt.deploy([TEST_TAB, batch(mode="interval", interval="1", count="x", overlap=5), debug()])
    await rt.deploy([TEST_TAB, batch(mode="", count=""), debug()])
