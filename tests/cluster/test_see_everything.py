"""See everything: debug, status and log frames of every worker reach every editor's /comms,
marked with the worker that produced them and never echoed; ``GET /cluster`` and ``flowred
cluster status`` list the workers and the leader."""
from __future__ import annotations

import asyncio
import json
import os

import aiohttp

from .conftest import wait_until
from conftest import FLOWRED, CommsClient

FLOWS = [{"id": "t1", "type": "tab", "label": "see"},
         {"id": "i1", "type": "inject", "z": "t1", "props": [{"p": "payload", "v": "ping", "vt": "str"}],
          "repeat": "", "once": False, "wires": [["d1"]]},
         {"id": "d1", "type": "debug", "z": "t1", "active": True, "tosidebar": True, "tostatus": True,
          "complete": "false", "statusType": "auto", "wires": []},
         {"id": "i2", "type": "inject", "z": "t1", "props": [{"p": "payload", "v": "{not json", "vt": "str"}],
          "repeat": "", "once": False, "wires": [["j1"]]},
         {"id": "j1", "type": "json", "z": "t1", "property": "payload", "action": "", "wires": [[]]}]


async def comms(http: aiohttp.ClientSession, worker) -> CommsClient:
    ws = await http.ws_connect(worker.url + "/comms")
    for topic in ("debug", "status/#"):
        await ws.send_json({"subscribe": topic})
    return CommsClient(ws)


def debug_of(client: CommsClient, node_id: str) -> list[dict]:
    return [d for d in client.topic("debug") if d.get("id") == node_id]


async def test_frames_of_every_worker_reach_every_editor_and_get_cluster_lists_them(start_workers, nats_server):
    workers = await start_workers(3, FLOWS)
    w1, w2, w3 = workers
    async with aiohttp.ClientSession() as http:
        c1, c2 = await comms(http, w1), await comms(http, w2)
        try:
            async with http.post(w2.url + "/inject/i1") as resp:
                assert resp.status == 200
            got = await c1.wait_for(lambda m: m["topic"] == "debug" and m["data"].get("id") == "d1")
            assert got[0]["data"]["worker"] == "w2" and got[0]["data"]["msg"] == "ping"
            # the debug node's status on w2 reaches w1's editor, marked too
            await c1.wait_for(lambda m: m["topic"] == "status/d1" and m["data"].get("worker") == "w2"
                              and m["data"].get("text") == "ping")
            # a node error on w2 (a log frame, level 20) as well
            async with http.post(w2.url + "/inject/i2") as resp:
                assert resp.status == 200
            errors = await c1.wait_for(lambda m: m["topic"] == "debug" and m["data"].get("id") == "j1")
            assert errors[0]["data"]["level"] == 20 and errors[0]["data"]["worker"] == "w2"
            # the button fires on the worker asked; its own frames are marked with its id
            async with http.post(w1.url + "/inject/i1") as resp:
                assert resp.status == 200
            await c2.wait_for(lambda m: m["topic"] == "debug" and m["data"].get("worker") == "w1")
            await asyncio.sleep(1)  # time for any echo to arrive
            for client in (c1, c2):  # each msg exactly once on each editor: no echo, no loop
                assert sorted(d["worker"] for d in debug_of(client, "d1")) == ["w1", "w2"]
                assert [d["worker"] for d in debug_of(client, "j1")] == ["w2"]
        finally:
            await c1.close()
            await c2.close()

        async def listed() -> dict | None:
            async with http.get(workers[1].url + "/cluster") as resp:
                assert resp.status == 200
                body = await resp.json()
            return body if len(body["workers"]) == 3 else None

        body = await wait_until(listed, timeout=10)
        assert body["enabled"] is True and body["name"] == "flowred" and body["connected"] is True
        assert body["worker"] == "w2" and body["leader"] == "w1"
        assert [(w["id"], w["state"], w["url"]) for w in body["workers"]] == \
            [(w.id, "running", w.url + "/") for w in workers]
        assert all(isinstance(w["heartbeat"], int) for w in body["workers"])

        proc = await asyncio.create_subprocess_exec(FLOWRED, "cluster", "status", "--cluster", nats_server.url,
                                                    env={**os.environ}, stdout=asyncio.subprocess.PIPE)
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0
        printed = json.loads(out)
        assert printed["leader"] == "w1" and printed["name"] == "flowred" and printed["worker"] is None
        assert [w["id"] for w in printed["workers"]] == ["w1", "w2", "w3"]

        await workers[2].stop()  # a clean stop says so

        async def stopped() -> bool:
            async with http.get(workers[0].url + "/cluster") as resp:
                body = await resp.json()
            return [w["state"] for w in body["workers"]] == ["running", "running", "stopped"]

        await wait_until(stopped, timeout=10)


async def test_a_runtime_alone_has_no_cluster(start_runtime):
    rt = await start_runtime(FLOWS)
    async with rt.http.get(rt.url + "/cluster") as resp:
        assert resp.status == 200
        assert await resp.json() == {"enabled": False}
