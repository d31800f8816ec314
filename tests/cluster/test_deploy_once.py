"""Deploy once: a deploy on any worker runs on every worker, stale revs are 409 cluster-wide,
and a worker that joins takes the cluster's flows. Three real ``flowred run --cluster``
workers on one real nats-server."""
from __future__ import annotations

import asyncio
import json
import signal
import time

import aiohttp

from flowred.credentials import decrypt_credentials

from .conftest import SECRET, wait_until

V2 = {"Node-RED-API-Version": "v2"}
TAB = {"id": "t1", "type": "tab", "label": "first"}
FLOWS = [TAB,
         {"id": "i1", "type": "inject", "z": "t1", "props": [{"p": "payload", "v": "hi", "vt": "str"}],
          "repeat": "", "once": False, "wires": [["d1"]]},
         {"id": "d1", "type": "debug", "z": "t1", "active": True, "tosidebar": True, "complete": "false",
          "wires": []}]


async def flows_of(http: aiohttp.ClientSession, worker) -> dict:
    async with http.get(worker.url + "/flows", headers=V2) as resp:
        assert resp.status == 200
        return await resp.json()


async def revs(http, workers) -> list[str]:
    return [(await flows_of(http, w))["rev"] for w in workers]


async def test_deploy_on_one_worker_runs_on_every_worker(start_workers):
    w1, w2, w3 = await start_workers(3, FLOWS)
    async with aiohttp.ClientSession() as http:
        # w2 and w3 joined with empty flow files: they run the flows w1 seeded, and saved them
        for w in (w2, w3):
            assert [n["id"] for n in (await flows_of(http, w))["flows"]] == ["t1", "i1", "d1"]
            assert [n["id"] for n in json.loads(w.flow_file.read_text())] == ["t1", "i1", "d1"]
        rev0 = (await flows_of(http, w1))["rev"]
        assert set(await revs(http, (w1, w2, w3))) == {rev0}

        broker = {"id": "b1", "type": "mqtt-broker", "broker": "127.0.0.1", "port": "1883",
                  "credentials": {"user": "ann", "password": "s3cret"}}
        changed = [{**TAB, "label": "second"}, *FLOWS[1:], broker]
        started = time.monotonic()
        async with http.post(w1.url + "/flows", json={"flows": changed, "rev": rev0}, headers=V2) as resp:
            assert resp.status == 200, await resp.text()
            rev1 = (await resp.json())["rev"]
        assert rev1 != rev0

        async def everywhere() -> bool:
            return await revs(http, (w2, w3)) == [rev1, rev1]

        await wait_until(everywhere, timeout=1.0, interval=0.02)
        print(f"deploy seen on w2 and w3 after {time.monotonic() - started:.3f} s")
        third = await flows_of(http, w3)
        assert third["flows"][0]["label"] == "second"
        # saved to w3's own flow file, with the credentials encrypted by the shared secret
        assert json.loads(w3.flow_file.read_text())[0]["label"] == "second"
        body = json.loads((w3.flow_file.parent / "flows_cred.json").read_text())
        assert "$" in body and decrypt_credentials(body, SECRET) == {"b1": {"user": "ann", "password": "s3cret"}}
        async with http.get(w3.url + "/credentials/mqtt-broker/b1") as resp:
            assert (await resp.json()) == {"has_user": True, "has_password": True}

        # two editors with the same rev on two workers: exactly one wins, the other gets 409
        async def deploy(worker, label: str) -> tuple[int, dict]:
            flows = [{**TAB, "label": label}, *FLOWS[1:], broker]
            async with http.post(worker.url + "/flows", json={"flows": flows, "rev": rev1}, headers=V2) as r:
                return r.status, await r.json()

        results = await asyncio.gather(deploy(w1, "from w1"), deploy(w2, "from w2"))
        assert sorted(status for status, _ in results) == [200, 409], results
        assert [body for status, body in results if status == 409] == [{"code": "version_mismatch",
                                                                         "message": "Error"}]
        winner = next(label for (status, _), label in zip(results, ("from w1", "from w2"), strict=True)
                      if status == 200)

        async def converged() -> bool:
            return [(await flows_of(http, w))["flows"][0]["label"] for w in (w1, w2, w3)] == [winner] * 3

        await wait_until(converged, timeout=5)
        # a stale rev is refused on a worker that took no part
        async with http.post(w3.url + "/flows", json={"flows": FLOWS, "rev": rev0}, headers=V2) as resp:
            assert resp.status == 409
        # one-tab edits (POST /flow) are shared too
        tab = {"id": "t2", "label": "added on w3", "nodes": [], "configs": []}
        async with http.post(w3.url + "/flow", json=tab) as resp:
            assert resp.status == 200, await resp.text()

        async def has_tab() -> bool:
            tabs = [[n["id"] for n in (await flows_of(http, w))["flows"]] for w in (w1, w2)]
            return all("t2" in ids for ids in tabs)

        await wait_until(has_tab, timeout=5)

        # an edit of w2's flow file on disk (the file watcher) is a deploy of the cluster too
        edited = json.loads(w2.flow_file.read_text())
        edited[0]["label"] = "edited on disk"
        w2.flow_file.write_text(json.dumps(edited))

        async def from_disk() -> bool:
            return [(await flows_of(http, w))["flows"][0]["label"] for w in (w1, w3)] == ["edited on disk"] * 2

        await wait_until(from_disk, timeout=10)

        # a worker that was away (stalled) while another deployed catches up when it is back
        w3.proc.send_signal(signal.SIGSTOP)
        try:
            rev = (await flows_of(http, w1))["rev"]
            latest = [{**TAB, "label": "while w3 was away"}, *FLOWS[1:]]
            async with http.post(w1.url + "/flows", json={"flows": latest, "rev": rev}, headers=V2) as resp:
                assert resp.status == 200, await resp.text()
                rev = (await resp.json())["rev"]
            await wait_until(lambda: _is(http, w2, rev), timeout=5)
        finally:
            w3.proc.send_signal(signal.SIGCONT)
        await wait_until(lambda: _is(http, w3, rev), timeout=10)
        assert json.loads(w3.flow_file.read_text())[0]["label"] == "while w3 was away"


async def _is(http, worker, rev: str) -> bool:
    return (await flows_of(http, worker))["rev"] == rev
