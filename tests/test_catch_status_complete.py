"""catch, status and complete nodes: Node-RED's routing of errors, statuses and completions."""
from __future__ import annotations

import json

TAB = {"id": "t1", "type": "tab", "label": "routing"}


def node(id_, type_, wires=(), **kw):
    return {"id": id_, "type": type_, "z": "t1", "x": 10, "y": 10, "wires": [list(w) for w in wires], **kw}


def bad_inject(id_="i1"):
    return node(id_, "inject", props=[{"p": "payload", "v": "abc", "vt": "num"}])


async def test_catch_all_gets_the_msg_with_error_and_the_sidebar_does_not(start_runtime):
    flows = [TAB, bad_inject(), node("c1", "catch", [["d1"]]),
             node("d1", "debug", complete="true")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"topic": "t", "error": "previous"})
    [data] = await comms.debug(1)
    assert data["id"] == "d1"  # handled: no level-20 entry in the sidebar
    msg = json.loads(data["msg"])
    assert msg["error"]["message"] == 'payload: Invalid number: "abc"'
    assert msg["error"]["source"] == {"id": "i1", "type": "inject", "name": "", "count": 1}
    assert msg["_error"] == "previous" and msg["topic"] == "t"


async def test_scoped_catch_first_and_uncaught_only_when_nobody_else(start_runtime):
    flows = [TAB, bad_inject("i1"), bad_inject("i2"),
             node("c1", "catch", [["d1"]], scope=["i1"]),
             node("c2", "catch", [["d2"]], uncaught=True),
             node("d1", "debug"), node("d2", "debug")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1")
    await rt.inject("i2")
    got = await comms.debug(2)
    assert [d["id"] for d in got] == ["d1", "d2"]


async def test_status_node_sees_statuses_of_its_scope(start_runtime, emulator):
    from conftest import load_flow

    flows = load_flow("realtime-client-secret.json")
    tab = flows[0]["id"]
    flows += [{"id": "s1", "type": "status", "z": tab, "scope": ["9df67f8a39c32558"], "x": 1, "y": 1,
               "wires": [["sd"]]},
              {"id": "sd", "type": "debug", "z": tab, "complete": "status", "x": 1, "y": 1, "wires": []}]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("6e1099b8233f4f6f")
    got = await comms.debug(2, node_id="sd")
    first = json.loads(got[0]["msg"])
    assert first["text"] == "OpenaiApi.status.requesting" and first["source"]["id"] == "9df67f8a39c32558"


async def test_complete_node_gets_a_clone_when_the_watched_node_is_done(start_runtime):
    flows = [TAB, node("i1", "inject", [["j1"]], props=[{"p": "payload", "v": "x", "vt": "str"}]),
             node("j1", "junction", [["d1"]]), node("d1", "debug"),
             node("k1", "complete", [["d2"]], scope=["j1"]), node("d2", "debug", complete="true")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1")
    [done] = await comms.debug(1, node_id="d2")
    msg = json.loads(done["msg"])
    assert msg["payload"] == "x" and msg["complete"]["source"]["id"] == "j1"


async def test_group_scoped_catch_only_sees_its_group(start_runtime):
    group = {"id": "g1", "type": "group", "z": "t1", "name": "G", "nodes": ["i1", "c1"], "x": 0, "y": 0, "w": 200,
             "h": 100}
    flows = [TAB, group, {**bad_inject("i1"), "g": "g1"}, bad_inject("i2"),
             {**node("c1", "catch", [["d1"]], scope="group"), "g": "g1"},
             node("d1", "debug", complete="error.source.id")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1")
    await rt.inject("i2")
    got = await comms.debug(2)
    caught = [d for d in got if d["id"] == "d1"]
    assert [d["msg"] for d in caught] == ["i1"]
    # the error outside the group is nobody's: it goes to the sidebar
    assert any(d.get("level") == 20 and d["id"] == "i2" for d in got)
