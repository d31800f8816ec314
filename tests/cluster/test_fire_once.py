"""Fire once: an inject node's repeat fires on the leader only; when the leader is killed
(``kill -9``) another worker takes over within 5 s and no fire is doubled. The fires are
counted per worker from the debug frames one surviving worker's ``/comms`` gets (each frame
names its worker)."""
from __future__ import annotations

import asyncio
import json
import time

import aiohttp

from .conftest import wait_until
from conftest import free_port

INTERVAL = 0.5
PORT = free_port()
FLOWS = [{"id": "t1", "type": "tab", "label": "ticks"},
         # runOn defaults to "leader": one listener for the cluster, moving with the lease
         {"id": "tcp1", "type": "tcp in", "z": "t1", "server": "server", "port": str(PORT), "datamode": "stream",
          "datatype": "utf8", "wires": [[]]},
         {"id": "i1", "type": "inject", "z": "t1", "props": [{"p": "payload", "v": "", "vt": "date"}],
          "repeat": str(INTERVAL), "once": False, "wires": [["d1"]]},
         {"id": "d1", "type": "debug", "z": "t1", "active": True, "tosidebar": True, "complete": "false",
          "wires": []}]


class Fires:
    """The debug frames of d1 one /comms connection gets: ``(worker, fire time in ms)``."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    async def read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in ws:
            for m in json.loads(frame.data):
                if m["topic"] == "debug" and m["data"].get("id") == "d1":
                    self.seen.append((m["data"]["worker"], int(m["data"]["msg"])))

    def workers(self, since_ms: float = 0) -> set[str]:
        return {w for w, t in self.seen if t >= since_ms}


async def listening() -> bool:
    try:
        _reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    except OSError:
        return False
    writer.close()
    return True


async def status_of(http, worker, node_id: str) -> dict:
    ws = await http.ws_connect(worker.url + "/comms")
    try:
        await ws.send_json({"subscribe": f"status/{node_id}"})
        return (await asyncio.wait_for(ws.receive_json(), 10))[0]["data"]
    finally:
        await ws.close()


async def leader_of(http, worker) -> str | None:
    async with http.get(worker.url + "/cluster") as resp:
        return (await resp.json())["leader"]


async def test_repeat_fires_on_the_leader_only_and_fails_over_without_double_fires(start_workers):
    w1, w2, w3 = await start_workers(3, FLOWS)
    async with aiohttp.ClientSession() as http:
        assert await leader_of(http, w3) == "w1"  # the first worker leads
        await wait_until(listening, timeout=10)  # the tcp in node of w1 listens ...
        assert (await status_of(http, w3, "tcp1"))["text"] == "standby (runs on the leader)"  # ... w3's waits
        ws = await http.ws_connect(w3.url + "/comms")
        await ws.send_json({"subscribe": "debug"})
        fires = Fires()
        reader = asyncio.get_running_loop().create_task(fires.read(ws))
        try:
            await asyncio.sleep(2.5)
            steady = list(fires.seen)
            if reader.done():
                reader.result()
            assert len(steady) >= 3, steady  # it does fire (relayed from w1 to w3's /comms)
            assert {w for w, _ in steady} == {"w1"}, steady
            span = (steady[-1][1] - steady[0][1]) / 1000
            assert len(steady) <= span / INTERVAL + 2, steady  # not doubled

            w1.kill()
            killed = time.time() * 1000
            started = time.monotonic()

            async def new_leader() -> str | None:
                found = await leader_of(http, w3)
                return found if found not in (None, "w1") else None

            leader = await wait_until(new_leader, timeout=8, interval=0.1)
            took = time.monotonic() - started
            print(f"leader {leader} took over {took:.2f} s after kill -9")
            assert took < 5
            await wait_until(lambda: fires.workers(killed), timeout=5)
            await wait_until(listening, timeout=5)  # the new leader's tcp in node listens
            assert (await status_of(http, w3 if leader == "w3" else w2, "tcp1")).get("text") != \
                "standby (runs on the leader)"
            await asyncio.sleep(1.5)
        finally:
            reader.cancel()
            await ws.close()
    after = [(w, t) for w, t in fires.seen if t >= killed]
    assert {w for w, _ in after} == {leader}, after  # only the new leader fires
    first = min(t for _, t in after)
    assert (first - killed) / 1000 < 5 + INTERVAL, after
    old = [t for w, t in fires.seen if w == "w1"]
    assert max(old) < first  # the old leader's fires all came before the new leader's
    span = (max(t for _, t in after) - first) / 1000
    assert len(after) <= span / INTERVAL + 2, after
