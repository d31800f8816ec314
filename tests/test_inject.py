"""The inject node: typed props, legacy fields, once, repeat and crontab (20-inject.js)."""
from __future__ import annotations

import json
import time

TAB = {"id": "t1", "type": "tab", "label": "inject"}
DEBUG = {"id": "d1", "type": "debug", "z": "t1", "complete": "true", "x": 300, "y": 100, "wires": []}


def inject(**kw):
    return {"id": "i1", "type": "inject", "z": "t1", "x": 100, "y": 100, "wires": [["d1"]], **kw}


async def test_props_of_every_basic_type_build_the_msg(start_runtime, monkeypatch):
    monkeypatch.setenv("FLOWRED_TEST_VAR", "from-env")
    props = [{"p": "s", "v": "text", "vt": "str"}, {"p": "n", "v": "2.5", "vt": "num"},
             {"p": "b", "v": "TRUE", "vt": "bool"}, {"p": "j", "v": '{"k": [1, null]}', "vt": "json"},
             {"p": "ts", "v": "", "vt": "date"}, {"p": "e", "v": "FLOWRED_TEST_VAR", "vt": "env"},
             {"p": "deep.list[1].x", "v": "7", "vt": "num"}, {"p": "copy", "v": "n", "vt": "msg"},
             {"p": "missing_v"}]
    rt = await start_runtime([TAB, inject(props=props), DEBUG])
    comms = await rt.comms()
    before = int(time.time() * 1000)
    await rt.inject("i1")
    [data] = await comms.debug(1)
    msg = json.loads(data["msg"])
    assert msg["s"] == "text" and msg["n"] == 2.5 and msg["b"] is True
    assert msg["j"] == {"k": [1, None]} and msg["e"] == "from-env"
    assert before <= msg["ts"] <= int(time.time() * 1000)
    assert msg["deep"] == {"list": [None, {"x": 7}]} and msg["copy"] == 2.5
    assert msg["missing_v"] == ""


async def test_legacy_payload_fields_and_flow_global_context(start_runtime):
    legacy = inject(payload="hello", payloadType="str", topic="greeting")
    rt = await start_runtime([TAB, legacy, DEBUG])
    comms = await rt.comms()
    await rt.inject("i1")
    [data] = await comms.debug(1)
    assert json.loads(data["msg"])["payload"] == "hello" and data["topic"] == "greeting"
    node = rt.engine.get_node("i1")
    node.context().flow.set("count", 3)
    node.context().global_.set("cfg", {"a": 1})
    props = [{"p": "f", "v": "count", "vt": "flow"}, {"p": "g", "v": "cfg.a", "vt": "global"}]
    await rt.deploy([TAB, inject(props=props), DEBUG])
    await rt.inject("i1")
    msg = json.loads((await comms.debug(2))[1]["msg"])
    assert msg["f"] == 3 and msg["g"] == 1


async def test_once_fires_after_deploy_and_repeat_keeps_firing(start_runtime):
    rt = await start_runtime([])
    comms = await rt.comms()
    await rt.deploy([TAB, inject(once=True, onceDelay=0.05, repeat="0.2",
                                 props=[{"p": "payload", "v": "x", "vt": "str"}]), DEBUG])
    t0 = time.monotonic()
    got = await comms.debug(4, timeout=10)
    elapsed = time.monotonic() - t0
    assert len(got) >= 4 and 0.5 <= elapsed < 10  # not faster than once + 3 repeats; bound loose for busy machines
    # a new deploy without the node stops its timer
    await rt.deploy([TAB, DEBUG])
    n = len(comms.topic("debug"))
    import asyncio
    await asyncio.sleep(0.5)
    assert len(comms.topic("debug")) == n


async def test_crontab_with_seconds_fires(start_runtime):
    rt = await start_runtime([TAB, inject(crontab="* * * * * *", props=[{"p": "payload", "v": "tick", "vt": "str"}]),
                              DEBUG])
    comms = await rt.comms()
    got = await comms.debug(2, timeout=5)
    assert all(json.loads(d["msg"])["payload"] == "tick" for d in got)


async def test_invalid_schedule_is_rejected_at_deploy(start_runtime):
    rt = await start_runtime([])
    resp = await rt.deploy([TAB, inject(crontab="every tuesday"), DEBUG], expect=400)
    [err] = (await resp.json())["errors"]
    assert err["id"] == "i1" and err["field"] == "crontab"
    resp = await rt.deploy([TAB, inject(repeat="9999999"), DEBUG], expect=400)
    assert "Interval too large" in (await resp.json())["errors"][0]["message"]


async def test_jsonata_prop_sees_msg_env_and_context(start_runtime, monkeypatch):
    monkeypatch.setenv("FLOWRED_TEST_VAR", "E")
    props = [{"p": "payload", "v": "[1,2,3]", "vt": "json"},
             {"p": "sum", "v": '$sum(payload) & "-" & $env("FLOWRED_TEST_VAR") & "-" & $flowContext("k")',
              "vt": "jsonata"}]
    rt = await start_runtime([TAB, inject(props=props), DEBUG])
    rt.engine.get_node("i1").context().flow.set("k", "F")
    comms = await rt.comms()
    await rt.inject("i1")
    msg = json.loads((await comms.debug(1))[0]["msg"])
    assert msg["sum"] == "6-E-F"


async def test_invalid_jsonata_is_an_error_on_the_node(start_runtime):
    rt = await start_runtime([TAB, inject(props=[{"p": "payload", "v": "payload.", "vt": "jsonata"}]), DEBUG])
    comms = await rt.comms()
    await rt.inject("i1")
    [err] = await comms.debug(1)
    assert err["level"] == 20 and "Invalid JSONata expression: Unexpected end of expression" in err["msg"]
