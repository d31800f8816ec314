"""Fire once: an inject node's repeat fires on the leader only; when the leader is killed
(``kill -9``) another worker takes over within 5 s and no fire is doubled. The fires are
counted per worker from the debug frames one surviving worker's ``/comms`` gets (each frame
names its worker)."""
from __future__ import annotations

import asyncio
import json
import signal
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


def runs(seen: list[tuple[str, int]]) -> list[str]:
    """The workers in fire order, each run of fires by one worker counted once."""
    out: list[str] = []
    for worker, _ in sorted(seen, key=lambda f: f[1]):
        if not out or out[-1] != worker:
            out.append(worker)
    return out


def not_doubled(seen: list[tuple[str, int]]) -> bool:
    stamps = sorted(t for _, t in seen)
    return len(stamps) <= (stamps[-1] - stamps[0]) / 1000 / INTERVAL + 2


async def test_repeat_fires_on_the_leader_only_and_fails_over_without_double_fires(start_workers):
    workers = await start_workers(3, FLOWS)
    by_id = {w.id: w for w in workers}
    w1, w2, w3 = workers
    async with aiohttp.ClientSession() as http:
        assert await leader_of(http, w3) == "w1"  # the first worker leads
        await wait_until(listening, timeout=10)  # the tcp in node of w1 listens ...
        assert (await status_of(http, w3, "tcp1"))["text"] == "standby (runs on the leader)"  # ... w3's waits
        observers = {}
        for w in (w2, w3):  # both watch; the one never killed sees every fire
            ws = await http.ws_connect(w.url + "/comms")
            await ws.send_json({"subscribe": "debug"})
            fires = Fires()
            observers[w.id] = (ws, fires, asyncio.get_running_loop().create_task(fires.read(ws)))
        watcher = w3

        async def take_over(gone: str) -> tuple[str, float]:
            started = time.monotonic()

            async def new_leader() -> str | None:
                found = await leader_of(http, watcher)
                return found if found not in (None, gone) else None

            leader = await wait_until(new_leader, timeout=8, interval=0.1)
            return leader, time.monotonic() - started

        try:
            await asyncio.sleep(2.5)
            steady = list(observers["w3"][1].seen)
            assert len(steady) >= 3, steady  # it does fire (relayed from w1 to the others' /comms)
            assert {w for w, _ in steady} == {"w1"}, steady
            assert not_doubled(steady), steady

            # a leader that stalls (SIGSTOP) loses the lease and, resumed, does not fire again
            w1.proc.send_signal(signal.SIGSTOP)
            stalled = time.time() * 1000
            try:
                first, took = await take_over("w1")
                print(f"leader {first} took over {took:.2f} s after w1 stalled")
                assert took < 5
                await wait_until(lambda: observers["w3"][1].workers(stalled), timeout=5)
            finally:
                w1.proc.send_signal(signal.SIGCONT)
            await asyncio.sleep(1.5)

            # kill -9 of the new leader: another worker takes over
            if first == "w3":
                watcher = w2
            by_id[first].kill()
            killed = time.time() * 1000
            leader, took = await take_over(first)
            print(f"leader {leader} took over {took:.2f} s after kill -9 of {first}")
            assert took < 5
            seen = observers[watcher.id][1]
            await wait_until(lambda: seen.workers(killed), timeout=5)
            await wait_until(listening, timeout=5)  # the tcp in node of the new leader listens
            await asyncio.sleep(1.5)
        finally:
            for ws, _fires, reader in observers.values():
                reader.cancel()
                await ws.close()
    fires = observers[watcher.id][1].seen
    assert runs(fires) == ["w1", first, leader], fires  # never two workers firing at once
    assert not [t for w, t in fires if w == "w1" and stalled <= t < killed], fires  # the stalled leader stopped
    after = [(w, t) for w, t in fires if t >= killed]
    assert {w for w, _ in after} == {leader}, after
    assert (min(t for _, t in after) - killed) / 1000 < 5 + INTERVAL, after
    for who in ("w1", first, leader):
        assert not_doubled([f for f in fires if f[0] == who])
