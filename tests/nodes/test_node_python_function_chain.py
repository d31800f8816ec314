"""python-function chains: a port wired to exactly one python-function node of the same flow is
fused (the worker runs the next node itself). Each flow runs twice: as it is, and with a
junction on every such wire (which passes msgs on unchanged but is not a python-function node,
so nothing is fused); both must give the same msgs, errors and completions. The nodes stamp
their worker's pid, which shows what was fused, and which the comparison leaves out."""
from __future__ import annotations

import asyncio
import json

from conftest import TEST_TAB, feeder, make_node

PID = "import os\nmsg.setdefault('pids', {})[node.id] = os.getpid()\n"


def pyfunc(id_: str, func: str, wires=(("d1",),), **fields) -> dict:
    base = {"func": func, "outputs": len(wires), "timeout": 0, "noerr": 0, "initialize": "", "finalize": "",
            "libs": []}
    return make_node(id_, "python-function", wires, **{**base, **fields})


def debug(id_: str) -> dict:
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full")


def unfused(flow: list[dict]) -> list[dict]:
    """``flow`` with a junction on each wire that would be fused."""
    pyfuncs = {n["id"] for n in flow if n.get("type") == "python-function"}
    out = []
    for node in flow:
        if node["id"] in pyfuncs:
            wires = []
            for port, targets in enumerate(node["wires"]):
                if len(targets) == 1 and targets[0] in pyfuncs and targets[0] != node["id"]:
                    junction = f"j.{node['id']}.{port}"
                    out.append(make_node(junction, "junction", [[targets[0]]]))
                    targets = [junction]
                wires.append(list(targets))
            node = {**node, "wires": wires}
        out.append(node)
    return out


async def run(start_runtime, flow: list[dict], msgs: list[dict], counts: dict[str, int]) -> dict[str, list[dict]]:
    """Deploy ``flow`` (fed by inject ``f1``), send ``msgs`` and return what each debug node of
    ``counts`` got (that many, and no more)."""
    rt = await start_runtime([TEST_TAB, *flow])
    comms = await rt.comms()
    for m in msgs:
        status, _ = await rt.inject("f1", m)
        assert status == 200
    got = {nid: [json.loads(d["msg"]) for d in await comms.debug(n, 30, nid)] for nid, n in counts.items()}
    await asyncio.sleep(0.3)
    for nid, n in counts.items():
        assert len(comms_debug(comms, nid)) == n, f"{nid} got more msgs than expected"
    return got


def comms_debug(comms, nid: str) -> list[dict]:
    return [m["data"] for m in comms.messages if m["topic"] == "debug" and m["data"].get("id") == nid]


def without(msgs: list[dict], *keys: str) -> list[dict]:
    return [{k: v for k, v in m.items() if k not in keys} for m in msgs]


async def both(start_runtime, flow, msgs, counts) -> tuple[dict, dict]:
    fused = await run(start_runtime, flow, msgs, counts)
    plain = await run(start_runtime, unfused(flow), msgs, counts)
    return fused, plain


async def test_outputs_arrays_none_and_node_send_match_the_unfused_chain(start_runtime):
    a = ("node.send({'payload': ['sent', msg['payload']]})\n"  # output 1, fused
         "msg['a'] = 1\n"
         "if msg['payload'] == 0:\n"
         "    return None\n"
         "if msg['payload'] == 1:\n"
         "    return [msg, {'payload': 'side'}]\n"
         "if msg['payload'] == 2:\n"
         "    return [[msg, {'payload': 'second'}], None]\n"
         "if msg['payload'] == 3:\n"
         "    return [msg, msg]\n"  # the same msg on both outputs: the second is a copy
         "return [None, msg]\n")
    b = (PID + "msg['path'] = msg.get('path', []) + ['B']\n"
         "twin = dict(msg)\n"  # shares the list 'path' with msg: its delivery must be a deep copy
         "twin['twin'] = True\n"
         "return [[msg, twin]]\n")
    c = (PID + "msg['path'].append('C')\n"
         "msg['c'] = msg.get('c', 0) + 1\n"
         "return msg\n")
    flow = [feeder("f1", "A"), pyfunc("A", PID + a, (("B",), ("d1",))), pyfunc("B", b, (("C",),)),
            pyfunc("C", c, (("d2",),)), debug("d1"), debug("d2")]
    msgs = [{"payload": i} for i in range(5)]
    counts = {"d1": 3, "d2": 18}  # B doubles each msg: 5 sent, 4 returned to it (two for payload 2)
    fused, plain = await both(start_runtime, flow, msgs, counts)
    # fused: A, B and C ran in one worker; through junctions each in its own
    assert all(len(set(m["pids"].values())) == 1 for m in fused["d2"])
    assert all(len(set(m["pids"].values())) == len(m["pids"]) for m in plain["d2"])
    for nid in counts:
        assert without(fused[nid], "pids", "_msgid") == without(plain[nid], "pids", "_msgid")
    paths = [m["path"] for m in fused["d2"]]
    assert paths[:4] == [["B", "C"], ["B", "C"], ["B", "C"], ["B", "C"]]  # no twin shares a list
    assert [m["payload"] for m in fused["d1"]] == ["side", 3, 4]
    ids = {m["_msgid"] for m in fused["d2"][:2]} | {m["_msgid"] for m in fused["d2"][2:4]}
    assert len(ids) == 2  # sent and returned msgs carry the id of the msg that was run


async def test_error_in_a_middle_node_goes_to_its_catch_node_with_its_input(start_runtime):
    b = ("msg['touched'] = True\n"
         "if msg['payload'] == 'bad':\n"
         "    raise ValueError('bad msg')\n"
         "return msg\n")
    flow = [feeder("f1", "A"), pyfunc("A", PID + "msg['a'] = 1\nreturn msg", (("B",),)),
            pyfunc("B", PID + b, (("C",),)), pyfunc("C", PID + "return msg", (("d1",),)), debug("d1"),
            make_node("cB", "catch", [["dc"]], scope=["B"], uncaught=False), debug("dc")]
    msgs = [{"payload": "ok"}, {"payload": "bad", "topic": "t"}, {"payload": "after"}]
    fused, plain = await both(start_runtime, flow, msgs, {"d1": 2, "dc": 1})
    assert len(set(fused["d1"][0]["pids"].values())) == 1
    for nid in ("d1", "dc"):
        assert without(fused[nid], "pids", "_msgid") == without(plain[nid], "pids", "_msgid")
    [caught] = fused["dc"]
    assert caught["error"]["message"] == "ValueError: bad msg (line 5)"
    assert caught["error"]["source"]["id"] == "B"
    assert caught["a"] == 1 and caught["topic"] == "t" and "touched" not in caught  # B's input, before B ran
    assert [m["payload"] for m in fused["d1"]] == ["ok", "after"]


async def test_context_status_and_errors_stay_per_node(start_runtime):
    count = ("n = (context.get('n') or 0) + 1\n"
             "context.set('n', n)\n"
             "flow.set('last', node.id)\n"
             "msg.setdefault('counts', []).append([node.id, n, sorted(context.keys())])\n"
             "node.status({'text': node.id + ' ' + str(n)})\n"
             "if n == 2:\n"
             "    node.error('second at ' + node.id)\n"
             "return msg\n")
    flow = [feeder("f1", "A"), pyfunc("A", count, (("B",),)), pyfunc("B", count, (("C",),)),
            pyfunc("C", count + "\n", (("d1",),)), debug("d1")]
    msgs = [{"payload": i} for i in range(3)]
    rt = await start_runtime([TEST_TAB, *flow])
    comms = await rt.comms()
    for m in msgs:
        await rt.inject("f1", m)
    got = [json.loads(d["msg"]) for d in await comms.debug(3, 30, "d1")]
    assert [m["counts"] for m in got] == [[[nid, i, ["n"]] for nid in "ABC"] for i in (1, 2, 3)]
    errors = await comms.wait_for(lambda m: m["topic"] == "debug" and m["data"].get("level") == 20, 3, 30)
    assert sorted((e["data"]["id"], e["data"]["msg"]) for e in errors) == [
        ("A", "second at A"), ("B", "second at B"), ("C", "second at C")]
    for nid in "ABC":
        assert comms.topic(f"status/{nid}")[-1] == {"text": f"{nid} 3"}
    assert rt.engine.get_node("A").chain is rt.engine.get_node("C").chain  # one worker for the three


async def test_timeout_in_a_middle_node_fails_its_msg_and_the_chain_goes_on(start_runtime):
    b = ("if msg['payload'] == 'slow':\n"
         "    while True:\n"
         "        pass\n"
         "if msg['payload'] == 'stuck':\n"
         "    while True:\n"
         "        try:\n"
         "            while True:\n"
         "                pass\n"
         "        except BaseException:\n"
         "            pass\n"
         "return msg\n")
    flow = [feeder("f1", "A"), pyfunc("A", PID + "return msg", (("B",),), initialize="flow.set('a', 1)"),
            pyfunc("B", PID + b, (("C",),), timeout=0.3), pyfunc("C", PID + "return msg", (("d1",),)),
            debug("d1"), make_node("cB", "catch", [["dc"]], scope=["B"], uncaught=False), debug("dc")]
    msgs = [{"payload": "slow"}, {"payload": "next"}, {"payload": "stuck", "topic": "s"}, {"payload": "last"}]
    fused, plain = await both(start_runtime, flow, msgs, {"d1": 2, "dc": 2})
    for nid in ("d1", "dc"):
        assert without(fused[nid], "pids", "_msgid") == without(plain[nid], "pids", "_msgid")
    slow, stuck = fused["dc"]
    assert slow["error"]["message"] == "Function timed out after 0.3 s" and slow["error"]["source"]["id"] == "B"
    assert stuck["error"]["message"].startswith("Function timed out after 0.3 s (it did not stop: its worker")
    assert stuck["error"]["source"]["id"] == "B" and stuck["topic"] == "s"
    nxt, last = fused["d1"]
    assert [nxt["payload"], last["payload"]] == ["next", "last"]
    assert len(set(nxt["pids"].values())) == 1 and len(set(last["pids"].values())) == 1
    assert nxt["pids"]["A"] != last["pids"]["A"]  # the chain's worker was killed and replaced


async def test_a_debug_node_on_a_middle_port_is_not_skipped(start_runtime):
    flow = [feeder("f1", "A"), pyfunc("A", PID + "msg['a'] = 1\nreturn msg", (("B",),)),
            pyfunc("B", PID + "msg['b'] = 1\nreturn msg", (("C", "dm"),)),
            pyfunc("C", PID + "msg['c'] = 1\nreturn msg", (("d1",),)), debug("dm"), debug("d1")]
    msgs = [{"payload": i} for i in range(3)]
    fused, plain = await both(start_runtime, flow, msgs, {"dm": 3, "d1": 3})
    for nid in ("dm", "d1"):
        assert without(fused[nid], "pids", "_msgid") == without(plain[nid], "pids", "_msgid")
    assert [m["payload"] for m in fused["dm"]] == [0, 1, 2] and "c" not in fused["dm"][0]
    pids = fused["d1"][0]["pids"]
    assert pids["A"] == pids["B"] != pids["C"]  # A → B fused; B's port has two wires: not fused


async def test_complete_node_on_a_middle_node_gets_its_input(start_runtime):
    flow = [feeder("f1", "A"), pyfunc("A", "msg['a'] = 1\nreturn msg", (("B",),)),
            pyfunc("B", "msg['b'] = 1\nreturn msg", (("C",),)), pyfunc("C", "return None", (("d1",),)),
            debug("d1"), make_node("k1", "complete", [["dk"]], scope=["B"], uncaught=False), debug("dk")]
    msgs = [{"payload": i} for i in range(3)]
    fused, plain = await both(start_runtime, flow, msgs, {"dk": 3})
    assert without(fused["dk"], "_msgid") == without(plain["dk"], "_msgid")
    assert [(m["payload"], m["a"], "b" in m) for m in fused["dk"]] == [(0, 1, False), (1, 1, False), (2, 1, False)]
    assert fused["dk"][0]["complete"]["source"]["id"] == "B"


async def test_a_loop_of_fused_wires_still_ends(start_runtime):
    count = ("msg['n'] = msg.get('n', 0) + 1\n"
             "if msg['n'] >= 6:\n"
             "    return [None, msg]\n"
             "return [msg, None]\n")
    flow = [feeder("f1", "A"), pyfunc("A", count, (("B",), ("d1",))), pyfunc("B", count, (("A",), ("d1",))),
            debug("d1")]
    fused, plain = await both(start_runtime, flow, [{"payload": 1}, {"payload": 2}], {"d1": 2})
    assert without(fused["d1"], "_msgid") == without(plain["d1"], "_msgid") == [{"payload": 1, "n": 6},
                                                                               {"payload": 2, "n": 6}]


async def test_a_node_changed_by_a_partial_deploy_leaves_the_running_chain_alone(start_runtime):
    count = ("n = (context.get('n') or 0) + 1\n"
             "context.set('n', n)\n"
             "msg.setdefault('seen', []).append([node.id, n, started])\n")
    nodes = [feeder("f1", "A"), pyfunc("A", PID + count + "return msg", (("B",),), initialize="started = 'A1'"),
             pyfunc("B", PID + count + "return msg", (("C",),), initialize="started = 'B1'"),
             pyfunc("C", PID + count + "return msg", (("d1",),), initialize="started = 'C1'"), debug("d1")]
    rt = await start_runtime([TEST_TAB, *nodes])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": 1})
    [first] = [json.loads(d["msg"]) for d in await comms.debug(1, 30, "d1")]
    assert first["seen"] == [["A", 1, "A1"], ["B", 1, "B1"], ["C", 1, "C1"]]
    assert len(set(first["pids"].values())) == 1
    changed = [*nodes[:1], {**nodes[1], "initialize": "started = 'A2'"}, *nodes[2:]]
    resp = await rt.http.post(rt.url + "/flows", json=[TEST_TAB, *changed],
                              headers={"Node-RED-Deployment-Type": "nodes"})
    assert resp.status == 204
    for i in (2, 3):
        await rt.inject("f1", {"payload": i})
    later = [json.loads(d["msg"]) for d in (await comms.debug(3, 30, "d1"))[1:]]
    # A is new (On Start again, its context kept, as Node-RED); B and C kept running in their worker
    assert [m["seen"] for m in later] == [[["A", 2, "A2"], ["B", 2, "B1"], ["C", 2, "C1"]],
                                          [["A", 3, "A2"], ["B", 3, "B1"], ["C", 3, "C1"]]]
    pids = later[0]["pids"]
    assert pids["B"] == pids["C"] == first["pids"]["B"] != pids["A"]
