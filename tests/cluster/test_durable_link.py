"""Durable links (flowred.cluster.durable) against a real nats-server and real worker
processes: msgs survive a worker killed with SIGKILL, each is handled by one worker, and what
cannot travel is an error on the link out."""
import asyncio
import json
import time

import aiohttp

from flowred.cluster.connection import ClusterOptions, connect
from flowred.cluster.durable import decode_msg, encode_msg
from flowred.context import ContextManager
from flowred.node import NodeError

from .conftest import wait_until
from .workers import start_workers, stop_workers
from conftest import TEST_TAB, feeder, full_debug, make_node

N = 10_000
SETTINGS = """
[contextStorage.default]
module = "nats"

[cluster]
linkAckWait = 3
linkMaxInFlight = 300
linkWindow = 100
"""


def test_msgs_travel_as_json_with_bytes_and_refuse_what_cannot():
    msg = {"_msgid": "a", "payload": b"\x00\xffbin", "deep": [{"b": bytearray(b"x")}], "n": 1.5}
    back = decode_msg(encode_msg(msg))
    assert back == {"_msgid": "a", "payload": b"\x00\xffbin", "deep": [{"b": b"x"}], "n": 1.5}
    for bad, text in (({"req": {}}, "msg.req/msg.res"), ({"payload": object()}, "not JSON serializable: object"),
                      ({"payload": {1, 2}}, "not JSON serializable: set")):
        try:
            encode_msg(bad)
        except NodeError as exc:
            assert text in str(exc)
        else:
            raise AssertionError(f"{bad} travelled")


def durable_flow(sink_code: str) -> list[dict]:
    """go (inject) → make N msgs → split (a _msgid each) → durable link out → link in → sink."""
    return [
        TEST_TAB,
        feeder("go", "make"),
        make_node("make", "function", [["sp"]], outputs=1,
                  func="msg.payload = Array.from({length: msg.payload}, (_, i) => i); return msg;"),
        make_node("sp", "split", [["lo"]], splt="\\n", spltType="str", arraySplt=1, arraySpltType="len",
                  stream=False, addname=""),
        make_node("lo", "link out", [], mode="link", links=["li"], durable=True),
        make_node("li", "link in", [["sink"]], links=["lo"]),
        make_node("sink", "function", [[]], outputs=0, func=sink_code),
    ]


async def test_durable_link_loses_nothing_when_a_worker_is_killed(nats_server, tmp_path):
    """10,000 msgs through a durable link into 3 workers; one is killed with SIGKILL midway:
    every msg arrives, duplicates stay within the in-flight limit."""
    sink = "await global.update('m_' + msg._msgid, (v) => (v || 0) + 1);\nreturn null;"
    workers = await start_workers(tmp_path, durable_flow(sink), nats_server.url, 3, SETTINGS, name="durable")
    cluster = await connect(ClusterOptions(nats_server.url, name="durable", worker_id="probe"))
    seen = ContextManager.from_settings({"default": {"module": "nats"}}, None)
    await seen.start(cluster)
    ctx = seen.global_context()

    def counts() -> tuple[int, int]:
        values = [ctx.get(k) for k in ctx.keys() if k.startswith("m_")]
        return len(values), sum(v for v in values if isinstance(v, int))

    try:
        async with aiohttp.ClientSession() as http:
            resp = await http.post(workers[0].url + "/inject/go", json={"payload": N})
            assert resp.status == 200
        await wait_until(lambda: counts()[0] >= N // 5, timeout=60)
        workers[2].proc.kill()  # SIGKILL: no goodbye, its unacknowledged msgs go elsewhere
        await workers[2].proc.wait()
        killed_at = counts()[0]
        start = time.monotonic()
        await wait_until(lambda: counts()[0] >= N, timeout=120, interval=0.2)
        await asyncio.sleep(4)  # past linkAckWait: any late redelivery would show as a duplicate
        distinct, total = counts()
        assert killed_at < N, "the kill came after the end: nothing was tested"
        assert distinct == N
        duplicates = total - distinct
        assert 0 <= duplicates <= 300  # linkMaxInFlight bounds what a dead worker held
        print(f"\n{N} msgs, killed at {killed_at}, rest in {time.monotonic() - start:.1f} s, "
              f"{duplicates} duplicates")
    finally:
        await seen.close()
        await cluster.close()
        await stop_workers(workers)


async def test_a_durable_link_running_alone_is_a_plain_link(start_runtime):
    flows = [TEST_TAB, feeder("f1", "lo"), make_node("lo", "link out", [], mode="link", links=["li"], durable=True),
             make_node("li", "link in", [["d1"]], links=["lo"]), full_debug()]
    rt = await start_runtime(flows)
    comms = await rt.comms()
    await rt.inject("f1", {"payload": "alone"})
    [got] = await comms.debug(1)
    assert json.loads(got["msg"])["payload"] == "alone"


class _Sidebar:
    """The debug sidebar of a worker process, over its /comms websocket."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.url, self.seen = http, url, []

    async def open(self) -> "_Sidebar":
        self.ws = await self.http.ws_connect(self.url + "/comms")
        await self.ws.send_json({"subscribe": "debug"})
        self.task = asyncio.get_running_loop().create_task(self._read())
        return self

    async def _read(self) -> None:
        async for frame in self.ws:
            body = json.loads(frame.data)
            self.seen += [m["data"] for m in (body if isinstance(body, list) else [body]) if m["topic"] == "debug"]

    async def wait(self, check, timeout: float = 30) -> dict:
        found = await wait_until(lambda: next((d for d in self.seen if check(d)), None), timeout=timeout)
        return found


async def test_durable_sends_wait_for_nats_then_resume_or_fail(nats_server, tmp_path):
    """NATS stops: a durable send waits and goes out once NATS is back; one that waits longer
    than linkSendTimeout is an error on the link out; a msg that cannot travel is one at once."""
    flows = [TEST_TAB, feeder("go", "lo"),
             make_node("web", "http in", [["lo"]], url="/travel", method="get", upload=False, swaggerDoc=""),
             make_node("lo", "link out", [], mode="link", links=["li"], durable=True),
             make_node("li", "link in", [["d1"]], links=["lo"]), full_debug()]
    settings = "[cluster]\nlinkSendTimeout = 3\nlinkAckWait = 5\n"
    [worker] = await start_workers(tmp_path, flows, nats_server.url, 1, settings, name="lost")
    try:
        async with aiohttp.ClientSession() as http:
            sidebar = await _Sidebar(http, worker.url).open()

            def payload(value):
                return lambda d: d.get("id") == "d1" and json.loads(d["msg"]).get("payload") == value

            await http.post(worker.url + "/inject/go", json={"payload": "first"})
            await sidebar.wait(payload("first"))
            try:
                await http.get(worker.url + "/travel", timeout=aiohttp.ClientTimeout(total=0.5))
            except asyncio.TimeoutError:
                pass  # nothing answers the request: it stopped at the link out
            error = await sidebar.wait(lambda d: d.get("id") == "lo" and "cannot travel" in d.get("msg", ""))
            assert "msg.req/msg.res" in error["msg"]

            nats_server.stop()
            await http.post(worker.url + "/inject/go", json={"payload": "while away"})
            await asyncio.sleep(1)
            nats_server.start()
            await sidebar.wait(payload("while away"), timeout=60)

            nats_server.stop()
            await http.post(worker.url + "/inject/go", json={"payload": "too late"})
            error = await sidebar.wait(lambda d: d.get("id") == "lo" and "NATS unreachable" in d.get("msg", ""))
            assert "3 s" in error["msg"]
            nats_server.start()
            await asyncio.sleep(0.5)
            assert not any(payload("too late")(d) for d in sidebar.seen)
            sidebar.task.cancel()
            await sidebar.ws.close()
    finally:
        await stop_workers([worker])


def test_running_alone_imports_no_nats(tmp_path):
    """Without a cluster and a nats context store, a flow with a durable link and context
    updates runs with neither nats-py nor the cluster modules imported."""
    import subprocess
    import sys

    flows = [TEST_TAB, make_node("lo", "link out", [], mode="link", links=["li"], durable=True),
             make_node("li", "link in", [["fn"]], links=["lo"]),
             make_node("fn", "function", [[]], outputs=1, func="await global.update('n', (v) => (v || 0) + 1);")]
    script = f"""
import asyncio, json, sys
from flowred.engine import Engine
from flowred.settings import Settings

async def main():
    engine = Engine(Settings(userDir={str(tmp_path)!r}))
    await engine.load()
    await engine.deploy(json.loads({json.dumps(json.dumps(flows))}))
    engine.get_node("lo").receive({{"payload": 1}})
    for _ in range(200):
        await asyncio.sleep(0.05)
        if engine.context.global_context().get("n") == 1:
            break
    await engine.stop()
    print(engine.context.global_context().get("n"),
          sorted(m for m in sys.modules
                 if m == "nats" or m.startswith(("nats.", "flowred.cluster", "flowred.context_nats"))))

asyncio.run(main())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[-2] == "1 []"


async def test_a_msg_whose_path_errors_is_acknowledged_not_redelivered(nats_server, tmp_path):
    """An error reported with the msg ends its branch: the msgs are acknowledged (nothing left
    pending in the consumer) and each ran once."""
    sink = ("await global.update('m_' + msg._msgid, (v) => (v || 0) + 1);\n"
            "if (msg.payload % 2) throw new Error('odd');\nreturn null;")
    settings = SETTINGS.replace("linkAckWait = 3", "linkAckWait = 1")
    [worker] = await start_workers(tmp_path, durable_flow(sink), nats_server.url, 1, settings, name="erring")
    cluster = await connect(ClusterOptions(nats_server.url, name="erring", worker_id="probe"))
    seen = ContextManager.from_settings({"default": {"module": "nats"}}, None)
    await seen.start(cluster)
    ctx = seen.global_context()
    try:
        async with aiohttp.ClientSession() as http:
            await http.post(worker.url + "/inject/go", json={"payload": 20})
        await wait_until(lambda: len([k for k in ctx.keys() if k.startswith("m_")]) == 20, timeout=60)

        async def settled():
            info = await cluster.js.consumer_info(cluster.bucket_name("links"), "link_li")
            return info.num_ack_pending == 0 and info.num_pending == 0

        await wait_until(settled, timeout=30)
        await asyncio.sleep(2.5)  # past linkAckWait: a redelivery would count twice
        assert sorted({ctx.get(k) for k in ctx.keys() if k.startswith("m_")}) == [1]
    finally:
        await seen.close()
        await cluster.close()
        await stop_workers([worker])
