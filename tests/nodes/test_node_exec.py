"""exec node: exec and spawn modes, appended payload, return codes, timeout, msg.kill, close (90-exec.js)."""
from __future__ import annotations

import asyncio
import json
import os
import time

from conftest import TEST_TAB, feeder, make_node

EXPORT_FIELDS = {"command": "", "addpay": "payload", "append": "", "useSpawn": "false", "timer": "",
                 "winHide": False, "oldrc": False}


def exec_node(id_: str = "ex", **fields) -> dict:
    return make_node(id_, "exec", [["out"], ["err"], ["rc"]], **{**EXPORT_FIELDS, **fields})


def debugs() -> list[dict]:
    return [make_node(i, "debug", complete="true") for i in ("out", "err", "rc")]


def flow(**fields) -> list[dict]:
    return [TEST_TAB, feeder("i1", "ex"), exec_node(**fields), *debugs()]


async def msgs(comms, node_id: str, n: int = 1, timeout: float = 5) -> list[dict]:
    return [json.loads(d["msg"]) for d in await comms.debug(n, timeout, node_id)]


def statuses(comms, node_id: str = "ex") -> list[dict]:
    return comms.topic(f"status/{node_id}")


def node_errors(comms) -> list[dict]:
    return [m["data"] for m in comms.messages if m["topic"] == "debug" and m["data"].get("level") == 20]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is dead
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


NODE_RED_EXPORT = [
    {"id": "f1", "type": "tab", "label": "Flow 1", "disabled": False, "info": "", "env": []},
    {"id": "in1", "type": "inject", "z": "f1", "name": "", "props": [{"p": "payload"}, {"p": "topic", "vt": "str"}],
     "repeat": "", "crontab": "", "once": False, "onceDelay": 0.1, "topic": "t", "payload": "hello world",
     "payloadType": "str", "x": 110, "y": 80, "wires": [["ex1"]]},
    {"id": "ex1", "type": "exec", "z": "f1", "command": "echo", "addpay": "payload", "append": "again",
     "useSpawn": "false", "timer": "", "winHide": False, "oldrc": False, "name": "", "x": 280, "y": 80,
     "wires": [["dbg1"], ["dbg2"], ["dbg3"]]},
    *[{"id": f"dbg{n}", "type": "debug", "z": "f1", "name": "", "active": True, "tosidebar": True, "console": False,
       "tostatus": False, "complete": "true", "targetType": "full", "statusVal": "", "statusType": "auto",
       "x": 450, "y": 40 * n, "wires": []} for n in (1, 2, 3)],
]


async def test_exec_mode_from_a_node_red_export_appends_payload_and_extra_params(start_runtime):
    rt = await start_runtime(NODE_RED_EXPORT)
    comms = await rt.comms()
    await rt.inject("in1")
    [out] = await msgs(comms, "dbg1")
    [rc] = await msgs(comms, "dbg3")
    assert out["payload"] == "hello world again\n" and out["topic"] == "t"
    assert out["rc"] == {"code": 0}
    assert rc["payload"] == {"code": 0} and "rc" not in rc
    assert out["_msgid"] == rc["_msgid"]
    assert all(d["id"] != "dbg2" for d in comms.topic("debug"))  # no stderr, no msg on output 2
    await asyncio.sleep(0.05)
    st = statuses(comms, "ex1")
    assert st[0]["fill"] == "blue" and st[0]["text"].startswith("pid:") and int(st[0]["text"][4:]) > 0
    assert st[-1] == {}


async def test_exec_mode_stderr_and_non_zero_return_code(start_runtime):
    rt = await start_runtime(flow(command="echo out; echo oops >&2; exit 3", addpay=""))
    comms = await rt.comms()
    await rt.inject("i1", {"payload": "not appended", "topic": "x"})
    [out] = await msgs(comms, "out")
    [err] = await msgs(comms, "err")
    [rc] = await msgs(comms, "rc")
    failure = {"code": 3, "message": "Command failed: echo out; echo oops >&2; exit 3\noops\n"}
    assert out["payload"] == "out\n" and out["rc"] == failure and out["topic"] == "x"
    assert err["payload"] == "oops\n" and err["rc"] == failure
    assert rc["payload"] == failure
    await asyncio.sleep(0.05)
    assert statuses(comms)[-1] == {"fill": "red", "shape": "dot", "text": "error:3"}
    assert node_errors(comms) == []


async def test_exec_mode_legacy_return_code_and_payload_of_other_types(start_runtime):
    rt = await start_runtime(flow(command="printf '%s|'", addpay=True, oldrc=True))
    comms = await rt.comms()
    await rt.inject("i1", {"payload": [1, "b", True]})
    [out] = await msgs(comms, "out")
    assert out["payload"] == "1,b,true|" and "rc" not in out
    await asyncio.sleep(0.2)
    assert [d for d in comms.topic("debug") if d["id"] == "rc"] == []  # old style: no rc on success


async def test_exec_mode_appends_another_msg_property_and_bytes_as_text(start_runtime):
    rt = await start_runtime(flow(command="echo", addpay="cmd.arg"))
    comms = await rt.comms()
    await rt.inject("i1", {"payload": "ignored", "cmd": {"arg": 42}})
    [out] = await msgs(comms, "out")
    assert out["payload"] == "42\n"
    rt2_flow = flow(command="echo")
    await rt.deploy(rt2_flow)
    # a Buffer payload is appended as its text
    rt.engine.get_node("i1").receive({"payload": "héllo".encode()})
    got = await msgs(comms, "out", 2)
    assert got[1]["payload"] == "héllo\n"


async def test_exec_mode_missing_command_gives_127_on_output_3_without_node_error(start_runtime):
    rt = await start_runtime(flow(command="no-such-command-flowred", addpay=""))
    comms = await rt.comms()
    await rt.inject("i1", {"payload": 1})
    [err] = await msgs(comms, "err")
    [rc] = await msgs(comms, "rc")
    assert "no-such-command-flowred" in err["payload"] and "not found" in err["payload"]
    assert rc["payload"]["code"] == 127
    assert rc["payload"]["message"] == "Command failed: no-such-command-flowred\n" + err["payload"]
    await asyncio.sleep(0.05)
    assert statuses(comms)[-1] == {"fill": "red", "shape": "dot", "text": "error:127"}
    assert node_errors(comms) == []


async def test_spawn_mode_splits_quoted_arguments_and_streams_chunks(start_runtime):
    script = 'for w in "$@"; do echo "[$w]"; sleep 0.3; done; echo bad >&2; exit 2'
    rt = await start_runtime(flow(command=f'sh -c "{script}" sh', useSpawn="true", append='"two words" x'))
    comms = await rt.comms()
    start = time.monotonic()
    await rt.inject("i1", {"payload": "first"})
    await msgs(comms, "out", 1)
    first_at = time.monotonic() - start
    got = await msgs(comms, "out", 3)
    assert [m["payload"] for m in got] == ["[first]\n", "[two words]\n", "[x]\n"]
    [rc] = await msgs(comms, "rc")
    total = time.monotonic() - start
    assert first_at < total - 0.5  # the first chunk came long before the end: streamed
    [err] = await msgs(comms, "err")
    assert err["payload"] == "bad\n"
    assert rc["payload"] == {"code": 2} and "rc" not in got[0]
    await asyncio.sleep(0.05)
    assert statuses(comms)[-1] == {"fill": "yellow", "shape": "dot", "text": "rc:2"}


async def test_spawn_mode_success_and_legacy_rc(start_runtime):
    rt = await start_runtime(flow(command='printf "%s-%s"', useSpawn="true", oldrc=True, append="a"))
    comms = await rt.comms()
    await rt.inject("i1", {"payload": '"b c"'})
    [out] = await msgs(comms, "out")
    [rc] = await msgs(comms, "rc")
    assert out["payload"] == "b c-a"
    assert rc["payload"] == 0
    await asyncio.sleep(0.05)
    assert statuses(comms)[-1] == {"fill": "yellow", "shape": "dot", "text": "rc:0"}


async def test_spawn_mode_missing_command_gives_negative_errno(start_runtime):
    rt = await start_runtime(flow(command="no-such-command-flowred", useSpawn="true"))
    comms = await rt.comms()
    await rt.inject("i1", {"payload": "x"})
    [rc] = await msgs(comms, "rc")
    assert rc["payload"] == {"code": -2}
    await asyncio.sleep(0.05)
    assert statuses(comms)[-1] == {"fill": "red", "shape": "dot", "text": "rc:-2"}
    assert node_errors(comms) == []


async def test_timeout_kills_the_process_in_both_modes(start_runtime):
    rt = await start_runtime([TEST_TAB, feeder("i1", "ex"), feeder("i2", "sp"),
                              exec_node(command="sleep 5", addpay="", timer="0.3"),
                              make_node("sp", "exec", [["out"], ["err"], ["rc"]],
                                        **{**EXPORT_FIELDS, "command": "sleep 5", "addpay": "",
                                           "useSpawn": "true", "timer": 0.3}),
                              *debugs()])
    comms = await rt.comms()
    start = time.monotonic()
    await rt.inject("i1", {})
    await rt.inject("i2", {})
    got = await msgs(comms, "rc", 2)
    assert time.monotonic() - start < 2
    by_kind = {("message" in m["payload"]): m["payload"] for m in got}
    assert by_kind[True] == {"code": None, "message": "Command failed: sleep 5\n", "signal": "SIGTERM"}
    assert by_kind[False] == {"code": None, "signal": "SIGTERM"}
    await asyncio.sleep(0.05)
    assert statuses(comms, "ex")[-1] == {"fill": "red", "shape": "dot", "text": "killed"}
    assert statuses(comms, "sp")[-1] == {"fill": "red", "shape": "dot", "text": "killed"}


async def test_msg_kill_sends_the_signal_to_the_running_process(start_runtime):
    rt = await start_runtime(flow(command="sleep 5", addpay="", useSpawn="true"))
    comms = await rt.comms()
    start = time.monotonic()
    await rt.inject("i1", {"payload": "go"})
    [running] = await comms.wait_for(lambda m: m["topic"] == "status/ex"
                                     and m["data"].get("text", "").startswith("pid:"))
    pid = int(running["data"]["text"][4:])
    await rt.inject("i1", {"kill": "sigint", "pid": 999999999})  # another pid: nothing happens
    await asyncio.sleep(0.2)
    assert alive(pid)
    await rt.inject("i1", {"kill": "SIGINT"})
    [rc] = await msgs(comms, "rc")
    assert rc["payload"] == {"code": None, "signal": "SIGINT"}
    assert time.monotonic() - start < 3
    assert {"fill": "red", "shape": "dot", "text": "killed"} in statuses(comms)


async def test_msg_kill_by_pid_and_default_signal(start_runtime):
    rt = await start_runtime(flow(command="sleep 5", addpay=""))
    comms = await rt.comms()
    await rt.inject("i1", {})
    await rt.inject("i1", {})
    pids = []
    while len(pids) < 2:
        await comms.wait_for(lambda m: m["topic"] == "status/ex" and m["data"].get("text", "").startswith("pid:"),
                             len(pids) + 1)
        pids = [int(s["text"][4:]) for s in statuses(comms) if s.get("text", "").startswith("pid:")]
    await rt.inject("i1", {"kill": True})  # two running and no pid: nothing is killed
    await asyncio.sleep(0.2)
    assert alive(pids[0]) and alive(pids[1])
    await rt.inject("i1", {"kill": "", "pid": str(pids[1])})  # not a SIG name: SIGTERM
    [rc] = await msgs(comms, "rc")
    assert rc["payload"]["signal"] == "SIGTERM" and rc["payload"]["code"] is None
    assert alive(pids[0])
    await rt.inject("i1", {"kill": "SIGKILL"})  # now only one runs
    got = await msgs(comms, "rc", 2)
    assert got[1]["payload"]["signal"] == "SIGKILL"
    await rt.inject("i1", {"kill": "SIGNOPE"})  # nothing runs: no error either
    await asyncio.sleep(0.1)
    assert node_errors(comms) == []


async def test_redeploy_kills_a_running_child_and_drops_its_output(start_runtime):
    rt = await start_runtime(flow(command="sleep 5; echo late", addpay="", useSpawn="false"))
    comms = await rt.comms()
    await rt.inject("i1", {})
    [running] = await comms.wait_for(lambda m: m["topic"] == "status/ex"
                                     and m["data"].get("text", "").startswith("pid:"))
    pid = int(running["data"]["text"][4:])
    assert alive(pid)
    start = time.monotonic()
    await rt.deploy(flow(command="echo", useSpawn="true"))
    while alive(pid) and time.monotonic() - start < 2:
        await asyncio.sleep(0.05)
    assert not alive(pid)
    await asyncio.sleep(0.2)
    assert [d for d in comms.topic("debug") if d["id"] in ("out", "rc")] == []
    await rt.inject("i1", {"payload": "new"})
    [out] = await msgs(comms, "out")
    assert out["payload"] == "new\n"


async def test_invalid_timer_is_a_deploy_error(start_runtime):
    rt = await start_runtime([])
    resp = await rt.deploy(flow(command="echo", timer="soon"), expect=400)
    body = await resp.json()
    assert body["code"] == "invalid_flow" and body["errors"][0]["field"] == "timer"
