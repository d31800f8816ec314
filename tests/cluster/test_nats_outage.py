"""Faults: NATS stops while the workers run. Their local wires keep running (http in answers,
the button fires), a deploy is refused with 503 and changes nothing; once NATS is back a deploy
reaches every worker and a leader holds the lease again."""
from __future__ import annotations

import asyncio

import aiohttp

from .conftest import wait_until

V2 = {"Node-RED-API-Version": "v2"}
TAB = {"id": "t1", "type": "tab", "label": "before"}
FLOWS = [TAB,
         {"id": "h1", "type": "http in", "z": "t1", "url": "/ping", "method": "get", "wires": [["c1"]]},
         {"id": "c1", "type": "change", "z": "t1", "rules": [{"t": "set", "p": "payload", "pt": "msg",
                                                               "to": "pong", "tot": "str"}], "wires": [["r1"]]},
         {"id": "r1", "type": "http response", "z": "t1", "wires": []},
         {"id": "i1", "type": "inject", "z": "t1", "props": [{"p": "payload", "v": "local", "vt": "str"}],
          "repeat": "", "once": False, "wires": [["d1"]]},
         {"id": "d1", "type": "debug", "z": "t1", "active": True, "tosidebar": True, "complete": "false",
          "wires": []}]


async def cluster_of(http, worker) -> dict:
    async with http.get(worker.url + "/cluster") as resp:
        return await resp.json()


async def rev_of(http, worker) -> str:
    async with http.get(worker.url + "/flows", headers=V2) as resp:
        return (await resp.json())["rev"]


async def test_workers_ride_out_a_nats_restart(start_workers, nats_server):
    workers = await start_workers(3, FLOWS)
    w1 = workers[0]
    async with aiohttp.ClientSession() as http:
        rev0 = await rev_of(http, w1)
        nats_server.stop()

        async def all_disconnected() -> bool:
            return all([not (await cluster_of(http, w))["connected"] for w in workers])

        await wait_until(all_disconnected, timeout=10)
        for w in workers:  # local wires run
            async with http.get(w.url + "/ping") as resp:
                assert resp.status == 200 and await resp.text() == "pong"
        ws = await http.ws_connect(workers[1].url + "/comms")
        await ws.send_json({"subscribe": "debug"})
        async with http.post(workers[1].url + "/inject/i1") as resp:
            assert resp.status == 200
        frame = await asyncio.wait_for(ws.receive_json(), 10)
        assert frame[0]["data"]["msg"] == "local" and frame[0]["data"]["worker"] == "w2"
        await ws.close()

        changed = [{**TAB, "label": "after"}, *FLOWS[1:]]
        async with http.post(w1.url + "/flows", json={"flows": changed, "rev": rev0}, headers=V2) as resp:
            assert resp.status == 503
            body = await resp.json()
        assert body["code"] == "cluster_unavailable" and "cannot be reached" in body["message"]
        async with http.post(w1.url + "/flow", json={"label": "new", "nodes": []}) as resp:
            assert resp.status == 503
        assert await rev_of(http, w1) == rev0  # nothing changed

        nats_server.start()

        async def deployed() -> str | None:
            async with http.post(w1.url + "/flows", json={"flows": changed, "rev": rev0}, headers=V2) as resp:
                if resp.status == 503:
                    return None
                assert resp.status == 200, await resp.text()
                return (await resp.json())["rev"]

        rev1 = await wait_until(deployed, timeout=20, interval=0.5)

        async def everywhere() -> bool:
            return [await rev_of(http, w) for w in workers] == [rev1] * 3

        await wait_until(everywhere, timeout=5)

        async def led() -> bool:
            body = await cluster_of(http, workers[2])
            return body["leader"] in ("w1", "w2", "w3") and len(body["workers"]) == 3

        await wait_until(led, timeout=10)

        # frames are relayed again: a debug msg of w2 reaches w1's editor
        ws = await http.ws_connect(w1.url + "/comms")
        await ws.send_json({"subscribe": "debug"})
        await asyncio.sleep(0.3)
        async with http.post(workers[1].url + "/inject/i1") as resp:
            assert resp.status == 200
        frame = await asyncio.wait_for(ws.receive_json(), 10)
        assert frame[0]["data"]["msg"] == "local" and frame[0]["data"]["worker"] == "w2"
        await ws.close()
