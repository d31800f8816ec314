"""Whole flows across node types: the benchmark pipeline (split → 10 × change → join) with
100,000 parts, written as Node-RED exports them."""
from __future__ import annotations

import json
import time

from conftest import TEST_TAB, feeder, make_node


def change(id_: str, target: str, rules: list[dict]) -> dict:
    return make_node(id_, "change", [[target]], rules=rules, action="", property="", to="", reg=False, **{"from": ""})


async def test_split_ten_changes_join_with_100000_parts(start_runtime):
    changes = [change(f"c{i}", f"c{i + 1}" if i < 9 else "j1",
                      [{"t": "set", "p": "x", "pt": "msg", "to": str(i), "tot": "num"}]) for i in range(10)]
    flows = [TEST_TAB, feeder("i1", "s1"),
             make_node("s1", "split", [["c0"]], splt="\\n", spltType="str", arraySplt=1, arraySpltType="len",
                       stream=False, addname="", property="payload"),
             *changes,
             make_node("j1", "join", [["end"]], mode="custom", build="array", property="payload", propertyType="msg",
                       key="topic", joiner="\\n", joinerType="str", accumulate=False, timeout="", count="100000",
                       reduceRight=False, reduceExp="", reduceInit="", reduceInitType="", reduceFixup=""),
             change("end", "d1", [{"t": "set", "p": "end", "pt": "msg", "to": "", "tot": "date"}]),
             make_node("d1", "debug", complete="true")]
    rt = await start_runtime(flows, debugMaxLength=2_000_000)
    comms = await rt.comms()
    data = list(range(100_000))
    started = time.time()
    await rt.inject("i1", {"payload": data})
    [got] = await comms.debug(1, timeout=120)
    msg = json.loads(got["msg"])
    assert msg["payload"] == data
    assert msg["x"] == 9  # the last change of the chain ran on every part
    assert started * 1000 - 1000 <= msg["end"] <= time.time() * 1000 + 1000
