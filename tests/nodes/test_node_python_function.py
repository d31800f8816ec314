"""python-function node: returns and outputs, node.send, context, env, errors, timeouts, start/stop code."""
from __future__ import annotations

import asyncio
import json
import time

from conftest import TEST_TAB, feeder, make_node


def pyfunc(id_: str, func: str, wires=(("d1",),), **fields) -> dict:
    """A python-function node with the fields the editor writes, overridden by ``fields``."""
    base = {"func": func, "outputs": len(wires), "timeout": 0, "noerr": 0, "initialize": "", "finalize": "",
            "libs": []}
    return make_node(id_, "python-function", wires, **{**base, **fields})


def debug(id_: str = "d1") -> dict:
    return make_node(id_, "debug", (), active=True, tosidebar=True, console=False, tostatus=False,
                     complete="true", targetType="full")


def catch(target: str = "dc") -> dict:
    return make_node("c1", "catch", [[target]], scope=None, uncaught=False)


def payloads(data: list[dict]) -> list:
    return [json.loads(d["msg"])["payload"] for d in data]


async def test_node_red_style_export_runs(start_runtime):
    export = {"id": "5a6b7c8d9e0f1a2b", "type": "python-function", "z": "t1", "name": "double",
              "func": "msg['payload'] = msg['payload'] * 2\nreturn msg", "outputs": 1, "timeout": "",
              "noerr": 0, "initialize": "", "finalize": "", "libs": [], "x": 320, "y": 140, "wires": [["d1"]]}
    rt = await start_runtime([TEST_TAB, feeder("f1", "5a6b7c8d9e0f1a2b"), export, debug()])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": 21, "topic": "t"})
    [data] = await comms.debug(1)
    msg = json.loads(data["msg"])
    assert msg["payload"] == 42 and msg["topic"] == "t"


async def test_multiple_outputs_lists_and_none(start_runtime):
    func = ("a = {'payload': 'a'}\nb = {'payload': 'b'}\n"
            "return [msg, None, [a, b]] if msg['payload'] else [None, {'payload': 'only 2'}]")
    rt = await start_runtime([TEST_TAB, feeder("f1", "pf"), pyfunc("pf", func, (("d1",), ("d2",), ("d3",))),
                              debug("d1"), debug("d2"), debug("d3")])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": 1})
    got = await comms.debug(3)
    assert [d["id"] for d in got] == ["d1", "d3", "d3"]
    msgs = [json.loads(d["msg"]) for d in got]
    assert [m["payload"] for m in msgs] == [1, "a", "b"]
    assert len({m["_msgid"] for m in msgs}) == 1  # returned msgs carry the input msg's id
    await rt.inject("f1", {"payload": 0})
    [data] = await comms.debug(1, node_id="d2")
    assert json.loads(data["msg"])["payload"] == "only 2"


async def test_node_send_clones_and_keeps_order(start_runtime):
    func = ("for i in range(3):\n"
            "    msg['payload'] = i\n"
            "    node.send(msg)\n"
            "msg['payload'] = 'last'\n"
            "return msg")
    rt = await start_runtime([TEST_TAB, feeder("f1", "pf"), pyfunc("pf", func), debug()])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": None})
    assert payloads(await comms.debug(4)) == [0, 1, 2, "last"]


async def test_context_flow_global_and_env(start_runtime):
    tab = {**TEST_TAB, "env": [{"name": "UNIT", "value": "kg", "type": "str"}]}
    func = ("n = (context.get('n') or 0) + 1\n"
            "context.set('n', n)\n"
            "flow.set('seen.last', msg['payload'])\n"
            "global_.set('total', (global_.get('total') or 0) + msg['payload'])\n"
            "msg['payload'] = [n, flow.get('seen'), context.global_.get('total'), env.get('UNIT'),\n"
            "                  sorted(context.keys()), context.get('missing')]\n"
            "return msg")
    rt = await start_runtime([tab, feeder("f1", "pf"), pyfunc("pf", func), debug()])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": 5})
    await rt.inject("f1", {"payload": 7})
    assert payloads(await comms.debug(2)) == [[1, {"last": 5}, 5, "kg", ["n"], None],
                                              [2, {"last": 7}, 12, "kg", ["n"], None]]


async def test_exception_is_reported_with_line_and_msg_to_catch(start_runtime):
    func = "x = 1\ny = x / 0\nreturn msg"
    rt = await start_runtime([TEST_TAB, feeder("f1", "pf"), pyfunc("pf", func), debug(), catch(), debug("dc")])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": "p", "topic": "t"})
    [data] = await comms.debug(1)
    assert data["id"] == "dc"
    msg = json.loads(data["msg"])
    assert msg["error"]["message"] == "ZeroDivisionError: division by zero (line 2)"
    assert msg["error"]["source"]["id"] == "pf" and msg["topic"] == "t"


async def test_endless_loop_is_stopped_while_other_msgs_flow(start_runtime):
    func = ("if msg['payload'] == 'loop':\n"
            "    while True:\n"
            "        try:\n"
            "            while True:\n"
            "                pass\n"
            "        except Exception:\n"
            "            pass\n"
            "return msg")
    flows = [TEST_TAB, feeder("f1", "pf"), pyfunc("pf", func, timeout=0.5), debug(), catch(),
             debug("dc"), feeder("f2", "d2"), debug("d2")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    started = time.monotonic()
    await rt.inject("f1", {"payload": "loop"})
    await rt.inject("f2", {"payload": "meanwhile"})
    await rt.inject("f1", {"payload": "after"})  # waits for the stuck run, then goes through
    [other] = await comms.debug(1, node_id="d2")
    assert json.loads(other["msg"])["payload"] == "meanwhile"
    assert time.monotonic() - started < 0.5  # served while the loop runs
    [err] = await comms.debug(1, node_id="dc")
    assert json.loads(err["msg"])["error"]["message"] == "Function timed out after 0.5 s"
    [after] = await comms.debug(1, node_id="d1")
    assert json.loads(after["msg"])["payload"] == "after"
    assert time.monotonic() - started < 1.5  # stopped at once, not left behind


async def test_blocked_thread_is_left_behind_and_a_new_one_takes_over(start_runtime):
    func = "import time\nif msg['payload'] == 'block':\n    time.sleep(3)\nreturn msg"
    rt = await start_runtime([TEST_TAB, feeder("f1", "pf"), pyfunc("pf", func, timeout="0.2"), debug(), catch(),
                              debug("dc")])
    comms = await rt.comms()
    started = time.monotonic()
    await rt.inject("f1", {"payload": "block"})
    await rt.inject("f1", {"payload": "next"})
    [err] = await comms.debug(1, node_id="dc")
    assert "left running" in json.loads(err["msg"])["error"]["message"]
    [nxt] = await comms.debug(1, node_id="d1")
    assert json.loads(nxt["msg"])["payload"] == "next"
    assert time.monotonic() - started < 2.5


async def test_initialize_namespace_and_finalize_on_stop(start_runtime):
    init = "import math\nfactor = 10\ndef scale(x):\n    return math.floor(x * factor)\nnode.send({'payload': 'ready'})"
    fin = "global_.set('stopped', node.id)"
    flows = [TEST_TAB, feeder("f1", "pf"),
             pyfunc("pf", "msg['payload'] = scale(msg['payload'])\nreturn msg", initialize=init, finalize=fin),
             debug()]
    rt = await start_runtime([TEST_TAB])
    comms = await rt.comms()
    await rt.deploy(flows)
    await rt.inject("f1", {"payload": 1.27})
    assert payloads(await comms.debug(2)) == ["ready", 12]
    # a redeploy stops the node (On Stop runs) and starts the new flow, which reads what it left
    reader = pyfunc("rd", "msg['payload'] = global_.get('stopped')\nreturn msg")
    await rt.deploy([TEST_TAB, feeder("f1", "rd"), reader, debug()])
    await rt.inject("f1", {"payload": None})
    data = await comms.debug(3)
    assert json.loads(data[2]["msg"])["payload"] == "pf"


async def test_failed_initialize_is_reported_and_msgs_are_ignored(start_runtime):
    flows = [TEST_TAB, feeder("f1", "pf"), pyfunc("pf", "return msg", initialize="x = 1\nraise RuntimeError('no db')"),
             debug(), feeder("f2", "d2"), debug("d2")]
    rt = await start_runtime([TEST_TAB])
    comms = await rt.comms()
    await rt.deploy(flows)
    [err] = await comms.debug(1)
    assert err["level"] == 20 and err["msg"] == "RuntimeError: no db (setup:line 2)"
    await rt.inject("f1", {"payload": 1})
    await rt.inject("f2", {"payload": 2})
    [data] = await comms.debug(1, node_id="d2")
    await asyncio.sleep(0.05)
    assert not [m for m in comms.messages if m["topic"] == "debug" and m["data"].get("id") == "d1"]


async def test_status_warn_error_and_bad_return(start_runtime):
    func = ("node.status({'fill': 'green', 'shape': 'dot', 'text': 'working'})\n"
            "node.warn('careful')\n"
            "node.error('reported', msg)\n"
            "return 42")
    rt = await start_runtime([TEST_TAB, feeder("f1", "pf"), pyfunc("pf", func), debug(), catch(), debug("dc")])
    comms = await rt.comms()
    await rt.inject("f1", {"payload": 1})
    got = await comms.debug(3)
    assert {"level": 30, "msg": "careful"}.items() <= got[0].items()
    assert json.loads(got[1]["msg"])["error"]["message"] == "reported"
    assert got[2]["level"] == 20 and got[2]["msg"] == "Function tried to send a message of type int"
    assert comms.topic("status/pf")[0] == {"fill": "green", "shape": "dot", "text": "working"}


async def test_code_calling_node_done_completes_the_msg_itself(start_runtime):
    func = "node.send(msg)\nif msg['payload'] == 'finish':\n    node.done()\n"
    flows = [TEST_TAB, feeder("f1", "pf"), pyfunc("pf", func), debug(),
             make_node("k1", "complete", [["dk"]], scope=["pf"], uncaught=False), debug("dk")]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("f1", {"payload": "keep"})
    await rt.inject("f1", {"payload": "finish"})
    await comms.debug(2, node_id="d1")
    [done] = await comms.debug(1, node_id="dk")
    assert json.loads(done["msg"])["payload"] == "finish"


async def test_syntax_error_and_bad_numbers_are_deploy_errors(start_runtime):
    rt = await start_runtime([TEST_TAB])
    resp = await rt.deploy([TEST_TAB, pyfunc("pf", "x = (\nreturn msg"), debug()], expect=400)
    body = await resp.json()
    [error] = body["errors"]
    assert error["id"] == "pf" and error["field"] == "func" and "SyntaxError" in error["message"]
    resp = await rt.deploy([TEST_TAB, pyfunc("pf", "return msg", timeout="soon", initialize="def"), debug()],
                           expect=400)
    assert {e["field"] for e in (await resp.json())["errors"]} == {"timeout", "initialize"}
