"""Crash consistency of the flow and credentials files: a real ``flowred run`` process, a storm of
deploys (with credentials on config nodes whose ids change every deploy), and ``kill -9`` at a
random moment, many times over. After every kill the flow file and its backup are valid JSON
(never 0 bytes), every node in the flow file still has its credentials, and a restart loads the
flows with them."""
from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path

import aiohttp
from test_credentials import HOST, node_red_decrypt

from conftest import ROOT, TEST_TAB, free_port

FLOWRED = str(Path(sys.executable).with_name("flowred"))
SECRET = "crash-test-secret"
TRIALS = 20
STABLE = {**HOST, "id": "sh0", "name": "stable"}


def flows_for(n: int) -> list[dict]:
    """Deploy ``n``: the stable host (credentials sent once, then kept by the runtime), a host
    whose id is new each time with its own credentials, and an inject → debug pair."""
    return [TEST_TAB, STABLE, {**HOST, "id": f"h{n}", "name": f"n{n}", "credentials": {"secureApiKeyValue": f"sk-{n}"}},
            {"id": "i1", "type": "inject", "z": "t1", "props": [], "x": 1, "y": 1, "wires": [["d1"]], "name": str(n)},
            {"id": "d1", "type": "debug", "z": "t1", "x": 2, "y": 2, "wires": []}]


def expected_secret(node_id: str) -> str:
    return "sk-stable" if node_id == "sh0" else "sk-" + node_id[1:]


async def start(tmp: Path, log: Path) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    with open(log, "wb") as out:
        proc = await asyncio.create_subprocess_exec(
            FLOWRED, "run", str(tmp / "flows.json"), "--userDir", str(tmp), "--port", str(port), "--no-watch",
            stdout=out, stderr=asyncio.subprocess.STDOUT, cwd=ROOT, env=os.environ.copy())
    end = time.monotonic() + 60
    while b"FlowRed is running" not in log.read_bytes():
        if proc.returncode is not None or time.monotonic() > end:
            proc.kill()
            raise AssertionError("flowred did not start:\n" + log.read_text())
        await asyncio.sleep(0.02)
    return proc, f"http://127.0.0.1:{port}"


def check_files(tmp: Path, where: str) -> list[str]:
    """The three files are consistent; returns the host node ids in the flow file."""
    flows = json.loads((tmp / "flows.json").read_text())  # valid JSON, or this raises
    assert isinstance(flows, list) and flows, where
    backup = tmp / ".flows.json.backup"
    if backup.exists():
        assert backup.stat().st_size > 0, where
        assert isinstance(json.loads(backup.read_text()), list), where
    hosts = [n["id"] for n in flows if n["type"] == "Service Host"]
    creds = node_red_decrypt(json.loads((tmp / "flows_cred.json").read_text()), SECRET)
    for nid in hosts:
        assert creds.get(nid) == {"secureApiKeyValue": expected_secret(nid)}, f"{where}: {nid} lost its credentials"
    cred_backup = tmp / ".flows_cred.json.backup"
    if cred_backup.exists():
        assert cred_backup.stat().st_size > 0, where
        node_red_decrypt(json.loads(cred_backup.read_text()), SECRET)
    return hosts


async def test_kill_9_during_a_storm_of_deploys_never_loses_flows_or_credentials(tmp_path):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    (tmp_path / "settings.toml").write_text(f'credentialSecret = "{SECRET}"\n')
    counter = 0
    kills = deploys = 0
    starting = 0.0
    t0 = time.monotonic()
    for trial in range(TRIALS + 1):
        where = f"seed {seed}, trial {trial}"
        log = tmp_path / f"run{trial}.log"
        t_start = time.monotonic()
        proc, url = await start(tmp_path, log)
        starting += time.monotonic() - t_start
        try:
            async with aiohttp.ClientSession() as http:
                if trial:
                    # the restart loads what is on disk, with every credential
                    on_disk = json.loads((tmp_path / "flows.json").read_text())
                    assert await (await http.get(url + "/flows")).json() == on_disk, where
                    for nid in check_files(tmp_path, where):
                        got = await (await http.get(f"{url}/credentials/Service Host/{nid}")).json()
                        assert got == {"has_secureApiKeyValue": True}, f"{where}: {nid}"
                    text = log.read_text()
                    assert "cannot be read" not in text and "unreadable" not in text, text
                else:
                    first = flows_for(0)
                    first[1] = {**STABLE, "credentials": {"secureApiKeyValue": "sk-stable"}}
                    assert (await http.post(url + "/flows", json=first)).status == 204
                if trial == TRIALS:
                    break

                async def storm(url: str) -> None:
                    nonlocal counter, deploys
                    while True:
                        counter += 1
                        try:
                            resp = await http.post(url + "/flows", json=flows_for(counter))
                        except aiohttp.ClientError:
                            return
                        assert resp.status == 204, await resp.text()
                        deploys += 1

                tasks = [asyncio.create_task(storm(url)) for _ in range(2)]
                await asyncio.sleep(rng.uniform(0.05, 0.5))
                proc.kill()
                kills += 1
                await proc.wait()
                for result in await asyncio.gather(*tasks, return_exceptions=True):
                    assert result is None, f"{where}: {result!r}"
            check_files(tmp_path, where)
        finally:
            if proc.returncode is None:
                proc.terminate()
                await proc.wait()
    took = time.monotonic() - t0
    print(f"\ncrash consistency: seed {seed}, {TRIALS} trials, {kills} kills, {deploys} deploys answered, "
          f"{took:.1f} s ({starting:.1f} s of it starting {TRIALS + 1} processes)")
    assert kills == TRIALS and deploys > TRIALS
