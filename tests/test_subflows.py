"""Subflow definitions and instances, as Node-RED's Subflow.js: per-instance copies of the
definition's nodes, ports, env overrides, status port, and errors passed to the parent flow."""
from __future__ import annotations

import json

from flowred.subflow import internal_id

TAB = {"id": "t1", "type": "tab", "label": "Flow 1", "disabled": False, "info": "", "env": []}
DEFINITION = {
    "id": "sf1", "type": "subflow", "name": "Tagger", "info": "", "category": "",
    "in": [{"x": 50, "y": 30, "wires": [{"id": "sf_j"}]}],
    "out": [{"x": 340, "y": 30, "wires": [{"id": "sf_j", "port": 0}]}],
    "env": [{"name": "PREFIX", "type": "str", "value": "default"}],
    "meta": {}, "color": "#DDAA99",
    "status": {"x": 340, "y": 120, "wires": [{"id": "sf_st", "port": 0}]},
}
INSIDE = [
    {"id": "sf_j", "type": "junction", "z": "sf1", "x": 150, "y": 30, "wires": [["sf_dbg"]]},
    {"id": "sf_dbg", "type": "debug", "z": "sf1", "name": "inner", "active": True, "tosidebar": True,
     "console": False, "tostatus": False, "complete": "payload", "targetType": "msg", "statusVal": "",
     "statusType": "auto", "x": 250, "y": 80, "wires": []},
    {"id": "sf_env", "type": "inject", "z": "sf1", "name": "", "props": [
        {"p": "payload", "v": "PREFIX", "vt": "env"}, {"p": "topic", "v": "NR_SUBFLOW_NAME", "vt": "env"},
        {"p": "path", "v": "NR_SUBFLOW_PATH", "vt": "env"}, {"p": "flow", "v": "NR_FLOW_ID", "vt": "env"}],
     "repeat": "", "crontab": "", "once": False, "onceDelay": 0.1, "x": 110, "y": 160, "wires": [["sf_out_dbg"]]},
    {"id": "sf_out_dbg", "type": "debug", "z": "sf1", "name": "env", "active": True, "tosidebar": True,
     "console": False, "tostatus": False, "complete": "true", "targetType": "full", "x": 300, "y": 160, "wires": []},
    {"id": "sf_bad", "type": "inject", "z": "sf1", "name": "bad", "props": [{"p": "payload", "v": "x", "vt": "num"}],
     "repeat": "", "crontab": "", "once": False, "onceDelay": 0.1, "x": 110, "y": 220, "wires": [[]]},
    {"id": "sf_st", "type": "inject", "z": "sf1", "name": "",
     "props": [{"p": "payload", "v": "{\"fill\":\"green\",\"shape\":\"dot\",\"text\":\"ok\"}", "vt": "json"}],
     "repeat": "", "crontab": "", "once": False, "onceDelay": 0.1, "x": 110, "y": 280, "wires": [[]]},
]


def instance(id_: str, wires: list, env: list | None = None, name: str = "") -> dict:
    return {"id": id_, "type": "subflow:sf1", "z": "t1", "name": name, "env": env or [], "x": 300, "y": 100,
            "wires": wires}


def debug(id_: str) -> dict:
    return {"id": id_, "type": "debug", "z": "t1", "name": "", "active": True, "tosidebar": True, "console": False,
            "tostatus": False, "complete": "payload", "targetType": "msg", "x": 500, "y": 100, "wires": []}


def feeder(id_: str, target: str) -> dict:
    return {"id": id_, "type": "inject", "z": "t1", "name": "", "props": [], "repeat": "", "crontab": "",
            "once": False, "x": 100, "y": 100, "wires": [[target]]}


async def test_msgs_go_through_the_instance_and_inner_nodes_are_aliased(start_runtime):
    flows = [TAB, DEFINITION, *INSIDE, feeder("i1", "inst1"), instance("inst1", [["d1"]]), debug("d1")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": "through"})
    outer = (await comms.debug(1, node_id="d1"))[0]
    assert outer["msg"] == "through" and outer["path"] == "t1"
    inner = (await comms.debug(1, node_id=internal_id("inst1", "sf_dbg")))[0]
    assert inner["_alias"] == "sf_dbg" and inner["z"] == "inst1" and inner["path"] == "t1/inst1"
    assert inner["msg"] == "through" and inner["name"] == "inner"
    # the stored flows are what was deployed: no generated node leaks into GET /flows
    assert await (await rt.http.get(rt.url + "/flows")).json() == flows


async def test_each_instance_has_its_env_with_overrides_and_built_ins(start_runtime):
    flows = [TAB, DEFINITION, *INSIDE, instance("a", [[]], name="first"),
             instance("b", [[]], env=[{"name": "PREFIX", "type": "str", "value": "custom"}])]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    got = {}
    for inst in ("a", "b"):
        await rt.inject(internal_id(inst, "sf_env"))
        data = (await comms.debug(1, node_id=internal_id(inst, "sf_out_dbg")))[0]
        got[inst] = json.loads(data["msg"])
    assert got["a"]["payload"] == "default" and got["a"]["topic"] == "first"
    assert got["b"]["payload"] == "custom" and got["b"]["topic"] == "Tagger"
    assert got["a"]["path"] == "t1/a" and got["a"]["flow"] == "t1"


async def test_an_error_inside_goes_to_the_parent_flow_as_the_instance_s(start_runtime):
    catch = {"id": "c1", "type": "catch", "z": "t1", "name": "", "scope": None, "uncaught": False, "x": 100,
             "y": 300, "wires": [["d2"]]}
    d2 = {**debug("d2"), "complete": "error"}
    flows = [TAB, DEFINITION, *INSIDE, instance("inst1", [[]]), catch, d2]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject(internal_id("inst1", "sf_bad"))
    [data] = await comms.debug(1, node_id="d2")
    error = json.loads(data["msg"])
    assert error["message"] == 'payload: Invalid number: "x"'
    assert error["source"]["id"] == "inst1" and error["source"]["type"] == "subflow:sf1"


async def test_status_port_sets_the_instance_status(start_runtime):
    flows = [TAB, DEFINITION, *INSIDE, instance("inst1", [[]])]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject(internal_id("inst1", "sf_st"))
    await comms.wait_for(lambda m: m["topic"] == "status/inst1")
    assert comms.topic("status/inst1")[-1] == {"fill": "green", "shape": "dot", "text": "ok"}


async def test_nested_subflows_and_a_missing_definition(start_runtime):
    outer_def = {"id": "sf2", "type": "subflow", "name": "Outer", "in": [{"x": 0, "y": 0, "wires": [{"id": "sf2_i"}]}],
                 "out": [{"x": 0, "y": 0, "wires": [{"id": "sf2_i", "port": 0}]}], "env": []}
    nested = {"id": "sf2_i", "type": "subflow:sf1", "z": "sf2", "x": 10, "y": 10, "wires": [[]], "env": []}
    flows = [TAB, DEFINITION, *INSIDE, outer_def, nested, feeder("i1", "o1"),
             {"id": "o1", "type": "subflow:sf2", "z": "t1", "x": 200, "y": 200, "wires": [["d1"]], "env": []},
             debug("d1")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("i1", {"payload": "deep"})
    [data] = await comms.debug(1, node_id="d1")
    assert data["msg"] == "deep"
    inner = (await comms.debug(1, node_id=internal_id(internal_id("o1", "sf2_i"), "sf_dbg")))[0]
    assert inner["path"] == f"t1/o1/{internal_id('o1', 'sf2_i')}"

    rt2 = await start_runtime([TAB, {"id": "x1", "type": "subflow:nope", "z": "t1", "x": 1, "y": 1, "wires": []}])
    assert rt2.engine.missing_types == {"subflow:nope": ["x1"]}
