"""Environment variables: ``${VAR}`` in node properties and typed ``env`` values, looked up
node → group → tab → global env → process env, with Node-RED's NR_* built-ins."""
from __future__ import annotations

import json

from conftest import make_node

TAB = {"id": "t1", "type": "tab", "label": "Env tab", "env": [
    {"name": "WHO", "value": "tab", "type": "str"},
    {"name": "N", "value": "7", "type": "num"},
    {"name": "FROM_PROCESS", "value": "FLOWRED_TEST_VAR", "type": "env"},
]}
GLOBAL = {"id": "gc", "type": "global-config", "env": [{"name": "SITE", "value": "global", "type": "str"},
                                                        {"name": "WHO", "value": "global", "type": "str"}]}
OUTER = {"id": "g1", "type": "group", "z": "t1", "name": "Outer",
         "env": [{"name": "WHO", "value": "outer", "type": "str"}], "nodes": ["g2", "i2"], "x": 0, "y": 0, "w": 400,
         "h": 200}
INNER = {"id": "g2", "type": "group", "z": "t1", "g": "g1", "name": "Inner", "env": [], "nodes": ["i3"],
         "x": 10, "y": 10, "w": 200, "h": 100}


def env_inject(id_: str, **extra) -> dict:
    names = ["WHO", "N", "SITE", "FROM_PROCESS", "NR_NODE_ID", "NR_NODE_NAME", "NR_NODE_PATH", "NR_FLOW_ID",
             "NR_FLOW_NAME", "NR_GROUP_ID", "NR_GROUP_NAME", "UNSET_VAR_X"]
    props = [{"p": f"payload.{n}", "v": n, "vt": "env"} for n in names]
    return make_node(id_, "inject", [["d1"]], name=f"inject {id_}", props=props, **extra)


async def test_lookup_order_and_built_ins(start_runtime, monkeypatch):
    monkeypatch.setenv("FLOWRED_TEST_VAR", "from process")
    monkeypatch.setenv("SITE", "process loses to global")
    flows = [TAB, GLOBAL, OUTER, INNER, env_inject("i1"), env_inject("i2", g="g1"), env_inject("i3", g="g2"),
             make_node("d1", "debug", complete="payload")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    seen = {}
    for nid in ("i1", "i2", "i3"):
        await rt.inject(nid)
        seen[nid] = json.loads((await comms.debug(len(seen) + 1))[-1]["msg"])
    assert seen["i1"] == {"WHO": "tab", "N": 7, "SITE": "global", "FROM_PROCESS": "from process",
                          "NR_NODE_ID": "i1", "NR_NODE_NAME": "inject i1", "NR_NODE_PATH": "t1/i1",
                          "NR_FLOW_ID": "t1", "NR_FLOW_NAME": "Env tab", "NR_GROUP_ID": "", "NR_GROUP_NAME": "",
                          "UNSET_VAR_X": ""}
    assert seen["i2"]["WHO"] == "outer" and seen["i2"]["NR_GROUP_ID"] == "g1" and seen["i2"]["NR_GROUP_NAME"] == "Outer"
    # the inner group has no WHO of its own: it comes from the group around it
    assert seen["i3"]["WHO"] == "outer" and seen["i3"]["NR_GROUP_ID"] == "g2" and seen["i3"]["N"] == 7


async def test_whole_property_substitution_before_validation(start_runtime, monkeypatch):
    monkeypatch.setenv("GREETING", "hello")
    tab = {"id": "t1", "type": "tab", "label": "x", "env": [{"name": "EVERY", "value": "0.05", "type": "str"}]}
    flows = [tab,
             make_node("i1", "inject", [["d1"]], props=[{"p": "payload", "v": "${GREETING}", "vt": "str"},
                                                        {"p": "topic", "v": "say ${GREETING}", "vt": "str"},
                                                        {"p": "other", "v": "${NOT_SET_ANYWHERE}", "vt": "str"}],
                       repeat="${EVERY}"),
             make_node("d1", "debug", complete="true")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    got = await comms.debug(2)  # the repeat interval came from the tab env: a number field
    msg = json.loads(got[0]["msg"])
    assert msg["payload"] == "hello"
    assert msg["topic"] == "say ${GREETING}"  # only a whole-value reference is substituted
    assert msg["other"] == "${NOT_SET_ANYWHERE}"  # unset: left as written
    # the stored flow keeps the reference, so an export gives back what was imported
    stored = await (await rt.http.get(rt.url + "/flows")).json()
    assert stored[1]["props"][0]["v"] == "${GREETING}" and stored[1]["repeat"] == "${EVERY}"


async def test_a_substituted_value_of_the_wrong_type_is_a_located_deploy_error(start_runtime, monkeypatch):
    monkeypatch.setenv("BAD_INTERVAL", "often")
    rt = await start_runtime([])
    resp = await rt.http.post(rt.url + "/flows", json=[
        {"id": "t1", "type": "tab", "label": "x"},
        make_node("i1", "inject", [[]], props=[], repeat="${BAD_INTERVAL}")])
    assert resp.status == 400
    body = await resp.json()
    assert body["code"] == "invalid_flow" and "i1" in json.dumps(body) and "repeat" in json.dumps(body)
