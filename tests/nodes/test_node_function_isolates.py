"""Function nodes share V8 isolates (nodes/js_isolate.py), and one node's memory bomb or endless
loop never takes the nodes it shares an isolate with down: the offender gets the error and moves
to an isolate of its own, the others keep their state and keep answering."""
from __future__ import annotations

import json

from conftest import TEST_TAB, catch_all, feeder, full_debug, make_node


def fn(id_: str, func: str, wires=(("d1",),), **fields) -> dict:
    base = {"func": func, "outputs": 1, "timeout": 0, "noerr": 0, "initialize": "", "finalize": "", "libs": []}
    return make_node(id_, "function", wires, **{**base, **fields})


# On Start counts the starts of the node in flow context; the body answers with that count.
COUNTING = {"initialize": 'flow.set(node.id, (flow.get(node.id) || 0) + 1);',
            "func": "msg.payload = [node.id, flow.get(node.id)];\nreturn msg;"}
BOMB = """
if (msg.payload === "bomb") {
    let a = [];
    while (true) a.push(new Array(1e6).fill(1));
}
msg.payload = [node.id, flow.get(node.id)];
return msg;
"""
LOOP = """
if (msg.payload === "loop") {
    while (true) {}
}
msg.payload = [node.id, flow.get(node.id)];
return msg;
"""


def _flows(offender: dict) -> list[dict]:
    """feeder f_<id> → each of four function nodes → d1; a catch node → dc."""
    others = [fn(f"n{i}", **COUNTING) for i in range(3)]
    nodes = [offender, *others]
    return [TEST_TAB, *[feeder(f"f_{n['id']}", n["id"]) for n in nodes], *nodes,
            full_debug("d1"), catch_all("c1", "dc"), full_debug("dc")]


def _partner(rt, node_id: str) -> str:
    """A function node that shares ``node_id``'s isolate."""
    iso = rt.engine.get_node(node_id).js_iso
    assert iso is not None and iso.shared
    return next(f"n{i}" for i in range(3) if rt.engine.get_node(f"n{i}").js_iso is iso)


def _payloads(got: list[dict]) -> list:
    return [json.loads(d["msg"])["payload"] for d in got]


async def test_many_function_nodes_share_few_isolates_and_code_that_awaits_gets_its_own(start_runtime):
    nodes = [fn(f"s{i}", f"msg.payload = {i};\nreturn msg;") for i in range(20)]
    waiting = fn("aw", "await new Promise((r) => setTimeout(r, 1));\nmsg.payload = 'aw';\nreturn msg;")
    rt = await start_runtime([TEST_TAB, *nodes, waiting, feeder("in", *[n["id"] for n in nodes], "aw"),
                              full_debug("d1")])
    comms = await rt.comms()
    await rt.inject("in", {"payload": None})
    got = await comms.debug(21, node_id="d1")
    assert sorted(_payloads(got), key=str) == sorted([*range(20), "aw"], key=str)
    shared = {id(rt.engine.get_node(f"s{i}").js_iso) for i in range(20)}
    assert len(shared) <= 2
    own = rt.engine.get_node("aw").js_iso
    assert id(own) not in shared and not own.shared and len(own.nodes) == 1


async def test_a_memory_bomb_moves_out_and_the_node_it_shared_with_keeps_answering(start_runtime):
    rt = await start_runtime(_flows(fn("fb", BOMB, timeout=60, initialize=COUNTING["initialize"])),
                             functionHeapLimit=32)
    comms = await rt.comms()
    partner = _partner(rt, "fb")
    await rt.inject(f"f_{partner}", {"payload": 0})
    await rt.inject("f_fb", {"payload": "bomb", "topic": "boom"})
    await rt.inject(f"f_{partner}", {"payload": 1})
    [err] = await comms.debug(1, node_id="dc", timeout=60)
    msg = json.loads(err["msg"])
    assert msg["error"]["message"] == "Error: function node ran out of memory (limit 32 MiB)"
    assert msg["error"]["source"]["id"] == "fb" and msg["topic"] == "boom"
    answers = _payloads(await comms.debug(2, node_id="d1", timeout=30))
    assert answers == [[partner, 1], [partner, 1]]  # answered, and not started over
    assert rt.engine.get_node("fb").js_iso is not rt.engine.get_node(partner).js_iso
    assert not rt.engine.get_node("fb").js_iso.shared
    await rt.inject("f_fb", {"payload": "after"})
    await rt.inject(f"f_{partner}", {"payload": 2})
    answers = _payloads(await comms.debug(4, node_id="d1", timeout=30))[2:]
    assert sorted(answers) == sorted([["fb", 2], [partner, 1]])  # the bomb's node started over


async def test_an_endless_loop_moves_out_and_then_stalls_nobody(start_runtime):
    rt = await start_runtime(_flows(fn("fl", LOOP, timeout=1, initialize=COUNTING["initialize"])))
    comms = await rt.comms()
    partner = _partner(rt, "fl")
    await rt.inject("f_fl", {"payload": "loop", "topic": "first"})
    await rt.inject(f"f_{partner}", {"payload": 0})
    [err] = await comms.debug(1, node_id="dc", timeout=30)
    msg = json.loads(err["msg"])
    assert msg["error"]["message"] == "Error: Script execution timed out after 1000ms"
    assert msg["error"]["source"]["id"] == "fl" and msg["topic"] == "first"
    assert _payloads(await comms.debug(1, node_id="d1", timeout=30)) == [[partner, 1]]
    assert rt.engine.get_node("fl").js_iso is not rt.engine.get_node(partner).js_iso

    # the second loop runs in the loop node's own isolate: the partner answers while it spins
    await rt.inject("f_fl", {"payload": "loop", "topic": "second"})
    await rt.inject(f"f_{partner}", {"payload": 1})
    got = await comms.debug(2, node_id="d1", timeout=30)
    assert _payloads(got)[1] == [partner, 1]
    errors = await comms.debug(2, node_id="dc", timeout=30)
    assert json.loads(errors[1]["msg"])["topic"] == "second"
    seen = [d for d in comms.topic("debug") if d.get("id") in ("d1", "dc")]
    assert [d["id"] for d in seen][-2:] == ["d1", "dc"]  # the answer came before the loop's error
    await rt.inject("f_fl", {"payload": "after"})
    assert _payloads(await comms.debug(3, node_id="d1", timeout=30))[2] == ["fl", 2]  # started over
