"""python-function with msgs in bursts (they reach the worker in batches): order, per-msg
results and errors, a run killed inside a burst, and runtime objects (msg.req, msg.res) kept by
reference both ways."""
from __future__ import annotations

import json

from conftest import TEST_TAB, make_node


def pyfunc(id_: str, func: str, wires=(("d1",),), **fields) -> dict:
    base = {"func": func, "outputs": len(wires), "timeout": 0, "noerr": 0, "initialize": "", "finalize": "",
            "libs": []}
    return make_node(id_, "python-function", wires, **{**base, **fields})


def debug(id_: str) -> dict:
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full")


def burst(count: int, target: str) -> list[dict]:
    """An inject of [0 .. count-1] and a split: ``count`` msgs reach ``target`` in one go."""
    return [make_node("i1", "inject", [["sp"]], props=[{"p": "payload"}], payload=json.dumps(list(range(count))),
                      payloadType="json", repeat="", crontab="", once=False, topic=""),
            make_node("sp", "split", [[target]], splt="\\n", spltType="str", arraySplt=1, arraySpltType="len",
                      stream=False, addname="", property="payload")]


def catch() -> dict:
    return make_node("c1", "catch", [["dc"]], scope=None, uncaught=False)


async def test_a_burst_keeps_order_sends_returns_and_errors_per_msg(start_runtime):
    func = ("if msg['payload'] == 7:\n"
            "    raise ValueError('seven')\n"
            "node.send({'payload': ['sent', msg['payload']]})\n"
            "if msg['payload'] % 10 == 0:\n"
            "    return None\n"
            "msg['payload'] = msg['payload'] * 2\n"
            "return msg")
    rt = await start_runtime([TEST_TAB, *burst(50, "pf"), pyfunc("pf", func), debug("d1"), catch(), debug("dc")])
    comms = await rt.comms()
    await rt.inject("i1")
    expected = []
    for i in range(50):
        if i == 7:
            continue
        expected.append(["sent", i])
        if i % 10:
            expected.append(i * 2)
    got = await comms.debug(len(expected), node_id="d1")
    msgs = [json.loads(d["msg"]) for d in got]
    assert [m["payload"] for m in msgs] == expected
    assert msgs[1]["_msgid"] == msgs[2]["_msgid"]  # a sent msg gets the id of the msg being run
    assert len({m["_msgid"] for m in msgs}) == 49
    [err] = await comms.debug(1, node_id="dc")
    caught = json.loads(err["msg"])
    assert caught["payload"] == 7 and caught["error"]["message"] == "ValueError: seven (line 2)"


async def test_a_run_killed_inside_a_burst_fails_its_msg_and_the_rest_run_in_a_new_worker(start_runtime):
    func = ("import time\n"
            "if msg['payload'] == 2:\n"
            "    time.sleep(10)\n"
            "msg['pid'] = os.getpid()\n"
            "return msg")
    rt = await start_runtime([TEST_TAB, *burst(6, "pf"), pyfunc("pf", func, timeout=0.3, initialize="import os"),
                              debug("d1"), catch(), debug("dc")])
    comms = await rt.comms()
    await rt.inject("i1")
    msgs = [json.loads(d["msg"]) for d in await comms.debug(5, node_id="d1")]
    assert [m["payload"] for m in msgs] == [0, 1, 3, 4, 5]
    assert msgs[0]["pid"] == msgs[1]["pid"] != msgs[2]["pid"] == msgs[4]["pid"]
    [err] = await comms.debug(1, node_id="dc")
    caught = json.loads(err["msg"])
    assert caught["payload"] == 2 and "its worker process was killed" in caught["error"]["message"]


async def test_request_and_response_objects_stay_in_the_runtime(start_runtime):
    func = ("msg['payload'] = {'method': msg['req']['method'], 'q': msg['req']['query']['q'],\n"
            "                  'kinds': [type(msg['req']).__name__, type(msg['res']).__name__]}\n"
            "return msg")
    flows = [TEST_TAB, make_node("in1", "http in", [["pf"]], url="/py", method="get", upload=False, swaggerDoc=""),
             pyfunc("pf", func, (("r1",),)), make_node("r1", "http response", [], statusCode="", headers={})]
    rt = await start_runtime(flows)
    for q in ("a", "b"):
        resp = await rt.http.get(rt.url + f"/py?q={q}")
        assert resp.status == 200
        assert await resp.json() == {"method": "GET", "q": q, "kinds": ["RuntimeObject", "RuntimeObject"]}
