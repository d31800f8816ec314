"""User code that runs away (memory bombs, endless loops that swallow the stop, floods of output)
in function, python-function and exec nodes ends with an error on its msg; the runtime keeps
serving and the node works again afterwards.

The bombs run against a real ``flowred run`` process, watched from here: if its process tree
grows past MEMORY_GUARD it is killed (so a bomb that is not bounded fails the test instead of
exhausting the machine), and an answer to ``GET /flows`` is required while the bomb runs.
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

import aiohttp
import psutil
import pytest

from conftest import ROOT, TEST_TAB, catch_all, feeder, free_port, full_debug, make_node

FLOWRED = str(Path(sys.executable).with_name("flowred"))
MEMORY_GUARD = 3 * 1024 ** 3
"""Bytes of resident memory (the server and its children) at which the server is killed."""


class Server:
    """A ``flowred run`` process on a free loopback port, with a memory guard and /comms."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str, http: aiohttp.ClientSession) -> None:
        self.proc, self.url, self.http = proc, url, http
        self.debug: list[dict] = []
        self.status: dict[str, list] = {}
        self.killed_for_memory = 0
        self.peak = 0
        self._tasks: list[asyncio.Task] = []

    async def watch(self) -> None:
        ws = await self.http.ws_connect(self.url + "/comms")
        for topic in ("debug", "status/#"):
            await ws.send_json({"subscribe": topic})
        self._tasks.append(asyncio.create_task(self._read(ws)))
        self._tasks.append(asyncio.create_task(self._guard()))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in ws:
            for m in json.loads(frame.data):
                if m["topic"] == "debug":
                    self.debug.append({**m["data"], "at": time.monotonic()})
                elif m["topic"].startswith("status/"):
                    self.status.setdefault(m["topic"][7:], []).append(m["data"])

    async def _guard(self) -> None:
        proc = psutil.Process(self.proc.pid)
        while self.proc.returncode is None:
            try:
                rss = sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
            except psutil.Error:
                rss = 0
            self.peak = max(self.peak, rss)
            if rss > MEMORY_GUARD:
                self.killed_for_memory = rss
                for p in [*proc.children(recursive=True), proc]:
                    try:
                        p.kill()
                    except psutil.Error:
                        pass
                return
            await asyncio.sleep(0.05)

    async def inject(self, node_id: str, body: dict) -> None:
        resp = await self.http.post(f"{self.url}/inject/{node_id}", json=body)
        assert resp.status == 200, await resp.text()

    async def got(self, node_id: str, count: int = 1, timeout: float = 30) -> list[dict]:
        """The first ``count`` debug msgs of ``node_id``, each as ``{"msg": decoded, "at": t}``."""
        end = time.monotonic() + timeout
        while True:
            found = [d for d in self.debug if d.get("id") == node_id]
            if len(found) >= count:
                return [{"msg": json.loads(d["msg"]) if d.get("format", "").startswith("Object") else d["msg"],
                         "at": d["at"]} for d in found[:count]]
            self.check_alive()
            assert time.monotonic() < end, f"timed out waiting for {count} msg(s) of {node_id}: {self.debug[-5:]}"
            await asyncio.sleep(0.02)

    def check_alive(self) -> None:
        assert not self.killed_for_memory, f"the server grew to {self.killed_for_memory >> 20} MiB and was killed"
        assert self.proc.returncode is None, f"the server died (exit code {self.proc.returncode})"

    async def flows_answer_until(self, node_id: str, timeout: float = 30) -> list[float]:
        """Ask ``GET /flows`` again and again until ``node_id`` got a debug msg; the times at
        which answers came back (an error ends the wait with an AssertionError)."""
        answers = []
        end = time.monotonic() + timeout
        while not any(d.get("id") == node_id for d in self.debug):
            self.check_alive()
            assert time.monotonic() < end, "the bomb was not stopped"
            try:
                resp = await self.http.get(self.url + "/flows", timeout=aiohttp.ClientTimeout(total=5))
                assert resp.status == 200
                await resp.read()
                answers.append(time.monotonic())
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                self.check_alive()
                raise AssertionError(f"GET /flows failed during the bomb: {exc!r}") from None
            await asyncio.sleep(0.1)
        return answers

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()


@pytest.fixture
async def server(tmp_path):
    """Factory: ``srv = await server(flows, settings_toml="")`` runs ``flowred run`` on them."""
    started: list[Server] = []
    http = aiohttp.ClientSession()

    async def start(flows: list[dict], settings_toml: str = "") -> Server:
        flow_file = tmp_path / "flows.json"
        flow_file.write_text(json.dumps(flows))
        (tmp_path / "settings.toml").write_text(settings_toml)
        port = free_port()
        proc = await asyncio.create_subprocess_exec(
            FLOWRED, "run", str(flow_file), "--userDir", str(tmp_path), "--port", str(port), "--no-watch",
            "-s", str(tmp_path / "settings.toml"), stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL, cwd=ROOT, env=dict(os.environ))
        srv = Server(proc, f"http://127.0.0.1:{port}", http)
        started.append(srv)
        end = time.monotonic() + 60
        while True:
            srv.check_alive()
            try:
                if (await http.get(srv.url + "/flows")).status == 200:
                    break
            except aiohttp.ClientError:
                pass
            assert time.monotonic() < end, "flowred did not start"
            await asyncio.sleep(0.1)
        await srv.watch()
        await asyncio.sleep(0.3)  # On Start code, /comms subscriptions
        return srv

    yield start
    for srv in started:
        await srv.stop()
    await http.close()


def function(id_: str, func: str, wires=(("d1",),), **fields) -> dict:
    base = {"func": func, "outputs": len(wires), "timeout": 0, "noerr": 0, "initialize": "", "finalize": "",
            "libs": []}
    return make_node(id_, "function", wires, **{**base, **fields})


def pyfunction(id_: str, func: str, wires=(("d1",),), **fields) -> dict:
    base = {"func": func, "outputs": len(wires), "timeout": 0, "noerr": 0, "initialize": "", "finalize": "",
            "libs": []}
    return make_node(id_, "python-function", wires, **{**base, **fields})


JS_BOMB = """
if (msg.payload === "bomb") {
    let a = [];
    while (true) a.push(new Array(1e6).fill(1));
}
msg.payload = ["ok", flow.get("starts")];
return msg;
"""


JS_ASYNC_BOMB = """
await new Promise((resolve) => setTimeout(resolve, 10));
if (msg.payload === "later") {
    let a = [];
    while (true) a.push(new Array(1e6).fill(1));
}
return msg;
"""


async def test_function_memory_bomb_ends_its_msg_and_the_node_is_rebuilt(server):
    flows = [TEST_TAB, feeder("f1", "fb"), feeder("f2", "fo"),
             function("fb", JS_BOMB, timeout=60,  # the heap limit, not the time limit, stops it
                      initialize='flow.set("starts", (flow.get("starts") || 0) + 1);'),
             function("fo", "msg.payload = msg.payload + 1;\nreturn msg;", wires=(("d2",),)),
             feeder("f3", "fa"), function("fa", JS_ASYNC_BOMB, timeout=60),
             full_debug("d1"), full_debug("d2"), catch_all("c1", "dc"), full_debug("dc")]
    srv = await server(flows)
    await srv.inject("f1", {"payload": "before"})
    [before] = await srv.got("d1")
    assert before["msg"]["payload"] == ["ok", 1]

    started = time.monotonic()
    await srv.inject("f1", {"payload": "bomb", "topic": "boom"})
    answers = await srv.flows_answer_until("dc")
    [err] = await srv.got("dc")
    assert answers and answers[0] < err["at"], "GET /flows did not answer while the bomb ran"
    assert err["msg"]["error"]["message"] == "Error: function node ran out of memory (limit 128 MiB)"
    assert err["msg"]["error"]["source"]["id"] == "fb" and err["msg"]["topic"] == "boom"
    assert err["at"] - started < 20

    await srv.inject("f2", {"payload": 1})
    [other] = await srv.got("d2")
    assert other["msg"]["payload"] == 2  # the other function node was not touched
    await srv.inject("f1", {"payload": "after"})
    after = await srv.got("d1", 2)
    assert after[1]["msg"]["payload"] == ["ok", 2]  # a new isolate, On Start run again

    # the same after an await: the msg still gets the error
    await srv.inject("f3", {"payload": "later", "topic": "async"})
    errors = await srv.got("dc", 2)
    assert errors[1]["msg"]["error"]["message"] == "Error: function node ran out of memory (limit 128 MiB)"
    assert errors[1]["msg"]["topic"] == "async" and errors[1]["msg"]["error"]["source"]["id"] == "fa"
    await srv.inject("f3", {"payload": "small"})
    assert (await srv.got("d1", 3))[2]["msg"]["payload"] == "small"
    srv.check_alive()
    assert srv.peak < 2 * 1024 ** 3


PY_BOMBS = """
if msg['payload'] == 'loop':
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
if msg['payload'] == 'hoard':
    kept = []
    while True:
        try:
            while True:
                try:
                    kept.append(b'x' * 10_000_000)
                except MemoryError:
                    pass
        except BaseException:
            pass
msg['payload'] = ['ok', flow.get('starts'), started]
return msg
"""
PY_ALLOC = """
if msg['payload'] == 'alloc':
    kept = []
    while True:
        kept.append(b'x' * 10_000_000)
return msg
"""


async def test_python_function_bombs_are_killed_and_the_runtime_keeps_serving(server):
    flows = [TEST_TAB, feeder("f1", "pb"), feeder("f2", "po"),
             pyfunction("pb", PY_BOMBS, timeout=1,
                        initialize="started = 'yes'\nflow.set('starts', (flow.get('starts') or 0) + 1)"),
             pyfunction("po", "msg['payload'] += 1\nreturn msg", wires=(("d2",),)),
             feeder("f3", "pa"), pyfunction("pa", PY_ALLOC, timeout=60),
             full_debug("d1"), full_debug("d2"), catch_all("c1", "dc"), full_debug("dc")]
    srv = await server(flows)
    await srv.inject("f1", {"payload": "before"})
    [before] = await srv.got("d1")
    assert before["msg"]["payload"] == ["ok", 1, "yes"]

    for n, bomb in enumerate(("loop", "hoard"), start=1):
        started = time.monotonic()
        await srv.inject("f1", {"payload": bomb, "topic": bomb})
        await srv.inject("f2", {"payload": n})  # another python-function goes on meanwhile
        answers = []
        while len([d for d in srv.debug if d.get("id") == "dc"]) < n:
            resp = await srv.http.get(srv.url + "/flows", timeout=aiohttp.ClientTimeout(total=5))
            assert resp.status == 200
            answers.append(time.monotonic())
            srv.check_alive()
            assert time.monotonic() - started < 30, f"the {bomb} bomb was not stopped"
            await asyncio.sleep(0.1)
        err = (await srv.got("dc", n))[n - 1]
        assert answers and answers[0] < err["at"], f"GET /flows did not answer during the {bomb} bomb"
        assert err["msg"]["topic"] == bomb and err["msg"]["error"]["source"]["id"] == "pb"
        assert err["msg"]["error"]["message"].startswith("Function timed out after 1 s")
        [other] = (await srv.got("d2", n))[n - 1:]
        assert other["msg"]["payload"] == n + 1 and other["at"] < err["at"]
        await srv.inject("f1", {"payload": "after"})
        after = (await srv.got("d1", n + 1))[n]
        assert after["msg"]["payload"] == ["ok", n + 1, "yes"]  # a new worker, On Start run again

    await srv.inject("f3", {"payload": "alloc", "topic": "alloc"})
    err = (await srv.got("dc", 3, timeout=60))[2]
    assert err["msg"]["error"]["message"] == "MemoryError (line 5)"  # at pythonFunctionMemoryLimit
    assert err["msg"]["topic"] == "alloc" and err["msg"]["error"]["source"]["id"] == "pa"
    await srv.inject("f3", {"payload": "small"})
    after = (await srv.got("d1", 4))[3]
    assert after["msg"]["payload"] == "small"
    srv.check_alive()
    assert srv.peak < 2 * 1024 ** 3

    # a worker stuck in a loop does not outlive a runtime that is killed
    await srv.inject("f1", {"payload": "loop"})
    await asyncio.sleep(0.3)
    workers = psutil.Process(srv.proc.pid).children()
    assert len(workers) == 3
    srv.proc.kill()
    await srv.proc.wait()
    _, alive = await asyncio.to_thread(psutil.wait_procs, workers, 10)
    assert not alive


async def test_exec_output_over_max_buffer_kills_the_command(server):
    count = make_node("fl", "function", [["d1"]], func="msg.payload = msg.payload.length;\nreturn msg;",
                      outputs=1, timeout=0, noerr=0, initialize="", finalize="", libs=[])
    flows = [TEST_TAB, feeder("f1", "ex"), count, full_debug("d1"), full_debug("d2"), full_debug("d3"),
             make_node("ex", "exec", [["fl"], ["d2"], ["d3"]], command="", addpay="payload", append="",
                       useSpawn="false", timer="", winHide=False, oldrc=False)]
    srv = await server(flows)
    await srv.inject("f1", {"payload": "head -c 20000000 /dev/zero | tr '\\0' a; echo done >&2"})
    [rc] = await srv.got("d3")
    assert rc["msg"]["payload"] == {"code": "ERR_CHILD_PROCESS_STDIO_MAXBUFFER",
                                    "message": "stdout maxBuffer length exceeded"}
    [out] = await srv.got("d1")
    assert out["msg"]["payload"] == 10_000_000  # what was read up to the cap
    assert out["msg"]["rc"] == rc["msg"]["payload"]
    assert {"fill": "red", "shape": "dot", "text": "error:ERR_CHILD_PROCESS_STDIO_MAXBUFFER"} in srv.status["ex"]

    await srv.inject("f1", {"payload": "head -c 12000000 /dev/zero >&2; echo fine"})
    rcs = await srv.got("d3", 2)
    assert rcs[1]["msg"]["payload"] == {"code": "ERR_CHILD_PROCESS_STDIO_MAXBUFFER",
                                        "message": "stderr maxBuffer length exceeded"}
    await srv.inject("f1", {"payload": "echo small"})
    outs = await srv.got("d1", 3)
    assert outs[2]["msg"]["payload"] == len("small\n")
    assert (await srv.got("d3", 3))[2]["msg"]["payload"] == {"code": 0}


async def test_exec_max_buffer_follows_the_setting(start_runtime):
    exec_node = make_node("ex", "exec", [["d1"], [], ["d3"]], command="head -c", addpay="payload", append="/dev/zero",
                          useSpawn="false", timer="", winHide=False, oldrc=False)
    rt = await start_runtime([TEST_TAB, feeder("f1", "ex"), exec_node, full_debug("d1"), full_debug("d3")],
                             execMaxBufferSize=1000)
    comms = await rt.comms()
    await rt.inject("f1", {"payload": 1000})
    await rt.inject("f1", {"payload": 1001})
    # the two commands run at once: either may end first
    rcs = [json.loads(d["msg"])["payload"] for d in await comms.debug(2, node_id="d3")]
    assert sorted(rcs, key=json.dumps) == sorted([{"code": 0}, {"code": "ERR_CHILD_PROCESS_STDIO_MAXBUFFER",
                                                                "message": "stdout maxBuffer length exceeded"}],
                                                 key=json.dumps)
